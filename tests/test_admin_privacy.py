"""The support admin and privacy: anonymize / restore actions through the same jobs, permissions,
the job list, cold records as metadata only, and read-only `[Anonymisiert]` records."""

import re
from unittest import mock

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.urls import reverse

from coldstorage import keys
from coldstorage.models import ColdRecord
from orders.models import Order, PrivacyJob
from personal.state import ANONYMIZED, PrivacyState
from tests.factories import OrderFactory, UserFactory
from tests.privacy.conftest import BOTH, anonymize, fresh

CHANGELIST = "/admin/orders/order/"
PERSONAL = ("Bamberg", "Schillerstraße", "Mustermann", "kaeufer")


@pytest.fixture
def support(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def orders(db):
    return [
        OrderFactory(
            billing_entry__city="Bamberg",
            billing_entry__street="Schillerstraße",
            billing_entry__last_name="Mustermann",
            customer__last_name="Mustermann",
        )
        for _ in range(2)
    ]


def _staff_with(*codenames: str):
    """Support staff with `codenames`; the order admin shows personal data, so that one too."""
    user = UserFactory(username="support-ohne", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(codename__in=[*codenames, "view_personal_data"])
    )
    return user


def _action(client, action: str, orders, **extra):
    data = {"action": action, "_selected_action": [o.pk for o in orders], **extra}
    return client.post(CHANGELIST, data, follow=True)


def _offered_actions(response) -> list[str]:
    form = response.context["action_form"]
    return [] if form is None else [name for name, _label in form.fields["action"].choices]


def _assert_no_personal_data(*texts: str) -> None:
    for text in texts:
        for personal in PERSONAL:
            assert personal not in text, (personal, text)


# --- actions --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_the_anonymize_action_queues_a_job_and_links_it(support, staff, orders):
    response = _action(support, "anonymize_orders", orders)

    job = PrivacyJob.objects.get()
    assert (job.kind, job.source, job.requested_by, job.total) == ("anonymize", "Admin", staff, 2)
    assert job.selection == {"ids": sorted(o.pk for o in orders)}
    html = response.text
    job_url = reverse("admin:orders_privacyjob_change", args=[job.pk])
    assert "Anonymisierung von 2 Bestellungen gestartet" in html
    assert f'<a href="{job_url}">Datenschutz-Vorgang #{job.pk}</a>' in html
    _assert_no_personal_data(*(m.message for m in response.context["messages"]))
    for entry in LogEntry.objects.all():
        _assert_no_personal_data(entry.change_message, entry.object_repr)


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_the_restore_action_marks_orders_restoring_at_once(support, staff, orders):
    anonymize(orders[0])

    response = _action(support, "restore_orders", orders)

    job = PrivacyJob.objects.get(kind=PrivacyJob.Kind.RESTORE)
    assert (job.source, job.requested_by) == ("Admin", staff)
    assert fresh(orders[0]).privacy_state == PrivacyState.RESTORING
    assert fresh(orders[1]).privacy_state == PrivacyState.ACTIVE
    html = response.text
    assert "Wiederherstellung gestartet" in html
    assert "zur Wiederherstellung eingereiht: 1" in html
    assert "übersprungen: nicht anonymisiert: 1" in html
    assert reverse("admin:orders_privacyjob_change", args=[job.pk]) in html
    _assert_no_personal_data(*(m.message for m in response.context["messages"]))


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_restoring_active_orders_only_warns(support, orders):
    response = _action(support, "restore_orders", orders)

    assert "Nichts wiederherzustellen" in response.text
    assert all(fresh(o).privacy_state == PrivacyState.ACTIVE for o in orders)


def test_actions_are_hidden_from_staff_without_the_permissions(client, orders):
    client.force_login(_staff_with("view_order", "change_order"))

    offered = _offered_actions(client.get(CHANGELIST))

    assert "anonymize_orders" not in offered
    assert "restore_orders" not in offered


def test_staff_without_the_permissions_cannot_post_the_actions(client, orders):
    client.force_login(_staff_with("view_order", "change_order"))

    for action in ("anonymize_orders", "restore_orders"):
        _action(client, action, orders)

    assert not PrivacyJob.objects.exists()
    assert all(fresh(o).privacy_state == PrivacyState.ACTIVE for o in orders)


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_each_action_needs_its_own_permission(client, orders):
    client.force_login(_staff_with("view_order", "anonymize_order"))

    offered = _offered_actions(client.get(CHANGELIST))
    _action(client, "restore_orders", orders)

    assert "anonymize_orders" in offered
    assert "restore_orders" not in offered
    assert not PrivacyJob.objects.filter(kind=PrivacyJob.Kind.RESTORE).exists()


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_an_anonymized_order_can_be_restored_from_its_own_admin_page(support, orders):
    order = orders[0]
    anonymize(order)
    url = reverse("admin:orders_order_change", args=[order.pk])

    page = support.get(url)
    assert "restore_orders" in page.text  # offered although the record itself is read-only
    response = support.post(
        url,
        {"CHANGE_FORM-action": "restore_orders", "_selected_action": [str(order.pk)]},
        follow=True,
    )

    assert response.status_code == 200
    assert fresh(order).privacy_state == PrivacyState.RESTORING
    assert PrivacyJob.objects.get(kind=PrivacyJob.Kind.RESTORE).source == "Admin"


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_without_a_cold_storage_key_the_actions_start_nothing(support, orders, settings, tmp_path):
    settings.COLDSTORAGE_KEYS = ""
    settings.COLDSTORAGE_KEY_FILE = tmp_path / "fehlt.keys"
    keys.reset_cache()
    try:
        response = _action(support, "anonymize_orders", orders)
    finally:
        keys.reset_cache()

    assert "kein nutzbarer Schlüssel" in response.text
    assert not PrivacyJob.objects.exists()


# --- the job admin --------------------------------------------------------------------------


@pytest.fixture
def finished_job(db, staff):
    return PrivacyJob.objects.create(
        kind=PrivacyJob.Kind.RESTORE,
        state=PrivacyJob.State.DONE,
        requested_by=staff,
        source="Bestellübersicht",
        selection={"ids": [1, 2, 3]},
        total=3,
        done=3,
        summary={"queued": 3, "restored": 2, "failed_cold_record": 1},
        error="Nicht wiederherstellbar (Cold-Storage-Eintrag fehlt oder ist beschädigt): 100001",
    )


def test_the_job_list_shows_kind_state_progress_and_who(support, finished_job):
    running = PrivacyJob.objects.create(kind=PrivacyJob.Kind.ANONYMIZE, total=10, done=4)

    html = support.get("/admin/orders/privacyjob/").text

    assert re.search(r'<progress value="40" max="100"[^>]*></progress> 4/10', html)
    assert re.search(r'<progress value="100" max="100"[^>]*></progress> 3/3', html)
    for text in ("Wiederherstellen", "Anonymisieren", "fertig", "wartet", "Bestellübersicht"):
        assert text in html
    assert str(running.pk) in html
    assert "Nicht wiederherstellbar" in html  # the error, shortened
    # Styled by a stylesheet: the Content-Security-Policy refuses style attributes.
    assert "css/admin.css" in html
    assert ' style="' not in html.split("<body", 1)[1].split('id="changelist"', 1)[1]


def test_the_job_page_is_read_only_and_explains_the_result(support, finished_job):
    html = support.get(reverse("admin:orders_privacyjob_change", args=[finished_job.pk])).text

    assert "<li>zur Wiederherstellung eingereiht: 3</li>" in html
    assert "<li>wiederhergestellt: 2</li>" in html
    assert "fehlgeschlagen: Cold-Storage-Eintrag fehlt oder ist beschädigt: 1" in html
    assert "3 ausgewählte Bestellungen" in html
    assert 'name="_save"' not in html
    assert support.get("/admin/orders/privacyjob/add/").status_code == 403


# --- cold records and read-only anonymized records --------------------------------------------


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_cold_records_are_listed_without_decrypting(support, orders):
    anonymize(*orders)
    record = ColdRecord.objects.filter(kind="order").first()

    # Neither a key nor the cipher is touched: the admin works on the clear metadata alone.
    with (
        mock.patch("coldstorage.crypto.open_sealed", side_effect=AssertionError("decrypted")),
        mock.patch("coldstorage.keys.keyring", side_effect=AssertionError("asked for a key")),
    ):
        listing = support.get("/admin/coldstorage/coldrecord/").text
        page = support.get(reverse("admin:coldstorage_coldrecord_change", args=[record.pk])).text

    for html in (listing, page):
        # The page's own CSP nonce attributes are not the record's nonce.
        html = re.sub(r' nonce="[^"]*"', "", html)
        _assert_no_personal_data(html)
        assert "ciphertext" not in html
        assert "nonce" not in html
    assert record.key_id in page
    assert str(record.object_id) in page
    assert 'name="_save"' not in page


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_anonymized_orders_customers_and_addresses_show_the_placeholder_read_only(support, orders):
    order = orders[0]
    anonymize(*orders)
    pages = {
        "order": reverse("admin:orders_order_change", args=[order.pk]),
        "customer": reverse("admin:customers_customer_change", args=[order.customer_id]),
        "address": reverse("admin:customers_address_change", args=[order.billing_entry_id]),
    }
    lists = ("/admin/orders/order/", "/admin/customers/customer/", "/admin/customers/address/")

    for url in [*pages.values(), *lists]:
        html = support.get(url).text
        assert ANONYMIZED in html, url
        _assert_no_personal_data(html)
    for url in pages.values():
        html = support.get(url).text
        assert 'name="_save"' not in html, url
    order_list = support.get("/admin/orders/order/").text
    assert "🔒 Anonymisiert" in order_list


def test_an_active_order_shows_its_customer_in_the_list(support, orders):
    html = support.get(CHANGELIST).text
    assert "Mustermann" in html
    assert Order.objects.count() == 2
