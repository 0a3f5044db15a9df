"""The placeholder substitution of notification texts: table-driven."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from notifications.models import validate_placeholders
from notifications.placeholders import (
    HIDDEN,
    PLACEHOLDERS,
    UnknownPlaceholderError,
    order_values,
    substitute,
    unknown_placeholders,
)
from personal.state import ANONYMIZED, PrivacyState
from tests.factories import OrderFactory

VALUES = {"OrderNumber": "100042", "CustomerName": "Erika <b>Muster</b> & Co"}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("", ""),
        ("Kein Platzhalter", "Kein Platzhalter"),
        ("Bestellung {OrderNumber}", "Bestellung 100042"),
        ("{OrderNumber}{OrderNumber}", "100042100042"),
        ("{{OrderNumber}}", "{OrderNumber}"),
        ("{{{OrderNumber}}}", "{100042}"),
        ("Klammer { allein", "Klammer { allein"),
        ("Klammer } allein", "Klammer } allein"),
        ("Mehrzeilig {\nOrderNumber}", "Mehrzeilig {\nOrderNumber}"),
        ("Hallo {CustomerName}", "Hallo Erika <b>Muster</b> & Co"),
        # Django's variable syntax is plain text here.
        ("{{ settings.SECRET_KEY }}", "{ settings.SECRET_KEY }"),
    ],
)
def test_plain_substitution(template, expected):
    assert substitute(template, VALUES) == expected


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("<p>{CustomerName}</p>", "<p>Erika &lt;b&gt;Muster&lt;/b&gt; &amp; Co</p>"),
        ("<b>{OrderNumber}</b>", "<b>100042</b>"),
        ("{{CustomerName}}", "{CustomerName}"),
    ],
)
def test_html_substitution_escapes_the_values_not_the_template(template, expected):
    assert substitute(template, VALUES, html=True) == expected


@pytest.mark.parametrize(
    ("template", "unknown"),
    [
        ("{OrderNumber}", []),
        ("{Ordernumber}", ["Ordernumber"]),
        ("{order_number} {Foo} {Foo}", ["order_number", "Foo"]),
        ("{ OrderNumber }", [" OrderNumber "]),
        ("{}", [""]),
        ("{{Foo}}", []),
        ("{__class__}", ["__class__"]),
        # A template tag is no placeholder: refused when saving.
        ("{% load static %}", ["% load static %"]),
    ],
)
def test_unknown_placeholders_are_named(template, unknown):
    assert unknown_placeholders(template) == unknown


def test_substitute_refuses_unknown_names():
    with pytest.raises(UnknownPlaceholderError) as info:
        substitute("{OrderNumber} {Nope}", VALUES)
    assert info.value.names == ["Nope"]


def test_the_model_validator_names_the_unknown_placeholder():
    with pytest.raises(ValidationError) as info:
        validate_placeholders("Hallo {Kundenname} zu {OrderNumber}")
    assert "{Kundenname}" in info.value.messages[0]
    validate_placeholders("Hallo {CustomerName}")


def test_the_required_placeholders_exist():
    assert {
        "OrderNumber",
        "OrderDate",
        "ShopName",
        "CustomerName",
        "TrackingNumber",
        "InvoiceNumber",
        "RestoredAt",
        "OrderTotal",
        "MerchantName",
    } <= set(PLACEHOLDERS)


@pytest.fixture
def order(db):
    return OrderFactory(
        number=4711,
        order_date=datetime.datetime(2026, 3, 14, 10, 0, tzinfo=datetime.UTC),
        total=Decimal("1234.50"),
        tracking_number="00340434161094042557",
        invoice_number="RE-2026-00007",
        restored_at=datetime.datetime(2026, 4, 1, 8, 30, tzinfo=datetime.UTC),
        buyer_email="erika@example.de",
        billing_first_name="Erika",
        billing_last_name="Mustermann",
    )


def test_values_of_an_active_order(order):
    values = order_values(order, merchant_name="Muster Handel GmbH")

    assert values["OrderNumber"] == "4711"
    assert values["OrderDate"] == "14.03.2026"
    assert values["OrderTotal"] == "1.234,50 EUR"
    assert values["ShopName"] == order.channel.name
    assert values["CustomerName"] == "Erika Mustermann"
    assert values["CustomerEmail"] == "erika@example.de"
    assert values["TrackingNumber"] == "00340434161094042557"
    assert values["InvoiceNumber"] == "RE-2026-00007"
    assert values["RestoredAt"] == timezone.localtime(order.restored_at).strftime("%d.%m.%Y %H:%M")
    assert values["MerchantName"] == "Muster Handel GmbH"
    assert values["ShippingCountry"] == "Deutschland"


@pytest.mark.parametrize(
    "state", [PrivacyState.ANONYMIZED, PrivacyState.RESTORING, PrivacyState.PURGED]
)
def test_personal_values_of_a_not_active_order_are_anonymized(order, state):
    # The old data still in the object (as if the row were stale) is never used.
    order.privacy_state = state

    values = order_values(order)

    for name, placeholder in PLACEHOLDERS.items():
        if placeholder.personal:
            assert values[name] == ANONYMIZED, name
    assert values["OrderNumber"] == "4711"
    assert values["InvoiceNumber"] == "RE-2026-00007"
    assert "Mustermann" not in " ".join(values.values())


def test_personal_values_are_hidden_from_who_may_not_see_them(order):
    values = order_values(order, show_personal=False)

    assert values["CustomerName"] == HIDDEN
    assert values["OrderNumber"] == "4711"
