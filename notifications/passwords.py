"""SMTP passwords sealed with the cold storage's key ring, bound to their server's row.

The associated data kind "smtp-password" and the server id mean a ciphertext copied onto another
server (or into a cold record) fails to open. The password is never logged or shown again.
"""

from coldstorage.crypto import open_sealed, seal
from coldstorage.services import cold_keyring
from notifications.models import SmtpServer

KIND = "smtp-password"


def seal_password(server: SmtpServer, password: str) -> None:
    """Sets the server's sealed password fields (not saved); `server` must have its id."""
    if server.pk is None:
        raise ValueError("the server needs its id before its password can be sealed")
    key_id, nonce, ciphertext = seal(cold_keyring(), KIND, server.pk, {"password": password})
    server.password_key_id = key_id
    server.password_nonce = nonce
    server.password_ciphertext = ciphertext


def clear_password(server: SmtpServer) -> None:
    server.password_key_id = ""
    server.password_nonce = None
    server.password_ciphertext = None


def open_password(server: SmtpServer) -> str:
    """The clear password ("" when none is set). Raises TamperedRecordError or
    KeyConfigurationError when it cannot be opened."""
    if server.password_ciphertext is None:
        return ""
    payload = open_sealed(
        cold_keyring(),
        kind=KIND,
        object_id=server.pk,
        key_id=server.password_key_id,
        nonce=bytes(server.password_nonce),
        ciphertext=bytes(server.password_ciphertext),
    )
    return payload["password"]
