"""Cold-storage keys: from COLDSTORAGE_KEYS in production, else a local key file under var/.

Format of both: comma- or newline-separated `key_id:base64(32 random bytes)`; the first key encrypts,
every key decrypts. Losing a key loses every record encrypted under it (README, "Keys").

Each key has a check value (`check_value`), which cold storage records per key id on first use and
compares on every start (coldstorage.services.cold_keyring), so that a wrong key under a known id
is refused instead of encrypting data that the real key can no longer open.
"""

import base64
import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

_KEY_ID = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")


class KeyConfigurationError(Exception):
    """No usable key: the product refuses to anonymize or restore rather than lose data.

    Its text is shown to merchants as well, so it names key ids at most, never key bytes or the
    key file's path; `detail` holds what only operators see (command output).
    """

    def __init__(self, message: str, *, detail: str = ""):
        super().__init__(message)
        self.detail = detail

    def for_operator(self) -> str:
        return f"{self} [{self.detail}]" if self.detail else str(self)


class KeyMismatchError(KeyConfigurationError):
    """A configured key is not the one its key id's records were encrypted with."""

    def __init__(self, key_id: str):
        super().__init__(
            _(
                "Der Schlüssel mit der ID „%(id)s“ passt nicht zu den Daten im Cold Storage: Unter "
                "dieser ID wurde mit einem anderen Schlüssel verschlüsselt. Bis der richtige "
                "Schlüssel eingerichtet ist, wird nichts anonymisiert oder wiederhergestellt."
            )
            % {"id": key_id}
        )
        self.key_id = key_id


# What the check value authenticates: a fixed label, so that it identifies the key and reveals
# nothing about it (HMAC-SHA256 is a PRF; 256-bit keys cannot be guessed from it).
_CHECK_LABEL = b"orderdesk-cold/key-check/v1"


def check_value(key: bytes) -> str:
    """The key's fingerprint as stored in cold storage: HMAC-SHA256 of a fixed label, hex."""
    return hmac.new(key, _CHECK_LABEL, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Keyring:
    keys: dict[str, bytes]
    current_id: str

    @property
    def current(self) -> bytes:
        return self.keys[self.current_id]


def parse_keys(text: str, origin: str, *, detail: str = "") -> Keyring:
    """`origin` names where the keys come from in messages merchants may see; `detail` (the key
    file's path) is added for operators only."""
    keys: dict[str, bytes] = {}
    order: list[str] = []
    lines = [line for line in text.splitlines() if not line.strip().startswith("#")]
    for raw in re.split(r"[,\n]", "\n".join(lines)):
        item = raw.strip()
        if not item:
            continue
        key_id, sep, encoded = item.partition(":")
        if not sep or not _KEY_ID.match(key_id):
            raise KeyConfigurationError(
                _("%(origin)s: Eintrag ohne gültige Schlüssel-ID (Format id:base64).")
                % {"origin": origin},
                detail=detail,
            )
        try:
            key = base64.b64decode(encoded, validate=True)
        except ValueError:
            raise KeyConfigurationError(
                _("%(origin)s: Schlüssel %(id)s ist kein gültiges Base64.")
                % {"origin": origin, "id": key_id},
                detail=detail,
            ) from None
        if len(key) != 32:
            raise KeyConfigurationError(
                _("%(origin)s: Schlüssel %(id)s muss 32 Bytes (256 Bit) lang sein.")
                % {"origin": origin, "id": key_id},
                detail=detail,
            )
        if key_id in keys:
            raise KeyConfigurationError(
                _("%(origin)s: Schlüssel-ID %(id)s kommt doppelt vor.")
                % {"origin": origin, "id": key_id},
                detail=detail,
            )
        keys[key_id] = key
        order.append(key_id)
    if not keys:
        raise KeyConfigurationError(
            _("%(origin)s enthält keinen Schlüssel.") % {"origin": origin}, detail=detail
        )
    return Keyring(keys=keys, current_id=order[0])


def new_key_line(key_id: str | None = None) -> str:
    key_id = key_id or f"k{secrets.token_hex(4)}"
    return f"{key_id}:{base64.b64encode(secrets.token_bytes(32)).decode()}"


def create_key_file(path: Path) -> str:
    """Writes a fresh key file readable only by its owner and returns the new key's id."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = new_key_line()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(
            "# OrderDesk cold-storage keys: id:base64. The first line encrypts, all decrypt.\n"
            "# Back this file up; without it the anonymized data cannot be restored.\n"
        )
        handle.write(line + "\n")
    return line.split(":", 1)[0]


@cache
def keyring() -> Keyring:
    """The configured keys, parsed (not yet checked against cold storage: see cold_keyring)."""
    if settings.COLDSTORAGE_KEYS:
        return parse_keys(settings.COLDSTORAGE_KEYS, "COLDSTORAGE_KEYS")
    path = Path(settings.COLDSTORAGE_KEY_FILE)
    origin = _("Die Schlüsseldatei (COLDSTORAGE_KEY_FILE)")
    if not path.exists():
        raise KeyConfigurationError(
            _(
                "Kein Schlüssel für den Cold Storage: COLDSTORAGE_KEYS ist nicht gesetzt und die "
                "Schlüsseldatei (COLDSTORAGE_KEY_FILE) fehlt. Ohne Schlüssel wird nichts "
                "anonymisiert."
            ),
            detail=str(path),
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyConfigurationError(
            _("%(origin)s lässt sich nicht lesen: %(reason)s.")
            % {"origin": origin, "reason": _unreadable_reason(exc)},
            detail=str(path),
        ) from None
    return parse_keys(text, origin, detail=str(path))


def _unreadable_reason(exc: Exception) -> str:
    if isinstance(exc, IsADirectoryError):
        return _("Der Pfad ist ein Verzeichnis, keine Datei")
    if isinstance(exc, PermissionError):
        return _("keine Leserechte")
    if isinstance(exc, UnicodeDecodeError):
        return _("kein Text (UTF-8)")
    return _("Fehler beim Lesen (%(error)s)") % {"error": type(exc).__name__}


# (database alias, key id, check value) that this process has checked against cold storage.
# Check values never change once recorded, so one check per process and key suffices.
_checked: set[tuple[str, str, str]] = set()


def is_checked(db: str, key_id: str, value: str) -> bool:
    return (db, key_id, value) in _checked


def mark_checked(db: str, key_id: str, value: str) -> None:
    _checked.add((db, key_id, value))


def reset_cache() -> None:
    keyring.cache_clear()
    _checked.clear()
