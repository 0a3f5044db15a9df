"""PDF documents from the HTML template, with WeasyPrint: made once when issued, then stored."""

import dataclasses
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import HTML

from orders.invoicing import IssuedInvoice, TaxLine


def _negated(invoice: IssuedInvoice) -> IssuedInvoice:
    """The cancelled invoice with every amount negated, as its cancellation prints it."""
    return dataclasses.replace(
        invoice,
        items=[dataclasses.replace(item, quantity=-item.quantity) for item in invoice.items],
        tax_lines=[
            TaxLine(line.rate, -line.net, -line.tax, -line.gross) for line in invoice.tax_lines
        ],
        net=-invoice.net,
        tax=-invoice.tax,
        gross=-invoice.gross,
    )


def render_pdf(
    *, kind: str, number: str, issued_at, invoice: IssuedInvoice, cancelled: str = ""
) -> bytes:
    """The document's PDF. Rendered in German, the language of the business's documents."""
    if kind == "cancellation":
        invoice = _negated(invoice)
    with translation.override("de"):
        html = render_to_string(
            "documents/pdf.html",
            {
                "kind": kind,
                "number": number,
                "issued_at": issued_at,
                "invoice": invoice,
                "cancelled": cancelled,
                "zero": Decimal(0),
            },
        )
    return HTML(string=html).write_pdf()
