"""A customer like SPEC 6's worked example (Amazon and Shopify, two addresses), and another
customer whose data must never appear in the first one's report."""

import pytest

from channels.models import Channel
from orders.models import OrderStatus
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

#: Every personal value of the other customer: none may appear in the example's report.
OTHER_VALUES = ("Zacharias", "Fremdling", "fremd@example.org", "Andereweg", "tok_OTHER_9999")


@pytest.fixture
def example():
    amazon = ChannelFactory(name="Amazon DE", kind=Channel.Kind.AMAZON)
    shopify = ChannelFactory(name="Shopify", kind=Channel.Kind.SHOPIFY)
    customer = CustomerFactory(
        number=4711,
        first_name="Erika",
        last_name="Mustermann",
        vat_id="DE123456789",
        psp_token="pm_live_ABCDEF5678",
    )
    CustomerEmailFactory(customer=customer, email="erika@example.de")
    CustomerPhoneFactory(customer=customer, number="+49 30 5555")
    CustomerSourceFactory(customer=customer, channel=amazon, external_id="AMZ-C-1")
    a1 = AddressFactory(customer=customer, street="Amazonweg", city="Berlin", country="DE")
    a2 = AddressFactory(customer=customer, street="Shopifystraße", city="Wien", country="AT")
    amazon_order = OrderFactory(
        number=900001,
        channel=amazon,
        customer=customer,
        billing_entry=a1,
        shipping_entry=a1,
        buyer_email="erika.amazon@example.de",
        status=OrderStatus.SHIPPED,
        external_number="302-1234567-7654321",
    )
    shopify_order = OrderFactory(
        number=900002,
        channel=shopify,
        customer=customer,
        billing_entry=a2,
        shipping_entry=a2,
        buyer_email="erika.shopify@example.de",
        status=OrderStatus.SHIPPED,
        notes="Shopify-Notiz",
    )
    OrderMessageFactory(order=amazon_order, body="Bitte beim Nachbarn abgeben")

    other = CustomerFactory(
        number=4712, first_name="Zacharias", last_name="Fremdling", psp_token="tok_OTHER_9999"
    )
    CustomerEmailFactory(customer=other, email="fremd@example.org")
    other_address = AddressFactory(customer=other, street="Andereweg", country="DE")
    OrderFactory(
        number=900003,
        channel=shopify,
        customer=other,
        billing_entry=other_address,
        shipping_entry=other_address,
        buyer_email="fremd@example.org",
    )
    return {
        "customer": customer,
        "a1": a1,
        "a2": a2,
        "amazon": amazon_order,
        "shopify": shopify_order,
        "other": other,
    }
