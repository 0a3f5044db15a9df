""" "Jetzt ausführen" on a channel's page: the policy run for this channel now, as a job."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from channels.models import Channel
from orders.models import PrivacyJob
from tests.factories import ChannelFactory, OrderFactory

pytestmark = pytest.mark.django_db(databases=["default", "coldstorage"])


@pytest.fixture
def shop():
    channel = ChannelFactory(name="Shop", kind="shop", auto_anonymize=True, auto_anonymize_days=30)
    for age in (100, 45, 31, 5):
        OrderFactory(channel=channel, order_date=timezone.now() - datetime.timedelta(days=age))
    return channel


def _run(client, channel, days):
    return client.post(reverse("channels:run_policy", args=[channel.pk]), {"days": days})


def test_the_page_offers_the_run_with_the_number_of_due_orders(merchant_client, shop):
    html = merchant_client.get(reverse("channels:edit", args=[shop.pk])).content.decode()

    assert "Jetzt ausführen: 3 fällige Bestellungen anonymisieren" in html
    assert 'form="run-policy-form"' in html


def test_it_starts_one_job_for_this_channel_and_shows_it(merchant_client, merchant, shop):
    other = ChannelFactory(name="Anderer", kind="shop", auto_anonymize=True, auto_anonymize_days=1)
    OrderFactory(channel=other, order_date=timezone.now() - datetime.timedelta(days=10))

    response = _run(merchant_client, shop, "30")

    job = PrivacyJob.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("orders:privacy_job", args=[job.pk])
    assert job.total == 3
    assert job.requested_by == merchant
    page = merchant_client.get(response.url).content.decode()
    assert f"Vorgang #{job.pk} gestartet: 3 fällige Bestellungen werden anonymisiert." in page


def test_a_rule_changed_meanwhile_starts_nothing(merchant_client, shop):
    Channel.objects.filter(pk=shop.pk).update(auto_anonymize_days=10)

    response = _run(merchant_client, shop, "30")

    assert not PrivacyJob.objects.exists()
    page = merchant_client.get(response.url).content.decode()
    assert "inzwischen geändert" in page


@pytest.mark.parametrize("days", ["", "abc", "-1", "30; DROP TABLE"])
def test_forged_days_start_nothing(merchant_client, shop, days):
    response = _run(merchant_client, shop, days)

    assert response.status_code == 302
    assert not PrivacyJob.objects.exists()


def test_nothing_due_starts_no_empty_job(merchant_client):
    quiet = ChannelFactory(name="Ruhig", kind="shop", auto_anonymize=True, auto_anonymize_days=30)
    OrderFactory(channel=quiet, order_date=timezone.now())

    response = _run(merchant_client, quiet, "30")

    assert not PrivacyJob.objects.exists()
    assert "keine Bestellung dieses Kanals fällig" in merchant_client.get(response.url).text


def test_a_channel_without_a_policy_starts_nothing(merchant_client):
    manual = ChannelFactory(name="Manuell", kind="manual")

    response = _run(merchant_client, manual, "30")

    assert not PrivacyJob.objects.exists()
    assert "nicht automatisch" in merchant_client.get(response.url).text


def test_a_changed_but_unsaved_rule_is_not_offered(merchant_client, shop):
    preview = merchant_client.get(
        reverse("channels:edit", args=[shop.pk]),
        {"name": "Shop", "kind": "shop", "auto_anonymize": "on", "auto_anonymize_days": "40"},
        headers={"HX-Request": "true"},
    ).content.decode()

    assert "Jetzt ausführen" not in preview
    assert "Speichern Sie die geänderte Regel" in preview


def test_get_is_not_allowed(merchant_client, shop):
    response = merchant_client.get(reverse("channels:run_policy", args=[shop.pk]))

    assert response.status_code == 405
    assert not PrivacyJob.objects.exists()
