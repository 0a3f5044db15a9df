"""Einstellungen → Kanäle and the policy: the due count on saving and on the page, the next run,
the 0-days warning, and Amazon's forced 40 days on every path."""

import datetime

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule

from channels.admin import ChannelAdminForm
from channels.forms import ChannelForm
from channels.models import AMAZON_FORCED_DAYS, Channel
from channels.selectors import anonymized_on
from orders import schedules
from orders.privacy.channel_policy import channel_policy_status, policy_next_run
from tests.factories import ChannelFactory, OrderFactory

pytestmark = pytest.mark.django_db

FORCED_REASON = "Amazon verlangt die Anonymisierung nach 40 Tagen"
ZERO_WARNING = "nicht mehr bearbeitet oder versendet werden"


def days_ago(days: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def shop():
    channel = ChannelFactory(name="Mein Shop", kind="shop")
    for age in (100, 61, 59, 1):
        OrderFactory(channel=channel, order_date=days_ago(age))
    # Restored 10 days ago: the clock starts again.
    OrderFactory(channel=channel, order_date=days_ago(200), restored_at=days_ago(10))
    OrderFactory(channel=channel, order_date=days_ago(300), privacy_state="anonymized")
    OrderFactory(order_date=days_ago(300))  # another channel
    return channel


# --- saving shows what is due --------------------------------------------------------------------


def test_saving_a_policy_shows_how_many_orders_are_due(merchant_client, shop):
    response = merchant_client.post(
        f"/settings/channels/{shop.pk}/",
        {"name": "Mein Shop", "kind": "shop", "auto_anonymize": "on", "auto_anonymize_days": "60"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/settings/channels/"
    texts = messages_of(response) or [response.content.decode()]
    html = response.content.decode()
    assert "2 Bestellungen dieses Kanals sind jetzt fällig und werden beim nächsten Lauf" in html
    assert not any(ZERO_WARNING in text for text in texts)


def test_the_message_names_the_next_run(merchant_client, shop):
    schedules.ensure_schedules()
    next_run = timezone.localtime(schedules.next_run_of(schedules.AUTO_ANONYMIZE))
    response = merchant_client.post(
        f"/settings/channels/{shop.pk}/",
        {"name": "Mein Shop", "kind": "shop", "auto_anonymize": "on", "auto_anonymize_days": "5"},
        follow=True,
    )
    html = response.content.decode()
    assert (
        f"4 Bestellungen dieses Kanals sind jetzt fällig und werden beim nächsten Lauf am {next_run:%d.%m.%Y %H:%M} anonymisiert."
        in html
    )


def test_zero_days_warns_and_counts_everything_active(merchant_client, shop):
    response = merchant_client.post(
        f"/settings/channels/{shop.pk}/",
        {"name": "Mein Shop", "kind": "shop", "auto_anonymize": "on", "auto_anonymize_days": "0"},
        follow=True,
    )
    html = response.content.decode()
    assert "5 Bestellungen dieses Kanals sind jetzt fällig" in html
    assert ZERO_WARNING in html


def test_saving_without_a_policy_counts_nothing(merchant_client, shop):
    response = merchant_client.post(
        f"/settings/channels/{shop.pk}/", {"name": "Mein Shop", "kind": "shop"}, follow=True
    )
    html = response.content.decode()
    assert "fällig" not in html
    assert "gespeichert" in html


def test_a_new_channel_has_nothing_due(merchant_client):
    response = merchant_client.post(
        "/settings/channels/new/",
        {"name": "Neu", "kind": "shop", "auto_anonymize": "on", "auto_anonymize_days": "30"},
        follow=True,
    )
    assert "Derzeit ist keine Bestellung dieses Kanals fällig." in response.content.decode()


def test_one_due_order_is_singular(merchant_client, shop):
    response = merchant_client.post(
        f"/settings/channels/{shop.pk}/",
        {"name": "Mein Shop", "kind": "shop", "auto_anonymize": "on", "auto_anonymize_days": "90"},
        follow=True,
    )
    assert (
        "1 Bestellung dieses Kanals ist jetzt fällig und wird beim nächsten Lauf"
        in response.content.decode()
    )


# --- the channel page ----------------------------------------------------------------------------


def test_the_edit_page_shows_due_orders_and_when_a_new_order_goes(merchant_client, shop):
    Channel.objects.filter(pk=shop.pk).update(auto_anonymize=True, auto_anonymize_days=60)
    page = merchant_client.get(f"/settings/channels/{shop.pk}/")
    html = page.content.decode()
    assert "Mit dieser Einstellung sind jetzt 2 Bestellungen fällig" in html
    in_60_days = anonymized_on(timezone.now() + datetime.timedelta(days=60), policy_next_run())
    assert (
        f"Eine jetzt eingehende Bestellung wird voraussichtlich am {in_60_days:%d.%m.%Y} "
        "anonymisiert." in html
    )


def test_the_live_preview_counts_with_the_entered_days(merchant_client, shop):
    preview = merchant_client.get(
        f"/settings/channels/{shop.pk}/",
        {"name": "Mein Shop", "kind": "shop", "auto_anonymize": "on", "auto_anonymize_days": "5"},
        headers={"HX-Request": "true"},
    )
    assert "Mit dieser Einstellung sind jetzt 4 Bestellungen fällig" in preview.content.decode()
    preview = merchant_client.get(
        f"/settings/channels/{shop.pk}/",
        {"name": "Mein Shop", "kind": "shop", "auto_anonymize_days": "5"},
        headers={"HX-Request": "true"},
    )
    assert "fällig" not in preview.content.decode()
    preview = merchant_client.get(
        f"/settings/channels/{shop.pk}/",
        {"name": "Mein Shop", "kind": "shop", "auto_anonymize": "on", "auto_anonymize_days": "365"},
        headers={"HX-Request": "true"},
    )
    assert "Mit dieser Einstellung ist jetzt keine Bestellung fällig" in preview.content.decode()


def test_the_edit_page_shows_the_last_run(merchant_client, shop):
    from orders.models import PrivacyJob
    from orders.privacy.selection import Selection

    Channel.objects.filter(pk=shop.pk).update(auto_anonymize=True, auto_anonymize_days=60)
    PrivacyJob.objects.create(
        kind=PrivacyJob.Kind.ANONYMIZE,
        source="Kanalregel: Mein Shop",
        selection=Selection.due(channel_id=shop.pk, cutoff=days_ago(60)).to_json(),
        state=PrivacyJob.State.DONE,
        total=7,
        done=7,
        summary={"anonymized": 7},
        finished_at=timezone.now(),
    )
    html = merchant_client.get(f"/settings/channels/{shop.pk}/").content.decode()
    assert "(fertig): 7 Bestellungen anonymisiert." in html


def test_the_list_shows_the_policy_and_the_next_run(merchant_client):
    schedules.ensure_schedules()
    next_run = timezone.localtime(schedules.next_run_of(schedules.AUTO_ANONYMIZE))
    ChannelFactory(name="Amazon DE", kind="amazon")
    ChannelFactory(name="eBay", kind="ebay")
    html = merchant_client.get("/settings/channels/").content.decode()
    assert "automatisch anonymisieren nach 40 Tagen" in html
    assert f'<td class="next-run">{next_run:%d.%m.%Y %H:%M}</td>' in html
    assert '<td class="next-run">–</td>' in html
    assert f"Der nächste Lauf ist am {next_run:%d.%m.%Y %H:%M} geplant." in html


def test_the_status_counts_with_an_index_range_on_a_saved_channel(shop):
    assert channel_policy_status(channel=shop) is None
    status = channel_policy_status(channel=shop, days=60)
    assert status.due_count == 2
    assert channel_policy_status(channel=Channel(name="x", kind="shop"), days=3) is None


# --- Amazon: forced on every path ----------------------------------------------------------------


def test_creating_an_amazon_channel_in_code_sets_the_policy():
    for channel in (
        Channel.objects.create(name="A1", kind="amazon"),
        Channel.objects.create(name="A2", kind="amazon", auto_anonymize=False),
        Channel.objects.create(
            name="A3", kind="amazon", auto_anonymize=True, auto_anonymize_days=3
        ),
        Channel.objects.get_or_create(name="A4", defaults={"kind": "amazon"})[0],
        ChannelFactory(name="A5", kind="amazon"),
    ):
        channel.refresh_from_db()
        assert (channel.auto_anonymize, channel.auto_anonymize_days) == (True, AMAZON_FORCED_DAYS)


def test_switching_to_amazon_in_code_sets_the_policy():
    channel = ChannelFactory(name="Markt", kind="ebay")
    channel.kind = "amazon"
    channel.save()
    channel.refresh_from_db()
    assert (channel.auto_anonymize, channel.auto_anonymize_days) == (True, 40)


@pytest.mark.parametrize(("enabled", "days"), [(False, None), (False, 40), (True, 39), (True, 0)])
def test_model_validation_refuses_other_amazon_values(enabled, days):
    channel = Channel(name="A", kind="amazon", auto_anonymize=enabled, auto_anonymize_days=days)
    with pytest.raises(ValidationError, match="40 Tagen"):
        channel.full_clean()
    Channel(name="A", kind="amazon", auto_anonymize=True, auto_anonymize_days=40).full_clean()


@pytest.mark.parametrize(
    "policy",
    [
        {"auto_anonymize_days": "41"},
        {"auto_anonymize": "on", "auto_anonymize_days": "0"},
        {"auto_anonymize": "false"},
    ],
)
def test_the_form_refuses_other_amazon_values(policy):
    form = ChannelForm({"name": "Amazon", "kind": "amazon"} | policy)
    assert not form.is_valid()
    assert FORCED_REASON in str(form.errors)


def test_the_form_sets_the_amazon_policy():
    form = ChannelForm({"name": "Amazon", "kind": "amazon"})
    assert form.is_valid(), form.errors
    channel = form.save()
    assert (channel.auto_anonymize, channel.auto_anonymize_days) == (True, 40)
    assert form.policy_days() == 40


def test_the_page_shows_the_amazon_policy_as_fixed(merchant_client):
    channel = ChannelFactory(name="Amazon DE", kind="amazon")
    OrderFactory(channel=channel, order_date=days_ago(41))
    OrderFactory(channel=channel, order_date=days_ago(39))
    html = merchant_client.get(f"/settings/channels/{channel.pk}/").content.decode()
    assert FORCED_REASON in html
    assert 'name="auto_anonymize_days" value="40"' in html
    assert "disabled" in html
    assert "Mit dieser Einstellung ist jetzt 1 Bestellung fällig" in html
    schedules.ensure_schedules()
    next_run = timezone.localtime(schedules.next_run_of(schedules.AUTO_ANONYMIZE))
    assert f"; sie wird beim nächsten Lauf am {next_run:%d.%m.%Y %H:%M} anonymisiert." in html
    Schedule.objects.all().delete()
    html = merchant_client.get(f"/settings/channels/{channel.pk}/").content.decode()
    assert "; sie wird beim nächsten Lauf anonymisiert." in html


@pytest.fixture
def support_client(client, staff):
    client.force_login(staff)
    return client


def admin_url(view: str, *args) -> str:
    return reverse(f"admin:channels_channel_{view}", args=args)


def test_the_admin_sets_the_policy_on_a_new_amazon_channel(support_client):
    response = support_client.post(admin_url("add"), {"name": "Amazon IT", "kind": "amazon"})
    assert response.status_code == 302
    channel = Channel.objects.get(name="Amazon IT")
    assert (channel.auto_anonymize, channel.auto_anonymize_days) == (True, 40)
    response = support_client.post(
        admin_url("add"),
        {
            "name": "Amazon FR",
            "kind": "amazon",
            "auto_anonymize": "on",
            "auto_anonymize_days": "40",
        },
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    "policy",
    [
        {"auto_anonymize": "on", "auto_anonymize_days": "7"},
        {"auto_anonymize_days": "7"},
        {"auto_anonymize_days": "40"},
        {"auto_anonymize": "on"},
    ],
)
def test_the_admin_refuses_other_amazon_values(support_client, policy):
    response = support_client.post(
        admin_url("add"), {"name": "Amazon ES", "kind": "amazon"} | policy
    )
    assert response.status_code == 200
    assert not Channel.objects.filter(name="Amazon ES").exists()
    channel = ChannelFactory(name="eBay", kind="ebay")
    response = support_client.post(
        admin_url("change", channel.pk), {"name": "eBay", "kind": "amazon"} | policy
    )
    assert response.status_code == 200
    channel.refresh_from_db()
    assert channel.kind == "ebay"


def test_the_admin_switches_a_channel_to_amazon_with_the_policy(support_client):
    channel = ChannelFactory(name="Markt", kind="ebay")
    response = support_client.post(
        admin_url("change", channel.pk), {"name": "Markt", "kind": "amazon"}
    )
    assert response.status_code == 302
    channel.refresh_from_db()
    assert (channel.kind, channel.auto_anonymize, channel.auto_anonymize_days) == (
        "amazon",
        True,
        40,
    )


def test_the_admin_form_and_list_show_the_forced_policy(support_client):
    channel = ChannelFactory(name="Amazon DE", kind="amazon")
    html = support_client.get(admin_url("change", channel.pk)).content.decode()
    assert FORCED_REASON in html
    assert "40 Tagen" in admin.site._registry[Channel].policy(channel)
    assert not ChannelAdminForm(
        {"name": "X", "kind": "amazon", "auto_anonymize": "on", "auto_anonymize_days": "3"}
    ).is_valid()


def test_the_database_refuses_other_amazon_values_from_bulk_writes():
    channel = ChannelFactory(name="Amazon UK", kind="amazon")
    with pytest.raises(IntegrityError), transaction.atomic():
        Channel.objects.filter(pk=channel.pk).update(auto_anonymize_days=7)
    with pytest.raises(IntegrityError), transaction.atomic():
        Channel.objects.filter(pk=channel.pk).update(auto_anonymize=False)
    Channel.objects.filter(pk=channel.pk).update(name="Amazon GB")  # anything else goes
    channel.refresh_from_db()
    assert (channel.name, channel.auto_anonymize, channel.auto_anonymize_days) == (
        "Amazon GB",
        True,
        40,
    )


# --- when the policy anonymizes ------------------------------------------------------------------


def _local(*args) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(*args))


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        # Due in the afternoon: the next morning's run takes it, not the day it falls due.
        (_local(2027, 3, 10, 14, 0), datetime.date(2027, 3, 11)),
        # Due before the run's time of day: the same day's run.
        (_local(2027, 3, 10, 1, 0), datetime.date(2027, 3, 10)),
        # Due exactly at the run: that run.
        (_local(2027, 3, 10, 2, 30), datetime.date(2027, 3, 10)),
        # Across the change to summer time (Europe/Berlin, 28 March 2027).
        (_local(2027, 3, 27, 23, 0), datetime.date(2027, 3, 28)),
    ],
)
def test_an_order_is_anonymized_by_the_first_daily_run_after_it_falls_due(due, expected):
    next_run = _local(2027, 1, 1, 2, 30)
    assert anonymized_on(due, next_run) == expected
    # Without a schedule (before the first migrate) AUTO_ANONYMIZE_TIME says when.
    assert anonymized_on(due, None) == expected


def test_it_is_never_before_the_next_scheduled_run():
    # The schedule was moved to later: an order due today waits for it.
    next_run = _local(2027, 3, 12, 2, 30)
    assert anonymized_on(_local(2027, 3, 10, 1, 0), next_run) == datetime.date(2027, 3, 12)


def test_the_estimate_for_a_new_order_is_the_run_after_the_days(shop):
    Channel.objects.filter(pk=shop.pk).update(auto_anonymize=True, auto_anonymize_days=10)
    shop.refresh_from_db()
    now = _local(2027, 3, 1, 14, 5)

    status = channel_policy_status(channel=shop, now=now)

    assert status.new_order_date == anonymized_on(_local(2027, 3, 11, 14, 5), status.next_run)
    if status.next_run is None or timezone.localtime(status.next_run).hour < 14:
        assert status.new_order_date == datetime.date(2027, 3, 12)


def test_negative_days_get_one_message_not_two(shop):
    form = ChannelForm(
        {"name": "Shop", "kind": "shop", "auto_anonymize": "on", "auto_anonymize_days": "-1"},
        instance=shop,
    )

    assert not form.is_valid()
    assert form.errors["auto_anonymize_days"] == [
        "Bitte eine Anzahl Tage von 0 bis 3650 (10 Jahre) angeben."
    ]
