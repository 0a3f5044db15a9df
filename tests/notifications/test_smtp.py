"""Sending through the merchant's SMTP servers, against a real local SMTP server (aiosmtpd):
plain, STARTTLS with login, TLS; refusing servers are retried and switched off; the password
is sealed in the database."""

import io

import pytest
from django.db import connection

from notifications.models import MailState, NotificationText, OutgoingMail, SmtpServer
from notifications.services import (
    outbox_send,
    queue_mails,
    smtp_server_save,
    smtp_server_send_test,
)
from orders.models import Order
from personal.state import PrivacyState
from tests.conftest import BOTH_DATABASES
from tests.factories import OrderFactory
from tests.notifications.conftest import SMTP_PASSWORD, SMTP_USER, free_port

pytestmark = pytest.mark.django_db(databases=BOTH_DATABASES)


def make_server(host: str, port: int, security: str = "none", **extra) -> SmtpServer:
    data = {
        "name": "Mein Mailserver",
        "sender": "shop@muster-handel.example",
        "host": host,
        "port": port,
        "security": security,
        "username": SMTP_USER if security == "starttls" else "",
        "is_active": True,
    } | extra
    password = SMTP_PASSWORD if security == "starttls" else ""
    return smtp_server_save(server=SmtpServer(), data=data, version=None, password=password)


@pytest.fixture
def text(db):
    return NotificationText.objects.create(
        name="Versandbestätigung",
        subject="Bestellung {OrderNumber} bei {ShopName}",
        body_text="Hallo {CustomerName},\nIhre Bestellung {OrderNumber} über {OrderTotal} ist unterwegs.",
        body_html="<p>Hallo {CustomerName}</p>",
    )


@pytest.fixture(autouse=True)
def _fast_retries(settings):
    settings.MAIL_RETRY_BASE_SECONDS = 0
    settings.SMTP_MAX_FAILURES = 3
    settings.MAIL_MAX_ATTEMPTS = 10


@pytest.mark.parametrize("smtpd", ["none", "starttls", "tls"], indirect=True)
def test_mails_arrive_with_sender_recipient_subject_and_body(smtpd, text):
    make_server(smtpd.host, smtpd.port, smtpd.security)
    orders = [OrderFactory(buyer_email=f"kunde{i}@example.de") for i in range(3)]

    queue_mails(text=text, order_ids=[o.pk for o in orders])
    report = outbox_send()

    assert report.sent == 3
    assert len(smtpd.received) == 3
    by_recipient = {r.recipients[0]: r for r in smtpd.received}
    for order in orders:
        received = by_recipient[order.buyer_email]
        assert received.sender == "shop@muster-handel.example"
        assert received.message["From"] == "shop@muster-handel.example"
        assert received.message["Subject"] == f"Bestellung {order.number} bei {order.channel.name}"
        body = received.message.get_body(("plain",)).get_content()
        assert f"Hallo {order.billing_address.full_name}," in body
        assert "59,90 EUR" in body
        html = received.message.get_body(("html",)).get_content()
        assert f"<p>Hallo {order.billing_address.full_name}</p>" in html
    assert set(OutgoingMail.objects.values_list("state", "server_name")) == {
        (MailState.SENT, "Mein Mailserver")
    }


def test_test_mail_shows_the_servers_answer(smtpd):
    server = make_server(smtpd.host, smtpd.port)

    result = smtp_server_send_test(server=server, to="ich@example.org")

    assert result.ok
    assert result.answer == "250 2.0.0 Ok: queued as TEST123"
    assert [r.recipients for r in smtpd.received] == [["ich@example.org"]]
    # A test mail is no attempt of the outbox and counts no failure.
    assert OutgoingMail.objects.count() == 0


def test_a_refusing_server_is_retried_and_then_switched_off(smtpd, text, settings):
    smtpd.handler.answer = "550 5.7.1 Relaying denied for <kunde@example.de>"
    server = make_server(smtpd.host, smtpd.port)
    order = OrderFactory(buyer_email="kunde@example.de")
    queue_mails(text=text, order_ids=[order.pk])

    for _round in range(settings.SMTP_MAX_FAILURES):
        report = outbox_send()
        assert report.retried == 1

    server.refresh_from_db()
    assert not server.is_active
    assert server.disabled_at is not None
    assert "550 5.7.1 Relaying denied" in server.disabled_reason
    # The address in the server's answer is personal data: not stored.
    assert "kunde@example.de" not in server.disabled_reason
    mail = OutgoingMail.objects.get()
    assert mail.state == MailState.QUEUED
    assert mail.attempts == settings.SMTP_MAX_FAILURES
    assert "kunde@example.de" not in mail.last_error
    assert smtpd.received == []


def test_after_the_switch_off_mail_goes_through_the_default_settings(
    smtpd, text, settings, mailoutbox
):
    smtpd.handler.answer = "554 5.0.0 Service unavailable"
    make_server(smtpd.host, smtpd.port)
    order = OrderFactory()
    queue_mails(text=text, order_ids=[order.pk])
    for _round in range(settings.SMTP_MAX_FAILURES):
        outbox_send()

    report = outbox_send()

    assert report.sent == 1
    assert [m.to for m in mailoutbox] == [[order.buyer_email]]
    mail = OutgoingMail.objects.get()
    assert (mail.state, mail.server_id, mail.attempts) == (
        MailState.SENT,
        None,
        settings.SMTP_MAX_FAILURES + 1,
    )


def test_a_closed_port_fails_without_raising_and_a_mail_gives_up_after_its_attempts(text, settings):
    settings.SMTP_TIMEOUT = 2
    settings.SMTP_MAX_FAILURES = 100
    settings.MAIL_MAX_ATTEMPTS = 2
    server = make_server("127.0.0.1", free_port())
    queue_mails(text=text, order_ids=[OrderFactory().pk])

    assert outbox_send().retried == 1
    assert outbox_send().failed == 1
    assert outbox_send().sent == 0

    mail = OutgoingMail.objects.get()
    assert mail.state == MailState.FAILED
    assert "ConnectionRefusedError" in mail.last_error
    server.refresh_from_db()
    assert server.consecutive_failures == 2
    assert server.is_active


def test_a_success_resets_the_failure_count(smtpd, text):
    server = make_server(smtpd.host, smtpd.port)
    SmtpServer.objects.filter(pk=server.pk).update(consecutive_failures=2)
    queue_mails(text=text, order_ids=[OrderFactory().pk])

    outbox_send()

    server.refresh_from_db()
    assert server.consecutive_failures == 0
    assert server.last_success_at is not None


def test_an_order_anonymized_after_queuing_is_refused_at_send_time(smtpd, text):
    make_server(smtpd.host, smtpd.port)
    order = OrderFactory()
    queue_mails(text=text, order_ids=[order.pk])
    Order.objects.filter(pk=order.pk).update(privacy_state=PrivacyState.ANONYMIZED)

    report = outbox_send()

    assert report.refused == 1
    assert smtpd.received == []
    assert OutgoingMail.objects.get().state == MailState.REFUSED


def test_the_password_is_sealed_in_the_database():
    server = make_server("smtp.example.net", 587, "starttls")

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM notifications_smtpserver WHERE id = %s", [server.pk])
        row = cursor.fetchone()
    raw = b"".join(bytes(v) if isinstance(v, memoryview | bytes) else str(v).encode() for v in row)
    assert SMTP_PASSWORD.encode() not in raw
    assert server.password_key_id
    from notifications.passwords import open_password

    assert open_password(SmtpServer.objects.get()) == SMTP_PASSWORD


def test_a_password_copied_to_another_server_does_not_open():
    from coldstorage.crypto import TamperedRecordError
    from notifications.passwords import open_password

    first = make_server("smtp.example.net", 587, "starttls")
    second = make_server("smtp2.example.net", 587, "none")
    SmtpServer.objects.filter(pk=second.pk).update(
        password_key_id=first.password_key_id,
        password_nonce=first.password_nonce,
        password_ciphertext=first.password_ciphertext,
    )

    with pytest.raises(TamperedRecordError):
        open_password(SmtpServer.objects.get(pk=second.pk))


def test_an_empty_password_keeps_the_stored_one():
    server = make_server("smtp.example.net", 587, "starttls")
    data = {
        f: getattr(server, f)
        for f in ("name", "sender", "host", "port", "security", "username", "is_active")
    }

    smtp_server_save(server=server, data=data | {"port": 2525}, version=server.version)

    from notifications.passwords import open_password

    stored = SmtpServer.objects.get()
    assert stored.port == 2525
    assert open_password(stored) == SMTP_PASSWORD


def test_passwords_are_sealed_anew_under_a_rotated_key(settings):
    from django.core.management import call_command

    from coldstorage import keys
    from notifications.passwords import open_password

    server = make_server("smtp.example.net", 587, "starttls")
    old_line = next(
        line
        for line in settings.COLDSTORAGE_KEY_FILE.read_text().splitlines()
        if line and not line.startswith("#")
    )
    new_line = keys.new_key_line("neu")
    settings.COLDSTORAGE_KEYS = f"{new_line},{old_line}"
    keys.reset_cache()
    try:
        out = io.StringIO()
        call_command("reseal_smtp_passwords", stdout=out)

        stored = SmtpServer.objects.get(pk=server.pk)
        assert stored.password_key_id == "neu"
        assert open_password(stored) == SMTP_PASSWORD
        assert "1 SMTP password(s)" in out.getvalue()
    finally:
        settings.COLDSTORAGE_KEYS = ""
        keys.reset_cache()
