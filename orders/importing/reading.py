"""Reading an uploaded CSV file into rows: encoding, delimiter, quoting and size limits, before
any value is looked at. Every failure is an `ImportFileError` whose message says what is wrong
with the file and quotes nothing of its content (it holds personal data)."""

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

#: The longest cell read. The csv module's own limit (131,072) is process-wide; ours is lower
#: and checked here, so that a cell swallowed by an unclosed quote stops the file early.
MAX_CELL_CHARS = 20_000
#: The delimiters a file may use, tried on the header in this order.
DELIMITERS = (";", ",", "\t")

_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_ZIP_MAGIC = b"PK\x03\x04"


class ImportFileError(Exception):
    """The file as a whole cannot be read; nothing is imported."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


@dataclass
class CsvTable:
    header: list[str]
    #: (the row's number as a spreadsheet counts it, the header being row 1; its cells)
    rows: list[tuple[int, list[str]]]
    delimiter: str
    encoding: str


def max_file_bytes() -> int:
    return settings.IMPORT_MAX_BYTES


def decode(content: bytes) -> tuple[str, str]:
    """The text of the file and the encoding it was read with: UTF-8 (with or without BOM),
    UTF-16 with BOM (Excel's "Unicode text"), else Windows-1252 (older German Excel)."""
    if not content or not content.strip():
        raise ImportFileError(_("Die Datei ist leer."))
    if len(content) > max_file_bytes():
        raise ImportFileError(too_large_message())
    if content.startswith(_ZIP_MAGIC):
        raise ImportFileError(
            _(
                "Die Datei ist keine CSV-Datei, sondern ein Archiv (etwa eine Excel-Arbeitsmappe). "
                "Bitte speichern Sie sie als „CSV UTF-8 (durch Trennzeichen getrennt)“."
            )
        )
    try:
        if content.startswith(_UTF8_BOM):
            return content.decode("utf-8-sig"), "utf-8-sig"
        if content.startswith(_UTF16_BOMS):
            return content.decode("utf-16"), "utf-16"
    except UnicodeDecodeError:
        raise ImportFileError(_unreadable_message()) from None
    if b"\x00" in content:
        raise ImportFileError(
            _("Die Datei ist keine Textdatei (sie enthält Binärdaten) und wurde nicht gelesen.")
        )
    for encoding in ("utf-8", "cp1252"):
        try:
            return content.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise ImportFileError(_unreadable_message())


def too_large_message() -> str:
    return _("Die Datei ist zu groß: höchstens %(mb)d MB.") % {
        "mb": max_file_bytes() // (1024 * 1024)
    }


def _unreadable_message() -> str:
    return _(
        "Die Zeichenkodierung der Datei wurde nicht erkannt (erwartet: UTF-8 oder Windows-1252)."
    )


def read_table(content: bytes, *, recognizes: Callable[[list[str]], bool]) -> CsvTable:
    """The file's rows. The delimiter is the first of DELIMITERS whose header `recognizes`
    accepts (a header of a known format); failing that, the one that splits the header into the
    most columns, so that the caller can name what is missing."""
    text, encoding = decode(content)
    text = text.lstrip("\ufeff")  # a BOM written twice (a tool that adds one to ours)
    first_row = 2
    if text[:4].casefold() == "sep=" and "\n" in text[:8]:
        # Excel's hint line ("sep=;") before the header: it names the delimiter, nothing else.
        text = text.split("\n", 1)[1]
        first_row = 3
    if "\x00" in text:
        raise ImportFileError(
            _("Die Datei ist keine Textdatei (sie enthält Binärdaten) und wurde nicht gelesen.")
        )
    best = None
    for delimiter in DELIMITERS:
        header = _header(text, delimiter)
        if recognizes(header):
            best = (delimiter, header)
            break
        if best is None or len(header) > len(best[1]):
            best = (delimiter, header)
    delimiter, header = best
    rows = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    csv.field_size_limit(MAX_CELL_CHARS + 1)
    try:
        next(reader)
        for number, cells in enumerate(reader, start=first_row):
            if any(len(cell) > MAX_CELL_CHARS for cell in cells):
                raise ImportFileError(_cell_too_large(number))
            if not any(cell.strip() for cell in cells):
                continue  # an empty line, or one of a spreadsheet's trailing ";;;;"
            rows.append((number, cells))
    except csv.Error as exc:
        row = reader.line_num + first_row - 2
        if "field larger than field limit" in str(exc):
            raise ImportFileError(_cell_too_large(row)) from None
        raise ImportFileError(
            _(
                "Die Datei ist in Zeile %(row)d nicht lesbar: Anführungszeichen sind nicht "
                "geschlossen oder stehen mitten in einem Feld. Es wurde nichts importiert."
            )
            % {"row": row}
        ) from None
    if not rows:
        raise ImportFileError(_("Die Datei enthält keine Bestellungen, nur eine Kopfzeile."))
    return CsvTable(header=header, rows=rows, delimiter=delimiter, encoding=encoding)


def _cell_too_large(row: int) -> str:
    return _(
        "Die Datei enthält in Zeile %(row)d ein Feld mit mehr als %(limit)d Zeichen "
        "(oft ein nicht geschlossenes Anführungszeichen). Es wurde nichts importiert."
    ) % {"row": row, "limit": MAX_CELL_CHARS}


def _header(text: str, delimiter: str) -> list[str]:
    first = text.split("\n", 1)[0] if '"' not in text.split("\n", 1)[0] else None
    if first is not None:
        return [cell.strip() for cell in first.rstrip("\r").split(delimiter)]
    try:
        csv.field_size_limit(MAX_CELL_CHARS + 1)
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        return [cell.strip() for cell in next(reader, [])]
    except csv.Error:
        return []
