"""Einstellungen → Benachrichtigungstexte and → E-Mail-Versand, and the order page's mail log."""

import pytest
from django.urls import reverse

from notifications.models import NotificationText, OutgoingMail, SmtpServer
from notifications.services import outbox_send, queue_mails
from orders.models import Order
from personal.state import ANONYMIZED, PrivacyState
from tests.conftest import BOTH_DATABASES, permissions
from tests.factories import OrderFactory, UserFactory
from tests.notifications.conftest import free_port

pytestmark = pytest.mark.django_db(databases=BOTH_DATABASES)

SECRET = "Sehr-geheim-987"


@pytest.fixture
def text(db):
    return NotificationText.objects.create(
        name="Versand", subject="Bestellung {OrderNumber}", body_text="Hallo {CustomerName}"
    )


def _server_data(**overrides) -> dict:
    return {
        "name": "Mailserver",
        "sender": "shop@example.org",
        "host": "127.0.0.1",
        "port": "587",
        "security": "starttls",
        "username": "shop",
        "password": SECRET,
        "is_active": "on",
    } | overrides


def test_the_pages_are_in_the_settings_menu(merchant_client):
    response = merchant_client.get(reverse("orders:list"))

    assert reverse("notifications:texts") in response.text
    assert reverse("notifications:servers") in response.text


def test_an_unknown_placeholder_is_named_when_saving(merchant_client):
    response = merchant_client.post(
        reverse("notifications:text_create"),
        {"name": "Neu", "subject": "Bestellung {Bestellnummer}", "body_text": "Hallo"},
    )

    assert response.status_code == 200
    assert "Unbekannter Platzhalter: {Bestellnummer}" in response.text
    assert not NotificationText.objects.exists()


def test_a_text_is_created_and_the_placeholders_are_listed(merchant_client):
    page = merchant_client.get(reverse("notifications:text_create"))
    assert "{OrderNumber}" in page.text
    assert "Laufende Nummer der Bestellung" in page.text

    response = merchant_client.post(
        reverse("notifications:text_create"),
        {"name": "Neu", "subject": "Bestellung {OrderNumber}", "body_text": "Hallo {{Kunde}}"},
    )

    assert response.status_code == 302
    assert NotificationText.objects.get().body_text == "Hallo {{Kunde}}"


def test_an_edit_from_an_old_page_is_refused(merchant_client, text):
    data = {"name": "A", "subject": "x", "body_text": "y", "version": str(text.version)}
    merchant_client.post(reverse("notifications:text_edit", args=[text.pk]), data)

    response = merchant_client.post(
        reverse("notifications:text_edit", args=[text.pk]), data | {"name": "B"}, follow=True
    )

    assert "inzwischen von jemand anderem gespeichert" in response.text
    assert NotificationText.objects.get().name == "A"


def test_the_preview_renders_the_typed_text_for_an_order(merchant_client):
    order = OrderFactory(billing_first_name="Erika", billing_last_name="Muster")
    response = merchant_client.get(
        reverse("notifications:text_preview"),
        {
            "order": order.number,
            "subject": "Bestellung {OrderNumber}",
            "body_text": "Hallo {CustomerName}",
            "body_html": "<p>{CustomerName}<script>alert(1)</script></p>",
        },
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert f"Bestellung {order.number}" in response.text
    assert "Hallo Erika Muster" in response.text
    # The merchant's HTML as escaped source: it never runs here; the values inside it escaped.
    assert "&lt;p&gt;Erika Muster&lt;script&gt;" in response.text
    assert "<script>" not in response.text


def test_the_preview_of_an_anonymized_order_shows_no_old_data(merchant_client):
    order = OrderFactory(billing_first_name="Erika", billing_last_name="Muster")
    Order.objects.filter(pk=order.pk).update(privacy_state=PrivacyState.ANONYMIZED)

    response = merchant_client.get(
        reverse("notifications:text_preview"),
        {"order": order.number, "subject": "x", "body_text": "Hallo {CustomerName}"},
    )

    assert f"Hallo {ANONYMIZED}" in response.text
    assert "Muster" not in response.text


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"order": "", "subject": "x"}, "Bitte geben Sie die Nummer einer Bestellung ein."),
        ({"order": "abc"}, "Die Eingaben für die Vorschau sind ungültig."),
        ({"order": "99999999"}, "Eine Bestellung mit der Nummer 99999999 gibt es nicht."),
        ({"order": "{n}", "body_text": "{Nope}"}, "Unbekannter Platzhalter: {Nope}."),
    ],
)
def test_bad_preview_input_gets_a_message(merchant_client, params, message):
    order = OrderFactory()
    params = {k: v.replace("{n}", str(order.number)) for k, v in params.items()}

    response = merchant_client.get(reverse("notifications:text_preview"), params)

    assert response.status_code == 200
    assert message in response.text


def test_a_server_is_saved_and_its_password_never_shown_again(merchant_client):
    response = merchant_client.post(reverse("notifications:server_create"), _server_data())
    server = SmtpServer.objects.get()
    assert response.url == reverse("notifications:server_edit", args=[server.pk])

    page = merchant_client.get(response.url)

    assert SECRET not in page.text
    assert "Ein Passwort ist gespeichert" in page.text
    assert server.password_ciphertext is not None


def test_bad_server_input_gets_messages(merchant_client):
    response = merchant_client.post(
        reverse("notifications:server_create"),
        _server_data(host="smtp example.org; rm", port="70000", sender="kein-absender"),
    )

    assert response.status_code == 200
    assert "Bitte korrigieren Sie die markierten Eingaben." in response.text
    assert "Bitte nur den Namen oder die IP-Adresse des Servers angeben" in response.text
    assert SECRET not in response.text
    assert not SmtpServer.objects.exists()


def test_switching_a_server_on_again_clears_the_switch_off(merchant_client):
    merchant_client.post(reverse("notifications:server_create"), _server_data())
    server = SmtpServer.objects.get()
    SmtpServer.objects.filter(pk=server.pk).update(
        is_active=False, consecutive_failures=5, disabled_reason="5 Fehler in Folge, zuletzt: 550"
    )
    page = merchant_client.get(reverse("notifications:server_edit", args=[server.pk]))
    assert "automatisch abgeschaltet" not in page.text  # no disabled_at: switched off by hand
    SmtpServer.objects.filter(pk=server.pk).update(disabled_at="2026-12-01T10:00:00Z")
    page = merchant_client.get(reverse("notifications:server_edit", args=[server.pk]))
    assert "automatisch abgeschaltet" in page.text
    assert "5 Fehler in Folge, zuletzt: 550" in page.text

    server.refresh_from_db()
    merchant_client.post(
        reverse("notifications:server_edit", args=[server.pk]),
        _server_data(password="", version=str(server.version)),
    )

    server.refresh_from_db()
    assert (server.is_active, server.consecutive_failures, server.disabled_reason) == (True, 0, "")


def test_the_test_mail_shows_the_servers_answer(merchant_client, smtpd):
    merchant_client.post(
        reverse("notifications:server_create"),
        _server_data(port=str(smtpd.port), security="none", username="", password=""),
    )
    server = SmtpServer.objects.get()

    response = merchant_client.post(
        reverse("notifications:server_test", args=[server.pk]),
        {"to": "ich@example.org"},
        follow=True,
    )

    assert (
        "Die Test-E-Mail wurde gesendet. Antwort des Servers: 250 2.0.0 Ok: queued as TEST123"
        in (response.text)
    )
    assert [r.recipients for r in smtpd.received] == [["ich@example.org"]]


def test_a_failing_test_mail_shows_the_error_without_the_password(merchant_client, settings):
    settings.SMTP_TIMEOUT = 2
    merchant_client.post(
        reverse("notifications:server_create"),
        _server_data(port=str(free_port()), security="none"),
    )
    server = SmtpServer.objects.get()

    response = merchant_client.post(
        reverse("notifications:server_test", args=[server.pk]),
        {"to": "ich@example.org"},
        follow=True,
    )

    assert "Die Test-E-Mail konnte nicht gesendet werden" in response.text
    assert "ConnectionRefusedError" in response.text
    assert SECRET not in response.text


def test_a_test_mail_to_a_bad_address_gets_a_message(merchant_client):
    merchant_client.post(reverse("notifications:server_create"), _server_data())
    server = SmtpServer.objects.get()

    response = merchant_client.post(
        reverse("notifications:server_test", args=[server.pk]), {"to": "kaputt"}, follow=True
    )

    assert "Bitte geben Sie eine gültige E-Mail-Adresse ein." in response.text


def test_viewing_servers_needs_its_permission(client, text):
    user = UserFactory(username="nur-texte")
    user.user_permissions.set(permissions("notifications.view_notificationtext"))
    client.force_login(user)

    assert client.get(reverse("notifications:texts")).status_code == 200
    assert client.get(reverse("notifications:servers")).status_code == 403
    assert client.get(reverse("notifications:text_edit", args=[text.pk])).status_code == 403


def test_the_order_page_lists_the_mails_without_bodies(merchant_client, text, mailoutbox):
    order = OrderFactory(billing_first_name="Erika", billing_last_name="Muster")
    anonymized = OrderFactory()
    Order.objects.filter(pk=anonymized.pk).update(privacy_state=PrivacyState.ANONYMIZED)
    queue_mails(text=text, order_ids=[order.pk, anonymized.pk])
    queue_mails(text=text, order_ids=[order.pk], recipient="merchant")
    outbox_send()

    page = merchant_client.get(reverse("orders:detail", args=[order.pk]), {"tab": "history"})

    assert "E-Mails" in page.text
    assert "Versand" in page.text
    assert "gesendet" in page.text
    assert "Standard-Einstellungen" in page.text
    assert "Hallo Erika" not in page.text
    assert order.buyer_email not in page.text.split("order-mails")[1]
    refused = merchant_client.get(
        reverse("orders:detail", args=[anonymized.pk]), {"tab": "history"}
    )
    assert "Die Kundendaten der Bestellung sind anonymisiert." in refused.text
    assert OutgoingMail.objects.count() == 3


def test_without_a_usable_key_a_server_is_not_saved_and_the_page_says_why(
    merchant_client, monkeypatch
):
    from coldstorage.keys import KeyConfigurationError
    from notifications import passwords

    def no_key():
        raise KeyConfigurationError("Kein Schlüssel für den Cold Storage.")

    monkeypatch.setattr(passwords, "cold_keyring", no_key)

    response = merchant_client.post(
        reverse("notifications:server_create"), _server_data(), follow=True
    )

    assert response.status_code == 200
    assert "Der Server wurde nicht gespeichert: Kein Schlüssel für den Cold Storage." in (
        response.text
    )
    assert not SmtpServer.objects.exists()
