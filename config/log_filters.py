"""Keeps personal data out of the logs: the logging filter of every handler (config/settings.py).

- A database error's message can carry the values it failed on: PostgreSQL's DETAIL ("Key
  (email)=(…) already exists"), CONTEXT ("JSON data, line 1: {"phone": …") and quoted literals
  ("invalid input syntax for type bigint: "…""). Its traceback is logged with the first line of
  the message only, quoted values replaced, plus the SQLSTATE code; the code lines stay.
- A 4xx answer (403 permission denied, 404, 400) is the client's doing: logged without traceback.
- Logged request lines (runserver's django.server, gunicorn's access log via
  config/gunicorn.conf.py) lose the values of search and personal-data parameters: searches
  stay GET requests (bookmarkable, back button), so their terms must not reach the access log.
"""

import logging
import re
import traceback

from django.db import Error as DjangoDatabaseError

try:
    from psycopg import Error as PsycopgError
except ImportError:  # pragma: no cover - SQLite-only installs
    PsycopgError = DjangoDatabaseError
from sqlite3 import Error as SqliteError

_DATABASE_ERRORS = (DjangoDatabaseError, PsycopgError, SqliteError)

#: Query parameters whose values are personal data or search terms (`q`: every search box).
_PERSONAL_PARAM = re.compile(
    r"^(q|.*(email|name|phone|street|city|postcode|company|vat|birth|token|tracking|note|message).*)$",
    re.IGNORECASE,
)
_QUERY_PAIR = re.compile(r"(^|[?&;])([^=&;?\s\"]+)=([^&;\s\"]*)")
_QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'|«[^»]*»")
REDACTED = "…"


def redact_query(text: str) -> str:
    """`text` (a request line, URL or query string) with personal parameters' values replaced."""
    if "=" not in text:
        return text

    def replace(match: re.Match) -> str:
        lead, name, value = match.groups()
        if value and _PERSONAL_PARAM.match(name):
            return f"{lead}{name}={REDACTED}"
        return match.group(0)

    return _QUERY_PAIR.sub(replace, text)


def database_error_summary(exc: BaseException) -> str:
    """The error's first line without quoted values, and its SQLSTATE where the driver has one."""
    lines = str(exc).strip().splitlines()
    first = _QUOTED.sub(f'"{REDACTED}"', lines[0]) if lines else ""
    sqlstate = getattr(exc, "sqlstate", None) or getattr(
        getattr(exc, "__cause__", None), "sqlstate", None
    )
    return f"{first} (SQLSTATE {sqlstate})" if sqlstate else first


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and those it came from, oldest first (as Python prints them)."""
    chain, seen = [], set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        chain.append(exc)
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    return chain[::-1]


def format_exception_without_values(exc: BaseException) -> str:
    """A traceback like Python's, where database errors show only their summary."""
    parts = []
    for item in _chain(exc):
        message = database_error_summary(item) if isinstance(item, _DATABASE_ERRORS) else str(item)
        kind = type(item)
        name = (
            kind.__qualname__
            if kind.__module__ == "builtins"
            else f"{kind.__module__}.{kind.__qualname__}"
        )
        frames = "".join(traceback.format_tb(item.__traceback__))
        parts.append(
            f"Traceback (most recent call last):\n{frames}{name}: {message}"
            if frames
            else f"{name}: {message}"
        )
    return "\n\nThe above exception led to the following exception:\n\n".join(parts)


def _has_database_error(exc: BaseException) -> bool:
    return any(isinstance(item, _DATABASE_ERRORS) for item in _chain(exc))


class RedactPersonalData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        status = getattr(record, "status_code", None)
        if exc is not None and isinstance(status, int) and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        elif exc is not None and _has_database_error(exc):
            # The formatter uses exc_text when it is set instead of formatting exc_info.
            record.exc_text = format_exception_without_values(exc)
        if record.name == "django.server" or record.name.startswith("gunicorn"):
            if isinstance(record.args, tuple):
                record.args = tuple(
                    redact_query(arg) if isinstance(arg, str) else arg for arg in record.args
                )
            if isinstance(record.msg, str):
                record.msg = redact_query(record.msg)
        return True
