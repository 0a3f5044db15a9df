"""The order page says when the channel policy will anonymize an order, or that it did."""

import datetime
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.template.loader import render_to_string
from django.utils import timezone

from channels.models import Channel
from channels.selectors import anonymized_on
from orders.models import Order
from orders.privacy.channel_policy import order_policy_note, policy_next_run
from tests.factories import ChannelFactory, OrderFactory
from tests.privacy.conftest import BOTH, anonymize, fresh, restore

jobs = pytest.mark.django_db(transaction=True, databases=BOTH)


def local(*args) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(*args))


def page(client, order) -> str:
    """The note as the order page's facts show it (the page includes orders/_policy_note.html)."""
    order = Order.objects.select_related("channel").get(pk=order.pk)
    return render_to_string("orders/_policy_note.html", {"order": order})


def test_the_order_page_includes_the_note():
    source = (settings.BASE_DIR / "templates/orders/detail.html").read_text()
    facts = source.split('<dl class="facts">')[1].split("</dl>")[0]
    assert '{% include "orders/_policy_note.html" %}' in facts


@pytest.mark.django_db
def test_an_active_order_says_when_it_will_be_anonymized(merchant_client):
    shop = ChannelFactory(name="Shop", kind="shop", auto_anonymize=True, auto_anonymize_days=30)
    # 23:30 in Berlin: the local date is the one shown, not the UTC one.
    order = OrderFactory(channel=shop, order_date=timezone.now() + datetime.timedelta(days=2))
    order.order_date = timezone.make_aware(
        datetime.datetime.combine(
            timezone.localdate() + datetime.timedelta(days=2), datetime.time(23, 30)
        )
    )
    order.save()
    # The first daily run after the order falls due (23:30 + 30 days: the next day's run).
    due = anonymized_on(order.order_date + datetime.timedelta(days=30), policy_next_run())
    assert due == timezone.localdate(order.order_date) + datetime.timedelta(days=31)
    html = page(merchant_client, order)
    assert (
        f"Wird voraussichtlich am {due:%d.%m.%Y} durch die Kanalregel (30 Tage) anonymisiert"
        in html
    )


@pytest.mark.django_db
def test_the_date_counts_from_the_last_restore(merchant_client):
    amazon = ChannelFactory(name="Amazon", kind="amazon")
    order = OrderFactory(
        channel=amazon,
        order_date=timezone.now() - datetime.timedelta(days=100),
        restored_at=timezone.now() - datetime.timedelta(days=1),
    )
    due = anonymized_on(order.restored_at + datetime.timedelta(days=40), policy_next_run())
    assert (
        f"Wird voraussichtlich am {due:%d.%m.%Y} durch die Kanalregel (40 Tage) anonymisiert"
        in page(merchant_client, order)
    )


@pytest.mark.django_db
def test_a_due_order_waits_for_the_next_run(merchant_client):
    shop = ChannelFactory(name="Shop", kind="shop", auto_anonymize=True, auto_anonymize_days=1)
    order = OrderFactory(channel=shop, order_date=local(2024, 5, 1, 12))
    assert (
        "Fällig seit 02.05.2024: wird beim nächsten Lauf durch die Kanalregel (1 Tag) anonymisiert"
        in page(merchant_client, order)
    )


@pytest.mark.django_db
def test_nothing_without_a_policy(merchant_client):
    order = OrderFactory(channel=ChannelFactory(kind="ebay"))
    assert page(merchant_client, order).strip() == ""
    assert order_policy_note(order) is None


@jobs
def test_an_order_anonymized_by_the_policy_says_so(merchant_client):
    shop = ChannelFactory(name="Shop", kind="shop", auto_anonymize=True, auto_anonymize_days=10)
    order = OrderFactory(channel=shop, order_date=local(2024, 1, 1))
    call_command("anonymize_due", "--now", "2024-02-01T02:30", stdout=StringIO())
    assert fresh(order).privacy_state == "anonymized"
    today = timezone.localdate()
    assert f"Anonymisiert am {today:%d.%m.%Y} (Kanalregel)" in page(merchant_client, order)

    # Restored, then anonymized by hand: the last anonymization was not the policy's.
    restore(order)
    Channel.objects.filter(pk=shop.pk).update(auto_anonymize=False)
    anonymize(order)
    assert "Kanalregel" not in page(merchant_client, order)


@jobs
def test_an_order_anonymized_by_hand_has_no_policy_note(merchant_client):
    order = OrderFactory(channel=ChannelFactory(name="Amazon", kind="amazon"))
    anonymize(order)
    assert order_policy_note(fresh(order)) is None


@pytest.mark.django_db
def test_the_order_page_shows_the_note_among_its_facts(merchant_client):
    amazon = ChannelFactory(name="Amazon", kind="amazon")
    order = OrderFactory(channel=amazon, order_date=timezone.now() - datetime.timedelta(days=5))
    response = merchant_client.get(f"/orders/{order.pk}/")
    assert response.status_code == 200
    facts = response.content.decode().split('<dl class="facts">')[1].split("</dl>")[0]
    due = anonymized_on(order.order_date + datetime.timedelta(days=40), policy_next_run())
    assert f"Wird voraussichtlich am {due:%d.%m.%Y} durch die Kanalregel (40 Tage)" in facts
