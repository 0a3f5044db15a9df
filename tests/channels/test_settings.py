"""Einstellungen → Kanäle: list, create, edit; the forced Amazon policy; the 0-days warning."""

import pytest
from django.core.exceptions import ValidationError

from channels.models import AMAZON_FORCED_DAYS, Channel
from tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db

FORCED_REASON = "Amazon verlangt die Anonymisierung nach 40 Tagen"
ZERO_WARNING = "nicht mehr bearbeitet oder versendet werden"


def test_anonymous_is_sent_to_login(client):
    for url in ("/settings/channels/", "/settings/channels/new/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith("/login/")


def test_it_lists_channels_with_their_policy(merchant_client):
    ChannelFactory(name="Amazon DE", kind="amazon")
    ChannelFactory(name="Eigener Shop", kind="shop", auto_anonymize=True, auto_anonymize_days=90)
    ChannelFactory(name="eBay", kind="ebay")
    ChannelFactory(name="Sofort", kind="shop", auto_anonymize=True, auto_anonymize_days=0)
    response = merchant_client.get("/settings/channels/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "automatisch anonymisieren nach 40 Tagen" in html
    assert "vorgegeben" in html
    assert "automatisch anonymisieren nach 90 Tagen" in html
    assert "automatisch anonymisieren nach 0 Tagen" in html
    assert ">aus<" in html
    assert "Kanal anlegen" in html


def test_creating_and_editing_needs_permissions(logged_in):
    channel = ChannelFactory(name="Shop")
    assert logged_in.get("/settings/channels/new/").status_code == 403
    assert logged_in.get(f"/settings/channels/{channel.pk}/").status_code == 403
    response = logged_in.post(f"/settings/channels/{channel.pk}/", {"name": "X", "kind": "shop"})
    assert response.status_code == 403
    assert "Kanal anlegen" not in logged_in.get("/settings/channels/").content.decode()


def test_it_creates_a_channel(merchant_client):
    response = merchant_client.post(
        "/settings/channels/new/",
        {"name": "Mein Shop", "kind": "shop", "auto_anonymize": "on", "auto_anonymize_days": "30"},
    )
    assert response.status_code == 302
    assert response.url == "/settings/channels/"
    channel = Channel.objects.get(name="Mein Shop")
    assert (channel.kind, channel.auto_anonymize, channel.auto_anonymize_days) == ("shop", True, 30)


def test_it_edits_a_channel(merchant_client):
    channel = ChannelFactory(name="Shop", kind="shop", auto_anonymize=True, auto_anonymize_days=30)
    page = merchant_client.get(f"/settings/channels/{channel.pk}/")
    assert page.status_code == 200
    assert 'value="30"' in page.content.decode()
    response = merchant_client.post(
        f"/settings/channels/{channel.pk}/",
        {"name": "Shop neu", "kind": "shop", "auto_anonymize_days": ""},
    )
    assert response.status_code == 302
    channel.refresh_from_db()
    assert (channel.name, channel.auto_anonymize) == ("Shop neu", False)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"auto_anonymize": "on", "auto_anonymize_days": "-1"}, "auto_anonymize_days"),
        ({"auto_anonymize": "on", "auto_anonymize_days": ""}, "auto_anonymize_days"),
        ({"auto_anonymize_days": "abc"}, "auto_anonymize_days"),
        ({"name": ""}, "name"),
    ],
)
def test_it_refuses_invalid_policies(merchant_client, data, field):
    response = merchant_client.post(
        "/settings/channels/new/", {"name": "Shop", "kind": "shop"} | data
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Channel.objects.exists()


def test_zero_days_shows_a_warning(merchant_client):
    response = merchant_client.post(
        "/settings/channels/new/",
        {"name": "Sofort", "kind": "shop", "auto_anonymize": "on", "auto_anonymize_days": "0"},
        follow=True,
    )
    assert Channel.objects.get(name="Sofort").auto_anonymize_days == 0
    assert ZERO_WARNING in response.content.decode()
    edit = merchant_client.get(f"/settings/channels/{Channel.objects.get().pk}/")
    assert ZERO_WARNING in edit.content.decode()


def test_the_live_preview_warns_about_zero_days_and_locks_amazon(merchant_client):
    preview = merchant_client.get(
        "/settings/channels/new/",
        {"name": "S", "kind": "shop", "auto_anonymize": "on", "auto_anonymize_days": "0"},
        headers={"HX-Request": "true"},
    )
    html = preview.content.decode()
    assert "<html" not in html
    assert html.lstrip().startswith("<form")
    assert ZERO_WARNING in html
    preview = merchant_client.get(
        "/settings/channels/new/",
        {"name": "A", "kind": "amazon", "auto_anonymize_days": "3"},
        headers={"HX-Request": "true"},
    )
    html = preview.content.decode()
    assert FORCED_REASON in html
    assert ZERO_WARNING not in html
    form = preview.context["form"]
    assert form["auto_anonymize_days"].value() == AMAZON_FORCED_DAYS
    assert form.fields["auto_anonymize_days"].disabled
    assert "disabled" in str(form["auto_anonymize"])


def test_amazon_form_shows_the_forced_policy_disabled(merchant_client):
    channel = ChannelFactory(name="Amazon DE", kind="amazon")
    response = merchant_client.get(f"/settings/channels/{channel.pk}/")
    html = response.content.decode()
    assert FORCED_REASON in html
    form = response.context["form"]
    assert form.fields["auto_anonymize"].disabled
    assert form.fields["auto_anonymize_days"].disabled
    assert form["auto_anonymize_days"].value() == 40


def test_amazon_is_forced_when_created_through_the_form(merchant_client):
    # What a browser sends: disabled fields are not submitted.
    response = merchant_client.post("/settings/channels/new/", {"name": "Amazon", "kind": "amazon"})
    assert response.status_code == 302
    channel = Channel.objects.get()
    assert (channel.auto_anonymize, channel.auto_anonymize_days) == (True, 40)


@pytest.mark.parametrize(
    "policy",
    [
        {"auto_anonymize_days": "10"},
        {"auto_anonymize": "on", "auto_anonymize_days": "0"},
        {"auto_anonymize": "false", "auto_anonymize_days": "40"},
    ],
)
def test_amazon_form_refuses_other_values(merchant_client, policy):
    channel = ChannelFactory(name="Amazon DE", kind="amazon")
    response = merchant_client.post(
        f"/settings/channels/{channel.pk}/", {"name": "Amazon neu", "kind": "amazon"} | policy
    )
    assert response.status_code == 200
    assert FORCED_REASON in response.content.decode()
    channel.refresh_from_db()
    assert (channel.name, channel.auto_anonymize, channel.auto_anonymize_days) == (
        "Amazon DE",
        True,
        40,
    )


def test_switching_a_channel_to_amazon_forces_the_policy(merchant_client):
    channel = ChannelFactory(name="Marktplatz", kind="ebay")
    response = merchant_client.post(
        f"/settings/channels/{channel.pk}/", {"name": "Marktplatz", "kind": "amazon"}
    )
    assert response.status_code == 302
    channel.refresh_from_db()
    assert (channel.kind, channel.auto_anonymize, channel.auto_anonymize_days) == (
        "amazon",
        True,
        40,
    )


@pytest.mark.parametrize(("enabled", "days"), [(False, 40), (True, 10), (True, None)])
def test_amazon_model_validation_refuses_other_values(enabled, days):
    channel = Channel(
        name="Amazon", kind="amazon", auto_anonymize=enabled, auto_anonymize_days=days
    )
    with pytest.raises(ValidationError):
        channel.full_clean()
