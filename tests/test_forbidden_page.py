"""The 403 page says which permission is missing, in the user's language."""

import pytest
from django.urls import reverse
from django.utils import translation

from config.permissions import permission_label
from tests.conftest import BOTH_DATABASES

pytestmark = pytest.mark.django_db(databases=BOTH_DATABASES)


@pytest.mark.parametrize(
    ("perm", "german"),
    [
        ("orders.view_order", "Kann Bestellungen ansehen"),
        ("channels.change_channel", "Kann Kanäle ändern"),
        ("orders.export_order", "Kann Bestellungen exportieren"),
        ("customers.view_personal_data", "Kann personenbezogene Daten sehen"),
        ("orders.no_such_thing", "orders.no_such_thing"),
        ("nosuchapp.view_x", "nosuchapp.view_x"),
    ],
)
def test_a_permission_reads_as_a_sentence(perm, german):
    with translation.override("de"):
        assert permission_label(perm).startswith(german)


def test_a_user_without_any_permission_is_told_which_one_the_page_needs(client, nobody):
    client.force_login(nobody)

    response = client.get(reverse("orders:list"))

    assert response.status_code == 403
    assert "Keine Berechtigung" in response.text
    assert "Kann Bestellungen ansehen" in response.text
    assert "orders.view_order" in response.text
    assert "Es wurde nichts geändert." in response.text


def test_a_clerk_is_told_every_permission_the_action_lacks(client, user):
    client.force_login(user)

    response = client.get(reverse("orders:privacy_restore"))

    assert response.status_code == 403
    assert "Kann anonymisierte Bestellungen wiederherstellen" in response.text


def test_the_page_speaks_english_to_an_english_reader(client, nobody):
    client.force_login(nobody)
    client.cookies["django_language"] = "en"

    with translation.override("de"):  # the request leaves English active; the next test must not
        response = client.get(reverse("orders:list"))

    assert response.status_code == 403
    assert "No permission" in response.text
    assert "can view orders" in response.text.lower()
    assert "Nothing was changed." in response.text
