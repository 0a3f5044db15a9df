"""A real SMTP server for the tests (aiosmtpd in a thread), plain, STARTTLS or TLS, with a
self-signed certificate made here and trusted through SMTP_CA_FILE."""

import datetime
import email
import email.policy
import ipaddress
import socket
import ssl
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SMTP_USER = "shop@example.net"
SMTP_PASSWORD = "Sehr-geheimes-SMTP-Passwort-42"


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: email.message.EmailMessage


@dataclass
class Handler:
    #: What the server answers to DATA ("250 …" accepts, "550 …" refuses).
    answer: str = "250 2.0.0 Ok: queued as TEST123"
    received: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        if self.answer.startswith("250"):
            self.received.append(
                Received(
                    sender=envelope.mail_from,
                    recipients=list(envelope.rcpt_tos),
                    message=email.message_from_bytes(envelope.content, policy=email.policy.default),
                )
            )
        return self.answer


def _authenticate(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == SMTP_USER.encode() and auth_data.password == SMTP_PASSWORD.encode()
    return AuthResult(success=ok)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def certificate(tmp_path_factory):
    """(certificate file, key file) of a self-signed certificate for 127.0.0.1 and localhost."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "OrderDesk test SMTP")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("smtp-cert")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@dataclass
class SmtpServerUnderTest:
    host: str
    port: int
    security: str
    handler: Handler

    @property
    def received(self) -> list[Received]:
        return self.handler.received


@pytest.fixture
def smtpd(request, certificate, settings):
    """Starts an SMTP server on a free port; `security` via indirect parametrization (default
    "none"): "none", "starttls" (with login) or "tls"."""
    security = getattr(request, "param", "none")
    cert_file, key_file = certificate
    settings.SMTP_CA_FILE = str(cert_file)
    settings.SMTP_TIMEOUT = 5
    handler = Handler()
    port = free_port()
    kwargs = {}
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    if security == "starttls":
        kwargs = {
            "tls_context": context,
            "require_starttls": True,
            "authenticator": _authenticate,
            "auth_required": True,
        }
    elif security == "tls":
        kwargs = {"ssl_context": context}
    controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    yield SmtpServerUnderTest("127.0.0.1", port, security, handler)
    controller.stop()
