"""Card numbers are refused everywhere: the validator itself and the forms that use it."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import assume, example, given
from hypothesis import strategies as st
from stdnum import ean, luhn

from personal.cards import contains_card_number, reject_card_numbers, reject_card_numbers_in_json

CARD_MESSAGE = "Kartendaten werden nicht angenommen"

CARD_NUMBERS = [
    "4111 1111 1111 1111",
    "4111111111111111",
    "5555-5555-5555-4444",
    "378282246310005",
    "3782 822463 10005",
    # What got through before: expiry dates, glued to text, other separators, other digits.
    "4111111111111111 12/28",
    "12/28 4111 1111 1111 1111 123",
    "4111 1111 1111 1111 0928",
    "Karte4111111111111111",
    "4111111111111111Visa",
    "5500.0055.5555.5559",
    "4111  1111  1111  1111",
    "4111/1111/1111/1111",
    "4111_1111_1111_1111",
    "4111\t1111\t1111\t1111",
    "4111\n1111\n1111\n1111",
    "4111\u00a01111\u00a01111\u00a01111",
    "4111 - 1111 – 1111 — 1111",
    "4111-1111 1111.1111",
    "４１１１ １１１１ １１１１ １１１１",
    "４１１１１１１１１１１１１１１１",
    "4111\u200b1111\u200b1111\u200b1111",
    "4111 111111111111",
    "Visa 4111 1111 1111 1111",
    "6011 0009 9013 9424",
    "3530 1113 3330 0000",
    "VISA4111111111111111",
    "DE89 3704 0044 0532 0130 00 / 4111111111111111",
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
    # What a merchant types and the channels send: card-like runs (13–19 digits, Luhn-valid,
    # starting with 2–6; checked below) that are something else.
    "302-4111111-1000007",  # an Amazon order number
    "+4915112345603",  # a mobile number after "+" (E.164: at most 15 digits)
    "+49 1511 2345603",
    "H3586712300421070564",  # Hermes parcel
    "4006381333924",  # EAN-13 of a German product
    # Longer runs holding such stretches.
    "Überweisung an DE89 3704 0044 0532 0130 00 am 12.03.2024",
    "FR14 2004 1010 0505 0001 3M02 606",
    "GB82 WEST 1234 5698 7654 32",
    "RE-2024-00042",
    "10115 Berlin, Hauptstraße 12",
    "4111 **** **** 1111",  # a masked card number is no card number
    "9400 4111 1111 1111 1111 00",  # a longer number printed in fours (USPS)
]
CARD_LIKE_BUT_NOT_CARDS = NOT_CARD_NUMBERS[NOT_CARD_NUMBERS.index("302-4111111-1000007") :][:5]


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


@pytest.mark.parametrize("text", CARD_LIKE_BUT_NOT_CARDS)
def test_those_ordinary_numbers_would_pass_for_card_numbers_by_digits_alone(text):
    digits = "".join(char for char in text if char.isdigit())
    assert 13 <= len(digits) <= 19 and digits[0] in "23456" and luhn.is_valid(digits)


def test_it_accepts_a_card_number_with_a_wrong_checksum():
    assert not contains_card_number("4111 1111 1111 1112")


def test_it_refuses_card_numbers_in_json_keys_values_and_escapes():
    for value in (
        {"Notiz": "Karte 4111 1111 1111 1111"},
        {"4111111111111111": "Schlüssel"},
        {"Karten": [{"Nummer": 4111111111111111}]},
        {"Teile": ["4111", "1111", "1111", "1111"]},
    ):
        with pytest.raises(ValidationError):
            reject_card_numbers_in_json(value)
    reject_card_numbers_in_json({"Kostenstelle": "KST-4711", "IBAN": "DE89370400440532013000"})
    reject_card_numbers_in_json(None)


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


# --- Property tests: every way of writing a Luhn-valid number is refused ----------------------

SEPARATORS = [" ", "  ", "-", " - ", ".", "/", "_", "\t", "\n", "\u00a0", "\u2009", "–", " . "]
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@st.composite
def luhn_valid_numbers(draw) -> str:
    length = draw(st.integers(13, 19))
    body = draw(st.sampled_from("23456")) + "".join(
        draw(st.lists(st.sampled_from("0123456789"), min_size=length - 2, max_size=length - 2))
    )
    number = body + luhn.calc_check_digit(body)
    # A 13-digit number that is also a valid EAN-13 is read as a product code (documented).
    assume(not (length == 13 and ean.is_valid(number)))
    return number


@st.composite
def grouped(draw, number: str, *, card_groupings_only: bool = False) -> str:
    """`number` as people write it: in one piece, in fours, 4-6-5 (Amex), or four digits and the
    rest, split by one or more separators of any kind (mixed). `card_groupings_only`: no group
    or run of groups but the whole is 13 digits or longer (for numbers that must pass)."""
    groupings = ["plain", "fours", "four_and_rest"]
    if len(number) == 15:
        groupings.append("amex")
    grouping = draw(st.sampled_from(groupings))
    if grouping == "plain":
        groups = [number]
    elif grouping == "four_and_rest":
        groups = [number[:4], number[4:]]
        if card_groupings_only and len(groups[1]) >= 13:
            groups = [number]  # the rest would be a candidate of its own
    elif grouping == "amex":
        groups = [number[:4], number[4:10], number[10:]]
    else:
        if card_groupings_only and len(number) > 16:
            groups = [number]  # 4-4-4-4-3 holds a 16-digit stretch of its own
        else:
            groups = [number[i : i + 4] for i in range(0, len(number), 4)]
    text = groups[0]
    for group in groups[1:]:
        text += draw(st.sampled_from(SEPARATORS)) + group
    if draw(st.booleans()):
        text = text.translate(FULL_WIDTH)
    return text


SURROUNDINGS = [
    "{}",
    "Karte {}",
    "Karte{}",
    "{}Visa",
    "Bitte belasten Sie meine Karte {}, danke!",
    "Karte: {} 12/28",
    "Karte: {} gültig bis 12/28, CVC 123",
    "12/28 {}",
    "Mastercard\n{}\nExp. 0928",
    "({})",
    "Tel. 030 1234567, Karte {}",
]


@given(data=st.data(), number=luhn_valid_numbers(), surrounding=st.sampled_from(SURROUNDINGS))
@example(data=None, number="4111111111111111", surrounding="Karte{}")
def test_every_format_of_a_card_number_is_refused(data, number, surrounding):
    text = number if data is None else data.draw(grouped(number))
    assert contains_card_number(surrounding.format(text)), surrounding.format(text)


PLAIN_SURROUNDINGS = ["{}", "Nr. {}", "Referenz{}", "{} bitte", "Bestellung ({})"]


@st.composite
def luhn_invalid_numbers(draw) -> str:
    number = draw(luhn_valid_numbers())
    wrong = draw(st.sampled_from([d for d in "0123456789" if d != number[-1]]))
    return number[:-1] + wrong


@given(
    data=st.data(),
    number=luhn_invalid_numbers(),
    surrounding=st.sampled_from(PLAIN_SURROUNDINGS),
)
def test_a_number_with_a_wrong_checksum_passes_in_every_format(data, number, surrounding):
    text = surrounding.format(data.draw(grouped(number, card_groupings_only=True)))
    assert not contains_card_number(text), text


@given(
    digits=st.text(alphabet="0123456789", min_size=1, max_size=12),
    data=st.data(),
    surrounding=st.sampled_from(PLAIN_SURROUNDINGS),
)
def test_short_runs_pass_even_with_a_valid_checksum(digits, data, surrounding):
    text = digits
    if len(digits) > 4 and data.draw(st.booleans()):
        text = digits[:4] + data.draw(st.sampled_from(SEPARATORS)) + digits[4:]
    assert not contains_card_number(surrounding.format(text))


@given(number=luhn_valid_numbers(), first=st.sampled_from("01789"))
def test_luhn_valid_numbers_outside_the_issuers_ranges_pass(number, first):
    # Card numbers start with 2–6; postal, bank and parcel numbers often with 0 or 1.
    body = first + number[1:-1]
    assert not contains_card_number(body + luhn.calc_check_digit(body))
