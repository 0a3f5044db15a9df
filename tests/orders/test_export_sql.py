"""The export's rows made by PostgreSQL (orders.export_sql) are byte for byte the rows the Python
path writes with the csv module – on data chosen to break one of them."""

import datetime
import hashlib
import hmac
import itertools
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone, translation

from orders.export import ExportOptions, order_export_lines
from orders.export_sql import csv_cell, hmac_pads
from orders.models import Order
from orders.privacy.fields import ORDER_FIELDS
from personal.state import ANONYMIZED, PrivacyState
from tests.factories import ChannelFactory, OrderFactory, OrderItemFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the rows are made by PostgreSQL only there"
    ),
]

#: Texts that each break something: formula starts, the delimiters, quotes, line breaks, a
#: quote at the start, umlauts and an emoji, spaces around, a lone apostrophe.
HOSTILE = [
    '=HYPERLINK("http://example.com")',
    "+49 30 1234",
    "-Rabatt",
    "@SUM(A1)",
    "\tTab",
    "\rCR",
    "Semi;kolon",
    "Kom,ma",
    'Sa"gt "Hallo"',
    '"Zitat am Anfang',
    "Zeile\nZwei",
    "Zeile\r\nZwei",
    "Grüße aus Köln 🎉",
    "  Leerzeichen  ",
    "'",
    "",
]


def _aware(*args) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(*args))


@pytest.fixture
def hostile_orders(db):
    channels = [ChannelFactory(name=name) for name in ("=Kanal;1", 'Shop "A"', "Amazon")]
    orders = []
    for n, text in enumerate(HOSTILE):
        order = OrderFactory(
            channel=channels[n % 3],
            number=700000 + n,
            external_number=text or f"EXT-{n}",
            invoice_number=text if n % 2 else None,
            invoice_date=_aware(2026, 3, 31, 23, 30) if n % 3 else None,
            delivery_date=_aware(2026, 1, 1, 0, 15) if n % 4 == 0 else None,
            # Near midnight: the day is the merchant's (Europe/Berlin), not UTC's.
            order_date=_aware(2026, 10, 25, 1 + n % 3, 30),
            buyer_email=f"kunde{n}@example.com",
            billing_first_name=text,
            billing_last_name=HOSTILE[-1 - n],
            billing_company=text[::-1],
            shipping_city=text,
            total=Decimal("35.70") - n,
        )
        orders.append(order)
    for n, order in enumerate(orders):
        if n % 5 == 4:
            continue  # no items
        OrderItemFactory(
            order=order,
            sku=HOSTILE[n],
            title=HOSTILE[-1 - n] or "Titel",
            quantity=3,
            unit_price=Decimal("0.05"),
            tax_rate=Decimal("19.00"),
        )
        OrderItemFactory(
            order=order,
            sku="B",
            title="Buch; Band 2",
            quantity=1,
            unit_price=Decimal("10.70"),
            tax_rate=Decimal("7.00"),
        )
        if n % 3 == 0:
            OrderItemFactory(
                order=order,
                sku="GUT",
                title="Gutschein",
                quantity=1,
                unit_price=Decimal("-5.00"),
                tax_rate=Decimal("0.00"),
            )
        if n % 4 == 1:
            OrderItemFactory(
                order=order,
                sku="X",
                title="Halber Cent",
                quantity=1,
                unit_price=Decimal("0.21"),
                tax_rate=Decimal("19.00"),
            )
    for order, state in zip(
        orders[1::4],
        itertools.cycle([PrivacyState.ANONYMIZED, PrivacyState.RESTORING, PrivacyState.PURGED]),
        strict=False,
    ):
        Order.objects.filter(pk=order.pk).update(
            privacy_state=state, **{name: ANONYMIZED for name in ORDER_FIELDS}
        )
    # An order whose data is still stored but flagged anonymized shows none of it either way.
    Order.objects.filter(pk=orders[2].pk).update(privacy_state=PrivacyState.ANONYMIZED)
    # A status the code does not know (a row from an older version).
    Order.objects.filter(pk=orders[3].pk).update(status="=alt;status")
    return orders


def _both(**options) -> tuple[str, str]:
    texts = []
    for rows_by in ("python", "database"):
        lines = order_export_lines(
            Order.objects.all(), options=ExportOptions(**options), chunk_size=3, rows_by=rows_by
        )
        texts.append("".join(lines))
    return texts[0], texts[1]


@pytest.mark.parametrize(
    ("dialect", "per_item", "personal_data", "skip_anonymized"),
    list(itertools.product(("excel", "plain"), (False, True), (True, False), (False, True))),
)
def test_the_database_writes_the_same_bytes_as_the_csv_module(
    hostile_orders, dialect, per_item, personal_data, skip_anonymized
):
    python, database = _both(
        dialect=dialect,
        per_item=per_item,
        personal_data=personal_data,
        skip_anonymized=skip_anonymized,
    )
    assert python.count("\r\n") > len(hostile_orders) // 2
    assert database.splitlines(keepends=True) == python.splitlines(keepends=True)
    assert database == python


def test_in_english_the_labels_are_the_same_too(hostile_orders):
    with translation.override("en"):
        python, database = _both(per_item=True)
    assert "Invoiced" in python or "Paid" in python
    assert database == python


def test_a_filtered_queryset_keeps_its_filter(hostile_orders):
    chosen = Order.objects.filter(number__in=[700001, 700005, 700006])
    for rows_by in ("python", "database"):
        text = "".join(
            order_export_lines(chosen, options=ExportOptions(dialect="plain"), rows_by=rows_by)
        )
        assert [line.split(",")[0] for line in text.split("\r\n")[1:-1]] == [
            "700001",
            "700005",
            "700006",
        ]


def test_the_hmac_pads_are_rfc_2104():
    key = hashlib.sha256(b"key").digest()
    inner, outer = hmac_pads(key)
    message = b"123:active"
    expected = hmac.digest(key, message, "sha256")
    inner_hash = hashlib.sha256(inner + message).digest()
    assert hashlib.sha256(outer + inner_hash).digest() == expected


def test_constant_cells_are_quoted_as_the_csv_module_quotes():
    assert csv_cell("Bezahlt", ";") == "Bezahlt"
    assert csv_cell("a;b", ";") == '"a;b"'
    assert csv_cell("a;b", ",") == "a;b"
    assert csv_cell('sagt "x"', ",") == '"sagt ""x"""'
    assert csv_cell("", ";") == ""


def test_the_default_on_postgresql_is_the_database(hostile_orders, django_assert_num_queries):
    # The channels, the orders (one server-side cursor), and per chunk the amounts and the
    # items: 2 + 2 × 8 chunks of 2, whatever the number of items.
    with django_assert_num_queries(18) as captured:
        text = "".join(
            order_export_lines(
                Order.objects.all(), options=ExportOptions(per_item=True), chunk_size=2
            )
        )
    assert text.count("\r\n") > len(hostile_orders)
    assert any("DECLARE" in query["sql"] for query in captured.captured_queries)
