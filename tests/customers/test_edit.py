"""Editing a customer through the customer page and `customer_update`."""

import pytest
from django.core.exceptions import ValidationError

from customers.models import Address, Customer, CustomerEmail, CustomerLockedError
from customers.services import RowEdit, customer_update
from tests.customers.edit_form import customer_with_data, edit_payload

pytestmark = pytest.mark.django_db


def test_it_saves_own_fields_emails_phones_and_addresses(merchant_client):
    customer = customer_with_data()
    email = customer.emails.get()
    phone = customer.phones.get()
    address = customer.addresses.get()
    payload = edit_payload(
        customer,
        first_name="Erika Maria",
        vat_id="DE123456789",
        extra_fields='{"Kostenstelle": "KST-9"}',
        **{
            "emails-0-email": "neu@example.de",
            "emails-1-email": "zweit@example.de",
            "phones-0-DELETE": "on",
            "addresses-0-city": "Potsdam",
            "addresses-1-last_name": "Lieferadresse",
            "addresses-1-city": "Leipzig",
            "addresses-1-country": "de",
        },
    )
    response = merchant_client.post(f"/customers/{customer.pk}/", payload)
    assert response.status_code == 302, response.context and response.context["form"].errors
    assert response.url == f"/customers/{customer.pk}/"
    customer.refresh_from_db()
    assert customer.first_name == "Erika Maria"
    assert customer.vat_id == "DE123456789"
    assert customer.extra_fields == {"Kostenstelle": "KST-9"}
    assert list(customer.emails.values_list("email", flat=True)) == [
        "neu@example.de",
        "zweit@example.de",
    ]
    assert customer.emails.first().pk == email.pk
    assert not customer.phones.filter(pk=phone.pk).exists()
    address.refresh_from_db()
    assert address.city == "Potsdam"
    assert customer.addresses.get(city="Leipzig").country == "DE"
    followed = merchant_client.get(response.url)
    assert "gespeichert" in followed.content.decode()


def test_invalid_input_changes_nothing(merchant_client):
    customer = customer_with_data()
    payload = edit_payload(
        customer,
        first_name="Neu",
        **{"emails-0-email": "keine-adresse", "addresses-0-country": "X"},
    )
    response = merchant_client.post(f"/customers/{customer.pk}/", payload)
    assert response.status_code == 200
    assert response.context["email_formset"].errors[0]["email"]
    assert response.context["address_formset"].errors[0]["country"]
    customer.refresh_from_db()
    assert customer.first_name == "Erika"


def test_edit_needs_the_permission(logged_in):
    customer = customer_with_data()
    response = logged_in.post(f"/customers/{customer.pk}/", edit_payload(customer, first_name="X"))
    assert response.status_code == 403
    customer.refresh_from_db()
    assert customer.first_name == "Erika"


@pytest.mark.parametrize("state", ["anonymized", "restoring", "purged"])
def test_editing_an_anonymized_customer_is_refused(merchant_client, state):
    customer = customer_with_data()
    payload = edit_payload(customer, first_name="Überschrieben")
    Customer.objects.filter(pk=customer.pk).update(privacy_state=state)
    response = merchant_client.post(f"/customers/{customer.pk}/", payload, follow=True)
    html = response.content.decode()
    assert "kann nicht bearbeitet werden" in html or "wiederhergestellt" in html
    assert response.context["refusal"] is not None
    customer.refresh_from_db()
    assert customer.first_name == "Erika"


def test_editing_is_refused_when_an_address_is_anonymized(merchant_client):
    customer = customer_with_data()
    payload = edit_payload(customer, first_name="Überschrieben", **{"emails-0-email": "x@y.de"})
    Address.objects.filter(customer=customer).update(privacy_state="anonymized")
    response = merchant_client.post(f"/customers/{customer.pk}/", payload, follow=True)
    assert "mindestens eine Adresse" in response.content.decode()
    customer.refresh_from_db()
    assert customer.first_name == "Erika"
    assert customer.emails.get().email == "erika@example.de"


def test_service_refuses_a_locked_customer_and_writes_nothing(merchant):
    customer = customer_with_data()
    Address.objects.filter(customer=customer).update(privacy_state="anonymized")
    with pytest.raises(CustomerLockedError) as exc:
        customer_update(
            customer=customer,
            actor=merchant,
            fields={"first_name": "X"},
            emails=[RowEdit(pk=None, values={"email": "neu@example.de"})],
        )
    assert "Kunde" in exc.value.message
    customer.refresh_from_db()
    assert customer.first_name == "Erika"
    assert customer.emails.count() == 1


def test_service_refuses_rows_of_another_customer(merchant):
    customer = customer_with_data()
    other = CustomerEmail.objects.create(customer=customer_with_data(), email="andere@example.de")
    with pytest.raises(ValidationError):
        customer_update(
            customer=customer,
            actor=merchant,
            fields={"first_name": "X"},
            emails=[RowEdit(pk=other.pk, values={"email": "gekapert@example.de"})],
        )
    other.refresh_from_db()
    assert other.email == "andere@example.de"
    customer.refresh_from_db()
    assert customer.first_name == "Erika"


def test_service_refuses_card_numbers_atomically(merchant):
    customer = customer_with_data()
    with pytest.raises(ValidationError):
        customer_update(
            customer=customer,
            actor=merchant,
            fields={"first_name": "Neu"},
            phones=[RowEdit(pk=None, values={"number": "4111 1111 1111 1111"})],
        )
    customer.refresh_from_db()
    assert customer.first_name == "Erika"
    assert customer.phones.count() == 1


def test_service_never_deletes_addresses(merchant):
    customer = customer_with_data()
    address = customer.addresses.get()
    with pytest.raises(ValidationError):
        customer_update(
            customer=customer,
            actor=merchant,
            fields={},
            addresses=[RowEdit(address.pk, delete=True)],
        )
    assert Address.objects.filter(pk=address.pk).exists()
