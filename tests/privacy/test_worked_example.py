"""SPEC section 6's worked example, step by step: one customer, Amazon and Shopify, two addresses."""

import pytest

from channels.models import Channel
from coldstorage.models import ColdRecord
from orders.models import OrderEvent
from personal.state import ANONYMIZED, PrivacyState
from tests.factories import (
    AddressFactory,
    ChannelFactory,
    CustomerEmailFactory,
    CustomerFactory,
    CustomerPhoneFactory,
    CustomerSourceFactory,
    OrderFactory,
    OrderMessageFactory,
)
from tests.privacy.conftest import BOTH, anonymize, fresh, restore

pytestmark = pytest.mark.django_db(transaction=True, databases=BOTH)


@pytest.fixture
def example():
    amazon = ChannelFactory(name="Amazon DE", kind=Channel.Kind.AMAZON)
    shopify = ChannelFactory(name="Shopify", kind=Channel.Kind.SHOPIFY)
    customer = CustomerFactory(first_name="Erika", last_name="Mustermann", vat_id="DE123456789")
    email = CustomerEmailFactory(customer=customer, email="erika@example.de")
    phone = CustomerPhoneFactory(customer=customer, number="+49 30 5555")
    source = CustomerSourceFactory(customer=customer, channel=amazon, external_id="AMZ-C-1")
    a1 = AddressFactory(customer=customer, street="Amazonweg", city="Berlin", country="DE")
    a2 = AddressFactory(customer=customer, street="Shopifystraße", city="Wien", country="AT")
    amazon_order = OrderFactory(
        channel=amazon, customer=customer, billing_entry=a1, shipping_entry=a1
    )
    shopify_order = OrderFactory(
        channel=shopify, customer=customer, billing_entry=a2, shipping_entry=a2
    )
    message = OrderMessageFactory(order=amazon_order, body="Bitte beim Nachbarn abgeben")
    return {
        "customer": customer,
        "email": email,
        "phone": phone,
        "source": source,
        "a1": a1,
        "a2": a2,
        "amazon": amazon_order,
        "shopify": shopify_order,
        "message": message,
    }


def test_it_follows_the_worked_example(example):
    c, a1, a2 = example["customer"], example["a1"], example["a2"]
    amazon, shopify = example["amazon"], example["shopify"]
    original_buyer_email = amazon.buyer_email

    # After 40 days the Amazon order is anonymized: A1 goes, C and A2 stay.
    job = anonymize(amazon)
    assert job.state == "done"
    assert job.summary["anonymized"] == 1
    assert fresh(amazon).privacy_state == PrivacyState.ANONYMIZED
    assert amazon.buyer_email == ANONYMIZED
    assert fresh(example["message"]).body == ANONYMIZED
    assert fresh(a1).street == ANONYMIZED and a1.country == "DE"
    assert fresh(a2).street == "Shopifystraße"
    assert fresh(c).last_name == "Mustermann"
    assert fresh(example["email"]).email == "erika@example.de"
    assert fresh(shopify).privacy_state == PrivacyState.ACTIVE

    # The Shopify order too: now everything of C is anonymized.
    anonymize(shopify)
    assert fresh(c).privacy_state == PrivacyState.ANONYMIZED
    assert c.last_name == ANONYMIZED and c.birth_date is None and c.extra_fields == {}
    assert fresh(example["email"]).email == ANONYMIZED
    assert fresh(example["phone"]).number == ANONYMIZED
    assert fresh(example["source"]).external_id == ANONYMIZED
    assert fresh(a2).street == ANONYMIZED and a2.country == "AT"
    assert ColdRecord.objects.count() == 5  # two orders, two addresses, one customer

    # Only the Amazon order is restored: C's own data and A1 come back, A2 stays anonymized.
    job = restore(amazon)
    assert job.state == "done", job.error
    assert job.summary["restored"] == 1
    assert fresh(amazon).privacy_state == PrivacyState.ACTIVE
    assert amazon.buyer_email == original_buyer_email and amazon.restored_at is not None
    assert fresh(example["message"]).body == "Bitte beim Nachbarn abgeben"
    assert fresh(c).last_name == "Mustermann" and c.vat_id == "DE123456789"
    assert c.privacy_state == PrivacyState.ACTIVE
    assert fresh(example["email"]).email == "erika@example.de"
    assert fresh(example["phone"]).number == "+49 30 5555"
    assert fresh(example["source"]).external_id == "AMZ-C-1"
    assert fresh(a1).street == "Amazonweg" and a1.privacy_state == PrivacyState.ACTIVE
    assert fresh(a2).street == ANONYMIZED and a2.privacy_state == PrivacyState.ANONYMIZED
    assert fresh(shopify).privacy_state == PrivacyState.ANONYMIZED
    remaining = set(ColdRecord.objects.values_list("kind", "object_id"))
    assert remaining == {("order", shopify.pk), ("address", a2.pk)}

    kinds = list(amazon.events.values_list("kind", flat=True))
    assert kinds == [
        OrderEvent.Kind.ANONYMIZED,
        OrderEvent.Kind.RESTORE_REQUESTED,
        OrderEvent.Kind.RESTORED,
    ]


def test_an_address_no_order_uses_goes_and_comes_back_with_its_customer():
    order = OrderFactory()
    spare = AddressFactory(customer=order.customer, street="Nebenstraße", country="CH")
    anonymize(order)
    assert fresh(spare).street == ANONYMIZED and spare.country == "CH"
    restore(order)
    assert fresh(spare).street == "Nebenstraße"
    assert spare.privacy_state == PrivacyState.ACTIVE
    assert not ColdRecord.objects.exists()
