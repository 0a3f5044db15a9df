"""The CSV export of orders (SPEC 10): streamed chunk by chunk, anonymized data as [Anonymisiert],
personal columns only for those who may see them, text cells safe from formula injection, and a
signed marker on every row that a later import can check (`export_marker_state`).

Reads are set-based: per chunk of ~2,000 orders (keyset on the primary key) one query for the
orders with their channel's name (a join) and one for their items, whatever the number of orders;
memory stays that of one chunk. The view, `manage.py export_orders` and the benchmark all write
through `order_export_lines`, so they produce the same bytes.
"""

import csv
import datetime
import hashlib
import hmac
import io
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from itertools import groupby
from operator import itemgetter

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from channels.models import Channel
from customers.payment_methods import PaymentMethod
from orders.export_sql import DatabaseRows, csv_cell
from orders.invoicing import included_tax
from orders.models import Order, OrderItem, OrderStatus
from personal.state import ANONYMIZED, PrivacyState

logger = logging.getLogger(__name__)

#: Orders read per query: large enough that the per-query cost vanishes, small enough that a
#: chunk's rows and items stay a few megabytes.
CHUNK_SIZE = 2000
#: "excel": German Excel (semicolon, BOM, decimal comma, dd.mm.yyyy, CRLF); "plain": comma,
#: UTF-8 without BOM, decimal point, ISO dates, CRLF.
DIALECTS = ("excel", "plain")

#: The first characters that make a spreadsheet read a cell as a formula (OWASP CSV injection).
_FORMULA_STARTS = frozenset("=+-@\t\r")

# --- Columns -------------------------------------------------------------------------------

_ORDER_COLUMNS = (
    _("Bestellnummer"),
    _("Externe Bestellnummer"),
    _("Kanal"),
    _("Auftragsdatum"),
    _("Status"),
    _("Zahlungsart"),
    _("Rechnungsnummer"),
    _("Rechnungsdatum"),
    _("Lieferdatum"),
)
#: The personal columns: (the order's field, header). Written out, so that makemessages sees them.
PERSONAL_COLUMNS = (
    ("buyer_email", _("E-Mail")),
    ("billing_company", _("Rechnung Firma")),
    ("billing_first_name", _("Rechnung Vorname")),
    ("billing_last_name", _("Rechnung Nachname")),
    ("billing_street", _("Rechnung Straße")),
    ("billing_house_number", _("Rechnung Hausnummer")),
    ("billing_line2", _("Rechnung Adresszusatz")),
    ("billing_postcode", _("Rechnung PLZ")),
    ("billing_city", _("Rechnung Ort")),
    ("shipping_company", _("Lieferung Firma")),
    ("shipping_first_name", _("Lieferung Vorname")),
    ("shipping_last_name", _("Lieferung Nachname")),
    ("shipping_street", _("Lieferung Straße")),
    ("shipping_house_number", _("Lieferung Hausnummer")),
    ("shipping_line2", _("Lieferung Adresszusatz")),
    ("shipping_postcode", _("Lieferung PLZ")),
    ("shipping_city", _("Lieferung Ort")),
)
_TAIL_COLUMNS = (
    _("Land"),
    _("Lieferland"),
    _("Netto"),
    _("MwSt"),
    _("Brutto"),
    _("Währung"),
    _("Datenschutz"),
)
_ITEM_COLUMNS = (
    _("Artikelnummer"),
    _("Bezeichnung"),
    _("Menge"),
    _("Einzelpreis"),
    _("Steuersatz"),
)
MARKER_COLUMN = _("Prüfzeichen")

#: Every column the export writes, by a key of its own: the import reads a file by these.
COLUMN_LABELS = {
    **dict(
        zip(
            (
                "number",
                "external_number",
                "channel",
                "order_date",
                "status",
                "payment_method",
                "invoice_number",
                "invoice_date",
                "delivery_date",
            ),
            _ORDER_COLUMNS,
            strict=True,
        )
    ),
    **dict(PERSONAL_COLUMNS),
    **dict(
        zip(
            ("billing_country", "shipping_country", "net", "tax", "total", "currency", "privacy"),
            _TAIL_COLUMNS,
            strict=True,
        )
    ),
    **dict(zip(("sku", "title", "quantity", "unit_price", "tax_rate"), _ITEM_COLUMNS, strict=True)),
    "marker": MARKER_COLUMN,
}

PRIVACY_LABELS = {
    PrivacyState.ACTIVE: _("Aktiv"),
    PrivacyState.ANONYMIZED: _("Anonymisiert"),
    PrivacyState.RESTORING: _("Wird wiederhergestellt"),
    PrivacyState.PURGED: _("Endgültig gelöscht"),
}

_BASE_FIELDS = (
    "pk",
    "number",
    "external_number",
    "channel__name",
    "export_order_day",
    "status",
    "payment_method",
    "invoice_number",
    "export_invoice_day",
    "export_delivery_day",
)
_PERSONAL_FIELDS = tuple(field for field, _header in PERSONAL_COLUMNS)
_TAIL_FIELDS = ("billing_country", "shipping_country", "total", "currency", "privacy_state")


@dataclass(frozen=True)
class ExportOptions:
    dialect: str = "excel"
    #: One row per line item (the order's columns repeated) instead of one per order.
    per_item: bool = False
    #: Leave out every order that is not active (anonymized, restoring, purged).
    skip_anonymized: bool = False
    #: With the personal columns (customers.view_personal_data).
    personal_data: bool = True

    def __post_init__(self):
        if self.dialect not in DIALECTS:
            raise ValueError(f"unknown export dialect: {self.dialect!r}")


def export_header(options: ExportOptions) -> list[str]:
    """The header row in the active language."""
    columns = [*_ORDER_COLUMNS]
    if options.personal_data:
        columns += [header for _field, header in PERSONAL_COLUMNS]
    columns += _TAIL_COLUMNS
    if options.per_item:
        columns += _ITEM_COLUMNS
    columns.append(MARKER_COLUMN)
    return [str(column) for column in columns]


def export_filename(today: datetime.date | None = None) -> str:
    return f"bestellungen-{(today or timezone.localdate()).isoformat()}.csv"


# --- The marker ----------------------------------------------------------------------------

MARKER_SALT = "orders.export"
#: Starts with a letter: no spreadsheet takes it for a number or a formula.
MARKER_PREFIX = "OD1-"
_MARKER_HEX_DIGITS = 32  # 128 bits of HMAC-SHA256
#: The privacy flags a marker states: "anonymized" for every state but active.
MARKER_STATES = ("active", "anonymized")


def _marker_key(secret: str) -> bytes:
    """The HMAC-SHA256 key as django.utils.crypto.salted_hmac derives it (salt + secret): made
    once per export, so that each row costs one C-level hmac.digest."""
    return hashlib.sha256(f"{MARKER_SALT}{secret}".encode()).digest()


def _marker(key: bytes, number: int | str, flag: str) -> str:
    digest = hmac.digest(key, f"{number}:{flag}".encode(), "sha256")
    return MARKER_PREFIX + digest.hex()[:_MARKER_HEX_DIGITS]


def export_marker(number: int, *, anonymized: bool) -> str:
    """The marker of an exported row of order `number` (the value of its Bestellnummer)."""
    return _marker(_marker_key(settings.SECRET_KEY), number, MARKER_STATES[anonymized])


def export_marker_state(row_number_value, marker) -> str | None:
    """Whether a row is one of our exports, read back: "active" or "anonymized" as the row's
    marker states it for the row's Bestellnummer, None when the marker does not belong to that
    number (not ours, edited or forged). Markers made under SECRET_KEY_FALLBACKS count too."""
    number = str(row_number_value).strip() if row_number_value is not None else ""
    if not (number.isascii() and number.isdigit()) or not isinstance(marker, str):
        return None
    number = str(int(number))
    marker = marker.strip()
    if len(marker) != len(MARKER_PREFIX) + _MARKER_HEX_DIGITS:
        return None
    for secret in (settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS):
        key = _marker_key(secret)
        for flag in MARKER_STATES:
            if hmac.compare_digest(_marker(key, number, flag), marker):
                return flag
    return None


# --- The lines -----------------------------------------------------------------------------


def _formats(dialect: str):
    """(csv writer options, decimal formatter, date formatter, text before the header)."""
    if dialect == "excel":
        writer_options = {"delimiter": ";", "lineterminator": "\r\n"}
        return writer_options, _decimal_comma, "%d.%m.%Y", "\ufeff"
    # CRLF as RFC 4180 has it: the csv module then quotes a cell holding a CR or an LF alone,
    # which an LF terminator would leave bare (a reader would break the row there).
    return {"delimiter": ",", "lineterminator": "\r\n"}, str, "%Y-%m-%d", ""


def _decimal_comma(value: Decimal) -> str:
    return str(value).replace(".", ",")


def _safe(value: str) -> str:
    """A text cell a spreadsheet does not run: a leading = + - @ tab or CR gets a quote."""
    return "'" + value if value[:1] in _FORMULA_STARTS else value


def order_export_lines(
    orders: QuerySet[Order],
    *,
    options: ExportOptions,
    chunk_size: int = CHUNK_SIZE,
    user_id: int | None = None,
    on_finish: Callable[[int], None] | None = None,
    rows_by: str = "auto",
) -> Iterator[str]:
    """The CSV text of `orders` (any filtered QuerySet; its ordering is replaced by the primary
    key's), in pieces: the header, then one piece per chunk. Headers and labels are taken in the
    language active now, also when the pieces are read later (a streaming response).
    `on_finish` is called with the number of rows written (the header not counted).

    `rows_by`: "database" – PostgreSQL formats each row in the query (orders.export_sql; the
    default where it can, on a server-side cursor); "python" – the rows are made here from the
    orders' values (every other database, and behind a pooler without server-side cursors).
    Both write the same bytes."""
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    if rows_by == "auto":
        rows_by = "database" if _server_side_postgresql(orders.db) else "python"
    if rows_by not in ("database", "python"):
        raise ValueError(f"unknown rows_by: {rows_by!r}")
    queryset = orders.order_by()
    if options.skip_anonymized:
        queryset = queryset.filter(privacy_state=PrivacyState.ACTIVE)
    labels = _Labels(
        statuses={code: str(label) for code, label in OrderStatus.choices},
        payments={"": "", **{code: str(label) for code, label in PaymentMethod.choices}},
        privacy={code: str(label) for code, label in PRIVACY_LABELS.items()},
    )
    make = _database_texts if rows_by == "database" else _python_texts
    return _lines(
        make(queryset, options=options, labels=labels, chunk_size=chunk_size),
        header=export_header(options),
        options=options,
        user_id=user_id,
        on_finish=on_finish,
    )


def _server_side_postgresql(alias: str) -> bool:
    connection = connections[alias]
    return connection.vendor == "postgresql" and not connection.settings_dict.get(
        "DISABLE_SERVER_SIDE_CURSORS"
    )


@dataclass(frozen=True)
class _Labels:
    statuses: dict[str, str]
    payments: dict[str, str]
    privacy: dict[str, str]


def _lines(
    texts: Iterator[tuple[str, int]],
    *,
    header: list[str],
    options: ExportOptions,
    user_id: int | None,
    on_finish: Callable[[int], None] | None,
) -> Iterator[str]:
    """The header, then each chunk's text; counts the rows and logs (no cell values)."""
    writer_options, _amount, _date_format, preamble = _formats(options.dialect)
    buffer = io.StringIO()
    buffer.write(preamble)
    csv.writer(buffer, **writer_options).writerow(header)
    logger.info(
        "export started: user id %s, format %s, per item %s",
        user_id,
        options.dialect,
        options.per_item,
    )
    yield buffer.getvalue()
    written = 0
    for text, rows in texts:
        written += rows
        yield text
    logger.info("export finished: %d rows, user id %s", written, user_id)
    if on_finish is not None:
        on_finish(written)


#: strftime's formats of the dialects in PostgreSQL's to_char.
_PG_DATE_FORMATS = {"%d.%m.%Y": "DD.MM.YYYY", "%Y-%m-%d": "YYYY-MM-DD"}


def _database_texts(
    queryset: QuerySet, *, options: ExportOptions, labels: _Labels, chunk_size: int
) -> Iterator[tuple[str, int]]:
    """(text, rows) per chunk, the cells formatted by PostgreSQL (orders.export_sql)."""
    _writer_options, _amount, date_format, _preamble = _formats(options.dialect)
    made = DatabaseRows(
        dialect=options.dialect,
        labels=labels,
        personal_fields=_PERSONAL_FIELDS if options.personal_data else (),
        zone=timezone._get_timezone_name(timezone.get_current_timezone()),
        date_format=_PG_DATE_FORMATS[date_format],
    )
    delimiter = made.delimiter
    channels = {
        pk: csv_cell(_safe(name), delimiter) + delimiter
        for pk, name in Channel.objects.values_list("pk", "name")
    }
    key = _marker_key(settings.SECRET_KEY)
    markers = {True: f":{MARKER_STATES[0]}".encode(), False: f":{MARKER_STATES[1]}".encode()}
    no_items = [delimiter * 4]
    for chunk in _order_chunks(made.orders(queryset), chunk_size):
        ids = [row[0] for row in chunk]
        amounts = made.amounts(ids)
        items = made.items(ids) if options.per_item else None
        lines = []
        for pk, number, channel_id, active, head, mid, tail in chunk:
            digest = hmac.digest(key, str(number).encode() + markers[active], "sha256")
            marker = MARKER_PREFIX + digest.hex()[:_MARKER_HEX_DIGITS]
            start = f"{head}{channels[channel_id]}{mid}{amounts[pk]}{tail}"
            if items is None:
                lines.append(f"{start}{marker}\r\n")
            else:
                end = f"{delimiter}{marker}\r\n"
                lines += [f"{start}{item}{end}" for item in items.get(pk, no_items)]
        yield "".join(lines), len(lines)


def _python_texts(
    queryset: QuerySet, *, options: ExportOptions, labels: _Labels, chunk_size: int
) -> Iterator[tuple[str, int]]:
    """(text, rows) per chunk, the rows made here from the orders' values and written by the
    csv module."""
    zone = timezone.get_current_timezone()
    fields = _BASE_FIELDS + (_PERSONAL_FIELDS if options.personal_data else ()) + _TAIL_FIELDS
    values = queryset.annotate(
        export_order_day=TruncDate("order_date", tzinfo=zone),
        export_invoice_day=TruncDate("invoice_date", tzinfo=zone),
        export_delivery_day=TruncDate("delivery_date", tzinfo=zone),
    ).values_list(*fields)
    writer_options, amount, date_format, _preamble = _formats(options.dialect)
    buffer = io.StringIO()
    writer = csv.writer(buffer, **writer_options)
    rows = _RowMaker(options=options, labels=labels, amount=amount, date_format=date_format)
    item_fields = _ITEM_FIELDS if options.per_item else _ITEM_AMOUNT_FIELDS
    for chunk in _order_chunks(values, chunk_size):
        items = _items_of([row[0] for row in chunk], item_fields)
        out = rows.per_item(chunk, items) if options.per_item else rows.per_order(chunk, items)
        writer.writerows(out)
        yield _take(buffer), len(out)


def _take(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def _order_chunks(queryset: QuerySet, chunk_size: int) -> Iterator[list[tuple]]:
    """The orders' rows (values_list tuples) in primary-key order, chunk by chunk.

    On PostgreSQL one query on a server-side (named) cursor, fetched chunk by chunk: psycopg
    already gives dates, Decimals and strings, so Django's per-row conversion is skipped (a third
    of the reading time, measured). Elsewhere, and behind a pooler that forbids server-side
    cursors (DISABLE_SERVER_SIDE_CURSORS), keyset pages (`pk > last`) through Django."""
    ordered = queryset.order_by("pk")
    connection = connections[queryset.db]
    if connection.vendor == "postgresql" and not connection.settings_dict.get(
        "DISABLE_SERVER_SIDE_CURSORS"
    ):
        try:
            sql, params = ordered.query.get_compiler(using=queryset.db).as_sql()
        except EmptyResultSet:
            return
        with connection.chunked_cursor() as cursor:
            cursor.execute(sql, params)
            while chunk := cursor.fetchmany(chunk_size):
                yield chunk
        return
    last_pk = 0
    while chunk := list(ordered.filter(pk__gt=last_pk)[:chunk_size]):
        yield chunk
        if len(chunk) < chunk_size:
            return
        last_pk = chunk[-1][0]


_ITEM_FIELDS = ("sku", "title", "quantity", "unit_price", "tax_rate")
_ITEM_AMOUNT_FIELDS = ("quantity", "unit_price", "tax_rate")


def _items_of(ids: list[int], fields: tuple[str, ...]) -> dict[int, list[tuple]]:
    """{order id: [(order id, *fields), …]} of a chunk's orders (ids ascending), in one query.

    Where the chunk's ids lie close together (the whole table, a date range) the items are read
    by the range of ids: an index range scan, twice as fast as probing each id (measured). Items
    of orders in the range but not in the chunk are read along and never looked up."""
    items = OrderItem.objects.order_by("order_id", "id")
    if ids[-1] - ids[0] < 4 * len(ids):
        items = items.filter(order_id__gte=ids[0], order_id__lte=ids[-1])
    else:
        items = items.filter(order_id__in_ids=set(ids))
    rows = _fetch_all(items.values_list("order_id", *fields))
    return {order_id: list(group) for order_id, group in groupby(rows, itemgetter(0))}


def _fetch_all(queryset: QuerySet) -> list[tuple]:
    """The rows of a values_list QuerySet. On PostgreSQL straight from psycopg (which gives the
    Python types Django would convert to); elsewhere through Django."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return list(queryset)
    try:
        sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    except EmptyResultSet:
        return []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


#: A cell whose text starts like a formula, anywhere in a row's texts joined by NUL (which
#: PostgreSQL text cannot hold): one search per row instead of a test per cell.
_FORMULA_CELL = re.compile("(?:^|\x00)[=+\\-@\t\r]")


class _RowMaker:
    """Turns a chunk's order rows (values_list tuples in the order of the fields) into CSV rows."""

    def __init__(self, *, options: ExportOptions, labels: _Labels, amount, date_format: str):
        self.labels = labels
        self.amount = amount
        self.date_format = date_format
        self.dates: dict = {}
        self.taxes: dict[tuple, Decimal] = {}
        self.marker_key = _marker_key(settings.SECRET_KEY)
        self.personal_count = len(_PERSONAL_FIELDS) if options.personal_data else 0
        self.anonymized_cells = [ANONYMIZED] * self.personal_count

    def _date(self, day) -> str:
        if day is None:
            return ""
        text = self.dates[day] = day.strftime(self.date_format)
        return text

    def _tax(self, items: list[tuple] | None) -> Decimal:
        """The tax an order's items (…, quantity, unit price, rate) include, per rate to the cent
        as its invoice states it. Orders repeat the same few items: the tax of each combination
        is computed once. The cache is kept small (2,000 combinations, then it starts afresh):
        grown to 20,000 it made the peak memory grow with the number of orders (measured)."""
        if not items:
            return Decimal(0)
        key = tuple([item[-3:] for item in items])
        tax = self.taxes.get(key)
        if tax is None:
            if len(self.taxes) >= 2_000:
                self.taxes.clear()
            gross_by_rate: dict[Decimal, Decimal] = {}
            for quantity, unit_price, rate in key:
                gross_by_rate[rate] = gross_by_rate.get(rate, 0) + unit_price * quantity
            tax = sum(
                (included_tax(gross, rate) for rate, gross in gross_by_rate.items()), Decimal(0)
            )
            self.taxes[key] = tax
        return tax

    def _order_cells(self, row: tuple, tax: Decimal) -> tuple[list, str]:
        """The cells of an order (without item columns and marker), and its marker."""
        count = self.personal_count
        (
            number,
            external_number,
            channel,
            order_day,
            status,
            payment_method,
            invoice_number,
            invoice_day,
            delivery_day,
        ) = row[1:10]
        billing_country, shipping_country, total, currency, privacy_state = row[10 + count :]
        active = privacy_state == PrivacyState.ACTIVE
        texts = [external_number, channel, invoice_number or ""]
        if count:
            texts += row[10 : 10 + count] if active else self.anonymized_cells
        if _FORMULA_CELL.search("\x00".join(texts)):
            texts = [_safe(text) for text in texts]
        dates, date, amount = self.dates, self._date, self.amount
        cells = [
            number,
            texts[0],
            texts[1],
            dates.get(order_day) or date(order_day),
            self.labels.statuses.get(status, status),
            self.labels.payments.get(payment_method, payment_method),
            texts[2],
            dates.get(invoice_day) or date(invoice_day),
            dates.get(delivery_day) or date(delivery_day),
            *texts[3:],
            billing_country,
            shipping_country,
            amount(total - tax),
            amount(tax),
            amount(total),
            currency,
            self.labels.privacy.get(privacy_state, privacy_state),
        ]
        return cells, _marker(self.marker_key, number, MARKER_STATES[not active])

    def per_order(self, chunk: list[tuple], items_by_order: dict) -> list[list]:
        out = []
        for row in chunk:
            cells, marker = self._order_cells(row, self._tax(items_by_order.get(row[0])))
            cells.append(marker)
            out.append(cells)
        return out

    def per_item(self, chunk: list[tuple], items_by_order: dict) -> list[list]:
        """One row per item; an order without items gets one row with the item cells empty."""
        amount = self.amount
        out = []
        for row in chunk:
            items = items_by_order.get(row[0], ())
            cells, marker = self._order_cells(row, self._tax(items))
            if not items:
                out.append([*cells, "", "", "", "", "", marker])
            for _order_id, sku, title, quantity, unit_price, rate in items:
                out.append(
                    [
                        *cells,
                        _safe(sku),
                        _safe(title),
                        quantity,
                        amount(unit_price),
                        amount(rate),
                        marker,
                    ]
                )
        return out
