"""The customer page: what it shows, for active and anonymized customers."""

import datetime

import pytest

from customers.models import Address, Customer
from personal.state import ANONYMIZED
from tests.customers.edit_form import customer_with_data

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_login(client):
    customer = customer_with_data()
    response = client.get(f"/customers/{customer.pk}/")
    assert response.status_code == 302
    assert response.url.startswith("/login/")


def test_unknown_customer_is_404(logged_in):
    assert logged_in.get("/customers/999999/").status_code == 404


def test_it_shows_master_data_contacts_sources_and_orders(merchant_client):
    customer = customer_with_data(company="Muster GmbH")
    order = customer.orders.get()
    response = merchant_client.get(f"/customers/{customer.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Erika" in html
    assert "Muster GmbH" in html
    assert "erika@example.de" in html
    assert "+49 30 1234567" in html
    assert "Berlin" in html
    assert "Amazon DE" in html
    assert "A-1" in html
    assert f'href="/orders/{order.pk}/"' in html
    assert str(order.number) in html
    assert response.context["editable"]
    assert 'name="emails-0-email"' in html


def test_without_permission_it_is_read_only(logged_in):
    customer = customer_with_data()
    response = logged_in.get(f"/customers/{customer.pk}/")
    html = response.content.decode()
    assert not response.context["editable"]
    assert "keine Berechtigung" in html
    assert 'name="first_name"' not in html
    assert "erika@example.de" in html


def test_anonymized_customer_is_shown_read_only_with_the_reason(merchant_client):
    customer = customer_with_data()
    Customer.objects.filter(pk=customer.pk).update(privacy_state="anonymized")
    Address.objects.filter(customer=customer).update(privacy_state="anonymized")
    response = merchant_client.get(f"/customers/{customer.pk}/")
    html = response.content.decode()
    assert not response.context["editable"]
    assert "ist anonymisiert und kann nicht bearbeitet werden" in html
    assert 'name="first_name"' not in html
    for personal in ("Erika", "erika@example.de", "+49 30 1234567", "Berlin", "A-1"):
        assert personal not in html
    assert ANONYMIZED in html
    assert "Amazon DE" in html  # the channel is no personal data


def test_an_anonymized_address_is_masked_and_locks_the_page(merchant_client):
    customer = customer_with_data()
    Address.objects.create(customer=customer, city="Hamburg", country="DE")
    Address.objects.filter(customer=customer, city="Berlin").update(privacy_state="anonymized")
    response = merchant_client.get(f"/customers/{customer.pk}/")
    html = response.content.decode()
    assert "mindestens eine Adresse" in html
    assert "Berlin" not in html
    assert "Hamburg" in html
    assert "erika@example.de" in html  # the customer's own fields stay visible


def test_the_lock_banner_offers_to_restore_the_customers_anonymized_orders(merchant_client):
    from orders.models import Order

    customer = customer_with_data()
    order = customer.orders.get()
    Order.objects.filter(pk=order.pk).update(
        privacy_state="anonymized", purge_on=datetime.date(2099, 12, 31)
    )
    Customer.objects.filter(pk=customer.pk).update(privacy_state="anonymized")

    html = merchant_client.get(f"/customers/{customer.pk}/").content.decode()

    assert f'href="/orders/privacy/restore/?ids={order.pk}"' in html
    assert "Bestellungen wiederherstellen …" in html
    dialog = merchant_client.get(f"/orders/privacy/restore/?ids={order.pk}").content.decode()
    assert "1 Bestellung wird wiederhergestellt." in " ".join(
        dialog.replace("<strong>", "").replace("</strong>", "").split()
    )


def test_without_the_restore_permission_the_banner_offers_no_restore(logged_in):
    from orders.models import Order

    customer = customer_with_data()
    Order.objects.filter(customer=customer).update(privacy_state="anonymized")
    Customer.objects.filter(pk=customer.pk).update(privacy_state="anonymized")

    html = logged_in.get(f"/customers/{customer.pk}/").content.decode()

    assert "ist anonymisiert" in html
    assert "privacy/restore" not in html


def test_the_order_page_links_its_customer(merchant_client):
    customer = customer_with_data()
    order = customer.orders.get()

    merchant_page = merchant_client.get(f"/orders/{order.pk}/").content.decode()

    assert f'href="/customers/{customer.pk}/"' in merchant_page
    assert f"Kunde {customer.number}" in merchant_page
