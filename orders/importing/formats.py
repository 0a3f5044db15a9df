"""The two file formats an import reads – our own export (orders.importing.own_format) and
Shopify's orders_export.csv (orders.importing.shopify) – told apart by the header."""

from django.utils.translation import gettext as _

from orders.importing.own_format import own_columns, parse_own
from orders.importing.reading import CsvTable, ImportFileError
from orders.importing.rows import OWN, SHOPIFY, ImportedItem, ImportedOrder, ParsedFile
from orders.importing.shopify import parse_shopify

__all__ = [
    "OWN",
    "SHOPIFY",
    "ImportedItem",
    "ImportedOrder",
    "ParsedFile",
    "detect_format",
    "parse",
]


def detect_format(header: list[str]) -> str | None:
    names = {cell.strip().casefold() for cell in header}
    if {"name", "lineitem name", "financial status"} <= names:
        return SHOPIFY
    own = own_columns()
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
        return parse_shopify(table)
    if kind == OWN:
        return parse_own(table)
    raise ImportFileError(unknown_format_message())
