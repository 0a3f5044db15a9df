"""Payment methods ("Zahlungsart") of customers and orders: a fixed list, never free text.

The payment method type is kept for bookkeeping when a customer or an order is anonymized, so it
must never hold personal or card data: it is one of these codes (or empty: not known), which the
forms, the admin, the models and a check constraint in the database all insist on.
"""

import re

from django.db import models
from django.utils.translation import gettext_lazy as _

from personal.cards import contains_card_number


class PaymentMethod(models.TextChoices):
    INVOICE = "invoice", _("Rechnung")
    PREPAYMENT = "prepayment", _("Vorkasse/Überweisung")
    PAYPAL = "paypal", "PayPal"
    CREDIT_CARD = "credit_card", _("Kreditkarte")
    DIRECT_DEBIT = "direct_debit", _("Lastschrift")
    AMAZON_PAY = "amazon_pay", "Amazon Pay"
    EBAY = "ebay", _("eBay-Zahlungsabwicklung")
    KLARNA = "klarna", "Klarna"
    CASH_ON_DELIVERY = "cash_on_delivery", _("Nachnahme")
    CASH = "cash", _("Barzahlung")
    OTHER = "other", _("Sonstige")


#: What the codes may be in the database (the check constraints of Customer and Order).
PAYMENT_METHOD_VALUES = ["", *PaymentMethod.values]

# The names merchants, shops and marketplaces use for them, the German labels among them
# (compared case-insensitively, with spaces, dashes, underscores and slashes alike), besides the
# codes themselves.
_KNOWN_NAMES = {
    PaymentMethod.INVOICE: (
        "rechnung",
        "kauf auf rechnung",
        "rechnungskauf",
        "invoice",
        "pay by invoice",
    ),
    PaymentMethod.PREPAYMENT: (
        "vorkasse",
        "überweisung",
        "ueberweisung",
        "banküberweisung",
        "vorkasse überweisung",
        "vorauskasse",
        "prepayment",
        "prepayment bank transfer",
        "bank transfer",
    ),
    PaymentMethod.PAYPAL: ("paypal", "paypal express", "paypal plus", "paypal checkout"),
    PaymentMethod.CREDIT_CARD: (
        "kreditkarte",
        "credit card",
        "creditcard",
        "visa",
        "mastercard",
        "american express",
        "amex",
    ),
    PaymentMethod.DIRECT_DEBIT: (
        "lastschrift",
        "sepa lastschrift",
        "sepa",
        "elv",
        "direct debit",
        "sepa direct debit",
    ),
    PaymentMethod.AMAZON_PAY: ("amazon pay", "amazon payments", "amazon"),
    PaymentMethod.EBAY: (
        "ebay",
        "ebay zahlungsabwicklung",
        "ebay managed payments",
        "managed payments",
    ),
    PaymentMethod.KLARNA: ("klarna", "sofort", "sofortüberweisung", "klarna sofort"),
    PaymentMethod.CASH_ON_DELIVERY: ("nachnahme", "cash on delivery", "cod"),
    PaymentMethod.CASH: ("barzahlung", "bar", "cash", "barzahlung bei abholung"),
    PaymentMethod.OTHER: ("sonstige", "sonstiges", "andere", "other"),
}
_SPACING = re.compile(r"[\s/_-]+")


def _key(text: str) -> str:
    return _SPACING.sub(" ", text.casefold()).strip()


_BY_NAME = {
    _key(name): method for method, names in _KNOWN_NAMES.items() for name in (*names, method.value)
}


def payment_method_for(text: str | None) -> str:
    """The payment method a free-text name stands for (what a shop sends, what older versions
    stored): a known name gives its code, empty gives empty, anything else – a card number
    above all – gives OTHER, never the text."""
    if not text or not text.strip():
        return ""
    if contains_card_number(text):
        return PaymentMethod.OTHER
    return _BY_NAME.get(_key(text), PaymentMethod.OTHER)


def payment_method_label(value: str) -> str:
    """How a stored payment method reads: the label of a code; an invoice issued before the
    list existed printed its own text, and keeps it."""
    if value in PaymentMethod.values:
        return str(PaymentMethod(value).label)
    return value


def free_text_to_codes(model, *, codes, batch: int = 1000) -> None:
    """For data migrations: free-text payment methods of `model` (a historical model) become
    codes – a known name (any case) its code, anything else, a card number above all, 'other'.
    `codes`: the list as the migration knows it. Set-based: one UPDATE per code and batch."""
    texts = model.objects.exclude(payment_method__in=codes).values_list("payment_method", flat=True)
    by_code = {}
    for text in texts.distinct().order_by():
        by_code.setdefault(payment_method_for(text), []).append(text)
    for code, group in by_code.items():
        for start in range(0, len(group), batch):
            model.objects.filter(payment_method__in=group[start : start + batch]).update(
                payment_method=code
            )
