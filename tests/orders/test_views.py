"""The merchant's order pages: Bestellübersicht, edit page, history, invoice, shipping."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers.models import ADDRESS_FIELDS
from documents.models import CompanySettings
from orders.models import Order, OrderEvent, OrderStatus
from personal.state import ANONYMIZED, PrivacyState
from tests.factories import (
    AddressFactory,
    ChannelFactory,
    CustomerEmailFactory,
    CustomerFactory,
    OrderFactory,
    OrderItemFactory,
    OrderMessageFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("company")]

LIST_URL = reverse("orders:list")
HTMX = {"HTTP_HX_REQUEST": "true"}


def _listed_numbers(response) -> list[int]:
    return [
        int(n) for n in re.findall(r'<td class="order-number">\s*<a [^>]*>(\d+)</a>', response.text)
    ]


def _aware(year: int, month: int, day: int, hour: int = 12) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(year, month, day, hour))


def _edit_data(order: Order, **changes) -> dict:
    data = {}
    for prefix, address in (
        ("billing", order.billing_address),
        ("shipping", order.shipping_address),
    ):
        for name in ADDRESS_FIELDS:
            data[f"{prefix}-{name}"] = getattr(address, name)
    data |= {
        "order-buyer_email": order.buyer_email,
        "order-buyer_phone": order.buyer_phone,
        "order-status": order.status,
        "order-notes": order.notes,
        "order-version": str(Order.objects.get(pk=order.pk).version),
    }
    return data | changes


def _anonymize(order: Order) -> None:
    Order.objects.filter(pk=order.pk).update(privacy_state=PrivacyState.ANONYMIZED)


@pytest.mark.parametrize(
    "url",
    [
        LIST_URL,
        "/orders/1/",
        "/orders/1/?tab=history",
        "/orders/1/invoice/",
    ],
)
def test_it_redirects_anonymous_users_to_login(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("url", ["/orders/1/", "/orders/1/invoice/create/", "/orders/1/ship/"])
def test_it_refuses_anonymous_posts(client, url):
    order = OrderFactory(pk=1)

    response = client.post(url, {"tracking_number": "X"})

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    order.refresh_from_db()
    assert order.invoice_number is None
    assert order.tracking_number == ""


def test_it_lists_orders(logged_in):
    order = OrderFactory(
        channel=ChannelFactory(name="Amazon DE"),
        billing_entry__first_name="Erika",
        billing_entry__last_name="Mustermann",
        billing_entry__country="AT",
        total=Decimal("1234.50"),
        status=OrderStatus.PAID,
    )

    response = logged_in.get(LIST_URL)

    assert response.status_code == 200
    html = response.text
    assert "<html" in html
    assert "Bestellübersicht" in html
    assert _listed_numbers(response) == [order.number]
    assert "Amazon DE" in html
    assert "Erika Mustermann" in html
    assert "<td>AT</td>" in html
    assert "Bezahlt" in html
    assert "1234,50 EUR" in html
    assert f'name="ids" value="{order.pk}"' in html
    assert 'class="select-all"' in html
    assert "Seite 1" in html


def test_it_returns_only_the_table_to_htmx(logged_in):
    order = OrderFactory()

    response = logged_in.get(LIST_URL, **HTMX)

    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="order-filter"' not in response.text
    assert _listed_numbers(response) == [order.number]
    assert "HX-Request" in response["Vary"]


def test_it_returns_the_whole_page_to_htmx_history_restore(logged_in):
    OrderFactory()

    response = logged_in.get(LIST_URL, HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX)

    assert "<html" in response.text


def test_it_shows_anonymized_in_personal_columns(logged_in):
    order = OrderFactory(billing_entry__last_name="Geheimname", billing_entry__country="FR")
    _anonymize(order)

    response = logged_in.get(LIST_URL)

    assert ANONYMIZED in response.text
    assert "Geheimname" not in response.text
    assert "<td>FR</td>" in response.text


def test_it_filters_by_channel(logged_in):
    amazon, ebay = ChannelFactory(name="Amazon"), ChannelFactory(name="eBay")
    on_amazon = OrderFactory(channel=amazon)
    OrderFactory(channel=ebay)

    response = logged_in.get(LIST_URL, {"channel": amazon.pk}, **HTMX)

    assert _listed_numbers(response) == [on_amazon.number]


def test_it_filters_by_status(logged_in):
    shipped = OrderFactory(status=OrderStatus.SHIPPED)
    OrderFactory(status=OrderStatus.PAID)

    response = logged_in.get(LIST_URL, {"status": "shipped"})

    assert _listed_numbers(response) == [shipped.number]


def test_it_filters_by_order_date_inclusively(logged_in):
    OrderFactory(order_date=_aware(2026, 3, 9, 23))
    first_day = OrderFactory(order_date=_aware(2026, 3, 10, 0))
    last_day = OrderFactory(order_date=_aware(2026, 3, 12, 23))
    OrderFactory(order_date=_aware(2026, 3, 13, 0))

    response = logged_in.get(LIST_URL, {"date_from": "2026-03-10", "date_to": "2026-03-12"})

    assert _listed_numbers(response) == [last_day.number, first_day.number]


def test_it_accepts_german_dates(logged_in):
    order = OrderFactory(order_date=_aware(2026, 3, 10))
    OrderFactory(order_date=_aware(2026, 2, 10))

    response = logged_in.get(LIST_URL, {"date_from": "01.03.2026"})

    assert _listed_numbers(response) == [order.number]


def test_it_searches_by_running_number(logged_in):
    order = OrderFactory(number=4711)
    OrderFactory(number=4712)

    response = logged_in.get(LIST_URL, {"q": "4711"})

    assert _listed_numbers(response) == [order.number]


def test_it_searches_by_external_number(logged_in):
    order = OrderFactory(external_number="302-1234567-7654321")
    OrderFactory()

    response = logged_in.get(LIST_URL, {"q": " 302-1234567-7654321 "})

    assert _listed_numbers(response) == [order.number]


def test_it_searches_by_billing_last_name(logged_in):
    order = OrderFactory(billing_entry__last_name="Schneider")
    OrderFactory(billing_entry__last_name="Schmidt")

    response = logged_in.get(LIST_URL, {"q": "Schneider"})

    assert _listed_numbers(response) == [order.number]


def test_it_searches_by_customer_email(logged_in):
    customer = CustomerFactory()
    CustomerEmailFactory(customer=customer, email="stamm@example.de")
    order = OrderFactory(customer=customer)
    OrderFactory()

    response = logged_in.get(LIST_URL, {"q": "stamm@example.de"})

    assert _listed_numbers(response) == [order.number]


def test_it_sorts_by_order_date_descending_by_default(logged_in):
    old = OrderFactory(order_date=_aware(2026, 1, 1))
    new = OrderFactory(order_date=_aware(2026, 2, 1))
    middle = OrderFactory(order_date=_aware(2026, 1, 15))

    response = logged_in.get(LIST_URL)

    assert _listed_numbers(response) == [new.number, middle.number, old.number]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("total", ["cheap", "middle", "dear"]),
        ("-total", ["dear", "middle", "cheap"]),
        ("number", ["dear", "cheap", "middle"]),
        ("-number", ["middle", "cheap", "dear"]),
        ("date", ["middle", "dear", "cheap"]),
    ],
)
def test_it_sorts(logged_in, sort, expected):
    orders = {
        "dear": OrderFactory(number=1, total=Decimal("300.00"), order_date=_aware(2026, 1, 2)),
        "cheap": OrderFactory(number=2, total=Decimal("5.00"), order_date=_aware(2026, 1, 3)),
        "middle": OrderFactory(number=3, total=Decimal("50.00"), order_date=_aware(2026, 1, 1)),
    }

    response = logged_in.get(LIST_URL, {"sort": sort})

    assert _listed_numbers(response) == [orders[name].number for name in expected]


def test_it_links_the_column_headers_to_the_other_direction(logged_in):
    response = logged_in.get(LIST_URL, {"sort": "total", "status": "paid"})

    assert "?sort=-total&amp;status=paid" in response.text or "status=paid&amp;sort=-total" in (
        response.text
    )


def test_it_falls_back_on_unknown_sort_and_page(logged_in):
    order = OrderFactory()

    response = logged_in.get(LIST_URL, {"sort": "password", "page": "abc"})

    assert response.status_code == 200
    assert _listed_numbers(response) == [order.number]


def test_it_detects_the_next_page_without_counting(logged_in):
    customer = CustomerFactory()
    address = AddressFactory(customer=customer)
    channel = ChannelFactory()
    orders = [
        OrderFactory(
            customer=customer,
            billing_entry=address,
            channel=channel,
            order_date=_aware(2026, 1, 1) + datetime.timedelta(minutes=i),
        )
        for i in range(51)
    ]

    first = logged_in.get(LIST_URL)
    second = logged_in.get(LIST_URL, {"page": 2})

    assert len(_listed_numbers(first)) == 50
    assert 'rel="next"' in first.text
    assert 'rel="prev"' not in first.text
    assert _listed_numbers(second) == [orders[0].number]
    assert "Seite 2" in second.text
    assert 'rel="next"' not in second.text
    assert 'rel="prev"' in second.text


def _orders_on_one_channel(count: int) -> list[Order]:
    channel = ChannelFactory()
    return [
        OrderFactory(channel=channel, order_date=_aware(2026, 1, 1) + datetime.timedelta(minutes=i))
        for i in range(count)
    ]


def test_the_page_size_can_be_chosen_and_is_kept_by_the_page_links(logged_in):
    _orders_on_one_channel(30)

    first = logged_in.get(LIST_URL, {"page_size": "25"})
    second = logged_in.get(LIST_URL, {"page_size": "25", "page": "2"})
    forged = logged_in.get(LIST_URL, {"page_size": "100000"})

    assert len(_listed_numbers(first)) == 25
    assert 'href="?page_size=25&amp;page=2"' in first.text
    assert '<option value="25" selected>' in first.text
    assert len(_listed_numbers(second)) == 5
    assert forged.status_code == 200
    assert len(_listed_numbers(forged)) == 30  # an unknown size falls back to 50
    assert '<option value="50" selected>' in forged.text


def test_past_the_last_page_it_says_so_and_links_the_last_page(logged_in):
    _orders_on_one_channel(30)

    response = logged_in.get(LIST_URL, {"page_size": "25", "page": "12"})

    assert response.status_code == 200
    assert _listed_numbers(response) == []
    assert "Seite 12 gibt es nicht." in response.text
    assert "Zur letzten Seite (2)" in response.text
    assert 'href="?page_size=25&amp;page=2"' in response.text
    assert "Keine Bestellungen gefunden" not in response.text


def test_past_the_last_page_of_nothing_it_says_nothing_matches(logged_in):
    response = logged_in.get(LIST_URL, {"page": "3", "q": "nobody-has-this"})

    assert "Keine Bestellungen gefunden" in response.text
    assert "gibt es nicht" not in response.text


def test_the_list_loads_its_total_after_the_table(logged_in, settings):
    orders = _orders_on_one_channel(3)
    OrderFactory()  # another channel

    page = logged_in.get(LIST_URL, {"channel": orders[0].channel_id})
    count_url = re.search(r'class="list-total muted" hx-get="([^"]+)"', page.text).group(1)
    total = logged_in.get(count_url.replace("&amp;", "&"), **HTMX)
    everything = logged_in.get(reverse("orders:list_count"), **HTMX)
    bad = logged_in.get(reverse("orders:list_count"), {"date_from": "kaputt"}, **HTMX)

    assert total.text.strip() == "3 Bestellungen"
    assert everything.text.strip() == "4 Bestellungen"
    assert bad.status_code == 200
    assert bad.text.strip() == ""


def test_the_total_stops_counting_at_its_limit(logged_in, monkeypatch):
    from orders import views

    monkeypatch.setattr(views, "LIST_COUNT_LIMIT", 2)
    _orders_on_one_channel(3)

    response = logged_in.get(reverse("orders:list_count"), **HTMX)

    assert response.text.strip() == "mehr als 2 Bestellungen"


def test_it_uses_no_count_query(logged_in):
    OrderFactory()

    with CaptureQueriesContext(connection) as queries:
        logged_in.get(LIST_URL, {"page": 1})

    assert not [q for q in queries if "COUNT(" in q["sql"].upper()]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"date_from": "31.02.2026"}, "„Von“ ist kein gültiges Datum"),
        ({"date_to": "gestern"}, "„Bis“ ist kein gültiges Datum"),
        ({"channel": "999999"}, "Diesen Kanal gibt es nicht."),
        ({"channel": "abc"}, "Diesen Kanal gibt es nicht."),
        ({"status": "lost"}, "Diesen Status gibt es nicht."),
        (
            {"date_from": "2026-03-12", "date_to": "2026-03-10"},
            "Das Von-Datum (12.03.2026) liegt nach dem Bis-Datum (10.03.2026).",
        ),
    ],
)
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_it_explains_invalid_filter_input(logged_in, params, message, headers):
    OrderFactory()

    response = logged_in.get(LIST_URL, params, **headers)

    assert response.status_code == 200
    assert message in response.text
    assert _listed_numbers(response) == []


def test_it_lists_with_a_constant_number_of_queries(logged_in, django_assert_max_num_queries):
    customer = CustomerFactory()
    OrderFactory(customer=customer)
    logged_in.get(LIST_URL)  # warms the session and user caches of the client

    with CaptureQueriesContext(connection) as few:
        logged_in.get(LIST_URL)
    for _ in range(20):
        OrderFactory(channel=ChannelFactory(), billing_entry=AddressFactory(customer=customer))
    with django_assert_max_num_queries(len(few)):
        response = logged_in.get(LIST_URL)

    assert len(_listed_numbers(response)) == 21


def test_it_shows_the_edit_page(logged_in):
    order = OrderFactory(
        channel=ChannelFactory(name="Shopify"),
        external_number="SHOP-77",
        billing_entry__first_name="Erika",
        billing_entry__street="Hauptstraße",
        invoice_number="RE-2026-00007",
        tracking_number="TRACK-55",
    )
    OrderItemFactory(
        order=order, title="Teekanne", quantity=3, unit_price=Decimal("10.00"), tax_rate=19
    )

    response = logged_in.get(reverse("orders:detail", args=[order.pk]))

    assert response.status_code == 200
    html = response.text
    assert f"Bestellung {order.number}" in html
    assert 'name="billing-first_name"' in html
    assert 'name="shipping-street"' in html
    assert 'value="Hauptstraße"' in html
    assert 'name="order-buyer_email"' in html
    assert 'name="order-status"' in html
    for fact in ("Shopify", "SHOP-77", "RE-2026-00007", "TRACK-55", "Teekanne", "30,00 EUR"):
        assert fact in html
    assert "4,79 EUR" in html  # 19 % VAT contained in 30.00
    assert "Verlauf & Nachrichten" in html


def test_it_returns_404_for_an_unknown_order(logged_in):
    assert logged_in.get(reverse("orders:detail", args=[999999])).status_code == 404


def test_it_saves_the_order(logged_in, user):
    customer = CustomerFactory()
    order = OrderFactory(
        status=OrderStatus.PAID,
        customer=customer,
        shipping_entry=AddressFactory(customer=customer),
    )
    data = _edit_data(
        order,
        **{
            "billing-last_name": "Neumann",
            "shipping-city": "Köln",
            "order-status": "shipped",
            "order-notes": "Neue Notiz",
        },
    )

    response = logged_in.post(reverse("orders:detail", args=[order.pk]), data, follow=True)

    assert "Die Bestellung wurde gespeichert." in response.text
    order.refresh_from_db()
    assert order.billing_last_name == "Neumann"
    assert order.shipping_city == "Köln"
    # The order's own copies changed; the address book did not.
    assert order.billing_entry.last_name != "Neumann"
    assert order.shipping_entry.city != "Köln"
    assert order.status == OrderStatus.SHIPPED
    assert order.notes == "Neue Notiz"
    kinds = set(order.events.values_list("kind", flat=True))
    assert kinds == {OrderEvent.Kind.EDITED, OrderEvent.Kind.STATUS_CHANGED}
    assert set(order.events.values_list("actor", flat=True)) == {user.pk}


def test_it_refuses_card_numbers_when_saving(logged_in):
    order = OrderFactory()
    data = _edit_data(order, **{"order-notes": "Karte 4111 1111 1111 1111 bitte belasten"})

    response = logged_in.post(reverse("orders:detail", args=[order.pk]), data)

    assert response.status_code == 200
    assert "Kartendaten werden nicht angenommen" in response.text
    order.refresh_from_db()
    assert order.notes == "Bitte klingeln"
    assert not order.events.exists()


def test_it_shows_validation_errors_without_saving(logged_in):
    order = OrderFactory()
    data = _edit_data(order, **{"billing-country": "Deutschland", "billing-city": "Bonn"})

    response = logged_in.post(reverse("orders:detail", args=[order.pk]), data)

    assert response.status_code == 200
    assert "Bitte korrigieren Sie die markierten Eingaben." in response.text
    order.refresh_from_db()
    assert order.billing_city != "Bonn"


def test_it_shows_the_history_tab(logged_in, user):
    order = OrderFactory()
    OrderEvent.objects.create(
        order=order, kind=OrderEvent.Kind.STATUS_CHANGED, actor=user, detail="Status: Neu → Bezahlt"
    )
    OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.CREATED, actor_label="Import")
    OrderMessageFactory(order=order, subject="Lieferung", body="Bitte an die Packstation.")

    response = logged_in.get(reverse("orders:detail", args=[order.pk]), {"tab": "history"})

    html = response.text
    assert "Status geändert" in html
    assert "Status: Neu → Bezahlt" in html
    assert user.get_username() in html
    assert "Bestellung angelegt" in html
    assert "Import" in html
    assert "Bitte an die Packstation." in html
    assert "vom Käufer" in html
    assert 'name="billing-first_name"' not in html


def test_it_creates_an_invoice_and_shows_it(logged_in):
    order = OrderFactory(
        billing_entry__first_name="Erika",
        billing_entry__last_name="Mustermann",
        billing_entry__street="Heidestraße",
        billing_entry__postcode="51147",
        billing_entry__city="Köln",
    )
    OrderItemFactory(order=order, title="Teekanne", quantity=2, unit_price=Decimal("11.90"))
    year = timezone.localdate().year

    response = logged_in.post(reverse("orders:invoice_create", args=[order.pk]), follow=True)

    order.refresh_from_db()
    assert order.invoice_number == f"RE-{year}-00001"
    assert response.redirect_chain[-1][0] == reverse("orders:invoice", args=[order.pk])
    html = response.text
    assert f"Rechnung RE-{year}-00001" in html
    for text in ("Erika Mustermann", "Heidestraße", "51147 Köln", "Teekanne"):
        assert text in html
    assert "20,00 EUR" in html  # net
    assert "3,80 EUR" in html  # tax 19 %
    assert "23,80 EUR" in html  # gross
    assert "@media print" not in html  # styles live in the stylesheet
    assert "css/app.css" in html


def test_invoices_are_numbered_sequentially_and_only_once(logged_in):
    first, second = OrderFactory(), OrderFactory()
    year = timezone.localdate().year

    logged_in.post(reverse("orders:invoice_create", args=[first.pk]))
    logged_in.post(reverse("orders:invoice_create", args=[second.pk]))
    logged_in.post(reverse("orders:invoice_create", args=[first.pk]))

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.invoice_number == f"RE-{year}-00001"
    assert second.invoice_number == f"RE-{year}-00002"
    assert CompanySettings.load().next_invoice_number == 3


def test_the_invoice_page_needs_an_invoice(logged_in):
    order = OrderFactory()

    response = logged_in.get(reverse("orders:invoice", args=[order.pk]), follow=True)

    assert response.redirect_chain[-1][0] == reverse("orders:detail", args=[order.pk])
    assert "noch keine Rechnung erstellt" in response.text


def test_it_ships_the_order(logged_in):
    order = OrderFactory(status=OrderStatus.INVOICED)

    response = logged_in.post(
        reverse("orders:ship", args=[order.pk]),
        {"tracking_number": " 1Z999AA10123456784 "},
        follow=True,
    )

    assert "als versendet markiert" in response.text
    order.refresh_from_db()
    assert order.tracking_number == "1Z999AA10123456784"
    assert order.status == OrderStatus.SHIPPED
    assert order.delivery_date is not None


def test_it_refuses_a_card_number_as_tracking_number(logged_in):
    order = OrderFactory()

    response = logged_in.post(
        reverse("orders:ship", args=[order.pk]),
        {"tracking_number": "4111111111111111"},
        follow=True,
    )

    assert "Kartendaten werden nicht angenommen" in response.text
    order.refresh_from_db()
    assert order.tracking_number == ""
    assert order.status == OrderStatus.PAID


def test_it_refuses_shipping_without_tracking_number(logged_in):
    order = OrderFactory()

    logged_in.post(reverse("orders:ship", args=[order.pk]), {"tracking_number": ""})

    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


LOCKED_MESSAGE = "ist anonymisiert und kann nicht bearbeitet, berechnet"


def test_it_refuses_to_edit_an_anonymized_order(logged_in):
    order = OrderFactory()
    data = _edit_data(order, **{"order-notes": "geändert"})
    _anonymize(order)

    response = logged_in.post(reverse("orders:detail", args=[order.pk]), data, follow=True)

    assert LOCKED_MESSAGE in response.text
    order.refresh_from_db()
    assert order.notes == "Bitte klingeln"
    assert not order.events.exists()


def test_it_refuses_to_invoice_an_anonymized_order(logged_in):
    order = OrderFactory()
    _anonymize(order)

    response = logged_in.post(reverse("orders:invoice_create", args=[order.pk]), follow=True)

    assert LOCKED_MESSAGE in response.text
    order.refresh_from_db()
    assert order.invoice_number is None
    assert CompanySettings.load().next_invoice_number == 1  # no number taken


def test_it_refuses_to_ship_an_anonymized_order(logged_in):
    order = OrderFactory()
    _anonymize(order)

    response = logged_in.post(
        reverse("orders:ship", args=[order.pk]), {"tracking_number": "TRACK-1"}, follow=True
    )

    assert LOCKED_MESSAGE in response.text
    order.refresh_from_db()
    assert order.tracking_number == ""
    assert order.status == OrderStatus.PAID


def test_it_shows_an_anonymized_order_read_only(logged_in):
    order = OrderFactory()
    _anonymize(order)

    response = logged_in.get(reverse("orders:detail", args=[order.pk]))

    html = response.text
    assert "🔒" in html
    assert re.search(r'name="billing-last_name"[^>]*disabled', html)
    assert "Speichern" not in html
    # The invoice action is shown disabled (with the reason), never as a working form.
    assert reverse("orders:invoice_create", args=[order.pk]) not in html
