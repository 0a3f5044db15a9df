"""Conditions as QuerySet filters: every kind and operator, table-driven."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from automation.conditions import ConditionError, clean_value, conditions_q
from automation.models import Condition, Match
from orders.models import Order, OrderStatus
from personal.state import PrivacyState
from tests.factories import ChannelFactory, OrderFactory

pytestmark = pytest.mark.django_db

K, Op = Condition.Kind, Condition.Operator


@pytest.fixture
def orders():
    shop, amazon = ChannelFactory(name="Shop"), ChannelFactory(name="Amazon")
    now = timezone.now()
    return {
        "a": OrderFactory(
            channel=shop,
            status=OrderStatus.PAID,
            total=Decimal("10.00"),
            shipping_country="DE",
            billing_country="AT",
            order_date=now - datetime.timedelta(days=2),
        ),
        "b": OrderFactory(
            channel=amazon,
            status=OrderStatus.SHIPPED,
            total=Decimal("100.00"),
            shipping_country="FR",
            billing_country="FR",
            order_date=now - datetime.timedelta(days=40),
            privacy_state=PrivacyState.ANONYMIZED,
        ),
        "shop": shop,
        "amazon": amazon,
    }


def _value(orders, value):
    return str(orders[value].pk) if value in ("shop", "amazon") else value


@pytest.mark.parametrize(
    ("kind", "operator", "value", "expected"),
    [
        (K.CHANNEL, Op.IS, "shop", {"a"}),
        (K.CHANNEL, Op.IS_NOT, "shop", {"b"}),
        (K.STATUS, Op.IS, "shipped", {"b"}),
        (K.STATUS, Op.IS_NOT, "shipped", {"a"}),
        (K.TOTAL, Op.GTE, "100", {"b"}),
        (K.TOTAL, Op.GTE, "100,01", set()),
        (K.TOTAL, Op.LTE, "10", {"a"}),
        (K.SHIPPING_COUNTRY, Op.IS, "de", {"a"}),
        (K.SHIPPING_COUNTRY, Op.IS_NOT, "DE", {"b"}),
        (K.BILLING_COUNTRY, Op.IS, "AT", {"a"}),
        (K.BILLING_COUNTRY, Op.IS, "FR", {"b"}),  # anonymized: the country is kept
        (K.AGE_DAYS, Op.GTE, "30", {"b"}),
        (K.AGE_DAYS, Op.LTE, "30", {"a"}),
        (K.AGE_DAYS, Op.GTE, "0", {"a", "b"}),
        (K.ANONYMIZED, Op.IS, "", {"b"}),
        (K.ANONYMIZED, Op.IS_NOT, "", {"a"}),
    ],
)
def test_each_condition_matches_what_it_says(orders, kind, operator, value, expected):
    stored = clean_value(kind, operator, _value(orders, value))
    matched = Order.objects.filter(
        conditions_q([Condition(kind=kind, operator=operator, value=stored)], match=Match.ALL)
    )
    names = {name for name in ("a", "b") if orders[name] in matched}
    assert names == expected


@pytest.mark.parametrize(
    ("match", "expected"),
    [(Match.ALL, set()), (Match.ANY, {"a", "b"})],
)
def test_conditions_combine_with_und_or_oder(orders, match, expected):
    conditions = [
        Condition(kind=K.CHANNEL, operator=Op.IS, value=str(orders["shop"].pk)),
        Condition(kind=K.STATUS, operator=Op.IS, value="shipped"),
    ]
    matched = Order.objects.filter(conditions_q(conditions, match=match))
    assert {name for name in ("a", "b") if orders[name] in matched} == expected


def test_no_conditions_match_every_order(orders):
    assert Order.objects.filter(conditions_q([], match=Match.ALL)).count() == 2


@pytest.mark.parametrize(
    ("kind", "operator", "value"),
    [
        (K.CHANNEL, Op.IS, "999999"),
        (K.CHANNEL, Op.IS, "abc"),
        (K.STATUS, Op.IS, "lost"),
        (K.STATUS, Op.GTE, "paid"),
        (K.TOTAL, Op.GTE, "viel"),
        (K.TOTAL, Op.GTE, "NaN"),
        (K.TOTAL, Op.IS, "1"),
        (K.SHIPPING_COUNTRY, Op.IS, "Deutschland"),
        (K.AGE_DAYS, Op.GTE, "-1"),
        (K.AGE_DAYS, Op.GTE, "1e9"),
        ("nonsense", Op.IS, ""),
    ],
)
def test_bad_values_are_refused_with_a_message(kind, operator, value):
    with pytest.raises(ConditionError) as refused:
        clean_value(kind, operator, value)
    assert str(refused.value)
