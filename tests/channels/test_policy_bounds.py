"""Channel policies under bad input (issue 10): days bounded 0 to 3,650 in the form, the model and
the database; pages that never answer 500; Amazon channels that stay Amazon on every path."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from channels.forms import ChannelForm
from channels.models import AMAZON_FORCED_DAYS, MAX_POLICY_DAYS, Channel
from tests.conftest import BOTH_DATABASES
from tests.factories import ChannelFactory, OrderFactory

pytestmark = pytest.mark.django_db

BOUNDS_MESSAGE = "Bitte eine Anzahl Tage von 0 bis 3650 (10 Jahre) angeben."
KIND_LOCKED = "Ein Amazon-Kanal bleibt ein Amazon-Kanal"
FORCED = "immer nach 40 Tagen anonymisiert"


def edit_url(channel: Channel) -> str:
    return f"/settings/channels/{channel.pk}/"


def admin_url(view: str, *args) -> str:
    return reverse(f"admin:channels_channel_{view}", args=args)


@pytest.fixture
def support_client(client, staff):
    client.force_login(staff)
    return client


def stored(channel: Channel) -> tuple:
    channel.refresh_from_db()
    return (channel.kind, channel.auto_anonymize, channel.auto_anonymize_days)


# --- days bounded 0 … 3,650 ----------------------------------------------------------------------


@pytest.mark.parametrize("days", ["3651", "740000", "2147483647", "99999999999999999999"])
def test_the_form_refuses_more_than_ten_years(merchant_client, days):
    channel = ChannelFactory(name="Shop", kind="shop", auto_anonymize=True, auto_anonymize_days=30)
    response = merchant_client.post(
        edit_url(channel),
        {"name": "Shop", "kind": "shop", "auto_anonymize": "on", "auto_anonymize_days": days},
    )
    assert response.status_code == 200
    assert BOUNDS_MESSAGE in response.text
    assert stored(channel) == ("shop", True, 30)


@pytest.mark.parametrize("days", ["0", "3650"])
def test_the_form_accepts_the_bounds(merchant_client, days):
    response = merchant_client.post(
        "/settings/channels/new/",
        {"name": "Shop", "kind": "shop", "auto_anonymize": "on", "auto_anonymize_days": days},
    )
    assert response.status_code == 302
    assert Channel.objects.get(name="Shop").auto_anonymize_days == int(days)


def test_the_days_field_says_its_bounds_to_the_browser():
    html = str(ChannelForm()["auto_anonymize_days"])
    assert 'min="0"' in html and f'max="{MAX_POLICY_DAYS}"' in html


@pytest.mark.parametrize("days", [MAX_POLICY_DAYS + 1, 2_147_483_647])
def test_model_validation_refuses_more_than_ten_years(days):
    channel = Channel(name="Shop", kind="shop", auto_anonymize=True, auto_anonymize_days=days)
    with pytest.raises(ValidationError) as error:
        channel.full_clean()
    assert error.value.message_dict["auto_anonymize_days"] == [BOUNDS_MESSAGE]


@pytest.mark.parametrize("days", [MAX_POLICY_DAYS + 1, 740_000, 2_147_483_647])
def test_the_database_refuses_more_than_ten_years(days):
    channel = ChannelFactory(name="Shop", kind="shop")
    with pytest.raises(IntegrityError), transaction.atomic():
        Channel.objects.filter(pk=channel.pk).update(auto_anonymize_days=days)
    with pytest.raises(IntegrityError), transaction.atomic():
        ChannelFactory(name="Other", kind="shop", auto_anonymize=True, auto_anonymize_days=days)
    Channel.objects.filter(pk=channel.pk).update(auto_anonymize_days=MAX_POLICY_DAYS)
    assert stored(channel) == ("shop", False, MAX_POLICY_DAYS)


def test_the_live_preview_ignores_days_beyond_the_bound(merchant_client):
    channel = ChannelFactory(name="Shop", kind="shop")
    OrderFactory(channel=channel, order_date=timezone.now() - datetime.timedelta(days=5))
    response = merchant_client.get(
        edit_url(channel),
        {"name": "Shop", "kind": "shop", "auto_anonymize": "on", "auto_anonymize_days": "9" * 30},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "fällig" not in response.text


def _force_days(channel: Channel, days: int) -> None:
    """A value the constraint refuses, as a database written before it could hold."""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE channels_channel DROP CONSTRAINT channel_policy_days_bounds")
        cursor.execute(
            "UPDATE channels_channel SET auto_anonymize = true, auto_anonymize_days = %s "
            "WHERE id = %s",
            [days, channel.pk],
        )


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="drops a check constraint (PostgreSQL DDL)"
)


@postgresql_only
def test_the_migration_clamps_stored_values_beyond_the_bound():
    import importlib

    from django.apps import apps

    migration = importlib.import_module("channels.migrations.0003_policy_days_bounds")
    huge = ChannelFactory(name="Huge", kind="shop")
    fine = ChannelFactory(name="Fine", kind="shop", auto_anonymize=True, auto_anonymize_days=90)
    _force_days(huge, 2_147_483_647)
    migration.clamp_policy_days(apps, None)
    assert stored(huge) == ("shop", True, MAX_POLICY_DAYS)
    assert stored(fine) == ("shop", True, 90)


@postgresql_only
@pytest.mark.django_db(databases=BOTH_DATABASES)
def test_pages_do_not_fail_for_any_stored_value(merchant_client):
    from orders.privacy.jobs import privacy_job_anonymize_due

    huge = ChannelFactory(name="Huge", kind="shop")
    amazon = ChannelFactory(name="Amazon DE", kind="amazon")
    order = OrderFactory(channel=huge, order_date=timezone.now() - datetime.timedelta(days=3))
    _force_days(huge, 2_147_483_647)
    assert merchant_client.get("/settings/channels/").status_code == 200
    page = merchant_client.get(edit_url(huge))
    assert page.status_code == 200
    assert merchant_client.get(reverse("orders:detail", args=[order.pk])).status_code == 200
    # The policy run still creates a job for every channel (the huge one finds nothing due).
    run = privacy_job_anonymize_due(background=False)
    assert run.failed_channel_ids == []
    assert sorted(job.source for job in run.jobs) == ["Kanalregel: Amazon DE", "Kanalregel: Huge"]
    assert {job.total for job in run.jobs} == {0}
    # And the merchant can put it right.
    response = merchant_client.post(
        edit_url(huge),
        {"name": "Huge", "kind": "shop", "auto_anonymize": "on", "auto_anonymize_days": "30"},
    )
    assert response.status_code == 302
    assert stored(huge) == ("shop", True, 30)
    assert stored(amazon) == ("amazon", True, AMAZON_FORCED_DAYS)


def test_due_dates_beyond_year_9999_are_none_not_an_error():
    channel = ChannelFactory(
        name="Shop", kind="shop", auto_anonymize=True, auto_anonymize_days=MAX_POLICY_DAYS
    )
    order = OrderFactory.build(
        channel=channel, order_date=datetime.datetime(9995, 1, 1, tzinfo=datetime.UTC)
    )
    assert channel.anonymization_due_at(order) is None
    now = datetime.datetime(5, 1, 1, tzinfo=datetime.UTC)
    assert channel.policy_cutoff(now) == datetime.datetime.min.replace(tzinfo=datetime.UTC)


# --- Amazon stays Amazon -------------------------------------------------------------------------


def test_the_form_shows_an_amazon_channels_kind_disabled(merchant_client):
    channel = ChannelFactory(name="Amazon DE", kind="amazon")
    form = merchant_client.get(edit_url(channel)).context["form"]
    assert form.fields["kind"].disabled
    assert KIND_LOCKED in str(form.fields["kind"].help_text)
    # A new channel may be of any kind.
    assert (
        not merchant_client.get("/settings/channels/new/").context["form"].fields["kind"].disabled
    )


@pytest.mark.parametrize(
    "policy",
    [{}, {"auto_anonymize_days": "7"}, {"auto_anonymize": "on", "auto_anonymize_days": "7"}],
)
def test_the_form_refuses_to_change_an_amazon_channels_kind(client, user, policy):
    # The `mitarbeiter` group may change channels too: nobody can turn Amazon into something else.
    from django.contrib.auth.models import Permission

    user.user_permissions.add(Permission.objects.get(codename="change_channel"))
    client.force_login(user)
    channel = ChannelFactory(name="Amazon DE", kind="amazon")
    response = client.post(edit_url(channel), {"name": "Amazon DE", "kind": "ebay"} | policy)
    assert response.status_code == 200
    assert KIND_LOCKED in response.text
    assert stored(channel) == ("amazon", True, AMAZON_FORCED_DAYS)


def test_the_form_still_saves_an_amazon_channels_name(merchant_client):
    channel = ChannelFactory(name="Amazon DE", kind="amazon")
    response = merchant_client.post(edit_url(channel), {"name": "Amazon Deutschland"})
    assert response.status_code == 302
    channel.refresh_from_db()
    assert channel.name == "Amazon Deutschland"
    assert stored(channel) == ("amazon", True, AMAZON_FORCED_DAYS)


def test_the_live_preview_keeps_an_amazon_channel_forced(merchant_client):
    channel = ChannelFactory(name="Amazon DE", kind="amazon")
    response = merchant_client.get(
        edit_url(channel), {"name": "Amazon DE", "kind": "ebay"}, HTTP_HX_REQUEST="true"
    )
    assert response.context["form"].policy_is_forced
    assert response.context["form"].fields["auto_anonymize"].disabled
    assert '<option value="amazon" selected>' in response.text
    assert KIND_LOCKED in response.text


def test_the_model_refuses_to_change_an_amazon_channels_kind():
    channel = ChannelFactory(name="Amazon DE", kind="amazon")
    channel.kind = Channel.Kind.EBAY
    channel.auto_anonymize = False
    with pytest.raises(ValidationError) as error:
        channel.full_clean()
    assert KIND_LOCKED in str(error.value.message_dict["kind"])
    with pytest.raises(ValidationError):
        channel.save()
    # Also through an instance that was never loaded (a service building it by primary key).
    with pytest.raises(ValidationError):
        Channel(pk=channel.pk, name="Amazon DE", kind="shop").save()
    assert stored(channel) == ("amazon", True, AMAZON_FORCED_DAYS)


def test_other_channels_may_change_their_kind_and_become_amazon():
    channel = ChannelFactory(name="Markt", kind="ebay")
    channel.kind = Channel.Kind.SHOPIFY
    channel.full_clean()
    channel.save()
    channel.kind = Channel.Kind.AMAZON
    channel.save()
    assert stored(channel) == ("amazon", True, AMAZON_FORCED_DAYS)


def test_the_admin_shows_an_amazon_channels_kind_read_only(support_client):
    channel = ChannelFactory(name="Amazon DE", kind="amazon")
    response = support_client.get(admin_url("change", channel.pk))
    assert response.status_code == 200
    assert "kind" not in response.context["adminform"].form.fields


def test_the_admin_ignores_a_submitted_kind_for_an_amazon_channel(support_client):
    channel = ChannelFactory(name="Amazon DE", kind="amazon")
    response = support_client.post(
        admin_url("change", channel.pk), {"name": "Amazon DE", "kind": "ebay"}
    )
    assert response.status_code == 302
    assert stored(channel) == ("amazon", True, AMAZON_FORCED_DAYS)


@pytest.mark.parametrize(
    "policy",
    [
        {"auto_anonymize_days": "40"},
        {"auto_anonymize": "on", "auto_anonymize_days": "7"},
        {"auto_anonymize_days": "7"},
    ],
)
def test_the_admin_refuses_another_policy_for_an_amazon_channel(support_client, policy):
    channel = ChannelFactory(name="Amazon DE", kind="amazon")
    response = support_client.post(
        admin_url("change", channel.pk), {"name": "Amazon DE", "kind": "ebay"} | policy
    )
    # Refused with the reason, not silently replaced.
    assert response.status_code == 200
    assert FORCED in response.text
    assert stored(channel) == ("amazon", True, AMAZON_FORCED_DAYS)


def test_the_admin_saves_an_amazon_channel_with_its_policy(support_client):
    channel = ChannelFactory(name="Amazon DE", kind="amazon")
    response = support_client.post(
        admin_url("change", channel.pk),
        {"name": "Amazon Deutschland", "auto_anonymize": "on", "auto_anonymize_days": "40"},
    )
    assert response.status_code == 302
    assert stored(channel) == ("amazon", True, AMAZON_FORCED_DAYS)
    assert channel.name == "Amazon Deutschland"
