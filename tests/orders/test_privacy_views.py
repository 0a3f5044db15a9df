"""The list's privacy actions: badges, the privacy filter, "Mehr" → Anonymisieren / Wiederherstellen
(selection, all matching, date range), the live count, job progress, permissions."""

import datetime
import re

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from coldstorage import keys
from orders.forms import LIST_STATE_PARAM, list_filter_params, list_state_signature
from orders.models import Order, OrderStatus, PrivacyJob
from orders.privacy.jobs import privacy_job_anonymize, privacy_job_run
from orders.privacy.selection import Selection
from personal.state import ANONYMIZED, PrivacyState
from tests.conftest import BOTH_DATABASES, permissions
from tests.factories import ChannelFactory, OrderFactory, UserFactory

pytestmark = pytest.mark.django_db(databases=BOTH_DATABASES)

LIST_URL = reverse("orders:list")
ANONYMIZE_URL = reverse("orders:privacy_anonymize")
RESTORE_URL = reverse("orders:privacy_restore")
ANONYMIZE_COUNT_URL = reverse("orders:privacy_anonymize_count")
RESTORE_COUNT_URL = reverse("orders:privacy_restore_count")
MATCHING_URL = reverse("orders:select_matching")
HTMX = {"HTTP_HX_REQUEST": "true"}


def _matching(**filters) -> dict:
    """ "All matching orders" of a list rendered with `filters`, as its table sends them."""
    return {"matching": "1", **filters, LIST_STATE_PARAM: _signature(filters)}


def _signature(filters: dict) -> str:
    return list_state_signature(list_filter_params(filters))


def _aware(year: int, month: int, day: int, hour: int = 12) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(year, month, day, hour))


def _client_with(client, *codenames: str):
    """A user who sees the orders with their personal data and holds the orders' `codenames`."""
    user = UserFactory(username="_".join(codenames) or "ohne_rechte")
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="orders", codename__in=[*codenames, "view_order"]
        )
        | permissions("customers.view_personal_data")
    )
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def anonymizer(client):
    return _client_with(client, "anonymize_order")


@pytest.fixture
def restorer(client):
    return _client_with(client, "restore_order")


@pytest.fixture
def both(client):
    return _client_with(client, "anonymize_order", "restore_order")


def _set_state(order: Order, state: str, *, anonymized_at=None, purge_on=None) -> Order:
    """Puts an order into a privacy state without the engine (the list only reads the state)."""
    anonymized_at = anonymized_at or _aware(2025, 3, 12)
    purge_on = purge_on or datetime.date(anonymized_at.year + 11, 1, 1)
    Order.objects.filter(pk=order.pk).update(
        privacy_state=state, anonymized_at=anonymized_at, purge_on=purge_on
    )
    order.refresh_from_db()
    return order


def _range(channels, **overrides) -> dict:
    data = {
        "range-date_field": "order_date",
        "range-date_from": "2026-03-01",
        "range-date_to": "2026-03-31",
        "range-channels": [channel.pk for channel in channels],
    }
    return data | overrides


def _text(response) -> str:
    """The response's text with tags removed and whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.text)).strip()


# --- Access ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        ANONYMIZE_URL,
        RESTORE_URL,
        ANONYMIZE_COUNT_URL,
        RESTORE_COUNT_URL,
        MATCHING_URL,
        "/orders/privacy/jobs/1/",
    ],
)
def test_it_redirects_anonymous_users_to_login(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("url", [ANONYMIZE_URL, RESTORE_URL])
def test_it_refuses_anonymous_posts(client, url):
    order = OrderFactory()

    response = client.post(url, {"ids": [order.pk]})

    assert response.status_code == 302
    assert not PrivacyJob.objects.exists()


@pytest.mark.parametrize(
    ("url", "method"),
    [
        (ANONYMIZE_URL, "get"),
        (ANONYMIZE_URL, "post"),
        (ANONYMIZE_COUNT_URL, "get"),
    ],
)
def test_anonymizing_needs_its_permission(restorer, url, method):
    order = OrderFactory()

    response = getattr(restorer, method)(url, {"ids": [order.pk]})

    assert response.status_code == 403
    assert not PrivacyJob.objects.exists()
    assert Order.objects.get().privacy_state == PrivacyState.ACTIVE


@pytest.mark.parametrize(
    ("url", "method"),
    [
        (RESTORE_URL, "get"),
        (RESTORE_URL, "post"),
        (RESTORE_COUNT_URL, "get"),
    ],
)
def test_restoring_needs_its_permission(anonymizer, url, method):
    order = _set_state(OrderFactory(), PrivacyState.ANONYMIZED)

    response = getattr(anonymizer, method)(url, {"ids": [order.pk]}, **HTMX)

    assert response.status_code == 403
    assert not PrivacyJob.objects.exists()
    assert Order.objects.get().privacy_state == PrivacyState.ANONYMIZED


def test_it_hides_the_menu_without_permissions(logged_in):
    response = logged_in.get(LIST_URL)

    assert 'id="more-menu"' not in response.text
    assert ANONYMIZE_URL not in response.text
    assert RESTORE_URL not in response.text


def test_it_shows_only_the_entries_the_user_may_use(anonymizer):
    response = anonymizer.get(LIST_URL)

    assert 'id="more-menu"' in response.text
    assert "Mehr" in response.text
    assert f'hx-get="{ANONYMIZE_URL}"' in response.text
    assert RESTORE_URL not in response.text


def test_it_shows_both_entries_to_a_merchant(merchant_client):
    order = OrderFactory()

    response = merchant_client.get(LIST_URL)

    assert f'hx-get="{ANONYMIZE_URL}"' in response.text
    assert f'hx-get="{RESTORE_URL}"' in response.text
    # The ticked rows belong to the menu's form, so that it also works without JavaScript.
    assert '<form id="order-selection" method="get"' in response.text
    assert f'name="ids" value="{order.pk}" form="order-selection"' in response.text


# --- Badges and the privacy filter -----------------------------------------------------------


def test_it_marks_anonymized_orders_with_a_lock_and_until_when_they_can_be_restored(logged_in):
    order = OrderFactory(billing_entry__last_name="Geheimname")
    _set_state(order, PrivacyState.ANONYMIZED, anonymized_at=_aware(2025, 3, 12))

    response = logged_in.get(LIST_URL)

    tip = "Kundendaten anonymisiert am 12.03.2025; wiederherstellbar bis 31.12.2035"
    assert f'class="privacy-icon locked" title="{tip}"' in response.text
    assert f'<span class="sr-only">{tip}</span>' in response.text
    assert "🔒" in response.text
    assert ANONYMIZED in response.text
    assert "Geheimname" not in response.text


def test_it_marks_restoring_orders_with_an_hourglass(logged_in):
    order = OrderFactory(billing_entry__last_name="Geheimname")
    _set_state(order, PrivacyState.RESTORING)

    response = logged_in.get(LIST_URL)

    assert "⏳" in response.text
    assert 'class="privacy-icon restoring" title="Kundendaten werden wiederhergestellt' in (
        response.text
    )
    assert "🔒" not in response.text
    assert ANONYMIZED in response.text


def test_it_marks_purged_orders_as_deleted_for_good(logged_in):
    order = OrderFactory()
    _set_state(order, PrivacyState.PURGED, anonymized_at=_aware(2014, 5, 2))

    response = logged_in.get(LIST_URL)

    assert (
        'class="privacy-icon purged" title="Kundendaten endgültig gelöscht am 01.01.2025; '
        'keine Wiederherstellung mehr möglich"' in response.text
    )
    assert ANONYMIZED in response.text


def test_active_orders_have_no_badge(logged_in):
    OrderFactory(billing_entry__last_name="Sichtbar")

    response = logged_in.get(LIST_URL)

    assert "privacy-icon" not in response.text
    assert "Sichtbar" in response.text


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("", {"active", "anonymized", "restoring", "purged"}),
        ("active", {"active"}),
        ("anonymized", {"anonymized"}),
        ("restoring", {"restoring"}),
        ("purged", {"purged"}),
    ],
)
def test_it_filters_by_privacy_state(logged_in, state, expected):
    numbers = {}
    for privacy_state in ("active", "anonymized", "restoring", "purged"):
        order = OrderFactory()
        if privacy_state != "active":
            _set_state(order, privacy_state)
        numbers[order.number] = privacy_state

    response = logged_in.get(LIST_URL, {"privacy": state}, **HTMX)

    listed = re.findall(r'<td class="order-number">\s*<a [^>]*>(\d+)</a>', response.text)
    assert {numbers[int(n)] for n in listed} == expected


def test_the_filter_offers_the_privacy_states(logged_in):
    response = logged_in.get(LIST_URL)

    for label in ("Alle", "aktiv", "anonymisiert", "Wiederherstellung läuft", "endgültig gelöscht"):
        assert f">{label}</option>" in response.text


def test_it_explains_an_unknown_privacy_state(logged_in):
    response = logged_in.get(LIST_URL, {"privacy": "lost"})

    assert "Diesen Datenschutzstatus gibt es nicht." in response.text


def test_the_table_reloads_itself_when_orders_changed(logged_in):
    response = logged_in.get(LIST_URL, {"status": "paid"}, **HTMX)

    assert 'hx-trigger="orders-changed from:body' in response.text
    assert 'hx-get="/orders/?status=paid"' in response.text


# --- Dialog: selected orders -------------------------------------------------------------------


def test_it_asks_to_confirm_the_selected_orders(anonymizer):
    orders = [OrderFactory() for _ in range(3)]

    response = anonymizer.get(ANONYMIZE_URL, {"ids": [o.pk for o in orders]})

    assert response.status_code == 200
    assert "<html" in response.text
    assert "3 Bestellungen anonymisieren?" in response.text
    for order in orders:
        assert f'<input type="hidden" name="ids" value="{order.pk}">' in response.text
    assert "3 Bestellungen werden anonymisiert." in _text(response)
    assert not PrivacyJob.objects.exists()


def test_it_returns_the_confirmation_as_a_modal_to_htmx(anonymizer):
    order = OrderFactory()

    response = anonymizer.get(ANONYMIZE_URL, {"ids": [order.pk]}, **HTMX)

    assert "<html" not in response.text
    assert "<dialog" in response.text
    assert "1 Bestellung anonymisieren?" in response.text
    assert f'hx-post="{ANONYMIZE_URL}"' in response.text
    assert response["HX-Retarget"] == "#privacy-dialog-slot"
    assert "HX-Request" in response["Vary"]


def test_the_confirmation_names_what_will_be_skipped_and_why(anonymizer):
    active = OrderFactory()
    anonymized = _set_state(OrderFactory(), PrivacyState.ANONYMIZED)
    restoring = _set_state(OrderFactory(), PrivacyState.RESTORING)
    purged = _set_state(OrderFactory(), PrivacyState.PURGED)

    response = anonymizer.get(
        ANONYMIZE_URL, {"ids": [o.pk for o in (active, anonymized, restoring, purged)]}
    )

    text = _text(response)
    assert "4 Bestellungen anonymisieren?" in text
    assert "1 Bestellung wird anonymisiert." in text
    assert "1 Bestellung ist bereits anonymisiert" in text
    assert "1 Bestellung wird gerade wiederhergestellt" in text
    assert "1 Bestellung ist endgültig gelöscht" in text


def test_it_offers_no_confirm_button_when_nothing_can_be_done(restorer):
    order = OrderFactory()

    response = restorer.get(RESTORE_URL, {"ids": [order.pk]})

    assert "Keine dieser Bestellungen kann wiederhergestellt werden." in response.text
    assert "1 Bestellung ist nicht anonymisiert" in _text(response)
    assert "Bestellungen wiederherstellen</button>" not in re.sub(r"\s+", "", response.text)


def test_it_anonymizes_exactly_the_selected_orders(anonymizer):
    chosen = [OrderFactory() for _ in range(2)]
    OrderFactory()

    response = anonymizer.post(ANONYMIZE_URL, {"ids": [o.pk for o in chosen]})

    job = PrivacyJob.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("orders:privacy_job", args=[job.pk])
    assert job.kind == PrivacyJob.Kind.ANONYMIZE
    assert job.selection == {"ids": sorted(o.pk for o in chosen)}
    assert job.total == 2
    assert job.requested_by == anonymizer.user
    assert job.source == "Bestellübersicht"


def test_it_answers_htmx_with_the_job_panel(anonymizer):
    order = OrderFactory()

    response = anonymizer.post(ANONYMIZE_URL, {"ids": [order.pk]}, **HTMX)

    job = PrivacyJob.objects.get()
    assert response.status_code == 200
    assert f'id="privacy-job-{job.pk}"' in response.text
    assert f'hx-get="/orders/privacy/jobs/{job.pk}/?seen=0" hx-trigger="every 1s"' in (
        response.text
    )
    assert "<progress" in response.text
    assert "Anonymisierung wird gestartet" in response.text
    assert response["HX-Retarget"] == "#privacy-jobs"
    assert response["HX-Reswap"] == "afterbegin"
    assert response["HX-Trigger"] == "orders-changed"
    # The dialog is closed by an out-of-band swap.
    assert '<div id="privacy-dialog-slot" hx-swap-oob="innerHTML"></div>' in response.text


@pytest.mark.parametrize("ids", [["abc"], ["-4"], [""]])
def test_it_refuses_invalid_ids(anonymizer, ids):
    response = anonymizer.post(ANONYMIZE_URL, {"ids": ids})

    assert response.status_code == 200
    assert (
        "Die Auswahl enthält ungültige Bestellnummern." in response.text
        or "Es sind keine Bestellungen ausgewählt." in response.text
    )
    assert not PrivacyJob.objects.exists()


def test_it_refuses_more_ids_than_the_limit(anonymizer, monkeypatch):
    monkeypatch.setattr("orders.forms.MAX_PRIVACY_SELECTION", 2)
    orders = [OrderFactory() for _ in range(3)]

    response = anonymizer.post(ANONYMIZE_URL, {"ids": [o.pk for o in orders]}, **HTMX)

    assert "Es können höchstens 2 Bestellungen auf einmal ausgewählt werden." in response.text
    assert not PrivacyJob.objects.exists()


# --- Dialog: all orders matching the filter ----------------------------------------------------


def test_it_offers_all_matching_orders_when_a_page_is_ticked(logged_in):
    amazon = ChannelFactory(name="Amazon")
    for _ in range(3):
        OrderFactory(channel=amazon)
    OrderFactory()

    response = logged_in.get(MATCHING_URL, {"channel": amazon.pk}, **HTMX)

    assert "Alle Bestellungen dieser Seite sind ausgewählt." in response.text
    assert "Alle 3 passenden Bestellungen auswählen" in response.text
    assert 'name="matching"' not in response.text


def test_it_selects_all_matching_orders(logged_in):
    for _ in range(3):
        OrderFactory()

    response = logged_in.get(MATCHING_URL, {"select": "1"}, **HTMX)

    assert '<input type="hidden" name="matching" value="1" form="order-selection">' in response.text
    assert "Alle <strong>3</strong> passenden Bestellungen sind ausgewählt." in response.text


def test_it_does_not_offer_more_than_the_limit(logged_in, monkeypatch):
    monkeypatch.setattr("orders.privacy_views.MAX_PRIVACY_SELECTION", 2)
    for _ in range(3):
        OrderFactory()

    response = logged_in.get(MATCHING_URL, **HTMX)

    assert "Zu den Filtern passen mehr als 2 Bestellungen" in response.text
    assert "auswählen</button>" not in response.text


def test_the_list_offers_the_matching_bar_only_with_more_pages(logged_in):
    OrderFactory()

    response = logged_in.get(LIST_URL)

    assert 'id="select-matching"' in response.text
    assert f'hx-get="{MATCHING_URL}"' not in response.text


def test_a_pure_date_range_filter_becomes_a_date_range_selection(anonymizer):
    amazon = ChannelFactory(name="Amazon")
    inside = [OrderFactory(channel=amazon, order_date=_aware(2026, 3, d)) for d in (1, 31)]
    OrderFactory(channel=amazon, order_date=_aware(2026, 4, 1))
    OrderFactory(channel=amazon, order_date=_aware(2026, 3, 5), status=OrderStatus.NEW)
    filters = {
        "channel": amazon.pk,
        "status": "paid",
        "date_from": "2026-03-01",
        "date_to": "2026-03-31",
    }

    confirm = anonymizer.get(ANONYMIZE_URL, _matching(**filters), **HTMX)
    response = anonymizer.post(ANONYMIZE_URL, _matching(**filters))

    assert "2 Bestellungen anonymisieren?" in confirm.text
    assert '<input type="hidden" name="matching" value="1">' in confirm.text
    assert '<input type="hidden" name="date_from" value="2026-03-01">' in confirm.text
    assert response.status_code == 302
    job = PrivacyJob.objects.get()
    selection = Selection.from_json(job.selection)
    assert selection.ids is None
    assert selection.channel_ids == (amazon.pk,)
    assert "paid" not in selection.exclude_statuses
    assert "new" in selection.exclude_statuses
    assert set(selection.filter(Order.objects.all()).values_list("pk", flat=True)) == {
        o.pk for o in inside
    }
    assert job.total == 2


def test_any_other_filter_becomes_the_matching_ids(anonymizer):
    wanted = OrderFactory(external_number="AMZ-1")
    OrderFactory(external_number="AMZ-2")

    response = anonymizer.post(ANONYMIZE_URL, _matching(q="AMZ-1"))

    assert response.status_code == 302
    assert PrivacyJob.objects.get().selection == {"ids": [wanted.pk]}


def test_a_privacy_filter_is_resolved_into_ids(restorer):
    anonymized = _set_state(OrderFactory(order_date=_aware(2026, 3, 2)), PrivacyState.ANONYMIZED)
    OrderFactory(order_date=_aware(2026, 3, 3))
    filters = {"privacy": "anonymized", "date_from": "2026-03-01", "date_to": "2026-03-31"}

    confirm = restorer.get(RESTORE_URL, _matching(**filters))
    restorer.post(RESTORE_URL, _matching(**filters))

    text = _text(confirm)
    assert "1 Bestellung wiederherstellen?" in text
    assert "1 Bestellung wird wiederhergestellt." in text
    assert "Übersprungen" not in text
    assert PrivacyJob.objects.get().selection == {"ids": [anonymized.pk]}


def test_it_refuses_all_matching_beyond_the_limit(anonymizer, monkeypatch):
    monkeypatch.setattr("orders.privacy_views.MAX_PRIVACY_SELECTION", 2)
    for _ in range(3):
        OrderFactory()

    response = anonymizer.post(ANONYMIZE_URL, _matching(), **HTMX)

    assert "Zu den Filtern passen mehr als 2 Bestellungen." in response.text
    assert not PrivacyJob.objects.exists()


def test_it_refuses_all_matching_with_invalid_filters(anonymizer):
    OrderFactory()

    response = anonymizer.post(ANONYMIZE_URL, _matching(date_from="gestern"))

    assert "Die Filter der Bestellübersicht sind ungültig." in response.text
    assert not PrivacyJob.objects.exists()


def test_the_list_renders_its_filter_signed_into_the_table(logged_in):
    amazon = ChannelFactory(name="Amazon")
    OrderFactory(channel=amazon)
    filters = {"channel": str(amazon.pk), "status": "paid"}

    table = logged_in.get(LIST_URL, {**filters, "page": "1", "sort": "number"}, **HTMX).text

    state = re.search(r'<form id="order-list-state" hidden>(.*?)</form>', table, re.S).group(1)
    assert f'<input type="hidden" name="channel" value="{amazon.pk}">' in state
    assert '<input type="hidden" name="status" value="paid">' in state
    # Sort and page choose no orders: "all matching" is the same on every page.
    assert 'name="page"' not in state and 'name="sort"' not in state
    assert f'name="list_state" value="{_signature(filters)}"' in state


def test_all_matching_acts_only_on_a_filter_the_list_was_rendered_with(anonymizer):
    """Controls changed after the table was rendered (or a forged request): the filter sent with
    the table's signature of another filter is refused, nothing is anonymized."""
    ebay = ChannelFactory(name="eBay")
    OrderFactory(channel=ebay, status=OrderStatus.ARCHIVED)
    OrderFactory(channel=ebay, status=OrderStatus.PAID)
    shown = {"channel": str(ebay.pk), "status": "archived"}
    tampered = {**_matching(**shown), "status": ""}

    dialog = anonymizer.get(ANONYMIZE_URL, tampered, **HTMX)
    response = anonymizer.post(ANONYMIZE_URL, tampered, **HTMX)
    unsigned = anonymizer.post(ANONYMIZE_URL, {"matching": "1", **shown}, **HTMX)

    for page in (dialog, response, unsigned):
        assert "Die Auswahl passt nicht zu den Filtern der angezeigten Liste." in page.text
    assert not PrivacyJob.objects.exists()


def test_the_confirmation_carries_the_signed_filter_to_the_job(anonymizer):
    ebay = ChannelFactory(name="eBay")
    archived = OrderFactory(channel=ebay, status=OrderStatus.ARCHIVED)
    OrderFactory(channel=ebay, status=OrderStatus.PAID)
    shown = {"channel": str(ebay.pk), "status": "archived"}

    confirm = anonymizer.get(ANONYMIZE_URL, _matching(**shown), **HTMX)
    sent = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', confirm.text))
    anonymizer.post(ANONYMIZE_URL, sent)

    assert "1 Bestellung anonymisieren?" in confirm.text
    assert sent[LIST_STATE_PARAM] == _signature(shown)
    assert PrivacyJob.objects.get().selection == {"ids": [archived.pk]}


# --- Dialog: date range (nothing selected) -----------------------------------------------------


def test_it_asks_for_a_date_range_when_nothing_is_selected(anonymizer):
    amazon, shop = ChannelFactory(name="Amazon"), ChannelFactory(name="Eigener Shop")

    response = anonymizer.get(ANONYMIZE_URL)

    html = response.text
    assert response.status_code == 200
    assert "<html" in html
    assert "Bestellungen nach Zeitraum anonymisieren" in html
    for label in ("Auftragsdatum", "Zahldatum", "Rechnungsdatum", "Lieferdatum"):
        assert label in html
    assert 'name="range-date_from"' in html and 'name="range-date_to"' in html
    for channel in (amazon, shop):
        assert re.search(rf'name="range-channels" value="{channel.pk}"[^>]* checked', html)
    for status in OrderStatus:
        assert f'name="range-exclude_statuses" value="{status.value}"' in html
    assert f'hx-get="{ANONYMIZE_COUNT_URL}" hx-trigger="load, change"' in html
    # Without JavaScript, the count is asked for with a button.
    assert 'name="preview"' in html


def test_it_returns_the_date_range_dialog_as_a_modal_to_htmx(restorer):
    response = restorer.get(RESTORE_URL, **HTMX)

    assert "<html" not in response.text
    assert "<dialog" in response.text
    assert "Bestellungen nach Zeitraum wiederherstellen" in response.text
    assert f'hx-post="{RESTORE_URL}"' in response.text


def test_the_date_range_dialog_starts_from_the_list_filter(anonymizer):
    amazon, shop = ChannelFactory(name="Amazon"), ChannelFactory(name="Shop")

    response = anonymizer.get(
        ANONYMIZE_URL, {"channel": amazon.pk, "date_from": "2026-01-01", "date_to": "2026-01-31"}
    )

    html = response.text
    assert 'name="range-date_from" value="2026-01-01"' in html
    assert 'name="range-date_to" value="2026-01-31"' in html
    assert re.search(rf'name="range-channels" value="{amazon.pk}"[^>]* checked', html)
    assert not re.search(rf'name="range-channels" value="{shop.pk}"[^>]* checked', html)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"range-date_from": "2026-03-31", "range-date_to": "2026-03-01"},
            "Das Von-Datum (31.03.2026) liegt nach dem Bis-Datum (01.03.2026).",
        ),
        ({"range-date_from": ""}, "Bitte das Von-Datum angeben."),
        ({"range-date_to": ""}, "Bitte das Bis-Datum angeben."),
        ({"range-channels": []}, "Bitte mindestens einen Shop auswählen."),
        ({"range-channels": ["999999"]}, "Diesen Shop gibt es nicht."),
        ({"range-date_from": "31.02.2026"}, "„Von“ ist kein gültiges Datum"),
        ({"range-date_to": "morgen"}, "„Bis“ ist kein gültiges Datum"),
        ({"range-date_field": "created_at"}, "Bitte ein Datumsfeld aus der Liste wählen."),
        ({"range-exclude_statuses": ["lost"]}, "Diesen Status gibt es nicht."),
    ],
)
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_it_answers_invalid_date_ranges_in_the_dialog(anonymizer, overrides, message, headers):
    channel = ChannelFactory()
    OrderFactory(channel=channel, order_date=_aware(2026, 3, 10))

    response = anonymizer.post(ANONYMIZE_URL, _range([channel], **overrides), **headers)

    assert response.status_code == 200
    assert message in response.text
    assert "Bestellungen nach Zeitraum anonymisieren" in response.text
    assert not PrivacyJob.objects.exists()
    assert Order.objects.get().privacy_state == PrivacyState.ACTIVE
    if headers:
        assert "<dialog" in response.text
        assert response["HX-Retarget"] == "#privacy-dialog-slot"


def test_it_anonymizes_a_date_range(anonymizer):
    amazon, shop = ChannelFactory(name="Amazon"), ChannelFactory(name="Shop")
    OrderFactory(channel=amazon, order_date=_aware(2026, 3, 10))

    response = anonymizer.post(
        ANONYMIZE_URL, _range([amazon], **{"range-date_field": "order_date"})
    )

    assert response.status_code == 302
    job = PrivacyJob.objects.get()
    assert job.selection == {
        "date_field": "order_date",
        "from": "2026-03-01",
        "to": "2026-03-31",
        "channels": [amazon.pk],
        "exclude_statuses": [],
    }
    assert job.total == 1
    assert shop.pk  # a second shop exists, so the choice of one is kept


def test_every_shop_ticked_means_every_shop(anonymizer):
    channels = [ChannelFactory(name="Amazon"), ChannelFactory(name="Shop")]
    OrderFactory(channel=channels[0], order_date=_aware(2026, 3, 10))

    anonymizer.post(ANONYMIZE_URL, _range(channels, **{"range-exclude_statuses": ["cancelled"]}))

    job = PrivacyJob.objects.get()
    assert job.selection["channels"] is None
    assert job.selection["exclude_statuses"] == ["cancelled"]


def test_the_preview_button_counts_without_starting_anything(anonymizer):
    channel = ChannelFactory()
    OrderFactory(channel=channel, order_date=_aware(2026, 3, 10))

    response = anonymizer.post(ANONYMIZE_URL, _range([channel], preview="1"))

    assert "1 Bestellung wird anonymisiert." in _text(response)
    assert not PrivacyJob.objects.exists()


def test_it_refuses_to_run_without_a_usable_key(anonymizer, settings, tmp_path):
    channel = ChannelFactory()
    order = OrderFactory(channel=channel, order_date=_aware(2026, 3, 10))
    settings.COLDSTORAGE_KEYS = ""
    settings.COLDSTORAGE_KEY_FILE = tmp_path / "missing.keys"
    keys.reset_cache()
    try:
        by_range = anonymizer.post(ANONYMIZE_URL, _range([channel]), **HTMX)
        by_ids = anonymizer.post(ANONYMIZE_URL, {"ids": [order.pk]})
    finally:
        keys.reset_cache()

    for response in (by_range, by_ids):
        assert response.status_code == 200
        assert "Anonymisieren ist gerade nicht möglich." in response.text
        assert "kein gültiger Schlüssel" in response.text
    assert "<dialog" in by_range.text
    assert not PrivacyJob.objects.exists()
    assert Order.objects.get().privacy_state == PrivacyState.ACTIVE


# --- Live count --------------------------------------------------------------------------------


def test_the_count_says_how_many_orders_would_be_anonymized_and_skipped(anonymizer):
    amazon, shop = ChannelFactory(name="Amazon"), ChannelFactory(name="Shop")
    for _ in range(3):
        OrderFactory(channel=amazon, order_date=_aware(2026, 3, 15))
    OrderFactory(channel=amazon, order_date=_aware(2026, 3, 15), status=OrderStatus.CANCELLED)
    OrderFactory(channel=amazon, order_date=_aware(2026, 4, 1))  # outside
    OrderFactory(channel=shop, order_date=_aware(2026, 3, 15))  # other shop
    _set_state(OrderFactory(channel=amazon, order_date=_aware(2026, 3, 1)), "anonymized")
    _set_state(OrderFactory(channel=amazon, order_date=_aware(2026, 3, 31, 23)), "anonymized")
    _set_state(OrderFactory(channel=amazon, order_date=_aware(2026, 3, 2)), "restoring")

    response = anonymizer.get(
        ANONYMIZE_COUNT_URL, _range([amazon], **{"range-exclude_statuses": ["cancelled"]}), **HTMX
    )

    text = _text(response)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="privacy-count"' in response.text
    assert "3 Bestellungen werden anonymisiert." in text
    assert "2 Bestellungen sind bereits anonymisiert" in text
    assert "1 Bestellung wird gerade wiederhergestellt" in text


def test_the_restore_count_skips_active_restoring_and_purged_orders(restorer):
    channel = ChannelFactory()
    day = _aware(2026, 3, 15)
    for _ in range(2):
        _set_state(OrderFactory(channel=channel, order_date=day), "anonymized")
    OrderFactory(channel=channel, order_date=day)
    _set_state(OrderFactory(channel=channel, order_date=day), "restoring")
    _set_state(OrderFactory(channel=channel, order_date=day), "purged")
    # Past its purge date, not yet purged by the daily run: gone all the same.
    _set_state(
        OrderFactory(channel=channel, order_date=day),
        "anonymized",
        anonymized_at=_aware(2014, 1, 5),
        purge_on=datetime.date(2025, 1, 1),
    )

    response = restorer.get(RESTORE_COUNT_URL, _range([channel]), **HTMX)

    text = _text(response)
    assert "2 Bestellungen werden wiederhergestellt." in text
    # A range holds active orders by nature: they are not "skipped", they were never meant.
    assert "nicht anonymisiert" not in text
    assert "1 Bestellung wird gerade wiederhergestellt" in text
    assert "2 Bestellungen sind endgültig gelöscht" in text


def test_the_count_follows_the_chosen_date_field(anonymizer):
    channel = ChannelFactory()
    OrderFactory(channel=channel, order_date=_aware(2026, 1, 5), payment_date=_aware(2026, 3, 3))
    OrderFactory(channel=channel, order_date=_aware(2026, 3, 3), payment_date=None)

    response = anonymizer.get(
        ANONYMIZE_COUNT_URL, _range([channel], **{"range-date_field": "payment_date"}), **HTMX
    )

    assert "1 Bestellung wird anonymisiert." in _text(response)


def test_the_count_explains_invalid_input(anonymizer):
    channel = ChannelFactory()

    after = anonymizer.get(
        ANONYMIZE_COUNT_URL,
        _range([channel], **{"range-date_from": "2026-04-01", "range-date_to": "2026-03-01"}),
        **HTMX,
    )
    no_shop = anonymizer.get(ANONYMIZE_COUNT_URL, _range([]), **HTMX)
    half = anonymizer.get(ANONYMIZE_COUNT_URL, _range([channel], **{"range-date_to": ""}), **HTMX)
    empty = anonymizer.get(
        ANONYMIZE_COUNT_URL,
        _range([channel], **{"range-date_from": "", "range-date_to": ""}),
        **HTMX,
    )

    assert "liegt nach dem Bis-Datum" in after.text
    assert "Bitte mindestens einen Shop auswählen." in no_shop.text
    assert "Bitte das Bis-Datum angeben." in half.text
    assert "Wählen Sie einen Zeitraum" in empty.text
    assert "Bitte das Von-Datum angeben." not in empty.text


def test_the_count_uses_a_constant_number_of_queries(anonymizer, django_assert_max_num_queries):
    channel = ChannelFactory()
    OrderFactory(channel=channel, order_date=_aware(2026, 3, 10))
    anonymizer.get(ANONYMIZE_COUNT_URL, _range([channel]), **HTMX)  # warms session and user
    with CaptureQueriesContext(connection) as few:
        anonymizer.get(ANONYMIZE_COUNT_URL, _range([channel]), **HTMX)
    channels = [channel, *(ChannelFactory() for _ in range(5))]
    for n in range(20):
        OrderFactory(channel=channels[n % 6], order_date=_aware(2026, 3, 1 + n))

    with django_assert_max_num_queries(len(few)):
        response = anonymizer.get(ANONYMIZE_COUNT_URL, _range(channels), **HTMX)

    assert "21 Bestellungen werden anonymisiert." in _text(response)


# --- Job status --------------------------------------------------------------------------------


def _queued_job(user, *orders) -> PrivacyJob:
    return privacy_job_anonymize(
        selection=Selection.of_ids(o.pk for o in orders), requested_by=user, background=False
    )


def test_the_job_panel_polls_while_the_job_runs(anonymizer):
    job = _queued_job(anonymizer.user, OrderFactory(), OrderFactory())
    PrivacyJob.objects.filter(pk=job.pk).update(
        state=PrivacyJob.State.RUNNING, done=1, summary={"anonymized": 1}
    )

    response = anonymizer.get(reverse("orders:privacy_job", args=[job.pk]), {"seen": 0}, **HTMX)

    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'hx-trigger="every 1s"' in response.text
    assert f'hx-get="/orders/privacy/jobs/{job.pk}/?seen=1"' in response.text
    assert '<progress max="2" value="1"' in response.text
    assert "50 %" in response.text
    assert "Anonymisierung läuft" in response.text
    assert "1 von 2 Bestellungen bearbeitet" in _text(response)
    # A chunk was done since the last poll: the list may reload its rows.
    assert response["HX-Trigger"] == "orders-progress"


def test_the_job_panel_does_not_reload_the_list_without_progress(anonymizer):
    job = _queued_job(anonymizer.user, OrderFactory())

    response = anonymizer.get(reverse("orders:privacy_job", args=[job.pk]), {"seen": 0}, **HTMX)

    assert "HX-Trigger" not in response


def test_the_job_page_works_without_javascript(anonymizer):
    job = _queued_job(anonymizer.user, OrderFactory())

    response = anonymizer.get(reverse("orders:privacy_job", args=[job.pk]))

    assert "<html" in response.text
    assert "Zur Bestellübersicht" in response.text
    assert 'hx-trigger="every 1s"' in response.text


@pytest.mark.django_db(transaction=True, databases=BOTH_DATABASES)
def test_the_finished_job_shows_its_summary_and_stops_polling(client):
    client = _client_with(client, "anonymize_order")
    orders = [OrderFactory() for _ in range(2)]
    _set_state(orders[1], PrivacyState.ANONYMIZED)
    job = _queued_job(client.user, *orders)
    privacy_job_run(job_id=job.pk)

    response = client.get(reverse("orders:privacy_job", args=[job.pk]), **HTMX)

    text = _text(response)
    assert "Anonymisierung abgeschlossen" in text
    assert "every 1s" not in response.text
    assert "1 anonymisiert" in text
    assert "1 übersprungen: bereits anonymisiert" in text
    assert "100 %" in text
    assert response["HX-Trigger"] == "orders-changed"
    listed = client.get(LIST_URL)
    assert listed.text.count("privacy-icon locked") == 2


def test_the_job_panel_shows_the_error(anonymizer):
    job = _queued_job(anonymizer.user, OrderFactory())
    PrivacyJob.objects.filter(pk=job.pk).update(
        state=PrivacyJob.State.FAILED, error="Nicht wiederherstellbar: Bestellungen 100001"
    )

    response = anonymizer.get(reverse("orders:privacy_job", args=[job.pk]), **HTMX)

    assert "Anonymisierung fehlgeschlagen" in response.text
    assert "Nicht wiederherstellbar: Bestellungen 100001" in response.text
    assert "every 1s" not in response.text


def test_only_the_requester_or_a_permitted_user_sees_a_job(client):
    owner = UserFactory(username="owner")
    job = _queued_job(owner, OrderFactory())
    url = reverse("orders:privacy_job", args=[job.pk])

    client.force_login(UserFactory(username="someone"))
    refused = client.get(url, **HTMX)
    client.force_login(owner)
    own = client.get(url, **HTMX)
    allowed = _client_with(client, "anonymize_order").get(url, **HTMX)
    not_for_restores = _client_with(client, "restore_order").get(url, **HTMX)

    assert refused.status_code == 403
    assert own.status_code == 200
    assert allowed.status_code == 200
    assert not_for_restores.status_code == 403


def test_an_unknown_job_is_not_found(merchant_client):
    response = merchant_client.get(reverse("orders:privacy_job", args=[999999]))

    assert response.status_code == 404


def test_the_list_shows_the_users_running_jobs(anonymizer):
    job = _queued_job(anonymizer.user, OrderFactory())
    other = _queued_job(UserFactory(username="other"), OrderFactory())

    response = anonymizer.get(LIST_URL)

    assert f'id="privacy-job-{job.pk}"' in response.text
    assert f'id="privacy-job-{other.pk}"' not in response.text


# --- Restore end to end (real job, both databases) ---------------------------------------------


@pytest.mark.django_db(transaction=True, databases=BOTH_DATABASES)
def test_a_date_range_restore_marks_the_orders_at_once_and_brings_the_data_back(client):
    client = _client_with(client, "anonymize_order", "restore_order")
    channel = ChannelFactory(name="Amazon")
    orders = [
        OrderFactory(
            channel=channel, order_date=_aware(2026, 3, 10), billing_entry__last_name="Berger"
        )
        for _ in range(2)
    ]
    privacy_job_run(job_id=_queued_job(client.user, *orders).pk)
    assert client.get(LIST_URL).text.count("privacy-icon locked") == 2

    response = client.post(RESTORE_URL, _range([channel]), **HTMX)

    job = PrivacyJob.objects.get(kind=PrivacyJob.Kind.RESTORE)
    assert job.summary == {"queued": 2}
    assert "Wiederherstellung eingereiht" in response.text
    assert "2 zur Wiederherstellung eingereiht" in _text(response)
    assert response["HX-Trigger"] == "orders-changed"
    listed = client.get(LIST_URL)
    assert listed.text.count("privacy-icon restoring") == 2
    assert "Berger" not in listed.text

    privacy_job_run(job_id=job.pk)
    finished = client.get(reverse("orders:privacy_job", args=[job.pk]), **HTMX)

    assert "Wiederherstellung abgeschlossen" in finished.text
    assert "2 wiederhergestellt" in _text(finished)
    listed = client.get(LIST_URL)
    assert "privacy-icon" not in listed.text
    assert listed.text.count("Berger") == 2


# --- nothing to do: no empty job, a title that says so --------------------------------------


def test_a_date_range_without_orders_starts_no_job(anonymizer):
    channel = ChannelFactory()
    OrderFactory(channel=channel, order_date=_aware(2026, 5, 1))

    response = anonymizer.post(ANONYMIZE_URL, _range([channel]))

    assert response.status_code == 200
    assert not PrivacyJob.objects.exists()
    text = _text(response)
    assert "Keine dieser Bestellungen kann anonymisiert werden. Es wurde nichts gestartet." in text
    assert "0 Bestellungen im Zeitraum" in text


def test_the_preview_of_an_empty_range_offers_no_confirm_button(anonymizer):
    channel = ChannelFactory()

    response = anonymizer.post(ANONYMIZE_URL, _range([channel], preview="1"))

    assert "0 Bestellungen im Zeitraum" in _text(response)
    assert "Bestellungen anonymisieren</button>" not in re.sub(r"\s+", "", response.text)
    assert not PrivacyJob.objects.exists()


def test_ticked_orders_none_of_which_can_be_done_get_a_title_that_says_so(anonymizer):
    orders = [
        _set_state(OrderFactory(), PrivacyState.ANONYMIZED),
        _set_state(OrderFactory(), PrivacyState.ANONYMIZED),
    ]

    response = anonymizer.get(ANONYMIZE_URL, {"ids": [order.pk for order in orders]})

    text = _text(response)
    assert "Keine der 2 Bestellungen kann anonymisiert werden" in text
    assert "2 Bestellungen anonymisieren?" not in text
    posted = anonymizer.post(ANONYMIZE_URL, {"ids": [order.pk for order in orders]})
    assert not PrivacyJob.objects.exists()
    assert "Es wurde nichts gestartet." in _text(posted)


def test_restoring_by_range_does_not_list_active_orders_as_skipped(restorer):
    channel = ChannelFactory()
    OrderFactory(channel=channel, order_date=_aware(2026, 3, 5))
    _set_state(
        OrderFactory(channel=channel, order_date=_aware(2026, 3, 6)), PrivacyState.ANONYMIZED
    )

    count = restorer.get(reverse("orders:privacy_restore_count"), _range([channel]))

    text = _text(count)
    assert "1 Bestellung wird wiederhergestellt." in text
    assert "nicht anonymisiert" not in text


def test_the_anonymize_dialog_promises_no_restore_to_whoever_may_not_restore(anonymizer):
    order = OrderFactory()

    without = anonymizer.get(ANONYMIZE_URL, {"ids": [order.pk]}, **HTMX).text

    assert "Ihnen fehlt diese Berechtigung" in without


def test_the_anonymize_dialog_of_a_merchant_says_nothing_about_a_missing_permission(both):
    order = OrderFactory()

    response = both.get(ANONYMIZE_URL, {"ids": [order.pk]}, **HTMX).text

    assert "Ihnen fehlt diese Berechtigung" not in response
