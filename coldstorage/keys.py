"""Cold-storage keys: from COLDSTORAGE_KEYS in production, else a local key file under var/.

Format of both: comma- or newline-separated `key_id:base64(32 random bytes)`; the first key encrypts,
every key decrypts. Losing a key loses every record encrypted under it (README, "Keys").
"""

import base64
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
    """No usable key: the product refuses to anonymize rather than lose data."""


@dataclass(frozen=True)
class Keyring:
    keys: dict[str, bytes]
    current_id: str

    @property
    def current(self) -> bytes:
        return self.keys[self.current_id]


def parse_keys(text: str, origin: str) -> Keyring:
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
                % {"origin": origin}
            )
        try:
            key = base64.b64decode(encoded, validate=True)
        except ValueError:
            raise KeyConfigurationError(
                _("%(origin)s: Schlüssel %(id)s ist kein gültiges Base64.")
                % {"origin": origin, "id": key_id}
            ) from None
        if len(key) != 32:
            raise KeyConfigurationError(
                _("%(origin)s: Schlüssel %(id)s muss 32 Bytes (256 Bit) lang sein.")
                % {"origin": origin, "id": key_id}
            )
        if key_id in keys:
            raise KeyConfigurationError(
                _("%(origin)s: Schlüssel-ID %(id)s kommt doppelt vor.")
                % {"origin": origin, "id": key_id}
            )
        keys[key_id] = key
        order.append(key_id)
    if not keys:
        raise KeyConfigurationError(_("%(origin)s enthält keinen Schlüssel.") % {"origin": origin})
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
    if settings.COLDSTORAGE_KEYS:
        return parse_keys(settings.COLDSTORAGE_KEYS, "COLDSTORAGE_KEYS")
    path = Path(settings.COLDSTORAGE_KEY_FILE)
    if not path.exists():
        raise KeyConfigurationError(
            _(
                "Kein Schlüssel für den Cold Storage: COLDSTORAGE_KEYS ist nicht gesetzt und die "
                "Schlüsseldatei %(path)s fehlt. Ohne Schlüssel wird nichts anonymisiert."
            )
            % {"path": path}
        )
    return parse_keys(path.read_text(), str(path))


def reset_cache() -> None:
    keyring.cache_clear()
