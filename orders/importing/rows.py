"""What both import formats share: the orders a file is read into, the checks every row gets
(cell count, placeholders, card numbers) and the values' parsers. Every refusal names a row and
a column, never a cell's value."""

import datetime
import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_countries import countries

from orders.importing.reading import ImportFileError
from orders.models import OrderStatus
from personal.cards import MIN_DIGITS, contains_card_number
from personal.state import ANONYMIZED

OWN = "own"
SHOPIFY = "shopify"

_FORMULA_STARTS = frozenset("=+-@\t\r")
TWO_PLACES = Decimal("0.01")
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


def variants(label) -> set[str]:
    """A column label as every language of the site writes it, compared case-insensitively."""
    names = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            names.add(str(label).strip().casefold())
    return names


def column_index(header: list[str], names: dict[str, str]) -> dict[str, int]:
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


def missing_columns(labels: Iterable[str]) -> ImportFileError:
    return ImportFileError(
        _("In der Kopfzeile fehlen Spalten: %(columns)s. Es wurde nichts importiert.")
        % {"columns": ", ".join(labels)}
    )


# --- Checks every row gets -------------------------------------------------------------------


def scan_row(order: ImportedOrder, row: int, header: list[str], cells: list[str], skip) -> bool:
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


def parse_day(text: str) -> datetime.date | None:
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
def midnight(day: datetime.date) -> datetime.datetime:
    """A day of the file as the start of that day in the merchant's time zone: the export
    writes it back as the same day."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


_AMOUNT_COMMA = re.compile(r"^-?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?$")
_AMOUNT_POINT = re.compile(r"^-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")


def parse_amount(text: str, *, decimal_comma: bool) -> Decimal | None:
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
    if value != value.quantize(TWO_PLACES) or abs(value) >= Decimal("1e10"):
        return None
    return value.quantize(TWO_PLACES)


def unescaped(text: str) -> str:
    """A text cell as it was before the export guarded it against formula injection."""
    if text[:1] == "'" and text[1:2] in _FORMULA_STARTS:
        return text[1:]
    return text


@functools.cache
def _max_length(model, name: str) -> int | None:
    return model._meta.get_field(name).max_length


def check_length(order: ImportedOrder, row: int, model, name: str, value: str, column: str):
    limit = _max_length(model, name)
    if limit is not None and len(value) > limit:
        order.refuse(
            row,
            _("„%(column)s“ ist zu lang (höchstens %(limit)d Zeichen).")
            % {"column": column, "limit": limit},
        )


def parse_country(order: ImportedOrder, row: int, text: str, column: str) -> str:
    code = text.strip().upper()
    if code not in _COUNTRY_CODES:
        order.refuse(
            row,
            _("„%(column)s“ ist kein Ländercode nach ISO 3166 (zwei Buchstaben, etwa DE).")
            % {"column": column},
        )
    return code


def choice_labels(choices, extra: Iterable[tuple[str, str]] = ()) -> dict[str, str]:
    """{label or code in any language, case-insensitive: code}."""
    names = {}
    for code, label in choices:
        names[str(code).casefold()] = code
        for name in variants(label):
            names[name] = code
    names.update(extra)
    return names


def parse_currency(order: ImportedOrder, row: int, text: str, column: str) -> str:
    code = text.strip().upper()
    if not (len(code) == 3 and code.isascii() and code.isalpha()):
        order.refuse(
            row,
            _("„%(column)s“ ist kein Währungscode (drei Buchstaben, etwa EUR).")
            % {"column": column},
        )
    return code


def parse_quantity(order: ImportedOrder, row: int, text: str, column: str) -> int | None:
    text = text.strip()
    if text.isascii() and text.isdigit() and 0 < int(text) <= 1_000_000:
        return int(text)
    order.refuse(row, _("„%(column)s“ ist keine Anzahl (1 oder mehr).") % {"column": column})
    return None


def parse_rate(order, row: int, text: str, column: str, decimal_comma: bool) -> Decimal | None:
    rate = parse_amount(text, decimal_comma=decimal_comma)
    if rate is None or not Decimal(0) <= rate < Decimal(100):
        order.refuse(row, _("„%(column)s“ ist kein Steuersatz (0 bis 99,99).") % {"column": column})
        return None
    return rate
