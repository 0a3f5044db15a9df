"""Zusatzfelder on the customer page: edited as name/value rows, not as JSON."""

import re

import pytest

from customers.models import Customer
from tests.customers.edit_form import customer_with_data, edit_payload

pytestmark = pytest.mark.django_db


def _rows(*pairs: tuple[str, str]) -> dict:
    data = {"extra_fields-rows": str(len(pairs))}
    for index, (name, value) in enumerate(pairs):
        data[f"extra_fields-name-{index}"] = name
        data[f"extra_fields-value-{index}"] = value
    return data


def _post(client, customer, *pairs):
    payload = edit_payload(customer) | _rows(*pairs)
    del payload["extra_fields"]
    return client.post(f"/customers/{customer.pk}/", payload)


def test_the_page_shows_the_stored_fields_as_rows_and_empty_rows_to_fill(merchant_client):
    customer = customer_with_data(extra_fields={"Kostenstelle": "KST-1", "Rabatt": 5})

    html = merchant_client.get(f"/customers/{customer.pk}/").content.decode()

    rows = set(re.findall(r'name="extra_fields-name-(\d)" value="([^"]*)".*?value="([^"]*)"', html))
    # PostgreSQL's jsonb keeps the keys in its own order.
    assert {(name, value) for _, name, value in rows} == {
        ("Kostenstelle", "KST-1"),
        ("Rabatt", "5"),
        ("", ""),
    }
    assert 'name="extra_fields-name-4"' in html  # three empty rows
    assert 'name="extra_fields-rows" value="5"' in html
    assert "{&quot;" not in html  # no JSON


def test_rows_are_saved_without_the_empty_ones(merchant_client):
    customer = customer_with_data(extra_fields={"Alt": "weg"})

    response = _post(
        merchant_client,
        customer,
        ("Kostenstelle", "KST-9"),
        ("", ""),
        (" Affiliate ", "A-17"),
    )

    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.extra_fields == {"Kostenstelle": "KST-9", "Affiliate": "A-17"}


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        ((("", "ohne Namen"),), "Zeile 1 der Zusatzfelder hat einen Wert, aber keinen Namen."),
        ((("A", "1"), ("A", "2")), "Zeile 2: Diesen Namen hat schon eine Zeile darüber."),
        ((("x" * 101, "1"),), "Der Name eines Zusatzfelds muss 1 bis"),
        (tuple((f"k{i}", "v") for i in range(21)), "Höchstens 20 Zusatzfelder"),
    ],
)
def test_bad_rows_get_a_message_and_change_nothing(merchant_client, pairs, message):
    customer = customer_with_data(extra_fields={"Kostenstelle": "KST-1"})
    before = Customer.objects.filter(pk=customer.pk).values().get()

    response = _post(merchant_client, customer, *pairs)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert Customer.objects.filter(pk=customer.pk).values().get() == before


def test_a_card_number_in_a_row_is_refused_and_never_shown_again(merchant_client):
    customer = customer_with_data(extra_fields={"Kostenstelle": "KST-1"})

    response = _post(merchant_client, customer, ("Karte", "4111 1111 1111 1111"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "4111" not in html
    assert "Kartennummer" in html or "Kartendaten" in html
    customer.refresh_from_db()
    assert customer.extra_fields == {"Kostenstelle": "KST-1"}
