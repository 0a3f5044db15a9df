"""Use cases of company settings and documents: save the settings, take invoice numbers, store
and cancel documents. Each runs in the caller's or its own transaction."""

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from documents.models import CompanySettings, Document, format_invoice_number
from documents.rendering import render_pdf
from orders.invoicing import issued_invoice
from orders.models import Invoice, Order
from orders.services import OrderRuleError

COMPANY_FIELDS = (
    "name",
    "street",
    "postcode",
    "city",
    "country",
    "email",
    "phone",
    "vat_id",
    "tax_number",
    "bank_name",
    "iban",
    "bic",
    "invoice_number_format",
    "next_invoice_number",
    "footer",
)


class CompanyChangedError(Exception):
    """The settings were saved meanwhile from another page; nothing was changed."""

    def __init__(self):
        self.message = _(
            "Die Firmendaten wurden inzwischen von jemand anderem gespeichert. Ihre Eingaben "
            "wurden nicht gespeichert: Bitte laden Sie die Seite neu."
        )
        super().__init__(self.message)


class CompanyIncompleteError(OrderRuleError):
    """Documents need the seller's data; `message` names what is missing, with a link."""

    def __init__(self, missing: list[str]):
        self.missing = missing
        self.message = format_html(
            '{} {} <a href="{}">{}</a>',
            _("Dokumente können erst erstellt werden, wenn die Firmendaten vollständig sind."),
            _("Es fehlt: %(fields)s.") % {"fields": ", ".join(missing)},
            reverse("documents:company"),
            _("Einstellungen → Firma"),
        )
        super().__init__(self.message, code="company_incomplete")


class NumberTakenError(OrderRuleError):
    def __init__(self, number: str):
        self.message = format_html(
            '{} <a href="{}">{}</a>',
            _(
                "Die nächste Rechnungsnummer %(number)s ist bereits vergeben. Bitte stellen Sie "
                "die nächste Nummer in den Firmendaten richtig."
            )
            % {"number": number},
            reverse("documents:company"),
            _("Einstellungen → Firma"),
        )
        super().__init__(self.message, code="number_taken")


@transaction.atomic
def company_settings_update(
    *, version: int, data: Mapping[str, Any], actor: AbstractBaseUser | None
) -> CompanySettings:
    """Saves the validated form data unless the settings changed since `version`."""
    company = CompanySettings.load(for_update=True)
    if company.version != version:
        raise CompanyChangedError()
    for name in COMPANY_FIELDS:
        setattr(company, name, data[name])
    company.version += 1
    company.save()
    return company


def company_for_documents() -> CompanySettings:
    """The settings, locked until the caller's transaction ends (numbers are taken in turn and
    stay gapless: a rolled back issue gives its number back). Raises CompanyIncompleteError."""
    company = CompanySettings.load(for_update=True)
    if missing := company.missing_fields():
        raise CompanyIncompleteError(missing)
    return company


def company_take_invoice_number(company: CompanySettings, *, year: int) -> str:
    """The next number of the settings' format, counted on; call with `company_for_documents`."""
    number = format_invoice_number(
        company.invoice_number_format, year=year, number=company.next_invoice_number
    )
    if (
        Invoice.objects.filter(number=number).exists()
        or Document.objects.filter(number=number).exists()
        or Order.objects.filter(invoice_number=number).exists()
    ):
        raise NumberTakenError(number)
    company.next_invoice_number += 1
    company.save(update_fields=["next_invoice_number"])
    return number


def document_store(
    *,
    order: Order,
    invoice: Invoice | None,
    kind: str,
    number: str,
    issued_at,
    cancelled: str = "",
    sheet: Invoice | None = None,
) -> Document:
    """Renders the document once, from `invoice` (or the unsaved `sheet` of a delivery note),
    and stores its bytes."""
    printed = issued_invoice(sheet if sheet is not None else invoice)
    pdf = render_pdf(
        kind=kind, number=number, issued_at=issued_at, invoice=printed, cancelled=cancelled
    )
    return Document.objects.create(
        order=order,
        invoice=invoice,
        kind=kind,
        number=number,
        issued_at=issued_at,
        pdf=pdf,
        size=len(pdf),
    )


def document_pdf(document: Document) -> bytes | None:
    """The stored bytes, or None while the order is anonymized (they are in cold storage)."""
    return bytes(document.pdf) if document.pdf is not None else None


def current_invoice(order: Order) -> Invoice | None:
    if not order.invoice_number:
        return None
    return Invoice.objects.filter(order=order, number=order.invoice_number).first()


def delivery_note_number(order: Order) -> str:
    return f"LS-{order.number}"
