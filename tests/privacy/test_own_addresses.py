"""Orders own their addresses: an anonymized order shows nothing of its buyer, whatever the
customer's other orders are; issued invoices go with it; older databases restore unchanged."""

import importlib
import io
import re

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection
from django.urls import reverse

from coldstorage.models import ColdRecord
from coldstorage.services import cold_records_load, cold_records_store
from customers.models import ADDRESS_FIELDS, ADDRESS_PERSONAL_FIELDS
from orders.invoicing import issued_invoice
from orders.models import Invoice, Order, purge_date_for
from orders.services import order_create_invoice
from personal.state import ANONYMIZED, PrivacyState
from tests.factories import AddressFactory, CustomerFactory, OrderFactory, OrderItemFactory
from tests.privacy.conftest import BOTH, anonymize, fresh, restore

pytestmark = [
    pytest.mark.django_db(transaction=True, databases=BOTH),
    pytest.mark.usefixtures("company"),
]

PERSONAL = {
    "first_name": "Jürgen",
    "last_name": "Schumacher",
    "street": "Kastanienallee",
    "house_number": "17b",
    "postcode": "55116",
    "city": "Mainz",
}


@pytest.fixture
def staff_client(client):
    user = get_user_model().objects.create_superuser("support", password="x")
    client.force_login(user)
    return client


def _pages(client, order) -> str:
    """What the merchant and support staff see of the order: its page, the list row, the admin
    page and the invoice."""
    texts = [
        client.get(reverse("orders:detail", args=[order.pk])).text,
        client.get(reverse("orders:list"), {"q": str(order.number)}).text,
        client.get(reverse("admin:orders_order_change", args=[order.pk])).text,
    ]
    invoice = client.get(reverse("orders:invoice", args=[order.pk]))
    assert invoice.status_code == 200
    return "\n".join([*texts, invoice.text])


def test_an_anonymized_order_of_a_repeat_customer_shows_nothing_of_its_buyer(staff_client, user):
    customer = CustomerFactory(first_name="Jürgen", last_name="Schumacher")
    entry = AddressFactory(customer=customer, country="DE", **PERSONAL)
    orders = [OrderFactory(customer=customer, billing_entry=entry) for _ in range(5)]
    for order in orders:
        OrderItemFactory(order=order)
        order_create_invoice(order=order, actor=user)
    first, others = orders[0], orders[1:]

    anonymize(first)

    shown = _pages(staff_client, first)
    leaked = [value for value in PERSONAL.values() if value in shown]
    assert not leaked, leaked
    assert ANONYMIZED in shown
    first = fresh(first)
    assert first.billing_country == first.shipping_country == "DE"
    invoice = issued_invoice(Invoice.objects.get(order=first))
    assert invoice.billing.city == ANONYMIZED and invoice.billing.country == "DE"
    for other in others:
        assert "Kastanienallee" in _pages(staff_client, other)
    assert fresh(entry).privacy_state == PrivacyState.ACTIVE
    assert fresh(customer).privacy_state == PrivacyState.ACTIVE

    anonymize(*others)
    assert fresh(entry).privacy_state == PrivacyState.ANONYMIZED
    assert fresh(customer).privacy_state == PrivacyState.ANONYMIZED

    restore(first)
    first = fresh(first)
    assert first.privacy_state == PrivacyState.ACTIVE
    assert first.billing_address.city == "Mainz"
    assert first.shipping_address.street == "Kastanienallee"
    assert fresh(entry).city == "Mainz"
    assert fresh(customer).last_name == "Schumacher"
    assert issued_invoice(Invoice.objects.get(order=first)).billing.city == "Mainz"
    # The other four stay anonymized, and their invoices too.
    for other in others:
        assert fresh(other).billing_city == ANONYMIZED
        assert issued_invoice(Invoice.objects.get(order=other)).billing.city == ANONYMIZED


def test_editing_an_order_address_changes_neither_the_entry_nor_other_orders(user):
    customer = CustomerFactory()
    entry = AddressFactory(customer=customer, **PERSONAL)
    edited, untouched = (OrderFactory(customer=customer, billing_entry=entry) for _ in range(2))
    Order.objects.filter(pk=edited.pk).update(billing_city="Wiesbaden")

    anonymize(untouched)

    assert fresh(entry).city == "Mainz"  # still used by `edited`
    assert fresh(edited).billing_city == "Wiesbaden"
    restore(untouched)
    assert fresh(untouched).billing_city == "Mainz"


def test_an_invoice_that_printed_another_delivery_address_restores_as_printed(user):
    """An invoice prints its order's addresses by reference until one changes: then it keeps
    the address as printed, which alone goes into the order's cold record."""
    order = OrderFactory(billing_entry=AddressFactory(**PERSONAL))
    OrderItemFactory(order=order)
    order_create_invoice(order=order, actor=user)
    assert Invoice.objects.get(order=order).buyer is None
    order = fresh(order)
    order.shipping_city, order.shipping_street = "Wiesbaden", "Ring"
    order.save()
    assert Invoice.objects.get(order=order).buyer["shipping"]["city"] == "Mainz"

    anonymize(order)

    record = cold_records_load(kind=ColdRecord.Kind.ORDER, ids=[order.pk])[order.pk]
    invoice_id, printed = record["b"]
    assert set(printed) == {"shipping"}
    assert printed["shipping"]["street"] == "Kastanienallee"
    assert Invoice.objects.get(pk=invoice_id).buyer["shipping"]["city"] == ANONYMIZED
    restore(order)
    invoice = issued_invoice(Invoice.objects.get(pk=invoice_id))
    assert (invoice.billing.city, invoice.shipping.city) == ("Mainz", "Mainz")
    assert invoice.shipping.street == "Kastanienallee"
    assert fresh(order).shipping_city == "Wiesbaden"


def test_an_invoice_without_addresses_of_its_own_is_left_alone(user):
    """The usual case: the invoice prints the order's addresses, so anonymizing and restoring
    the order write nothing into it."""
    order = OrderFactory(billing_entry=AddressFactory(**PERSONAL))
    OrderItemFactory(order=order)
    order_create_invoice(order=order, actor=user)

    anonymize(order)
    record = cold_records_load(kind=ColdRecord.Kind.ORDER, ids=[order.pk])[order.pk]
    assert "b" not in record
    invoice = Invoice.objects.select_related("order").get(order=order)
    assert invoice.buyer is None
    assert issued_invoice(invoice).billing.city == ANONYMIZED
    restore(order)
    invoice = Invoice.objects.select_related("order").get(order=order)
    assert invoice.buyer is None
    assert issued_invoice(invoice).billing.last_name == "Schumacher"


@pytest.mark.parametrize("layout", ["whole", "differences"])
def test_older_records_of_an_invoice_buyer_restore_it(user, layout):
    """Records written before invoices printed their order's addresses by reference hold the
    whole buyer ("i") or the differences with None for "the order's" ("b"): a restore brings
    back what the invoice printed, and the invoice prints the order's addresses again."""
    order = OrderFactory(billing_entry=AddressFactory(**PERSONAL))
    OrderItemFactory(order=order)
    order_create_invoice(order=order, actor=user)
    whole = {role: _address(fresh(order), role) for role in ("billing", "shipping")}
    anonymize(order)
    invoice = Invoice.objects.get(order=order)
    Invoice.objects.filter(pk=invoice.pk).update(
        buyer={
            role: {n: v if n == "country" else ANONYMIZED for n, v in a.items()}
            for role, a in whole.items()
        }
    )
    record = cold_records_load(kind=ColdRecord.Kind.ORDER, ids=[order.pk])[order.pk]
    if layout == "whole":
        record["i"] = [invoice.pk, whole]
    else:
        record["b"] = [invoice.pk, {"billing": None, "shipping": None}]
    order = fresh(order)
    cold_records_store(
        items=[(ColdRecord.Kind.ORDER, order.pk, record)],
        anonymized_at=order.anonymized_at,
        purge_on=order.purge_on,
    )

    restore(order)

    invoice = Invoice.objects.select_related("order").get(pk=invoice.pk)
    assert invoice.buyer is None
    assert issued_invoice(invoice).billing.as_dict() == whole["billing"]


def test_the_migration_keeps_of_an_invoice_buyer_what_differs_from_its_order(user):
    """orders 0016: invoices stored their buyer in full; equal to the order's addresses it
    becomes NULL, a changed delivery address stays as printed."""
    same, moved = (OrderFactory(billing_entry=AddressFactory(**PERSONAL)) for _ in range(2))
    for order in (same, moved):
        OrderItemFactory(order=order)
        order_create_invoice(order=order, actor=user)
        Invoice.objects.filter(order=order).update(
            buyer={role: _address(fresh(order), role) for role in ("billing", "shipping")}
        )
    Order.objects.filter(pk=moved.pk).update(shipping_city="Wiesbaden")

    module = importlib.import_module("orders.migrations.0016_invoice_buyer_by_reference")
    with connection.schema_editor() as editor:
        module.buyers_by_reference(apps, editor)

    assert Invoice.objects.get(order=same).buyer is None
    kept = Invoice.objects.get(order=moved).buyer
    assert set(kept) == {"shipping"} and kept["shipping"]["city"] == "Mainz"


def _address(order, role) -> dict:
    return {name: getattr(order, f"{role}_{name}") for name in ADDRESS_FIELDS}


def _migration():
    return importlib.import_module("orders.migrations.0010_order_own_addresses_and_invoices")


def test_orders_anonymized_before_the_migration_restore_unchanged(at):
    """A database anonymized with the old code: orders without own addresses, their data in old
    cold records (the order's four fields; the entries' records). The migration gives them
    placeholders; a restore brings back exactly what they showed."""
    customer = CustomerFactory()
    shared = AddressFactory(customer=customer, city="Mainz", street="Kastanienallee")
    own = AddressFactory(customer=customer, city="Bonn", street="Rheinweg", line2="")
    active = OrderFactory(customer=customer, billing_entry=shared, shipping_entry=shared)
    old_shared = OrderFactory(customer=customer, billing_entry=shared, shipping_entry=own)
    old_own = OrderFactory(
        customer=customer, billing_entry=own, shipping_entry=own, invoice_number="RE-2020-00001"
    )
    old_fields = ("buyer_email", "buyer_phone", "notes", "tracking_number")
    originals = {
        order.pk: {name: getattr(order, name) for name in old_fields}
        for order in (old_shared, old_own)
    }
    expected_addresses = {
        old_shared.pk: (
            {name: getattr(shared, name) for name in ADDRESS_FIELDS},
            {name: getattr(own, name) for name in ADDRESS_FIELDS},
        ),
        old_own.pk: ({name: getattr(own, name) for name in ADDRESS_FIELDS},) * 2,
    }
    # What the old code left: cold records in the old format, placeholders in the main database,
    # and (before the migration) no address columns on the orders.
    with at(2024, 3, 1) as now:
        purge_on = purge_date_for(now)
        cold_records_store(
            items=[
                *((ColdRecord.Kind.ORDER, pk, {"f": f, "m": []}) for pk, f in originals.items()),
                (
                    ColdRecord.Kind.ADDRESS,
                    own.pk,
                    {"f": {name: getattr(own, name) for name in ADDRESS_PERSONAL_FIELDS}},
                ),
            ],
            anonymized_at=now,
            purge_on=purge_on,
        )
    state = {"privacy_state": PrivacyState.ANONYMIZED, "anonymized_at": now, "purge_on": purge_on}
    Order.objects.filter(pk__in=originals).update(
        buyer_email=ANONYMIZED, buyer_phone=ANONYMIZED, notes=ANONYMIZED, **state
    )
    type(own).objects.filter(pk=own.pk).update(
        **{name: ANONYMIZED for name in ADDRESS_PERSONAL_FIELDS if getattr(own, name)}, **state
    )
    blank = {f"{role}_{name}": "" for role in ("billing", "shipping") for name in ADDRESS_FIELDS}
    Order.objects.update(**blank)

    with connection.schema_editor() as editor:
        _migration().copy_addresses(apps, editor)
        _migration().freeze_invoices(apps, editor)

    active, old_shared, old_own = fresh(active), fresh(old_shared), fresh(old_own)
    assert active.billing_city == "Mainz"
    for order in (old_shared, old_own):
        values = [
            getattr(order, f"{r}_{n}") for r in ("billing", "shipping") for n in ("city", "street")
        ]
        assert set(values) == {ANONYMIZED}
        assert order.billing_country == "DE"
    assert issued_invoice(Invoice.objects.get(order=old_own)).billing.city == ANONYMIZED

    restore(old_shared, old_own)

    for order in (fresh(old_shared), fresh(old_own)):
        assert order.privacy_state == PrivacyState.ACTIVE
        assert {name: getattr(order, name) for name in old_fields} == originals[order.pk]
        billing, shipping = expected_addresses[order.pk]
        assert order.billing_address.as_dict() == billing
        assert order.shipping_address.as_dict() == shipping
    assert fresh(own).city == "Bonn"
    invoice = Invoice.objects.get(order=old_own)
    assert invoice.buyer is None  # printed what the order shows again
    assert issued_invoice(invoice).billing.city == "Bonn"
    assert not ColdRecord.objects.exists()


def test_no_anonymized_page_of_a_seeded_database_shows_what_it_showed_before(merchant_client):
    """The leak scan of issue 9: seeded repeat customers share addresses between orders; the
    oldest third is anonymized by date range, as a merchant would."""
    from django.core.management import call_command

    from orders.privacy.jobs import privacy_job_anonymize, privacy_job_run
    from orders.privacy.selection import Selection

    call_command("seed_demo", orders=300, seed=9, stdout=io.StringIO())
    dates = list(Order.objects.order_by("order_date").values_list("order_date", flat=True))
    cutoff = dates[len(dates) // 3].date()
    oldest = list(Order.objects.filter(order_date__date__lte=cutoff).order_by("pk"))
    before = {
        order.pk: {
            value
            for role in ("billing", "shipping")
            for name in ("last_name", "street", "city")
            if len(value := getattr(order, f"{role}_{name}")) > 3
        }
        | {order.buyer_email}
        for order in oldest
    }
    shared = Order.objects.filter(
        billing_entry__in=[o.billing_entry_id for o in oldest], order_date__date__gt=cutoff
    )
    assert shared.exists()  # the case the issue measured: a later order uses the same entry

    job = privacy_job_anonymize(
        selection=Selection(date_field="order_date", date_from=dates[0].date(), date_to=cutoff),
        requested_by=None,
        background=False,
    )
    privacy_job_run(job_id=job.pk)

    leaks = []
    for order in oldest:
        assert fresh(order).privacy_state == PrivacyState.ANONYMIZED
        page = merchant_client.get(reverse("orders:detail", args=[order.pk])).text
        leaks += [
            (order.pk, value)
            for value in before[order.pk]
            if re.search(rf"(?<!\w){re.escape(value)}(?!\w)", page)
        ]
    assert not leaks, leaks[:10]


def test_the_current_record_layout_lists_the_order_fields_of_today():
    """A layout once written never changes: a change of ORDER_FIELDS needs a new layout number
    (and the old one kept), or older records would restore into the wrong columns."""
    from orders.privacy.fields import ORDER_FIELDS, ORDER_RECORD_LAYOUT, ORDER_RECORD_LAYOUTS

    assert ORDER_RECORD_LAYOUTS[ORDER_RECORD_LAYOUT] == ORDER_FIELDS
    assert ORDER_RECORD_LAYOUTS[1] == (
        "buyer_email",
        "buyer_phone",
        "notes",
        "tracking_number",
        *(
            f"{role}_{name}"
            for role in ("billing", "shipping")
            for name in (
                "first_name",
                "last_name",
                "company",
                "street",
                "house_number",
                "line2",
                "postcode",
                "city",
                "state",
            )
        ),
    )
