"""Reading personal data needs customers.view_personal_data: without it the order pages show
numbers, channel, status, amounts and countries and a note, the search finds no one by name or
e-mail, the support admin's personal-data pages are closed; and the actions a user may not use
are not offered. Also: migration orders.0012 hands the new rights to the roles that worked
orders before."""

import importlib
from types import SimpleNamespace

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.urls import reverse

from orders.forms import list_state_signature
from orders.models import OrderStatus
from orders.services import order_create_invoice
from tests.conftest import permissions
from tests.factories import (
    CustomerEmailFactory,
    OrderFactory,
    OrderItemFactory,
    OrderMessageFactory,
    UserFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("company")]

NOTE = "Keine Berechtigung für personenbezogene Daten"
PERSONAL = (
    "Erika",
    "Mustermann",
    "Schillerstraße",
    "Bamberg",
    "erika.kauf@example.de",
    "+49 951 777888",
    "Bitte klingeln",
    "Packstation",
    "00340434161094042557",
)
#: A bookkeeper: sees orders and channels, no personal data, changes nothing.
BOOKKEEPER = ("orders.view_order", "channels.view_channel")


@pytest.fixture
def order(db):
    order = OrderFactory(
        number=812345,
        external_number="AMZ-4711",
        billing_entry__first_name="Erika",
        billing_entry__last_name="Mustermann",
        billing_entry__street="Schillerstraße",
        billing_entry__city="Bamberg",
        billing_entry__country="AT",
        customer__last_name="Mustermann",
        buyer_email="erika.kauf@example.de",
        buyer_phone="+49 951 777888",
        notes="Bitte klingeln",
        tracking_number="00340434161094042557",
        status=OrderStatus.PAID,
    )
    CustomerEmailFactory(customer=order.customer, email="erika.kauf@example.de")
    OrderItemFactory(order=order, title="Kaffeebecher Steingut")
    OrderMessageFactory(order=order, body="Können Sie an die Packstation liefern?")
    return order


def _client(client, *names: str, username: str = "rolle"):
    user = UserFactory(username=username)
    user.user_permissions.set(permissions(*names))
    client.force_login(user)
    return client


def _assert_no_personal_data(html: str) -> None:
    for text in PERSONAL:
        assert text not in html, text


# --- the order list --------------------------------------------------------------------------


def test_the_list_without_the_permission_shows_the_order_but_not_the_buyer(client, order):
    html = _client(client, *BOOKKEEPER).get(reverse("orders:list")).text

    _assert_no_personal_data(html)
    assert NOTE in html
    assert str(order.number) in html
    assert "59,90 EUR" in html
    assert "<td>AT</td>" in html
    assert "<th>Kunde</th>" not in html


def test_the_list_with_the_permission_shows_the_buyer(client, order):
    html = _client(client, "orders.view_order", "customers.view_personal_data").get(
        reverse("orders:list")
    )

    assert "Erika Mustermann" in html.text
    assert NOTE not in html.text


@pytest.mark.parametrize("q", ["Mustermann", "erika.kauf@example.de"])
def test_without_the_permission_no_one_is_found_by_name_or_email(client, order, q):
    response = _client(client, *BOOKKEEPER).get(reverse("orders:list"), {"q": q})

    assert response.context["page"].orders == []
    assert "sucht die Suche nur nach Bestellnummer und externer Bestellnummer" in response.text


@pytest.mark.parametrize("q", ["Mustermann", "erika.kauf@example.de"])
def test_with_the_permission_the_search_finds_by_name_and_email(client, order, q):
    response = _client(client, "orders.view_order", "customers.view_personal_data").get(
        reverse("orders:list"), {"q": q}
    )

    assert [o.pk for o in response.context["page"].orders] == [order.pk]


@pytest.mark.parametrize("q", ["812345", "AMZ-4711"])
def test_without_the_permission_the_numbers_are_still_searched(client, order, q):
    response = _client(client, *BOOKKEEPER).get(reverse("orders:list"), {"q": q})

    assert [o.pk for o in response.context["page"].orders] == [order.pk]


def test_all_matching_cannot_probe_names_without_the_permission(client, order):
    """ "Select all matching" counts, and the privacy dialog selects, by the same search."""
    _client(client, "orders.view_order", "orders.anonymize_order")

    count = client.get(reverse("orders:select_matching"), {"q": "Mustermann", "select": "1"})
    signed = list_state_signature([("q", "Mustermann")])
    dialog = client.get(
        reverse("orders:privacy_anonymize"),
        {"matching": "1", "q": "Mustermann", "list_state": signed},
    )

    assert count.context["count"] == 0
    assert "Zu den Filtern passen keine Bestellungen." in dialog.text


# --- the order page and the invoice ----------------------------------------------------------


@pytest.mark.parametrize("tab", ["details", "history"])
def test_the_order_page_without_the_permission_shows_no_personal_data(client, order, tab):
    html = _client(client, *BOOKKEEPER).get(reverse("orders:detail", args=[order.pk]), {"tab": tab})

    _assert_no_personal_data(html.text)
    assert NOTE in html.text
    assert "Bestellung 812345" in html.text
    assert "Speichern" not in html.text
    if tab == "details":
        assert "Kaffeebecher Steingut" in html.text
        assert "Land der Rechnungsadresse" in html.text
        assert "vorhanden (nicht sichtbar)" in html.text
    else:
        assert "1 Nachricht mit dem Käufer" in html.text


def test_seeing_personal_data_without_change_order_shows_the_form_read_only(client, order):
    response = _client(client, "orders.view_order", "customers.view_personal_data").get(
        reverse("orders:detail", args=[order.pk])
    )

    assert "Mustermann" in response.text
    assert "Speichern" not in response.text
    assert all(field.disabled for field in response.context["order_form"].fields.values())
    assert all(field.disabled for field in response.context["billing_form"].fields.values())


def test_a_clerk_gets_the_editable_form_and_every_order_action(logged_in, order):
    response = logged_in.get(reverse("orders:detail", args=[order.pk]))

    assert "Speichern" in response.text
    assert not any(field.disabled for field in response.context["order_form"].fields.values())
    assert reverse("orders:invoice_create", args=[order.pk]) in response.text
    assert reverse("orders:ship", args=[order.pk]) in response.text


def test_invoice_and_shipping_are_offered_only_with_their_permissions(client, order):
    html = _client(client, "orders.view_order", "customers.view_personal_data").get(
        reverse("orders:detail", args=[order.pk])
    )

    assert reverse("orders:invoice_create", args=[order.pk]) not in html.text
    assert reverse("orders:ship", args=[order.pk]) not in html.text
    assert "Zum Erstellen einer Rechnung fehlt Ihnen die Berechtigung." in html.text
    assert "Zum Versenden fehlt Ihnen die Berechtigung." in html.text


def test_the_invoice_without_the_permission_shows_no_buyer(client, order):
    order_create_invoice(order=order, actor=None)

    html = _client(client, *BOOKKEEPER).get(reverse("orders:invoice", args=[order.pk])).text

    _assert_no_personal_data(html)
    assert NOTE in html
    assert "RE-" in html
    assert "AT" in html


def test_the_invoice_with_the_permission_shows_the_buyer(client, order):
    order_create_invoice(order=order, actor=None)

    html = _client(client, "orders.view_order", "customers.view_personal_data").get(
        reverse("orders:invoice", args=[order.pk])
    )

    assert "Erika Mustermann" in html.text
    assert "Schillerstraße" in html.text


def test_the_navigation_offers_only_the_pages_the_user_may_open(client, order):
    html = _client(client, *BOOKKEEPER).get(reverse("orders:list")).text

    assert f'href="{reverse("customers:list")}"' not in html
    assert f'href="{reverse("channels:list")}"' in html


def test_a_refusal_is_a_german_page(client, order):
    response = _client(client, *BOOKKEEPER).get(reverse("customers:list"))

    assert response.status_code == 403
    assert "Keine Berechtigung" in response.text
    assert "Es wurde nichts geändert." in response.text


# --- the support admin -------------------------------------------------------------------------


def _staff(client, *names: str):
    user = UserFactory(username="support-rolle", is_staff=True)
    user.user_permissions.set(permissions(*names))
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "url",
    ["/admin/orders/order/", "/admin/customers/customer/", "/admin/customers/address/"],
)
def test_the_admins_personal_data_pages_need_the_permission(client, order, url):
    model_permission = {
        "/admin/orders/order/": "orders.view_order",
        "/admin/customers/customer/": "customers.view_customer",
        "/admin/customers/address/": "customers.view_address",
    }[url]

    without = _staff(client, model_permission).get(url)
    with_it = _staff(client, model_permission, "customers.view_personal_data").get(url)

    assert without.status_code == 403
    assert with_it.status_code == 200


def test_the_admin_issues_no_invoice_number_and_ships_only_with_the_permission(client, order):
    url = reverse("admin:orders_order_change", args=[order.pk])
    editor = ("orders.view_order", "orders.change_order", "customers.view_personal_data")

    without_ship = _staff(client, *editor).get(url).context["adminform"].form.fields
    with_ship = _staff(client, *editor, "orders.ship_order").get(url).context["adminform"].form

    assert "invoice_number" not in without_ship
    assert "tracking_number" not in without_ship
    assert "invoice_number" not in with_ship.fields
    assert "tracking_number" in with_ship.fields


# --- migration orders.0012 ---------------------------------------------------------------------


def test_the_migration_gives_the_new_rights_to_roles_that_worked_orders(db):
    from django.contrib.auth.models import Group

    editors = Group.objects.create(name="Bearbeiter")
    editors.permissions.set(permissions("orders.view_order", "orders.change_order"))
    customer_care = Group.objects.create(name="Kundendienst")
    customer_care.permissions.set(permissions("customers.change_customer"))
    readers = Group.objects.create(name="Lesend")
    readers.permissions.set(permissions("orders.view_order"))
    clerk = UserFactory(username="direkt")
    clerk.user_permissions.set(permissions("orders.change_order"))
    migration = importlib.import_module("orders.migrations.0014_write_permissions")
    state_apps = MigrationLoader(connection).project_state(("orders", "0014_write_permissions"))

    # The function reads only the connection of the schema editor it is handed.
    migration.grant_to_existing_roles(state_apps.apps, SimpleNamespace(connection=connection))

    def names(queryset) -> set[str]:
        return {f"{a}.{c}" for a, c in queryset.values_list("content_type__app_label", "codename")}

    new = {"orders.issue_invoice", "orders.ship_order", "customers.view_personal_data"}
    assert new <= names(editors.permissions)
    assert new <= names(clerk.user_permissions)
    assert names(customer_care.permissions) == {
        "customers.change_customer",
        "customers.view_personal_data",
    }
    assert names(readers.permissions) == {"orders.view_order"}
