"""The order page in each privacy state: banners, read-only form, locked actions, anonymize and
restore of this one order, the restore poll, and the history of privacy events."""

import datetime
import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from coldstorage import keys
from orders.models import Order, OrderEvent, OrderStatus, PrivacyJob
from orders.privacy.jobs import privacy_job_run
from orders.services import order_ship
from personal.state import ANONYMIZED, PrivacyState
from tests.factories import OrderFactory, UserFactory
from tests.privacy.conftest import BOTH, anonymize, fresh, restore

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("company")]

HTMX = {"HTTP_HX_REQUEST": "true"}


def _detail(order: Order) -> str:
    return reverse("orders:detail", args=[order.pk])


def _user_with(*codenames: str):
    """A user who sees orders with their personal data and holds `codenames`."""
    user = UserFactory(username="mit-rechten")
    user.user_permissions.set(
        Permission.objects.filter(codename__in=[*codenames, "view_order", "view_personal_data"])
    )
    return user


def _set_state(order: Order, state: str, **fields) -> Order:
    Order.objects.filter(pk=order.pk).update(privacy_state=state, **fields)
    return fresh(order)


def _local_time(*args):
    """Runs the block as if it were this local date and time."""
    from unittest import mock

    moment = timezone.make_aware(datetime.datetime(*args))
    return mock.patch("django.utils.timezone.now", return_value=moment)


@pytest.fixture
def lose_cold_key(settings, tmp_path):
    """Call it to leave no usable cold-storage key: the product then refuses to act."""

    def lose() -> None:
        settings.COLDSTORAGE_KEYS = ""
        settings.COLDSTORAGE_KEY_FILE = tmp_path / "fehlt.keys"
        keys.reset_cache()

    yield lose
    keys.reset_cache()


# --- anonymized ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_it_shows_an_anonymized_order_locked_with_dates(merchant_client):
    order = OrderFactory(billing_entry__city="Bamberg", tracking_number="")
    with _local_time(2024, 3, 5, 14, 30):
        anonymize(order)

    html = merchant_client.get(_detail(order)).text

    assert "Diese Bestellung ist anonymisiert." in html
    assert "am 05.03.2024 anonymisiert" in html
    # Purge on 01.01.2035, so the last day of a restore is the day before.
    assert "bis einschließlich 31.12.2034 wiederhergestellt" in html
    assert "nicht bearbeitet, berechnet oder versendet" in html
    assert "Bamberg" not in html
    assert ANONYMIZED in html


def test_the_anonymized_form_is_read_only(merchant_client):
    order = _set_state(OrderFactory(), PrivacyState.ANONYMIZED, purge_on=datetime.date(2036, 1, 1))

    html = merchant_client.get(_detail(order)).text

    for name in ("billing-last_name", "shipping-city", "order-buyer_email", "order-notes"):
        assert re.search(rf'name="{name}"[^>]*disabled', html), name
    assert "Speichern" not in html
    assert "Verwerfen" not in html


def test_invoice_ship_and_documents_are_disabled_with_the_reason(merchant_client):
    order = _set_state(
        OrderFactory(invoice_number="RE-2024-00007"),
        PrivacyState.ANONYMIZED,
        purge_on=datetime.date(2036, 1, 1),
    )

    html = merchant_client.get(_detail(order)).text

    assert re.search(r"<button[^>]*disabled[^>]*>Rechnung anzeigen</button>", html)
    assert re.search(r"<button[^>]*disabled[^>]*>Versenden</button>", html)
    assert "Gesperrt, solange die Kundendaten anonymisiert sind" in html
    assert reverse("orders:invoice", args=[order.pk]) not in html
    assert reverse("orders:ship", args=[order.pk]) not in html
    assert "RE-2024-00007" in html  # bookkeeping data stays visible


def test_an_uninvoiced_anonymized_order_shows_invoice_creation_disabled(merchant_client):
    order = _set_state(OrderFactory(), PrivacyState.ANONYMIZED, purge_on=datetime.date(2036, 1, 1))

    html = merchant_client.get(_detail(order)).text

    assert re.search(r"<button[^>]*disabled[^>]*>Rechnung erstellen</button>", html)
    assert reverse("orders:invoice_create", args=[order.pk]) not in html


def test_the_restore_button_needs_the_restore_permission(client):
    order = _set_state(OrderFactory(), PrivacyState.ANONYMIZED, purge_on=datetime.date(2036, 1, 1))
    restore_url = reverse("orders:restore", args=[order.pk])

    client.force_login(_user_with("view_order"))
    without = client.get(_detail(order)).text
    client.force_login(_user_with("restore_order"))
    with_permission = client.get(_detail(order)).text

    assert restore_url not in without
    assert "Zum Wiederherstellen fehlt Ihnen die Berechtigung." in without
    assert f'action="{restore_url}"' in with_permission
    assert "Wiederherstellen</button>" in with_permission


def test_no_restore_is_offered_once_the_purge_date_has_come(merchant_client):
    today = timezone.localdate()
    order = _set_state(
        OrderFactory(),
        PrivacyState.ANONYMIZED,
        anonymized_at=timezone.now() - datetime.timedelta(days=4000),
        purge_on=today,
    )

    html = merchant_client.get(_detail(order)).text

    assert "Diese Bestellung ist anonymisiert." in html
    assert "können nicht mehr wiederhergestellt werden" in html
    assert reverse("orders:restore", args=[order.pk]) not in html


# --- restore ------------------------------------------------------------------------------


def test_restoring_needs_the_permission(logged_in):
    order = _set_state(OrderFactory(), PrivacyState.ANONYMIZED, purge_on=datetime.date(2036, 1, 1))

    response = logged_in.post(reverse("orders:restore", args=[order.pk]))

    assert response.status_code == 403
    assert not PrivacyJob.objects.exists()
    assert fresh(order).privacy_state == PrivacyState.ANONYMIZED


def test_restoring_answers_only_posts(merchant_client):
    order = OrderFactory()
    response = merchant_client.get(reverse("orders:restore", args=[order.pk]))
    assert response.status_code == 405


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_it_starts_the_restore_and_shows_the_restoring_banner(client):
    user = _user_with("restore_order")
    client.force_login(user)
    order = OrderFactory()
    anonymize(order)

    response = client.post(reverse("orders:restore", args=[order.pk]), follow=True)

    job = PrivacyJob.objects.get(kind=PrivacyJob.Kind.RESTORE)
    assert (job.source, job.requested_by, job.total) == ("Bestellung", user, 1)
    assert job.selection == {"ids": [order.pk]}
    assert fresh(order).privacy_state == PrivacyState.RESTORING
    html = response.text
    assert response.redirect_chain[-1][0] == _detail(order)
    assert "Wiederherstellung gestartet" in html
    assert "Die Kundendaten werden gerade wiederhergestellt." in html
    poll_url = reverse("orders:privacy_banner", args=[order.pk])
    assert re.search(rf'hx-get="{poll_url}"\s+hx-trigger="every 2s"', html)
    assert order.events.filter(kind=OrderEvent.Kind.RESTORE_REQUESTED, actor=user).exists()


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_restoring_an_active_order_starts_nothing(merchant_client):
    order = OrderFactory()

    response = merchant_client.post(reverse("orders:restore", args=[order.pk]), follow=True)

    assert "nicht anonymisiert; es gibt nichts wiederherzustellen" in response.text
    assert fresh(order).privacy_state == PrivacyState.ACTIVE


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_without_a_cold_storage_key_restore_says_so_and_changes_nothing(
    merchant_client, lose_cold_key
):
    order = OrderFactory()
    anonymize(order)
    jobs_before = PrivacyJob.objects.count()
    lose_cold_key()

    response = merchant_client.post(reverse("orders:restore", args=[order.pk]), follow=True)

    assert "kein nutzbarer Schlüssel" in response.text
    assert "Es wurde nichts geändert" in response.text
    assert fresh(order).privacy_state == PrivacyState.ANONYMIZED
    assert PrivacyJob.objects.count() == jobs_before


# --- the restore poll ---------------------------------------------------------------------


def test_the_poll_returns_the_banner_while_the_restore_runs(merchant_client):
    job = PrivacyJob.objects.create(kind=PrivacyJob.Kind.RESTORE, total=1)
    order = _set_state(OrderFactory(), PrivacyState.RESTORING, privacy_job=job)

    response = merchant_client.get(reverse("orders:privacy_banner", args=[order.pk]), **HTMX)

    html = response.text
    assert response.status_code == 200
    assert "<html" not in html
    assert html.strip().startswith('<div class="banner restoring')
    assert 'hx-trigger="every 2s"' in html
    assert f"Datenschutz-Vorgang #{job.pk}: wartet" in html


def test_the_poll_reloads_the_page_once_the_restore_is_done(merchant_client):
    order = OrderFactory()  # active again

    response = merchant_client.get(reverse("orders:privacy_banner", args=[order.pk]), **HTMX)

    assert response.headers["HX-Refresh"] == "true"


def test_the_poll_without_htmx_sends_to_the_order_page(merchant_client):
    order = OrderFactory()
    response = merchant_client.get(reverse("orders:privacy_banner", args=[order.pk]))
    assert response.status_code == 302
    assert response.url == _detail(order)


def test_a_failed_restore_job_stops_the_poll(merchant_client):
    job = PrivacyJob.objects.create(
        kind=PrivacyJob.Kind.RESTORE, state=PrivacyJob.State.FAILED, error="OperationalError"
    )
    order = _set_state(OrderFactory(), PrivacyState.RESTORING, privacy_job=job)

    html = merchant_client.get(_detail(order)).text

    assert "Die Wiederherstellung ist fehlgeschlagen." in html
    assert "hx-trigger" not in html.split('id="privacy-banner"')[1].split(">")[0]


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_the_poll_follows_a_real_restore_to_its_end(merchant_client):
    order = OrderFactory(billing_entry__city="Bamberg")
    anonymize(order)
    merchant_client.post(reverse("orders:restore", args=[order.pk]))
    poll = reverse("orders:privacy_banner", args=[order.pk])

    assert "HX-Refresh" not in merchant_client.get(poll, **HTMX).headers
    privacy_job_run(job_id=PrivacyJob.objects.get(kind=PrivacyJob.Kind.RESTORE).pk)
    assert merchant_client.get(poll, **HTMX).headers["HX-Refresh"] == "true"

    html = merchant_client.get(_detail(order)).text
    assert "Bamberg" in html
    assert "privacy-banner" not in html
    assert "Speichern" in html


# --- restoring and purged -----------------------------------------------------------------


def test_a_restoring_order_is_locked_with_its_banner(merchant_client):
    order = _set_state(OrderFactory(), PrivacyState.RESTORING)

    html = merchant_client.get(_detail(order)).text

    assert "Die Kundendaten werden gerade wiederhergestellt." in html
    assert "Gesperrt, bis die Wiederherstellung der Kundendaten abgeschlossen ist." in html
    assert re.search(r'name="billing-last_name"[^>]*disabled', html)
    assert "Speichern" not in html
    assert reverse("orders:restore", args=[order.pk]) not in html
    assert reverse("orders:anonymize", args=[order.pk]) not in html


def test_a_purged_order_says_when_its_data_was_deleted(merchant_client):
    order = _set_state(
        OrderFactory(),
        PrivacyState.PURGED,
        anonymized_at=timezone.make_aware(datetime.datetime(2022, 9, 14, 10)),
        purge_on=datetime.date(2033, 1, 1),
    )

    html = merchant_client.get(_detail(order)).text

    assert "wurden am 01.01.2033 endgültig gelöscht" in html
    assert "Gesperrt: Die Kundendaten dieser Bestellung wurden endgültig gelöscht." in html
    assert reverse("orders:restore", args=[order.pk]) not in html
    assert re.search(r'name="order-notes"[^>]*disabled', html)


@pytest.mark.parametrize("state", [PrivacyState.RESTORING, PrivacyState.PURGED])
def test_edits_stay_refused_in_every_locked_state(merchant_client, state):
    order = _set_state(OrderFactory(), state)

    response = merchant_client.post(_detail(order), {"order-notes": "neu"}, follow=True)

    assert fresh(order).notes == "Bitte klingeln"
    assert f"Bestellung {order.number}: Die Kundendaten" in response.text


# --- anonymize ----------------------------------------------------------------------------


def test_the_anonymize_button_needs_the_permission(client):
    order = OrderFactory()
    anonymize_url = reverse("orders:anonymize", args=[order.pk])

    client.force_login(_user_with("view_order"))
    without = client.get(_detail(order)).text
    client.force_login(_user_with("anonymize_order"))
    with_permission = client.get(_detail(order)).text

    assert anonymize_url not in without
    assert f'action="{anonymize_url}"' in with_permission
    # Behind a confirmation dialog that says what happens and until when a restore is possible.
    assert '<dialog id="anonymize-dialog"' in with_permission
    assert f"Bestellung {order.number} anonymisieren?" in with_permission
    assert "Eine Wiederherstellung ist bis einschließlich" in with_permission


def test_anonymizing_needs_the_permission(client):
    client.force_login(_user_with("restore_order", "change_order"))
    order = OrderFactory()

    response = client.post(reverse("orders:anonymize", args=[order.pk]))

    assert response.status_code == 403
    assert not PrivacyJob.objects.exists()
    assert fresh(order).privacy_state == PrivacyState.ACTIVE


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_it_anonymizes_the_order_at_once(client):
    user = _user_with("anonymize_order")
    client.force_login(user)
    order = OrderFactory(billing_entry__city="Bamberg")

    response = client.post(reverse("orders:anonymize", args=[order.pk]), follow=True)

    job = PrivacyJob.objects.get()
    assert (job.kind, job.state, job.source, job.requested_by) == (
        PrivacyJob.Kind.ANONYMIZE,
        PrivacyJob.State.DONE,
        "Bestellung",
        user,
    )
    assert fresh(order).privacy_state == PrivacyState.ANONYMIZED
    html = response.text
    assert "Die Kundendaten der Bestellung wurden anonymisiert." in html
    assert "Diese Bestellung ist anonymisiert." in html
    assert "Bamberg" not in html
    assert order.events.filter(kind=OrderEvent.Kind.ANONYMIZED, actor=user).exists()


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_anonymizing_twice_is_harmless(merchant_client):
    order = OrderFactory()
    anonymize(order)

    response = merchant_client.post(reverse("orders:anonymize", args=[order.pk]), follow=True)

    assert "Die Bestellung ist bereits anonymisiert." in response.text
    assert order.events.filter(kind=OrderEvent.Kind.ANONYMIZED).count() == 1


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_without_a_cold_storage_key_nothing_is_anonymized(merchant_client, lose_cold_key):
    order = OrderFactory(billing_entry__city="Bamberg")
    lose_cold_key()

    response = merchant_client.post(reverse("orders:anonymize", args=[order.pk]), follow=True)

    assert "kein nutzbarer Schlüssel" in response.text
    assert fresh(order).privacy_state == PrivacyState.ACTIVE
    assert fresh(order.billing_entry).city == "Bamberg"
    assert not PrivacyJob.objects.exists()


# --- Verlauf & Nachrichten ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_the_history_lists_privacy_events_with_local_times_and_who(merchant_client, merchant):
    order = OrderFactory()
    with _local_time(2024, 3, 5, 14, 30):  # 13:30 UTC
        anonymize(order, user=merchant)
    with _local_time(2024, 7, 1, 9, 5):
        restore(order, user=merchant)

    response = merchant_client.get(_detail(order), {"tab": "history"})

    rows = {
        kind: re.search(rf'<tr class="event-{kind}">(.*?)</tr>', response.text, re.S).group(1)
        for kind in ("anonymized", "restore_requested", "restored")
    }
    assert "05.03.2024 14:30" in rows["anonymized"]
    assert "Kundendaten anonymisiert" in rows["anonymized"]
    assert "🔒" in rows["anonymized"]
    assert "wiederherstellbar bis 31.12.2034" in rows["anonymized"]
    assert "01.07.2024 09:05" in rows["restore_requested"]
    assert "Wiederherstellung angefordert" in rows["restore_requested"]
    assert "01.07.2024 09:05" in rows["restored"]
    assert "Kundendaten wiederhergestellt" in rows["restored"]
    for row in rows.values():
        assert merchant.get_username() in row
    assert 'class="event-kind kind-restored"' in response.text


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_the_history_speaks_the_readers_language(merchant_client, merchant):
    order = OrderFactory(status=OrderStatus.PAID)
    order_ship(order=order, actor=merchant, tracking_number="00340434161234567890")
    with _local_time(2024, 3, 5, 14, 30):
        job = anonymize(order, user=merchant)

    # Written by German services and jobs; read by an English browser.
    html = merchant_client.get(_detail(order), {"tab": "history"}, HTTP_ACCEPT_LANGUAGE="en").text

    anonymized = re.search(r'<tr class="event-anonymized">(.*?)</tr>', html, re.S).group(1)
    assert f"Job #{job.pk} · restorable until 12/31/2034" in anonymized
    status = re.search(r'<tr class="event-status_changed">(.*?)</tr>', html, re.S).group(1)
    assert "Status: Paid → Shipped" in status
    assert "Bezahlt" not in html and "wiederherstellbar" not in html
    # The stored text stays German, for the raw table and older readers.
    event = OrderEvent.objects.get(order=order, kind=OrderEvent.Kind.ANONYMIZED)
    assert event.detail == f"Vorgang #{job.pk} · wiederherstellbar bis 31.12.2034"
    assert event.params == {"job": job.pk, "restorable_until": "2034-12-31"}


def test_the_history_names_the_system_when_no_user_acted(merchant_client):
    order = _set_state(OrderFactory(), PrivacyState.PURGED, purge_on=datetime.date(2033, 1, 1))
    OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.PURGED, actor_label="Zeitplan")

    html = merchant_client.get(_detail(order), {"tab": "history"}).text

    row = re.search(r'<tr class="event-purged">(.*?)</tr>', html, re.S).group(1)
    assert "Kundendaten endgültig gelöscht" in row
    assert "Zeitplan" in row
    assert "🗑" in row
