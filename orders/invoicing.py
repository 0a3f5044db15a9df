"""Issued invoices as documents of their own: frozen when issued (GoBD), read back for printing.

An invoice is written once, from the order as it stands when it is issued: `content` holds what
it says apart from the buyer (seller, numbers, dates, items, totals). The buyer is the order's own
billing and shipping address, by reference: `Invoice.buyer` is NULL while the invoice prints the
order's addresses as they are (the billing address is locked once invoiced), and holds a role's
address as printed once the order's address of that role changes (`Order.save` copies it there
first). So an order's invoice keeps what it printed, and anonymizing or restoring an order touches
its invoice only in the rare case that it holds an address of its own (countries stay).
"""

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from customers.models import ADDRESS_FIELDS
from customers.payment_methods import payment_method_label
from orders.models import ORDER_ADDRESS_ROLES, Invoice, OrderAddress
from orders.privacy.fields import placeholder_for

CENT = Decimal("0.01")

#: The seller of invoices frozen before the company settings existed (Einstellungen → Firma),
#: and of the demo seed's.
SELLER_PLACEHOLDER = {
    "name": "[Name Ihres Unternehmens]",
    "lines": "[Straße Hausnummer] · [PLZ Ort] · [USt-IdNr.]",
}


@dataclass(frozen=True)
class InvoiceLine:
    sku: str
    title: str
    quantity: int
    unit_price: Decimal
    tax_rate: Decimal

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity


@dataclass(frozen=True)
class TaxLine:
    rate: Decimal
    net: Decimal
    tax: Decimal
    gross: Decimal


@dataclass(frozen=True)
class InvoiceTotals:
    tax_lines: list[TaxLine]
    net: Decimal
    tax: Decimal
    gross: Decimal


def included_tax(gross: Decimal, rate: Decimal) -> Decimal:
    """The tax a gross amount at `rate` percent includes, to the cent (invoices, exports)."""
    return (gross * rate / (100 + rate)).quantize(CENT, ROUND_HALF_UP)


def order_invoice_totals(*, items: Iterable) -> InvoiceTotals:
    """Net, tax and gross per tax rate. Item prices are gross prices, as the channels send them."""
    gross_by_rate: dict[Decimal, Decimal] = {}
    for item in items:
        gross_by_rate[item.tax_rate] = gross_by_rate.get(item.tax_rate, Decimal(0)) + (
            item.line_total
        )
    tax_lines = []
    for rate in sorted(gross_by_rate, reverse=True):
        gross = gross_by_rate[rate].quantize(CENT, ROUND_HALF_UP)
        tax = included_tax(gross, rate)
        tax_lines.append(TaxLine(rate=rate, net=gross - tax, tax=tax, gross=gross))
    return InvoiceTotals(
        tax_lines=tax_lines,
        net=sum((line.net for line in tax_lines), Decimal(0)),
        tax=sum((line.tax for line in tax_lines), Decimal(0)),
        gross=sum((line.gross for line in tax_lines), Decimal(0)),
    )


def _iso(value: datetime.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def invoice_content(
    *,
    order_number: int,
    external_number: str,
    order_date: datetime.datetime,
    delivery_date: datetime.datetime | None,
    currency: str,
    payment_method: str,
    items: Iterable[InvoiceLine],
    seller: Mapping | None = None,
) -> dict:
    """What an invoice issued now says apart from the buyer: `Invoice.content`. Plain values, so
    that the demo seed freezes its invoices the same way as the invoicing service. `seller`:
    the company settings' (documents.models.CompanySettings.seller)."""
    items = list(items)
    totals = order_invoice_totals(items=items)
    content = {
        "seller": dict(seller) if seller is not None else SELLER_PLACEHOLDER,
        "order_number": order_number,
        "external_number": external_number,
        "order_date": _iso(order_date),
        "delivery_date": _iso(delivery_date),
        "currency": currency,
        "payment_method": payment_method,
        "items": [
            [item.sku, item.title, item.quantity, str(item.unit_price), str(item.tax_rate)]
            for item in items
        ],
        "tax_lines": [
            [str(line.rate), str(line.net), str(line.tax), str(line.gross)]
            for line in totals.tax_lines
        ],
        "totals": [str(totals.net), str(totals.tax), str(totals.gross)],
    }
    return content


def order_invoice_content(
    order, items: Iterable[InvoiceLine], *, seller: Mapping | None = None
) -> dict:
    """`invoice_content` of an order as it stands (an Order, or a migration's historical one)."""
    return invoice_content(
        order_number=order.number,
        external_number=order.external_number,
        order_date=order.order_date,
        delivery_date=order.delivery_date,
        currency=order.currency,
        payment_method=order.payment_method,
        items=items,
        seller=seller,
    )


def order_invoice_document(order, items: Iterable[InvoiceLine]) -> tuple[dict, dict]:
    """(content, buyer) with the buyer in full, as orders migration 0010 froze the invoices of
    invoiced orders (0016 reduces the buyer to what differs from the order)."""
    buyer = {role: _own_address(_columns(order), role) for role in ORDER_ADDRESS_ROLES}
    return order_invoice_content(order, items), buyer


def _columns(order) -> dict[str, str]:
    return {
        f"{role}_{name}": getattr(order, f"{role}_{name}")
        for role in ORDER_ADDRESS_ROLES
        for name in ADDRESS_FIELDS
    }


def anonymized_buyer(buyer: Mapping) -> dict:
    """The buyer part of an anonymized order's invoice: placeholders, the countries kept."""
    return {
        role: {
            name: value if name == "country" else placeholder_for(value)
            for name, value in address.items()
        }
        for role, address in buyer.items()
    }


def reduced_buyer(buyer: Mapping | None, order_values: Mapping[str, str]) -> dict | None:
    """What `Invoice.buyer` stores of a buyer given in full (or with None for "the order's"):
    the roles whose address differs from the order's own (`billing_city` …, countries
    included), None when none does."""
    reduced = {
        role: address
        for role, address in (buyer or {}).items()
        if address is not None and address != _own_address(order_values, role)
    }
    return reduced or None


def _own_address(order_values: Mapping[str, str], role: str) -> dict:
    return {name: order_values[f"{role}_{name}"] for name in ADDRESS_FIELDS}


def restored_buyer(anonymized: Mapping, order_values: Mapping[str, str]) -> dict:
    """The buyer part rebuilt from an order's restored address values (`billing_city` …), the
    countries from the anonymized invoice."""
    return {
        role: {
            name: value if name == "country" else order_values[f"{role}_{name}"]
            for name, value in address.items()
        }
        for role, address in anonymized.items()
    }


@dataclass(frozen=True)
class IssuedInvoice:
    """An invoice as it was issued, for the printable page."""

    number: str
    issued_at: datetime.datetime
    seller: dict
    order_number: int
    external_number: str
    order_date: datetime.datetime
    delivery_date: datetime.datetime | None
    currency: str
    payment_method: str  # as it reads (the code's label)
    items: list[InvoiceLine]
    tax_lines: list[TaxLine]
    net: Decimal
    tax: Decimal
    gross: Decimal
    billing: OrderAddress
    shipping: OrderAddress


def _datetime(value: str | None) -> datetime.datetime | None:
    return datetime.datetime.fromisoformat(value) if value else None


def issued_invoice(invoice: Invoice) -> IssuedInvoice:
    """The invoice as issued; the roles it prints by reference are its order's addresses."""
    content, buyer = invoice.content, invoice.buyer or {}
    net, tax, gross = (Decimal(value) for value in content["totals"])
    addresses = {
        role: OrderAddress(**buyer[role]) if role in buyer else OrderAddress.of(invoice.order, role)
        for role in ORDER_ADDRESS_ROLES
    }
    return IssuedInvoice(
        number=invoice.number,
        issued_at=invoice.issued_at,
        seller=content["seller"],
        order_number=content["order_number"],
        external_number=content["external_number"],
        order_date=_datetime(content["order_date"]),
        delivery_date=_datetime(content["delivery_date"]),
        currency=content["currency"],
        payment_method=payment_method_label(content["payment_method"]),
        items=[
            InvoiceLine(sku, title, quantity, Decimal(price), Decimal(rate))
            for sku, title, quantity, price, rate in content["items"]
        ],
        tax_lines=[TaxLine(*(Decimal(value) for value in line)) for line in content["tax_lines"]],
        net=net,
        tax=tax,
        gross=gross,
        billing=addresses["billing"],
        shipping=addresses["shipping"],
    )
