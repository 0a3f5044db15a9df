"""Talking to mail servers: a Django SMTP backend per merchant server, and error texts without
personal data or secrets."""

import re
import smtplib
import ssl
from functools import cached_property

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.core.mail.backends.smtp import EmailBackend

from notifications.models import SmtpSecurity, SmtpServer
from notifications.passwords import open_password

# An address in a server's answer ("550 <kaeufer@example.de>: unknown user") is personal data.
_ADDRESS = re.compile(r"[^\s<>()\"',;:]+@[^\s<>()\"',;]+")


class _RecordingSMTP(smtplib.SMTP):
    """Keeps the server's answer to the message (smtplib's sendmail drops it)."""

    last_reply: tuple[int, bytes] | None = None

    def data(self, msg):
        self.last_reply = super().data(msg)
        return self.last_reply


class _RecordingSMTPSSL(smtplib.SMTP_SSL):
    last_reply: tuple[int, bytes] | None = None

    def data(self, msg):
        self.last_reply = super().data(msg)
        return self.last_reply


class ServerBackend(EmailBackend):
    """Django's SMTP backend, verifying the server's certificate against the system's CAs or
    SMTP_CA_FILE (a private CA; the tests' self-signed one)."""

    @property
    def connection_class(self):
        return _RecordingSMTPSSL if self.use_ssl else _RecordingSMTP

    @cached_property
    def ssl_context(self):
        return ssl.create_default_context(cafile=settings.SMTP_CA_FILE or None)


def backend_for(server: SmtpServer | None):
    """A connection for `server`, or the project's default mailer (MAILERS["default"])."""
    if server is None:
        return mailers.default
    return ServerBackend(
        alias=f"smtp-server-{server.pk}",
        host=server.host,
        port=server.port,
        username=server.username or None,
        password=open_password(server) or None,
        use_tls=server.security == SmtpSecurity.STARTTLS,
        use_ssl=server.security == SmtpSecurity.TLS,
        timeout=settings.SMTP_TIMEOUT,
    )


def sender_for(server: SmtpServer | None) -> str:
    return server.sender if server is not None else settings.DEFAULT_FROM_EMAIL


def send_message(
    server: SmtpServer | None, *, to: str, subject: str, body: str, html: str = ""
) -> str:
    """Sends one message; returns the server's answer to it (or "OK"). Raises what the backend
    raises (smtplib.SMTPException, OSError, …)."""
    connection = backend_for(server)
    message = EmailMultiAlternatives(
        subject=subject,
        body=body,
        from_email=sender_for(server),
        to=[to],
    )
    if html:
        message.attach_alternative(html, "text/html")
    connection.open()
    try:
        sent = connection.send_messages([message])
        answer = _last_answer(connection)
    finally:
        connection.close()
    if not sent:
        raise smtplib.SMTPException("the message was not accepted")
    return answer


def _last_answer(connection) -> str:
    smtp = getattr(connection, "connection", None)
    reply = getattr(smtp, "last_reply", None)
    if reply is None:
        return "OK"
    code, text = reply
    return redact(f"{code} {_decode(text)}")


def redact(text: str) -> str:
    return _ADDRESS.sub("<…>", text)[:500]


def error_text(exc: BaseException) -> str:
    """The server's answer (code and text) or the connection error, without addresses,
    message content or the password."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        answers = list(exc.recipients.values())
        if answers:
            code, text = answers[0]
            return redact(f"{code} {_decode(text)}")
    if isinstance(exc, smtplib.SMTPResponseException):
        return redact(f"{exc.smtp_code} {_decode(exc.smtp_error)}")
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return redact(f"{type(exc).__name__}: {exc}")
    if isinstance(exc, ssl.SSLError):
        return redact(f"TLS: {exc.reason or exc}")
    if isinstance(exc, OSError):
        return redact(f"{type(exc).__name__}: {exc.strerror or exc}")
    return redact(f"{type(exc).__name__}")


def _decode(text) -> str:
    return text.decode(errors="replace") if isinstance(text, bytes) else str(text)
