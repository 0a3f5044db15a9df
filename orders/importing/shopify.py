"""Shopify's orders_export.csv: one row per line item, the order's own fields on its first row;
taxes per order and rate, shipping and discount as amounts of their own."""

import datetime
import re
from decimal import Decimal
from itertools import product

from django.utils import timezone
from django.utils.translation import gettext as _

from customers.payment_methods import PaymentMethod, payment_method_for
from orders.importing.reading import CsvTable
from orders.importing.rows import (
    SHOPIFY,
    TWO_PLACES,
    ImportedItem,
    ImportedOrder,
    ParsedFile,
    check_length,
    column_index,
    midnight,
    missing_columns,
    parse_amount,
    parse_country,
    parse_currency,
    parse_day,
    parse_quantity,
    scan_row,
)
from orders.invoicing import included_tax
from orders.models import Order, OrderItem, OrderStatus

_SHOPIFY_COLUMNS = {
    "name": "Name",
    "email": "Email",
    "financial_status": "Financial Status",
    "paid_at": "Paid at",
    "fulfillment_status": "Fulfillment Status",
    "fulfilled_at": "Fulfilled at",
    "currency": "Currency",
    "subtotal": "Subtotal",
    "shipping_cost": "Shipping",
    "taxes": "Taxes",
    "total": "Total",
    "discount_amount": "Discount Amount",
    "created_at": "Created at",
    "quantity": "Lineitem quantity",
    "title": "Lineitem name",
    "unit_price": "Lineitem price",
    "sku": "Lineitem sku",
    "taxable": "Lineitem taxable",
    "billing_name": "Billing Name",
    "billing_address1": "Billing Address1",
    "billing_address2": "Billing Address2",
    "billing_company": "Billing Company",
    "billing_city": "Billing City",
    "billing_zip": "Billing Zip",
    "billing_province": "Billing Province",
    "billing_country": "Billing Country",
    "billing_phone": "Billing Phone",
    "shipping_name": "Shipping Name",
    "shipping_address1": "Shipping Address1",
    "shipping_address2": "Shipping Address2",
    "shipping_company": "Shipping Company",
    "shipping_city": "Shipping City",
    "shipping_zip": "Shipping Zip",
    "shipping_province": "Shipping Province",
    "shipping_country": "Shipping Country",
    "shipping_phone": "Shipping Phone",
    "notes": "Notes",
    "cancelled_at": "Cancelled at",
    "payment_method": "Payment Method",
    "phone": "Phone",
    **{f"tax{n}_name": f"Tax {n} Name" for n in range(1, 6)},
    **{f"tax{n}_value": f"Tax {n} Value" for n in range(1, 6)},
}
_SHOPIFY_REQUIRED = (
    "name",
    "email",
    "financial_status",
    "created_at",
    "currency",
    "total",
    "quantity",
    "title",
    "unit_price",
    "billing_name",
    "billing_address1",
    "billing_city",
    "billing_zip",
    "billing_country",
)
#: Identifiers Shopify makes itself (13–19 digits, Luhn-valid one time in ten): not read as card
#: numbers, and not imported.
_SHOPIFY_ID_COLUMNS = frozenset(
    name.casefold()
    for name in ("Id", "Payment ID", "Device ID", "Receipt Number", "Payment Reference")
) | {"payment references", "location"}

# --- Shopify ---------------------------------------------------------------------------------

_SHOPIFY_NAMES = {label.casefold(): key for key, label in _SHOPIFY_COLUMNS.items()}
_STREET_AND_NUMBER = re.compile(
    r"^(?P<street>.*?\S)\s+(?P<number>\d+\s?[a-zA-Z]?(?:\s?[-/]\s?\d+\s?[a-zA-Z]?)?)$"
)
_PERCENT = re.compile(r"(\d{1,2}(?:[.,]\d{1,2})?)\s*%")
_SHOPIFY_PAYMENTS = (
    ("paypal", PaymentMethod.PAYPAL),
    ("klarna", PaymentMethod.KLARNA),
    ("sofort", PaymentMethod.KLARNA),
    ("amazon", PaymentMethod.AMAZON_PAY),
    ("bank", PaymentMethod.PREPAYMENT),
    ("überweisung", PaymentMethod.PREPAYMENT),
    ("vorkasse", PaymentMethod.PREPAYMENT),
    ("rechnung", PaymentMethod.INVOICE),
    ("invoice", PaymentMethod.INVOICE),
    ("cash on delivery", PaymentMethod.CASH_ON_DELIVERY),
    ("nachnahme", PaymentMethod.CASH_ON_DELIVERY),
    ("shopify payments", PaymentMethod.CREDIT_CARD),
    ("credit card", PaymentMethod.CREDIT_CARD),
    ("stripe", PaymentMethod.CREDIT_CARD),
)


def parse_shopify(table: CsvTable) -> ParsedFile:
    index = column_index(table.header, _SHOPIFY_NAMES)
    missing = [_SHOPIFY_COLUMNS[key] for key in _SHOPIFY_REQUIRED if key not in index]
    if missing:
        raise missing_columns(missing)
    skip = {
        position
        for position, cell in enumerate(table.header)
        if cell.strip().casefold() in _SHOPIFY_ID_COLUMNS
    }
    orders: list[ImportedOrder] = []
    by_name: dict[str, ImportedOrder] = {}
    extras: dict[int, dict] = {}
    for row, cells in table.rows:
        probe = ImportedOrder(rows=[row])
        if not scan_row(probe, row, table.header, cells, skip):
            orders.append(probe)
            continue
        value = {key: cells[position].strip() for key, position in index.items()}
        name = value["name"]
        order = by_name.get(name) if name else None
        if order is not None:
            order.rows.append(row)
            order.refusals.extend(probe.refusals)
        else:
            order = probe
            orders.append(order)
            if name:
                by_name[name] = order
            extras[id(order)] = _shopify_order(order, row, value)
        _shopify_item(order, row, value)
    for order in orders:
        extra = extras.get(id(order))
        if extra is not None:
            _shopify_taxes_and_extras(order, extra)
    return ParsedFile(format=SHOPIFY, rows_per="item", orders=orders, row_count=len(table.rows))


def _shopify_time(text: str) -> datetime.datetime | None:
    text = text.strip()
    for pattern in ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S"):
        try:
            moment = datetime.datetime.strptime(text, pattern)
        except ValueError:
            continue
        return moment if moment.tzinfo else timezone.make_aware(moment)
    day = parse_day(text)
    return midnight(day) if day else None


def _shopify_order(order: ImportedOrder, row: int, value: dict) -> dict:
    get = value.get
    order.external_number = value["name"]
    if not order.external_number:
        order.refuse(row, _("„Name“ (die Bestellnummer bei Shopify) fehlt."))
    check_length(order, row, Order, "external_number", order.external_number, "Name")
    order.order_date = _shopify_time(value["created_at"])
    if order.order_date is None:
        order.refuse(row, _("„Created at“ ist kein Zeitpunkt."))
    order.payment_date = _shopify_time(get("paid_at", "")) if get("paid_at") else None
    order.delivery_date = _shopify_time(get("fulfilled_at", "")) if get("fulfilled_at") else None
    financial = value["financial_status"].casefold()
    if get("cancelled_at") or financial in ("voided", "refunded"):
        order.status = OrderStatus.CANCELLED
    elif get("fulfillment_status", "").casefold() == "fulfilled":
        order.status = OrderStatus.SHIPPED
    elif financial in ("paid", "partially_refunded"):
        order.status = OrderStatus.PAID
    else:
        order.status = OrderStatus.NEW
    if order.status != OrderStatus.NEW and order.payment_date is None and financial == "paid":
        order.payment_date = order.order_date
    order.payment_method = _shopify_payment(get("payment_method", ""))
    order.buyer_email = value["email"]
    check_length(order, row, Order, "buyer_email", order.buyer_email, "Email")
    order.buyer_phone = get("billing_phone") or get("phone") or get("shipping_phone") or ""
    check_length(order, row, Order, "buyer_phone", order.buyer_phone, "Billing Phone")
    order.notes = get("notes", "")
    order.billing = _shopify_address(order, row, value, "billing")
    if value.get("shipping_address1") or value.get("shipping_name"):
        order.shipping = _shopify_address(order, row, value, "shipping")
    else:
        order.shipping = dict(order.billing)  # no shipping address: nothing was shipped
    total = parse_amount(value["total"], decimal_comma=False)
    if total is None:
        order.refuse(row, _("„%(column)s“ ist kein Betrag.") % {"column": "Total"})
    else:
        order.total = total
    order.currency = parse_currency(order, row, value["currency"], "Currency")
    return {
        "row": row,
        "shipping": parse_amount(get("shipping_cost", "") or "0", decimal_comma=False),
        "discount": parse_amount(get("discount_amount", "") or "0", decimal_comma=False),
        "taxes": parse_amount(get("taxes", "") or "0", decimal_comma=False),
        "tax_lines": [(get(f"tax{n}_name", ""), get(f"tax{n}_value", "")) for n in range(1, 6)],
    }


def _shopify_payment(text: str) -> str:
    key = text.casefold()
    for name, method in _SHOPIFY_PAYMENTS:
        if name in key:
            return method
    return payment_method_for(text)


def _shopify_address(order: ImportedOrder, row: int, value: dict, role: str) -> dict[str, str]:
    get = value.get
    name = get(f"{role}_name", "")
    first, _space, last = name.rpartition(" ")
    if not first:
        first, last = "", name
    street, number = get(f"{role}_address1", ""), ""
    if match := _STREET_AND_NUMBER.match(street):
        street, number = match["street"], match["number"]
    postcode = get(f"{role}_zip", "")
    if postcode.startswith("'"):
        postcode = postcode[1:]  # Shopify keeps leading zeros for spreadsheets this way
    address = {
        "first_name": first,
        "last_name": last,
        "company": get(f"{role}_company", ""),
        "street": street,
        "house_number": number,
        "line2": get(f"{role}_address2", ""),
        "postcode": postcode,
        "city": get(f"{role}_city", ""),
        "state": get(f"{role}_province", ""),
    }
    title = "Billing" if role == "billing" else "Shipping"
    for name_, text in address.items():
        check_length(order, row, Order, f"{role}_{name_}", text, f"{title} {name_}")
    address["country"] = parse_country(order, row, get(f"{role}_country", ""), f"{title} Country")
    return address


def _shopify_item(order: ImportedOrder, row: int, value: dict) -> None:
    title = value["title"]
    sku = value.get("sku", "")
    if not title and not value["quantity"]:
        return
    check_length(order, row, OrderItem, "sku", sku, "Lineitem sku")
    check_length(order, row, OrderItem, "title", title, "Lineitem name")
    quantity = parse_quantity(order, row, value["quantity"], "Lineitem quantity")
    price = parse_amount(value["unit_price"], decimal_comma=False)
    if price is None:
        order.refuse(row, _("„%(column)s“ ist kein Betrag.") % {"column": "Lineitem price"})
    if quantity is not None and price is not None:
        taxable = value.get("taxable", "true").casefold() != "false"
        # The rate is settled per order once all its items are read (_shopify_taxes…).
        order.items.append(ImportedItem(sku, title, quantity, price, Decimal(-1 if taxable else 0)))


def _shopify_taxes_and_extras(order: ImportedOrder, extra: dict) -> None:
    """Shopify states taxes per order and rate ("Tax 1 Name" = "DE MwSt 19%", "Tax 1 Value");
    the items' rates are the assignment of those rates that gives these amounts. Shipping and a
    discount become lines of their own, so that the items add up to the total as on Shopify."""
    rates: list[tuple[Decimal, Decimal]] = []
    for name, amount in extra["tax_lines"]:
        match = _PERCENT.search(name or "")
        value = parse_amount(amount, decimal_comma=False) if amount else None
        if match and value is not None:
            rates.append((Decimal(match[1].replace(",", ".")), value))
    taxable = [item for item in order.items if item.tax_rate < 0]
    if not rates:
        # No tax lines: the one rate the total implies, else none.
        taxes = extra["taxes"] or Decimal(0)
        net = order.total - taxes
        rate = (taxes * 100 / net).quantize(TWO_PLACES) if taxes and net > 0 else Decimal(0)
        rates = [(rate, taxes)]
    if len(rates) == 1:
        for item in taxable:
            item.tax_rate = rates[0][0]
    else:
        _assign_rates(taxable, rates)
    main_rate = max((item.tax_rate for item in order.items), default=rates[0][0])
    shipping = extra["shipping"]
    if shipping:
        order.items.append(ImportedItem("VERSAND", _("Versandkosten"), 1, shipping, main_rate))
    discount = extra["discount"]
    if discount:
        order.items.append(ImportedItem("RABATT", _("Rabatt"), 1, -abs(discount), main_rate))


def _assign_rates(items: list[ImportedItem], rates: list[tuple[Decimal, Decimal]]) -> None:
    choices = [rate for rate, _value in rates]
    wanted = {rate: amount for rate, amount in rates}
    best, best_error = None, None
    if len(choices) ** len(items) <= 4096:
        for combination in product(choices, repeat=len(items)):
            gross: dict[Decimal, Decimal] = {}
            for item, rate in zip(items, combination, strict=True):
                gross[rate] = gross.get(rate, Decimal(0)) + item.unit_price * item.quantity
            error = sum(
                abs(included_tax(gross.get(rate, Decimal(0)), rate) - amount)
                for rate, amount in wanted.items()
            )
            if best_error is None or error < best_error:
                best, best_error = combination, error
    for position, item in enumerate(items):
        item.tax_rate = best[position] if best else choices[0]
