"""What the customer page posts: a customer with contact data and the matching form payload."""

import json

from customers.models import ADDRESS_FIELDS, Customer
from tests.factories import (
    AddressFactory,
    ChannelFactory,
    CustomerEmailFactory,
    CustomerFactory,
    CustomerPhoneFactory,
    CustomerSourceFactory,
    OrderFactory,
)


def customer_with_data(**fields) -> Customer:
    customer = CustomerFactory(first_name="Erika", last_name="Mustermann", **fields)
    CustomerEmailFactory(customer=customer, email="erika@example.de")
    CustomerPhoneFactory(customer=customer, number="+49 30 1234567")
    CustomerSourceFactory(
        customer=customer,
        channel=ChannelFactory(name="Amazon DE", kind="amazon"),
        external_id="A-1",
    )
    address = AddressFactory(customer=customer, city="Berlin", postcode="10115", country="DE")
    OrderFactory(customer=customer, billing_entry=address, channel=ChannelFactory(name="Shop"))
    return customer


def _formset(prefix: str, rows: list[dict], fields: list[str]) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows) + 1),
        f"{prefix}-INITIAL_FORMS": str(len(rows)),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data[f"{prefix}-{index}-id"] = str(row["id"])
        for name in fields:
            data[f"{prefix}-{index}-{name}"] = row.get(name) or ""
    return data


def edit_payload(customer: Customer, **overrides) -> dict:
    """The unchanged form as the page renders it, with `overrides` applied."""
    data = {
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "company": customer.company,
        "vat_id": customer.vat_id,
        "birth_date": customer.birth_date.isoformat() if customer.birth_date else "",
        "extra_fields": json.dumps(customer.extra_fields),
        "payment_method": customer.payment_method,
        "psp_token": customer.psp_token,
        "version": str(Customer.objects.get(pk=customer.pk).version),
    }
    data |= _formset("emails", list(customer.emails.values("id", "email")), ["email"])
    data |= _formset("phones", list(customer.phones.values("id", "number")), ["number"])
    data |= _formset(
        "addresses", list(customer.addresses.values("id", *ADDRESS_FIELDS)), ADDRESS_FIELDS
    )
    data.update(overrides)
    return data
