"""Card numbers are refused everywhere: the validator itself and the forms that use it."""

import pytest
from django.core.exceptions import ValidationError

from customers.validators import contains_card_number, reject_card_numbers

CARD_MESSAGE = "Kartendaten werden nicht angenommen"

CARD_NUMBERS = [
    "4111 1111 1111 1111",
    "4111111111111111",
    "5555-5555-5555-4444",
    "378282246310005",
    "3782 822463 10005",
]

NOT_CARD_NUMBERS = [
    "DE89 3704 0044 0532 0130 00",
    "DE89370400440532013000",
    "NO93 8601 1117 947",
    "+49 30 1234567",
    "0049 89 12345678",
    "(030) 123 456 78",
    "028-1234567-1234567",
    "00340434161094042557",
    "1Z999AA10123456784",
    "Bestellung 100042 vom 12.03.2024",
    "",
]


@pytest.mark.parametrize("text", CARD_NUMBERS)
def test_it_refuses_card_numbers(text):
    assert contains_card_number(text)
    with pytest.raises(ValidationError) as exc:
        reject_card_numbers(text)
    assert CARD_MESSAGE in exc.value.messages[0]


@pytest.mark.parametrize("text", CARD_NUMBERS)
def test_it_refuses_card_numbers_embedded_in_text(text):
    assert contains_card_number(f"Bitte belasten Sie meine Karte {text}, danke!")
    assert contains_card_number(f"Karte:{text}")


@pytest.mark.parametrize("text", NOT_CARD_NUMBERS)
def test_it_accepts_ibans_phones_order_and_tracking_numbers(text):
    assert not contains_card_number(text)
    reject_card_numbers(text)


def test_it_accepts_a_card_number_with_a_wrong_checksum():
    assert not contains_card_number("4111 1111 1111 1112")


def test_it_ignores_non_text_values():
    reject_card_numbers(4111111111111111)
    reject_card_numbers(None)


@pytest.mark.django_db
def test_customer_form_refuses_a_card_number(merchant_client):
    from tests.customers.edit_form import customer_with_data, edit_payload

    customer = customer_with_data()
    token = customer.psp_token
    response = merchant_client.post(
        f"/customers/{customer.pk}/",
        edit_payload(customer, psp_token="4111 1111 1111 1111"),
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert CARD_MESSAGE in html
    assert "4111 1111 1111 1111" not in html  # not echoed back either
    customer.refresh_from_db()
    assert customer.psp_token == token


@pytest.mark.django_db
def test_customer_form_refuses_a_card_number_in_an_email_row_or_extra_field(merchant_client):
    from tests.customers.edit_form import customer_with_data, edit_payload

    customer = customer_with_data()
    response = merchant_client.post(
        f"/customers/{customer.pk}/",
        edit_payload(customer, **{"phones-0-number": "5555-5555-5555-4444"}),
    )
    assert CARD_MESSAGE in response.content.decode()
    response = merchant_client.post(
        f"/customers/{customer.pk}/",
        edit_payload(customer, extra_fields='{"Notiz": "378282246310005"}'),
    )
    assert CARD_MESSAGE in response.content.decode()
    assert customer.phones.get().number != "5555-5555-5555-4444"
    customer.refresh_from_db()
    assert customer.extra_fields == {"Kostenstelle": "KST-1"}


@pytest.mark.django_db
def test_channel_form_refuses_a_card_number(merchant_client):
    from channels.models import Channel

    response = merchant_client.post(
        "/settings/channels/new/",
        {"name": "Shop 4111 1111 1111 1111", "kind": "shop", "auto_anonymize_days": ""},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert CARD_MESSAGE in html
    assert "4111 1111 1111 1111" not in html
    assert not Channel.objects.exists()


@pytest.mark.django_db
def test_admin_change_form_refuses_a_card_number(client, staff):
    from tests.factories import OrderFactory
    from tests.test_admin import admin_change_payload

    client.force_login(staff)
    order = OrderFactory(notes="Bitte klingeln")
    url = f"/admin/orders/order/{order.pk}/change/"
    response = client.post(
        url, admin_change_payload(client, url, notes="Karte 4111-1111-1111-1111")
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert CARD_MESSAGE in html
    assert "4111-1111-1111-1111" not in html
    order.refresh_from_db()
    assert order.notes == "Bitte klingeln"
