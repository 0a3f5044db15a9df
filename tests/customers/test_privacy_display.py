"""Kundenübersicht and customer page through the privacy lifecycle (SPEC 6's worked example):
`[Anonymisiert]` per piece, the lock with its reason and the orders behind it, order badges."""

import re

import pytest

from customers.models import Customer
from orders.models import Order
from personal.state import ANONYMIZED
from tests.factories import (
    AddressFactory,
    ChannelFactory,
    CustomerEmailFactory,
    CustomerFactory,
    CustomerPhoneFactory,
    OrderFactory,
)
from tests.privacy.conftest import BOTH, anonymize, restore

pytestmark = pytest.mark.django_db(transaction=True, databases=BOTH)


@pytest.fixture
def example():
    """Customer C orders on Amazon with address A1 and on Shopify with address A2."""
    customer = CustomerFactory(number=70001, first_name="Carla", last_name="Conrad")
    CustomerEmailFactory(customer=customer, email="carla@example.de")
    CustomerPhoneFactory(customer=customer, number="+49 40 555111")
    a1 = AddressFactory(customer=customer, street="Musterstraße", city="Musterstadt")
    a2 = AddressFactory(customer=customer, street="Beispielstraße", city="Beispielstadt")
    amazon = OrderFactory(
        customer=customer, billing_entry=a1, channel=ChannelFactory(name="Amazon DE")
    )
    shopify = OrderFactory(
        customer=customer, billing_entry=a2, channel=ChannelFactory(name="Shopify")
    )
    return customer, amazon, shopify


def _row(html: str, customer: Customer) -> str:
    return re.search(
        rf"<tr>\s*<td class=\"num\"><a href=\"/customers/{customer.pk}/\">.*?</tr>", html, re.S
    ).group(0)


def _detail(client, customer: Customer) -> str:
    return client.get(f"/customers/{customer.pk}/").text


def test_one_anonymized_order_masks_only_its_address(merchant_client, example):
    customer, amazon, _shopify = example
    anonymize(amazon)

    row = _row(merchant_client.get("/customers/").text, customer)
    html = _detail(merchant_client, customer)

    assert "Carla" in row  # one order is still active: the customer is shown normally
    assert "carla@example.de" in row
    assert "teilweise anonymisiert" in row
    assert "Musterstadt" not in html
    assert "Beispielstadt" in html
    assert "carla@example.de" in html
    assert "+49 40 555111" in html
    assert html.count(ANONYMIZED) >= 6  # the address row's personal columns


def test_a_customer_with_an_anonymized_address_cannot_be_edited_and_says_which_orders(
    merchant_client, example
):
    customer, amazon, shopify = example
    anonymize(amazon)

    html = _detail(merchant_client, customer)
    banner = html.split('role="status"', 1)[1].split("</div>\n</div>", 1)[0]

    assert "Nicht bearbeitbar." in banner
    assert "mindestens eine Adresse" in banner
    assert "Anonymisierte Bestellung dieses Kunden:" in banner
    assert f'href="/orders/{amazon.pk}/"' in banner
    assert f'href="/orders/{shopify.pk}/"' not in banner
    assert 'name="first_name"' not in html

    response = merchant_client.post(f"/customers/{customer.pk}/", {"first_name": "Neu"})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.first_name == "Carla"


def test_the_customers_order_list_shows_the_badges(merchant_client, example):
    customer, amazon, shopify = example
    anonymize(amazon)
    # As the list shows it while a restore job holds the order.
    Order.objects.filter(pk=shopify.pk).update(privacy_state="restoring")

    html = _detail(merchant_client, customer)
    orders = html.split("<h2>Bestellungen</h2>", 1)[1]

    amazon_cell = re.search(rf"{amazon.number}</a>(.*?)</td>", orders, re.S).group(1)
    shopify_cell = re.search(rf"{shopify.number}</a>(.*?)</td>", orders, re.S).group(1)
    assert "🔒" in amazon_cell
    assert "wiederherstellbar bis" in amazon_cell
    assert "⏳" in shopify_cell


def test_all_orders_anonymized_masks_everything(merchant_client, example):
    customer, amazon, shopify = example
    anonymize(amazon)
    anonymize(shopify)

    row = _row(merchant_client.get("/customers/").text, customer)
    html = _detail(merchant_client, customer)

    assert "Carla" not in row
    assert row.count(ANONYMIZED) == 4  # name, company, email, city
    assert "🔒" in row
    for personal in ("Carla", "Conrad", "carla@example.de", "+49 40 555111", "Musterstadt"):
        assert personal not in html
    assert "ist anonymisiert und kann nicht bearbeitet werden" in html
    assert "Anonymisierte Bestellungen dieses Kunden:" in html
    assert f'href="/orders/{amazon.pk}/"' in html
    assert f'href="/orders/{shopify.pk}/"' in html
    assert "Amazon DE" in html  # channels are no personal data


def test_restoring_one_order_brings_back_the_customer_but_not_the_other_address(
    merchant_client, example
):
    customer, amazon, shopify = example
    anonymize(amazon)
    anonymize(shopify)
    restore(amazon)

    html = _detail(merchant_client, customer)

    assert "Carla" in html
    assert "carla@example.de" in html
    assert "+49 40 555111" in html
    assert "Musterstadt" in html
    assert "Beispielstadt" not in html  # A2 belongs to the still anonymized Shopify order
    assert "mindestens eine Adresse" in html
    assert f'href="/orders/{shopify.pk}/"' in html.split("<h2>Stammdaten</h2>")[0]


def test_an_unlocked_customer_shows_no_lock(merchant_client, example):
    customer, _amazon, _shopify = example

    row = _row(merchant_client.get("/customers/").text, customer)
    html = _detail(merchant_client, customer)

    assert "teilweise anonymisiert" not in row
    assert "Aktiv" in row
    assert "Nicht bearbeitbar." not in html
    assert 'name="first_name"' in html
