"""Card numbers are refused on every input path – the merchant's pages, the admin with its inline
rows, management commands – with the card-data message, nothing saved, and never echoed back."""

import importlib
import io
from urllib.parse import quote, quote_plus

import pytest
from django.core.management import call_command, get_commands
from django.core.management.base import CommandError
from django.urls import reverse

from channels.models import Channel
from customers.models import Customer
from orders.models import Order, OrderEvent, PrivacyJob
from tests.customers.edit_form import customer_with_data, edit_payload
from tests.factories import OrderFactory, OrderItemFactory, OrderMessageFactory
from tests.orders.test_views import _edit_data
from tests.test_admin import admin_change_payload

CARD_MESSAGE = "Kartendaten werden nicht angenommen"
# (as typed, the digits): each would have been quoted by some field's own message or value.
FORMATS = [
    ("4111 1111 1111 1111", "4111111111111111"),
    ("Karte5500.0055.5555.5559 12/28", "5500005555555559"),
    ("４１１１ １１１１ １１１１ １１１１", "4111111111111111"),
    ("3782\u00a0822463\u00a010005", "378282246310005"),
]


def assert_refused_and_not_echoed(html: str, typed: str, digits: str) -> None:
    assert CARD_MESSAGE in html
    assert typed not in html
    assert digits not in html
    assert quote_plus(typed) not in html and quote(typed) not in html  # nor in a link


# --- the order page ------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("typed", "digits"), FORMATS)
@pytest.mark.parametrize(
    "field",
    [
        "order-notes",
        "order-buyer_email",
        "order-buyer_phone",
        "order-status",  # a choice: "… is not one of the available choices" quotes the input
        "order-version",  # hidden
        "billing-city",
        "billing-country",  # a choice too
        "shipping-street",
    ],
)
def test_the_order_page_refuses_and_forgets_a_card_number(logged_in, field, typed, digits):
    order = OrderFactory()
    stored = Order.objects.values().get(pk=order.pk)

    response = logged_in.post(
        reverse("orders:detail", args=[order.pk]), _edit_data(order, **{field: typed})
    )

    assert response.status_code == 200
    assert_refused_and_not_echoed(response.text, typed, digits)
    assert Order.objects.values().get(pk=order.pk) == stored
    assert not OrderEvent.objects.filter(order=order).exists()


@pytest.mark.django_db
def test_shipping_refuses_a_card_number_as_tracking_number_without_echo(logged_in):
    order = OrderFactory()

    response = logged_in.post(
        reverse("orders:ship", args=[order.pk]),
        {"tracking_number": "H4111 1111 1111 1111"},
        follow=True,
    )

    assert_refused_and_not_echoed(response.text, "4111 1111 1111 1111", "4111111111111111")
    order.refresh_from_db()
    assert order.tracking_number == ""


# --- the customer page ---------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("typed", "digits"), FORMATS)
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("payment_method", "Visa {}"),  # a choice list: its own message would quote it
        ("first_name", "Erika{}"),
        ("birth_date", "{}"),
        ("extra_fields", '{{"Notiz": "{}"}}'),
        ("emails-0-email", "{}@example.de"),
        ("phones-1-number", "{}"),  # a new row
        ("addresses-0-street", "Hauptstr. {}"),
        ("addresses-0-country", "{}"),
    ],
)
def test_the_customer_page_refuses_and_forgets_a_card_number(
    merchant_client, field, value, typed, digits
):
    customer = customer_with_data()
    stored = Customer.objects.values().get(pk=customer.pk)
    rows = sorted(customer.phones.values_list("number", flat=True))

    response = merchant_client.post(
        f"/customers/{customer.pk}/", edit_payload(customer, **{field: value.format(typed)})
    )

    assert response.status_code == 200
    assert_refused_and_not_echoed(response.text, typed, digits)
    assert Customer.objects.values().get(pk=customer.pk) == stored
    assert sorted(customer.phones.values_list("number", flat=True)) == rows


@pytest.mark.django_db
def test_a_card_number_hidden_in_json_escapes_is_refused(merchant_client):
    customer = customer_with_data()
    escaped = "".join(f"\\u{ord(char):04x}" for char in "4111111111111111")

    response = merchant_client.post(
        f"/customers/{customer.pk}/",
        edit_payload(customer, extra_fields=f'{{"Notiz": "{escaped}"}}'),
    )

    assert CARD_MESSAGE in response.text
    assert escaped not in response.text
    customer.refresh_from_db()
    assert customer.extra_fields == {"Kostenstelle": "KST-1"}


# --- the channel settings ------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("typed", "digits"), FORMATS)
@pytest.mark.parametrize("field", ["name", "kind", "auto_anonymize_days"])
def test_the_channel_form_refuses_and_forgets_a_card_number(merchant_client, field, typed, digits):
    data = {"name": "Mein Shop", "kind": "shop", "auto_anonymize_days": ""} | {field: typed}

    response = merchant_client.post("/settings/channels/new/", data)

    assert response.status_code == 200
    assert_refused_and_not_echoed(response.text, typed, digits)
    assert not Channel.objects.exists()


# --- the support admin, inline rows included ------------------------------------------------


def _admin_post(client, url: str, **changes):
    data = admin_change_payload(client, url)
    missing = set(changes) - set(data)
    assert not missing, missing  # the field names are those of the page
    return client.post(url, data | changes)


@pytest.fixture
def support(client, staff):
    client.force_login(staff)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize(("typed", "digits"), FORMATS[:3])
@pytest.mark.parametrize(
    "field",
    [
        "payment_method",
        "notes",
        "billing_city",
        "items-0-title",
        "items-0-sku",
        "messages-0-body",
        "messages-0-direction",  # a choice in an inline row
    ],
)
def test_the_order_admin_refuses_and_forgets_a_card_number(support, field, typed, digits):
    order = OrderFactory()
    OrderItemFactory(order=order)
    OrderMessageFactory(order=order)
    stored = Order.objects.values().get(pk=order.pk)
    items = list(order.items.values())
    messages = list(order.messages.values())

    response = _admin_post(support, f"/admin/orders/order/{order.pk}/change/", **{field: typed})

    assert response.status_code == 200
    assert_refused_and_not_echoed(response.content.decode(), typed, digits)
    assert Order.objects.values().get(pk=order.pk) == stored
    assert list(order.items.values()) == items
    assert list(order.messages.values()) == messages


@pytest.mark.django_db
@pytest.mark.parametrize(("typed", "digits"), FORMATS[:3])
@pytest.mark.parametrize(
    "field",
    [
        "payment_method",
        "extra_fields",
        "emails-0-email",
        "phones-0-number",
        "sources-0-external_id",
        "addresses-0-city",
    ],
)
def test_the_customer_admin_refuses_and_forgets_a_card_number(support, field, typed, digits):
    customer = customer_with_data()
    stored = Customer.objects.values().get(pk=customer.pk)
    value = f'{{"Notiz": "{typed}"}}' if field == "extra_fields" else typed

    response = _admin_post(
        support, f"/admin/customers/customer/{customer.pk}/change/", **{field: value}
    )

    assert response.status_code == 200
    assert_refused_and_not_echoed(response.content.decode(), typed, digits)
    assert Customer.objects.values().get(pk=customer.pk) == stored
    assert customer.emails.get().email == "erika@example.de"
    assert customer.phones.get().number == "+49 30 1234567"
    assert customer.sources.get().external_id == "A-1"
    assert customer.addresses.get().city == "Berlin"


@pytest.mark.django_db
def test_the_channel_admin_refuses_a_card_number_without_echo_in_title_or_breadcrumbs(support):
    channel = Channel.objects.create(name="Shop DE", kind="shop")
    url = f"/admin/channels/channel/{channel.pk}/change/"

    response = _admin_post(support, url, name="Shop 4111 1111 1111 1111")

    assert_refused_and_not_echoed(
        response.content.decode(), "4111 1111 1111 1111", "4111111111111111"
    )
    assert "Shop DE" in response.content.decode()  # the breadcrumbs name it as stored
    channel.refresh_from_db()
    assert channel.name == "Shop DE"


@pytest.mark.django_db
def test_the_address_admin_refuses_a_card_number_without_echo(support):
    address = customer_with_data().addresses.get()
    url = f"/admin/customers/address/{address.pk}/change/"

    response = _admin_post(support, url, postcode="4111111111111111")

    assert_refused_and_not_echoed(response.content.decode(), "4111111111111111", "4111111111111111")
    address.refresh_from_db()
    assert address.postcode == "10115"


# --- management commands -------------------------------------------------------------------


COMMAND_CALLS = [
    ("anonymize_orders", ["--ids", "4111111111111111"]),
    ("anonymize_orders", ["--from", "4111-1111-1111-1111", "--to", "2026-01-01"]),
    ("restore_orders", ["--from", "2026-01-01", "--to", "4111 1111 1111 1111"]),
    ("anonymize_due", ["--now", "4111111111111111"]),
    ("purge_coldstorage", ["--today", "Karte4111111111111111"]),
    # Unquoted on the command line, a number spaced out arrives in pieces.
    ("seed_demo", ["--orders", "1", "--channels", "4111", "1111", "1111", "1111"]),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "args"), COMMAND_CALLS)
def test_commands_refuse_card_numbers_without_quoting_them(name, args):
    with pytest.raises(CommandError) as exc:
        call_command(name, *args, stdout=io.StringIO(), stderr=io.StringIO())

    assert CARD_MESSAGE in str(exc.value)
    assert "4111" not in str(exc.value)
    assert not PrivacyJob.objects.exists()
    assert not Order.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args",
    [
        # argparse's own message would quote it: "invalid int value: '4111-…'"
        ["seed_demo", "--orders", "4111-1111-1111-1111"],
        ["anonymize_orders", "--from", "4111 1111 1111 1111", "--to", "2026-01-01"],
        ["purge_coldstorage", "--today", "4111", "1111", "1111", "1111"],
    ],
)
def test_commands_on_the_command_line_refuse_card_numbers_without_quoting_them(args):
    stdout, stderr = io.StringIO(), io.StringIO()
    app = get_commands()[args[0]]
    module = importlib.import_module(f"{app}.management.commands.{args[0]}")
    command = module.Command(stdout=stdout, stderr=stderr)

    with pytest.raises(SystemExit) as exc:
        command.run_from_argv(["manage.py", *args])

    assert exc.value.code == 1
    assert CARD_MESSAGE in stderr.getvalue()
    assert "4111" not in stderr.getvalue() + stdout.getvalue()
    assert not PrivacyJob.objects.exists()


# --- searches: not run with a card number, and not shown again -------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("/orders/", {"q": "Karte 4111 1111 1111 1111", "status": "paid"}),
        ("/orders/", {"date_from": "4111111111111111", "status": "paid"}),
        ("/customers/", {"q": "4111-1111-1111-1111", "page": "2"}),
        ("/admin/orders/order/", {"q": "4111 1111 1111 1111", "status": "paid"}),
        ("/admin/customers/customer/", {"q": "4111 1111 1111 1111", "privacy_state": "active"}),
        ("/admin/channels/channel/", {"q": "4111 1111 1111 1111", "kind": "shop"}),
    ],
)
def test_searches_are_not_run_with_a_card_number_and_come_back_without_it(support, url, params):
    kept = "&".join(f"{name}={value}" for name, value in params.items() if "4111" not in value)

    response = support.get(url, params, follow=True)

    # The page again without the card number (its links and language switch repeat the URL).
    assert response.redirect_chain == [(f"{url}?{kept}", 302)]
    html = response.content.decode()
    assert CARD_MESSAGE in html
    assert "4111" not in html


@pytest.mark.django_db
def test_a_live_search_with_a_card_number_reloads_the_page_without_it(logged_in):
    response = logged_in.get(
        "/orders/", {"q": "4111 1111 1111 1111"}, headers={"HX-Request": "true"}
    )

    assert response["HX-Redirect"] == "/orders/"
    assert "4111" not in response.content.decode()
