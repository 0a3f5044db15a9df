"""The two file formats an import reads – our own export (both dialects, per order or per line
item) and Shopify's orders_export.csv – turned into `ImportedOrder`s, each with the reasons its
rows are refused. Reasons name rows and columns, never a cell's value."""

import datetime
import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from itertools import product

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_countries import countries

from customers.models import ANONYMIZED
from customers.payment_methods import PaymentMethod, payment_method_for
from customers.validators import MIN_DIGITS, contains_card_number
from orders.export import COLUMN_LABELS, PRIVACY_LABELS, export_marker_state
from orders.importing.reading import CsvTable, ImportFileError
from orders.models import ORDER_ADDRESS_FIELDS, Order, OrderItem, OrderStatus

OWN = "own"
SHOPIFY = "shopify"

_FORMULA_STARTS = frozenset("=+-@\t\r")
_TWO_PLACES = Decimal("0.01")
_COUNTRY_CODES = frozenset(code for code, _name in countries)


@dataclass
class ImportedItem:
    sku: str
    title: str
    quantity: int
    unit_price: Decimal
    tax_rate: Decimal


@dataclass
class ImportedOrder:
    """One order of the file, as it would be created; `refusals` are (row, reason)."""

    rows: list[int]
    external_number: str = ""
    #: Our running number (our own export only): kept where it is free in this database.
    number: int | None = None
    order_date: datetime.datetime | None = None
    payment_date: datetime.datetime | None = None
    invoice_date: datetime.datetime | None = None
    delivery_date: datetime.datetime | None = None
    status: str = OrderStatus.NEW
    payment_method: str = ""
    invoice_number: str | None = None
    buyer_email: str = ""
    buyer_phone: str = ""
    notes: str = ""
    billing: dict[str, str] = field(default_factory=dict)
    shipping: dict[str, str] = field(default_factory=dict)
    total: Decimal = Decimal(0)
    currency: str = "EUR"
    items: list[ImportedItem] = field(default_factory=list)
    refusals: list[tuple[int, str]] = field(default_factory=list)

    @property
    def first_row(self) -> int:
        return self.rows[0]

    def refuse(self, row: int, reason: str) -> None:
        self.refusals.append((row, reason))


@dataclass
class ParsedFile:
    format: str
    #: Our own export: "order" or "item" rows; Shopify: "item".
    rows_per: str
    orders: list[ImportedOrder]
    row_count: int


# --- Recognizing the format ------------------------------------------------------------------


def _variants(label) -> set[str]:
    """A column label as every language of the site writes it, compared case-insensitively."""
    names = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            names.add(str(label).strip().casefold())
    return names


def _own_columns() -> dict[str, str]:
    return {name: key for key, label in COLUMN_LABELS.items() for name in _variants(label)}


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

_OWN_REQUIRED = tuple(
    key
    for key in COLUMN_LABELS
    if key not in ("sku", "title", "quantity", "unit_price", "tax_rate")
)
_ITEM_KEYS = ("sku", "title", "quantity", "unit_price", "tax_rate")


def detect_format(header: list[str]) -> str | None:
    names = {cell.strip().casefold() for cell in header}
    if {"name", "lineitem name", "financial status"} <= names:
        return SHOPIFY
    own = _own_columns()
    keys = {own[name] for name in names if name in own}
    if {"number", "order_date"} <= keys or "marker" in keys:
        return OWN
    return None


def unknown_format_message() -> str:
    return _(
        "Das Dateiformat wurde nicht erkannt. Importiert werden ein CSV-Export von OrderDesk "
        "(Spalten Bestellnummer … Prüfzeichen) und Shopifys orders_export.csv (Spalten Name, "
        "Email, Lineitem name …). Prüfen Sie auch das Trennzeichen (Semikolon, Komma oder Tab)."
    )


def parse(table: CsvTable) -> ParsedFile:
    kind = detect_format(table.header)
    if kind == SHOPIFY:
        return _parse_shopify(table)
    if kind == OWN:
        return _parse_own(table)
    raise ImportFileError(unknown_format_message())


def _column_index(header: list[str], names: dict[str, str]) -> dict[str, int]:
    index: dict[str, int] = {}
    for position, cell in enumerate(header):
        key = names.get(cell.strip().casefold())
        if key is None:
            continue
        if key in index:
            raise ImportFileError(
                _("Die Spalte „%(column)s“ kommt in der Kopfzeile mehrfach vor.")
                % {"column": cell.strip()}
            )
        index[key] = position
    return index


def _missing(labels: Iterable[str]) -> ImportFileError:
    return ImportFileError(
        _("In der Kopfzeile fehlen Spalten: %(columns)s. Es wurde nichts importiert.")
        % {"columns": ", ".join(labels)}
    )


# --- Checks every row gets -------------------------------------------------------------------


def _scan_row(order: ImportedOrder, row: int, header: list[str], cells: list[str], skip) -> bool:
    """Refusals that do not depend on the format: cell count, placeholders, card numbers.
    False when the row is too broken to be read further."""
    if len(cells) != len(header):
        order.refuse(
            row,
            _("Die Zeile hat %(cells)d statt %(columns)d Spalten.")
            % {"cells": len(cells), "columns": len(header)},
        )
        return False
    if ANONYMIZED in "\x00".join(cells):
        order.refuse(
            row,
            _(
                "Die Zeile enthält anonymisierte Daten ([Anonymisiert]); anonymisierte "
                "Bestellungen werden nicht importiert."
            ),
        )
    columns = [
        header[position].strip()
        for position, cell in enumerate(cells)
        if position not in skip and _may_hold_card_number(cell) and contains_card_number(cell)
    ]
    if columns:
        order.refuse(
            row,
            _(
                "Die Zeile enthält eine Kartennummer (Spalte %(columns)s). Kartendaten "
                "werden nicht angenommen; die Zeile wird nicht importiert."
            )
            % {"columns": ", ".join(f"„{column}“" for column in columns)},
        )
    return True


_DIGIT = re.compile(r"\d")


def _may_hold_card_number(cell: str) -> bool:
    """Whether the cell has the digits a card number needs at all – counted as the detector reads
    them (NFKC: full-width and other digit forms) – so that the detector runs on the few that do:
    it reads character by character, and a row of names with umlauts took it a millisecond."""
    if not cell.isascii():
        cell = unicodedata.normalize("NFKC", cell)
    return len(_DIGIT.findall(cell)) >= MIN_DIGITS


# --- Values ----------------------------------------------------------------------------------

_DATE_DE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:[ T].*)?$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T].*)?$")


def _day(text: str) -> datetime.date | None:
    """dd.mm.yyyy (German Excel) or yyyy-mm-dd (ISO); a time after it is ignored."""
    text = text.strip()
    try:
        if match := _DATE_DE.match(text):
            day, month, year = (int(part) for part in match.groups())
            return datetime.date(year, month, day)
        if match := _DATE_ISO.match(text):
            year, month, day = (int(part) for part in match.groups())
            return datetime.date(year, month, day)
    except ValueError:
        return None
    return None


@functools.lru_cache(maxsize=4096)
def _midnight(day: datetime.date) -> datetime.datetime:
    """A day of the file as the start of that day in the merchant's time zone: the export
    writes it back as the same day."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


_AMOUNT_COMMA = re.compile(r"^-?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?$")
_AMOUNT_POINT = re.compile(r"^-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")


def _amount(text: str, *, decimal_comma: bool) -> Decimal | None:
    """An amount as the dialect writes it: "1234,50" or "1.234,50" (decimal comma), "1234.50"
    or "1,234.50" (decimal point). None for anything else, more than two places included."""
    text = text.strip().replace("\u00a0", "").replace(" ", "")
    if decimal_comma and _AMOUNT_COMMA.match(text):
        text = text.replace(".", "").replace(",", ".")
    elif not decimal_comma and _AMOUNT_POINT.match(text):
        text = text.replace(",", "")
    else:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if value != value.quantize(_TWO_PLACES) or abs(value) >= Decimal("1e10"):
        return None
    return value.quantize(_TWO_PLACES)


def _unescaped(text: str) -> str:
    """A text cell as it was before the export guarded it against formula injection."""
    if text[:1] == "'" and text[1:2] in _FORMULA_STARTS:
        return text[1:]
    return text


@functools.cache
def _max_length(model, name: str) -> int | None:
    return model._meta.get_field(name).max_length


def _check_length(order: ImportedOrder, row: int, model, name: str, value: str, column: str):
    limit = _max_length(model, name)
    if limit is not None and len(value) > limit:
        order.refuse(
            row,
            _("„%(column)s“ ist zu lang (höchstens %(limit)d Zeichen).")
            % {"column": column, "limit": limit},
        )


def _country(order: ImportedOrder, row: int, text: str, column: str) -> str:
    code = text.strip().upper()
    if code not in _COUNTRY_CODES:
        order.refuse(
            row,
            _("„%(column)s“ ist kein Ländercode nach ISO 3166 (zwei Buchstaben, etwa DE).")
            % {"column": column},
        )
    return code


def _labels(choices, extra: Iterable[tuple[str, str]] = ()) -> dict[str, str]:
    """{label or code in any language, case-insensitive: code}."""
    names = {}
    for code, label in choices:
        names[str(code).casefold()] = code
        for name in _variants(label):
            names[name] = code
    names.update(extra)
    return names


# --- Our own export --------------------------------------------------------------------------


def _parse_own(table: CsvTable) -> ParsedFile:
    labels = _own_columns()
    index = _column_index(table.header, labels)
    missing = [key for key in _OWN_REQUIRED if key not in index]
    items = [key for key in _ITEM_KEYS if key in index]
    if items and len(items) < len(_ITEM_KEYS):
        missing += [key for key in _ITEM_KEYS if key not in index]
    if missing:
        raise _missing(str(COLUMN_LABELS[key]) for key in missing)
    per_item = bool(items)
    decimal_comma = table.delimiter == ";"
    statuses = _labels(OrderStatus.choices)
    payments = _labels(PaymentMethod.choices, [("", "")])
    active = _variants(PRIVACY_LABELS["active"])
    skip = {index["marker"]}
    order_keys = [key for key in index if key not in _ITEM_KEYS]
    column = {key: table.header[position].strip() for key, position in index.items()}

    orders: list[ImportedOrder] = []
    by_number: dict[str, tuple[ImportedOrder, tuple]] = {}
    for row, cells in table.rows:
        probe = ImportedOrder(rows=[row])
        if not _scan_row(probe, row, table.header, cells, skip):
            orders.append(probe)
            continue
        value = {key: cells[position] for key, position in index.items()}
        number_text = value["number"].strip()
        signature = tuple(value[key] for key in order_keys)
        known = by_number.get(number_text) if number_text else None
        if known is not None:
            order, first_signature = known
            order.rows.append(row)
            order.refusals.extend(probe.refusals)
            if not per_item:
                order.refuse(
                    row,
                    _("Die Bestellnummer steht schon in Zeile %(row)d.") % {"row": order.first_row},
                )
            elif signature != first_signature:
                order.refuse(
                    row,
                    _(
                        "Die Angaben der Bestellung weichen von Zeile %(row)d ab (dieselbe "
                        "Bestellnummer, andere Werte)."
                    )
                    % {"row": order.first_row},
                )
            if per_item:
                _own_item(order, row, value, column, decimal_comma)
            continue
        order = probe
        orders.append(order)
        if number_text:
            by_number[number_text] = (order, signature)
        _own_order(order, row, value, column, decimal_comma, statuses, payments, active)
        if per_item:
            _own_item(order, row, value, column, decimal_comma)
    return ParsedFile(
        format=OWN,
        rows_per="item" if per_item else "order",
        orders=orders,
        row_count=len(table.rows),
    )


def _own_order(order, row, value, column, decimal_comma, statuses, payments, active) -> None:
    number_text = value["number"].strip()
    if number_text.isascii() and number_text.isdigit() and len(number_text) <= 18:
        order.number = int(number_text)
    else:
        order.refuse(
            row, _("„%(column)s“ fehlt oder ist keine Zahl.") % {"column": column["number"]}
        )
    state = export_marker_state(number_text, value["marker"])
    if state == "anonymized":
        order.refuse(
            row,
            _(
                "Laut Prüfzeichen stammt die Zeile aus einer anonymisierten Bestellung; "
                "anonymisierte Bestellungen werden nicht importiert, auch nicht mit geänderten "
                "Angaben."
            ),
        )
    elif state is None:
        order.refuse(
            row,
            _(
                "Das Prüfzeichen fehlt oder passt nicht zur Bestellnummer: Die Zeile stammt nicht "
                "unverändert aus einem Export dieser Installation."
            ),
        )
    if value["privacy"].strip().casefold() not in active:
        order.refuse(
            row,
            _("„%(column)s“ ist nicht „Aktiv“: Die Bestellung war beim Export anonymisiert.")
            % {"column": column["privacy"]},
        )
    order.external_number = _unescaped(value["external_number"].strip())
    _check_length(
        order, row, Order, "external_number", order.external_number, column["external_number"]
    )
    for name in ("order_date", "invoice_date", "delivery_date"):
        text = value[name].strip()
        if not text and name != "order_date":
            continue
        day = _day(text)
        if day is None:
            order.refuse(
                row,
                _("„%(column)s“ ist kein Datum (TT.MM.JJJJ oder JJJJ-MM-TT).")
                % {"column": column[name]},
            )
        else:
            setattr(order, name, _midnight(day))
    status = statuses.get(value["status"].strip().casefold())
    if status is None:
        order.refuse(row, _("„%(column)s“ ist unbekannt.") % {"column": column["status"]})
    else:
        order.status = status
    payment = value["payment_method"].strip()
    order.payment_method = payments.get(payment.casefold()) or payment_method_for(payment)
    invoice_number = _unescaped(value["invoice_number"].strip())
    order.invoice_number = invoice_number or None
    _check_length(order, row, Order, "invoice_number", invoice_number, column["invoice_number"])
    order.buyer_email = _unescaped(value["buyer_email"].strip())
    _check_length(order, row, Order, "buyer_email", order.buyer_email, column["buyer_email"])
    for role in ("billing", "shipping"):
        address = {name: "" for name in ORDER_ADDRESS_FIELDS}
        for name in ORDER_ADDRESS_FIELDS:
            key = f"{role}_{name}"
            if key in value and name != "country":
                address[name] = _unescaped(value[key].strip())
                _check_length(order, row, Order, key, address[name], column[key])
        address["country"] = _country(
            order, row, value[f"{role}_country"], column[f"{role}_country"]
        )
        setattr(order, role, address)
    total = _amount(value["total"], decimal_comma=decimal_comma)
    if total is None:
        order.refuse(row, _("„%(column)s“ ist kein Betrag.") % {"column": column["total"]})
    else:
        order.total = total
    order.currency = _currency(order, row, value["currency"], column["currency"])


def _currency(order: ImportedOrder, row: int, text: str, column: str) -> str:
    code = text.strip().upper()
    if not (len(code) == 3 and code.isascii() and code.isalpha()):
        order.refuse(
            row,
            _("„%(column)s“ ist kein Währungscode (drei Buchstaben, etwa EUR).")
            % {"column": column},
        )
    return code


def _own_item(order: ImportedOrder, row: int, value, column, decimal_comma: bool) -> None:
    cells = [value[key].strip() for key in _ITEM_KEYS]
    if not any(cells):
        return  # an order without items: its one row has the item columns empty
    sku, title = _unescaped(cells[0]), _unescaped(cells[1])
    _check_length(order, row, OrderItem, "sku", sku, column["sku"])
    _check_length(order, row, OrderItem, "title", title, column["title"])
    quantity = _quantity(order, row, cells[2], column["quantity"])
    price = _amount(cells[3], decimal_comma=decimal_comma)
    if price is None:
        order.refuse(row, _("„%(column)s“ ist kein Betrag.") % {"column": column["unit_price"]})
    rate = _rate(order, row, cells[4], column["tax_rate"], decimal_comma)
    if quantity is not None and price is not None and rate is not None:
        order.items.append(ImportedItem(sku, title, quantity, price, rate))


def _quantity(order: ImportedOrder, row: int, text: str, column: str) -> int | None:
    text = text.strip()
    if text.isascii() and text.isdigit() and 0 < int(text) <= 1_000_000:
        return int(text)
    order.refuse(row, _("„%(column)s“ ist keine Anzahl (1 oder mehr).") % {"column": column})
    return None


def _rate(order, row: int, text: str, column: str, decimal_comma: bool) -> Decimal | None:
    rate = _amount(text, decimal_comma=decimal_comma)
    if rate is None or not Decimal(0) <= rate < Decimal(100):
        order.refuse(row, _("„%(column)s“ ist kein Steuersatz (0 bis 99,99).") % {"column": column})
        return None
    return rate


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


def _parse_shopify(table: CsvTable) -> ParsedFile:
    index = _column_index(table.header, _SHOPIFY_NAMES)
    missing = [_SHOPIFY_COLUMNS[key] for key in _SHOPIFY_REQUIRED if key not in index]
    if missing:
        raise _missing(missing)
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
        if not _scan_row(probe, row, table.header, cells, skip):
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
    day = _day(text)
    return _midnight(day) if day else None


def _shopify_order(order: ImportedOrder, row: int, value: dict) -> dict:
    get = value.get
    order.external_number = value["name"]
    if not order.external_number:
        order.refuse(row, _("„Name“ (die Bestellnummer bei Shopify) fehlt."))
    _check_length(order, row, Order, "external_number", order.external_number, "Name")
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
    _check_length(order, row, Order, "buyer_email", order.buyer_email, "Email")
    order.buyer_phone = get("billing_phone") or get("phone") or get("shipping_phone") or ""
    _check_length(order, row, Order, "buyer_phone", order.buyer_phone, "Billing Phone")
    order.notes = get("notes", "")
    order.billing = _shopify_address(order, row, value, "billing")
    if value.get("shipping_address1") or value.get("shipping_name"):
        order.shipping = _shopify_address(order, row, value, "shipping")
    else:
        order.shipping = dict(order.billing)  # no shipping address: nothing was shipped
    total = _amount(value["total"], decimal_comma=False)
    if total is None:
        order.refuse(row, _("„%(column)s“ ist kein Betrag.") % {"column": "Total"})
    else:
        order.total = total
    order.currency = _currency(order, row, value["currency"], "Currency")
    return {
        "row": row,
        "shipping": _amount(get("shipping_cost", "") or "0", decimal_comma=False),
        "discount": _amount(get("discount_amount", "") or "0", decimal_comma=False),
        "taxes": _amount(get("taxes", "") or "0", decimal_comma=False),
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
        _check_length(order, row, Order, f"{role}_{name_}", text, f"{title} {name_}")
    address["country"] = _country(order, row, get(f"{role}_country", ""), f"{title} Country")
    return address


def _shopify_item(order: ImportedOrder, row: int, value: dict) -> None:
    title = value["title"]
    sku = value.get("sku", "")
    if not title and not value["quantity"]:
        return
    _check_length(order, row, OrderItem, "sku", sku, "Lineitem sku")
    _check_length(order, row, OrderItem, "title", title, "Lineitem name")
    quantity = _quantity(order, row, value["quantity"], "Lineitem quantity")
    price = _amount(value["unit_price"], decimal_comma=False)
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
        value = _amount(amount, decimal_comma=False) if amount else None
        if match and value is not None:
            rates.append((Decimal(match[1].replace(",", ".")), value))
    taxable = [item for item in order.items if item.tax_rate < 0]
    if not rates:
        # No tax lines: the one rate the total implies, else none.
        taxes = extra["taxes"] or Decimal(0)
        net = order.total - taxes
        rate = (taxes * 100 / net).quantize(_TWO_PLACES) if taxes and net > 0 else Decimal(0)
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
    from orders.invoicing import included_tax

    choices = [rate for rate, _amount in rates]
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
