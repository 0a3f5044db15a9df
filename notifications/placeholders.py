"""Placeholders of notification texts ({OrderNumber} …) and their substitution.

A deliberately small language: `{Name}` is replaced by the order's value, `{{` and `}}` give
literal braces, nothing else is special. Merchant input never reaches a template engine or eval.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.utils import formats, timezone
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from orders.models import Order
from personal.state import ANONYMIZED, PrivacyState

#: `{{`, `}}`, or `{…}` without braces or line breaks inside (a name, or something unknown).
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}\n]{0,60})\}")
#: What personal placeholders show to someone who may not see personal data (the preview).
HIDDEN = "[personenbezogen]"


@dataclass(frozen=True)
class Placeholder:
    name: str
    description: str
    #: Personal data: shown as [Anonymisiert] once the order is anonymized.
    personal: bool
    value: Callable[[Order, Mapping], str]


def _date(value) -> str:
    return formats.date_format(timezone.localtime(value), "SHORT_DATE_FORMAT") if value else ""


def _datetime(value) -> str:
    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT") if value else ""


def _total(order: Order, _context: Mapping) -> str:
    return f"{formats.number_format(order.total, 2, force_grouping=True)} {order.currency}"


PLACEHOLDERS: dict[str, Placeholder] = {
    p.name: p
    for p in (
        Placeholder(
            "OrderNumber", _("Laufende Nummer der Bestellung"), False, lambda o, c: str(o.number)
        ),
        Placeholder(
            "ExternalOrderNumber",
            _("Bestellnummer des Shops / Marktplatzes"),
            False,
            lambda o, c: o.external_number,
        ),
        Placeholder("OrderDate", _("Auftragsdatum"), False, lambda o, c: _date(o.order_date)),
        Placeholder("OrderStatus", _("Bestellstatus"), False, lambda o, c: o.get_status_display()),
        Placeholder("OrderTotal", _("Auftragssumme mit Währung"), False, _total),
        Placeholder("ShopName", _("Name des Kanals (Shops)"), False, lambda o, c: o.channel.name),
        Placeholder(
            "InvoiceNumber", _("Rechnungsnummer"), False, lambda o, c: o.invoice_number or ""
        ),
        Placeholder(
            "RestoredAt",
            _("Zeitpunkt der letzten Wiederherstellung der Kundendaten"),
            False,
            lambda o, c: _datetime(o.restored_at),
        ),
        Placeholder(
            "ShippingCountry",
            _("Land der Lieferadresse"),
            False,
            lambda o, c: str(countries.name(o.shipping_country) or o.shipping_country or ""),
        ),
        Placeholder(
            "MerchantName",
            _("Ihr Firmenname (Einstellungen → Firma)"),
            False,
            lambda o, c: c.get("merchant_name", ""),
        ),
        Placeholder(
            "CustomerName",
            _("Name des Käufers (Rechnungsadresse)"),
            True,
            lambda o, c: o.billing_address.full_name,
        ),
        Placeholder(
            "CustomerEmail", _("E-Mail-Adresse des Käufers"), True, lambda o, c: o.buyer_email
        ),
        Placeholder(
            "TrackingNumber", _("Sendungsnummer"), True, lambda o, c: o.tracking_number or ""
        ),
    )
}


class UnknownPlaceholderError(ValueError):
    def __init__(self, names: list[str]):
        self.names = names
        super().__init__(", ".join(names))


def unknown_placeholders(template: str) -> list[str]:
    """The `{…}` of `template` that name no placeholder, in order of appearance, each once."""
    unknown: list[str] = []
    for match in _TOKEN.finditer(template or ""):
        name = match.group(1)
        if name is not None and name not in PLACEHOLDERS and name not in unknown:
            unknown.append(name)
    return unknown


def substitute(template: str, values: Mapping[str, str], *, html: bool = False) -> str:
    """`template` with each `{Name}` replaced by `values[Name]` (HTML-escaped when `html`).
    Raises UnknownPlaceholderError for a name `values` lacks."""
    unknown = [name for name in unknown_placeholders(template) if name not in values]
    if unknown:
        raise UnknownPlaceholderError(unknown)

    def replace(match: re.Match) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        value = str(values.get(match.group(1), ""))
        return escape(value) if html else value

    return _TOKEN.sub(replace, template or "")


def order_values(
    order: Order, *, merchant_name: str = "", show_personal: bool = True
) -> dict[str, str]:
    """The placeholders' values for `order`. Personal ones are [Anonymisiert] unless the order's
    data is active (never the old data), and HIDDEN when `show_personal` is off."""
    context = {"merchant_name": merchant_name}
    active = order.privacy_state == PrivacyState.ACTIVE
    values = {}
    for name, placeholder in PLACEHOLDERS.items():
        if placeholder.personal and not active:
            values[name] = ANONYMIZED
        elif placeholder.personal and not show_personal:
            values[name] = HIDDEN
        else:
            values[name] = placeholder.value(order, context)
    return values
