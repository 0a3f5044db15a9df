"""Anonymize then restore gives back byte-identical personal data, whatever the text."""

import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from customers.models import ADDRESS_PERSONAL_FIELDS, Address, Customer, CustomerEmail
from orders.models import Order, OrderMessage
from orders.privacy.fields import CUSTOMER_FIELDS, MESSAGE_FIELDS, ORDER_FIELDS
from personal.state import PrivacyState
from tests.factories import ChannelFactory
from tests.privacy.conftest import BOTH, anonymize, restore

pytestmark = pytest.mark.django_db(transaction=True, databases=BOTH)

# Any Unicode PostgreSQL can store: umlauts, emoji, right-to-left scripts, combining marks…
CHARS = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")


def text(max_length: int):
    return st.one_of(
        st.text(CHARS, max_size=max_length),
        st.text(CHARS, min_size=max_length, max_size=max_length),
        st.sampled_from(["", "Jürgen Groß-Öztürk", "👩‍👩‍👧 Familie", "שלום עולם", "مرحبا"]),
    )


def texts_for(model, fields):
    return st.fixed_dictionaries(
        {name: text(model._meta.get_field(name).max_length or 500) for name in fields}
    )


CUSTOMER_TEXT = [f for f in CUSTOMER_FIELDS if f not in ("birth_date", "extra_fields")]
_numbers = iter(range(1, 10**9))


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    customer=texts_for(Customer, CUSTOMER_TEXT),
    birth=st.one_of(st.none(), st.dates(datetime.date(1900, 1, 1), datetime.date(2010, 1, 1))),
    extra=st.dictionaries(st.text(CHARS, max_size=20), st.text(CHARS, max_size=40), max_size=3),
    address=texts_for(Address, ADDRESS_PERSONAL_FIELDS),
    country=st.sampled_from(["DE", "AT", "CH", "IL", "JP"]),
    order=texts_for(Order, ORDER_FIELDS),
    message=st.fixed_dictionaries({"subject": text(200), "body": text(2000)}),
    email=text(254),
)
def test_it_restores_exactly_what_it_anonymized(
    customer, birth, extra, address, country, order, message, email
):
    channel = ChannelFactory(name="Roundtrip")
    n = next(_numbers)
    c = Customer.objects.create(number=n, birth_date=birth, extra_fields=extra, **customer)
    mail = CustomerEmail.objects.create(customer=c, email=email)
    a = Address.objects.create(customer=c, country=country, **address)
    o = Order.objects.create(
        number=n,
        channel=channel,
        customer=c,
        billing_entry=a,
        shipping_entry=a,
        order_date=datetime.datetime(2024, 5, 1, tzinfo=datetime.UTC),
        **order,
    )
    m = OrderMessage.objects.create(order=o, direction="in", **message)

    def snapshot():
        return (
            Customer.objects.filter(pk=c.pk).values(*CUSTOMER_FIELDS).get(),
            Address.objects.filter(pk=a.pk).values(*ADDRESS_PERSONAL_FIELDS, "country").get(),
            Order.objects.filter(pk=o.pk).values(*ORDER_FIELDS).get(),
            OrderMessage.objects.filter(pk=m.pk).values(*MESSAGE_FIELDS).get(),
            CustomerEmail.objects.filter(pk=mail.pk).values("email").get(),
        )

    before = snapshot()
    assert anonymize(o).summary["anonymized"] == 1
    during = snapshot()
    assert during[1]["country"] == country
    assert Customer.objects.get(pk=c.pk).privacy_state == PrivacyState.ANONYMIZED
    job = restore(o)
    assert job.state == "done", job.error
    assert snapshot() == before
