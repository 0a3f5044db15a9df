"""The export's rows written by PostgreSQL: the same bytes as `orders.export`'s Python rows, and
several times faster (docs/export.md, "Rows made by the database").

Per order one text, made in the query: the cells formatted (dates in the merchant's time zone,
decimal comma, labels in the active language, `[Anonymisiert]` for every state but active), text
cells escaped against formula injection and quoted as the csv module quotes (QUOTE_MINIMAL: a
cell holding the delimiter, a double quote, CR or LF is put in double quotes, a double quote
doubled), the tax per rate rounded half up to the cent as the invoice computes it, and the marker
as an HMAC-SHA256 built from PostgreSQL's own sha256() (RFC 2104, key padded to the block). Python
then only joins texts. A test compares both ways byte for byte on hostile data.
"""

import csv
import io

from django.db import connection as default_connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from personal.state import ANONYMIZED, PrivacyState

_BLOCK = 64  # SHA-256's block size, in bytes


def csv_cell(text: str, delimiter: str) -> str:
    """A constant cell (a label) as the csv module writes it."""
    if not text:
        return ""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="").writerow([text])
    return buffer.getvalue()


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """The inner and outer keys of HMAC (RFC 2104) for a key no longer than the block."""
    if len(key) > _BLOCK:
        raise ValueError("an HMAC key longer than the block is hashed first")
    key = key.ljust(_BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def _literal(text: str) -> str:
    """A constant of our own as an SQL string (printable ASCII, nothing to escape): used where
    the same text occurs several times in one expression, which one parameter cannot be."""
    if not (text.isascii() and text.isprintable()) or any(c in text for c in "'%\\"):
        raise ValueError(f"not a plain constant: {text!r}")
    return f"'{text}'"


def _col(name: str, table: str = "orders_order") -> str:
    quote = default_connection.ops.quote_name
    return f"{quote(table)}.{quote(name)}"


_ITEMS = "orders_orderitem"
#: True for an active order (a literal: it is repeated in every personal cell).
_ACTIVE = f"({_col('privacy_state')} = {_literal(PrivacyState.ACTIVE)})"
#: The tax an order's items include: per rate, rounded half up (away from zero) to the cent,
#: as orders.invoicing.included_tax.
_TAX = (
    f"(SELECT COALESCE(sum(t.tax), 0) FROM (SELECT round(sum({_col('unit_price', _ITEMS)} * "
    f"{_col('quantity', _ITEMS)}) * {_col('tax_rate', _ITEMS)} / "
    f"(100 + {_col('tax_rate', _ITEMS)}), 2) AS tax FROM {_ITEMS} "
    f"WHERE {_col('order_id', _ITEMS)} = {_col('id')} GROUP BY {_col('tax_rate', _ITEMS)}) t)"
)
_CHANNEL_NAME = (
    f"(SELECT {_col('name', 'channels_channel')} FROM channels_channel "
    f"WHERE {_col('id', 'channels_channel')} = {_col('channel_id')})"
)


class _Builder:
    """SQL text with its parameters, in the order they occur. A placeholder must occur once:
    the expressions that CASE repeats hold no parameters, only columns and literals."""

    def __init__(self, *, delimiter: str, decimal_comma: bool, date_format: str, zone: str):
        self.params: list = []
        self.delimiter = delimiter
        self.delimiter_sql = _literal(delimiter)
        self.decimal_comma = decimal_comma
        self.date_format = date_format
        self.zone = zone
        # [<delimiter>"CRLF]: a cell the csv module quotes.
        self.quote_pattern = f"('[' || {self.delimiter_sql} || '\"' || chr(13) || chr(10) || ']')"
        # A formula start at the start or after \x01, or a character the csv module quotes.
        self.alarm_pattern = (
            f"('(^|' || chr(1) || ')[=+@' || chr(9) || chr(13) || '-]|[' || {self.delimiter_sql}"
            f" || '\"' || chr(13) || chr(10) || ']')"
        )

    def param(self, value) -> str:
        self.params.append(value)
        return "%s"

    def take(self, sql: str) -> RawSQL:
        expression, self.params = RawSQL(sql, self.params), []
        return expression

    def quoted(self, expr: str) -> str:
        """A text as the csv module writes it (QUOTE_MINIMAL, doubled quotes)."""
        return (
            f"(CASE WHEN {expr} ~ {self.quote_pattern} "
            f"THEN '\"' || replace({expr}, '\"', '\"\"') || '\"' ELSE {expr} END)"
        )

    def text(self, expr: str, *, safe: bool = True) -> str:
        """A text cell from outside (`expr` never NULL): a formula start escaped, then quoted."""
        if safe:
            expr = (
                f"(CASE WHEN left({expr}, 1) IN ('=', '+', '-', '@', chr(9), chr(13)) "
                f"THEN '''' || {expr} ELSE {expr} END)"
            )
        return self.quoted(expr)

    def texts(self, cells: list[tuple[str, bool]]) -> str:
        """Adjacent text cells, each (an expression never NULL, formula-escaped or not), joined.
        Nearly every row needs neither escaping nor quoting: one regular expression over the
        cells joined by \\x01 tells (a formula start at a cell's start, or a character that
        makes the csv module quote), and only then is each cell treated on its own – half the
        time of treating every cell (measured). A false alarm (\\x01 in the data, a country
        starting with "-") only takes the careful way, which is always right."""
        raw = self.join([expr for expr, _safe in cells])
        careful = self.join([self.text(expr, safe=safe) for expr, safe in cells])
        joined = f"concat_ws(chr(1), {', '.join(expr for expr, _safe in cells)})"
        return f"(CASE WHEN {joined} ~ {self.alarm_pattern} THEN {careful} ELSE {raw} END)"

    def day(self, expr: str) -> str:
        zone, date_format = self.param(self.zone), self.param(self.date_format)
        return f"COALESCE(to_char(({expr} AT TIME ZONE {zone}), {date_format}), '')"

    def amount(self, expr: str) -> str:
        text = f"({expr})::text"
        return f"replace({text}, '.', ',')" if self.decimal_comma else text

    def label(self, expr: str, labels: dict[str, str]) -> str:
        cases = " ".join(
            f"WHEN {self.param(code)} THEN {self.param(csv_cell(label, self.delimiter))}"
            for code, label in labels.items()
        )
        otherwise = self.text(f"COALESCE({expr}, '')", safe=False)
        return f"(CASE {expr} {cases} ELSE {otherwise} END)"

    def join(self, cells: list[str]) -> str:
        return f" || {self.delimiter_sql} || ".join(cells)


class DatabaseRows:
    """What PostgreSQL makes of an export's rows, in pieces that Python only joins:

    - per order (the main query, on a server-side cursor): `head` (Bestellnummer and Externe
      Bestellnummer, each followed by the delimiter), `mid` (from Auftragsdatum to Lieferland,
      followed by the delimiter) and `tail` (the delimiter, Brutto, Währung, Datenschutz and the
      delimiter before the marker), with the order's id, number, channel id and whether it is
      active;
    - per chunk (one query each, for the chunk's range of ids): "Netto;MwSt" of every order
      (`amounts`) and, per item, the item's cells (`items`). Set-based: a correlated subquery
      per order cost more than the whole row's formatting (measured).

    The channel's name and the marker are made in Python: a few channels are formatted once, and
    Python's HMAC is cheaper than two sha256() calls in SQL (measured)."""

    def __init__(
        self, *, dialect: str, labels, personal_fields: tuple[str, ...], zone: str, date_format: str
    ):
        self.delimiter = ";" if dialect == "excel" else ","
        self.builder = _Builder(
            delimiter=self.delimiter,
            decimal_comma=dialect == "excel",
            date_format=date_format,
            zone=zone,
        )
        self.labels = labels
        self.personal_fields = personal_fields

    def orders(self, queryset: QuerySet) -> QuerySet:
        """`queryset` as values_list rows (id, number, channel id, active, head, mid, tail)."""
        b = self.builder
        head = b.take(
            f"{_col('number')}::text || {b.delimiter_sql} || "
            f"{b.texts([(_col('external_number'), True)])} || {b.delimiter_sql}"
        )
        placeholder = _literal(csv_cell(ANONYMIZED, self.delimiter))
        personal = [
            (f"(CASE WHEN {_ACTIVE} THEN COALESCE({_col(name)}, '') ELSE {placeholder} END)", True)
            for name in self.personal_fields
        ]
        mid_cells = [
            b.day(_col("order_date")),
            b.label(_col("status"), self.labels.statuses),
            b.label(_col("payment_method"), self.labels.payments),
            b.texts([(f"COALESCE({_col('invoice_number')}, '')", True)]),
            b.day(_col("invoice_date")),
            b.day(_col("delivery_date")),
            b.texts(
                [*personal, (_col("billing_country"), False), (_col("shipping_country"), False)]
            ),
        ]
        mid = b.take(f"{b.join(mid_cells)} || {b.delimiter_sql}")
        tail_cells = [
            "''",
            b.amount(_col("total")),
            b.texts([(_col("currency"), False)]),
            b.label(_col("privacy_state"), self.labels.privacy),
            "''",
        ]
        tail = b.take(b.join(tail_cells))
        active = b.take(_ACTIVE)
        return queryset.annotate(
            export_active=active, export_head=head, export_mid=mid, export_tail=tail
        ).values_list(
            "pk",
            "number",
            "channel_id",
            "export_active",
            "export_head",
            "export_mid",
            "export_tail",
        )

    def amounts(self, ids: list[int]) -> dict[int, str]:
        """{order id: "Netto<delimiter>MwSt"} of the orders with ids in the chunk's range."""
        b = self.builder
        net = b.amount(f"{_col('total')} - COALESCE(t.tax, 0)")
        tax = b.amount("COALESCE(t.tax, 0)")
        i = _ITEMS
        sql = (
            f"SELECT {_col('id')}, {net} || {b.delimiter_sql} || {tax} FROM orders_order "
            f"LEFT JOIN (SELECT s.order_id, sum(s.tax) AS tax FROM (SELECT "
            f"{_col('order_id', i)} AS order_id, round(sum({_col('unit_price', i)} * "
            f"{_col('quantity', i)}) * {_col('tax_rate', i)} / (100 + {_col('tax_rate', i)}), 2) "
            f"AS tax FROM {i} WHERE {_col('order_id', i)} {{ids}} "
            f"GROUP BY {_col('order_id', i)}, {_col('tax_rate', i)}) s GROUP BY s.order_id) t "
            f"ON t.order_id = {_col('id')} WHERE {_col('id')} {{ids}}"
        )
        return dict(self._query(sql, b, ids, conditions=2))

    def items(self, ids: list[int]) -> dict[int, list[str]]:
        """{order id: [the item's cells, …]} in item id order, of the chunk's range."""
        b = self.builder
        i = _ITEMS
        cells = b.join(
            [
                b.texts([(_col("sku", i), True), (_col("title", i), True)]),
                f"{_col('quantity', i)}::text",
                b.amount(_col("unit_price", i)),
                b.amount(_col("tax_rate", i)),
            ]
        )
        sql = (
            f"SELECT {_col('order_id', i)}, {cells} FROM {i} WHERE {_col('order_id', i)} {{ids}} "
            f"ORDER BY {_col('order_id', i)}, {_col('id', i)}"
        )
        items: dict[int, list[str]] = {}
        for order_id, text in self._query(sql, b, ids, conditions=1):
            items.setdefault(order_id, []).append(text)
        return items

    def _query(self, sql: str, b: "_Builder", ids: list[int], *, conditions: int) -> list[tuple]:
        params, b.params = b.params, []
        if ids[-1] - ids[0] < 4 * len(ids):
            condition, bound = "BETWEEN %s AND %s", [ids[0], ids[-1]]
        else:
            condition, bound = "= ANY(%s)", [ids]
        # The parameters are those of the cells (before the first condition) and then the
        # conditions' bounds, in the order they occur.
        sql = sql.replace("{ids}", condition)
        with default_connection.cursor() as cursor:
            cursor.execute(sql, [*params, *(bound * conditions)])
            return cursor.fetchall()
