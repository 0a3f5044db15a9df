"""Fixtures for the privacy lifecycle: real commits on both databases, a fixed clock."""

import datetime

import pytest
from django.utils import timezone

from customers.models import Address, Customer
from orders.models import Order, PrivacyJob
from orders.privacy.jobs import privacy_job_anonymize, privacy_job_restore, privacy_job_run
from orders.privacy.selection import Selection

BOTH = ["default", "coldstorage"]


def anonymize(*orders, user=None) -> PrivacyJob:
    job = privacy_job_anonymize(
        selection=Selection.of_ids(o.pk for o in orders), requested_by=user, background=False
    )
    return privacy_job_run(job_id=job.pk)


def restore(*orders, user=None) -> PrivacyJob:
    job = privacy_job_restore(
        selection=Selection.of_ids(o.pk for o in orders), requested_by=user, background=False
    )
    return privacy_job_run(job_id=job.pk) if not job.is_finished else job


def fresh(obj):
    obj.refresh_from_db()
    return obj


@pytest.fixture
def at():
    """Runs the block as if it were the given local date/time: `with at(2022, 12, 31): ...`."""
    from contextlib import contextmanager
    from unittest import mock

    @contextmanager
    def _at(*args):
        moment = timezone.make_aware(datetime.datetime(*args))
        with mock.patch("django.utils.timezone.now", return_value=moment):
            yield moment

    return _at


__all__ = ["BOTH", "Address", "Customer", "Order", "anonymize", "fresh", "restore"]


def personal_snapshot(order_ids) -> dict[int, tuple]:
    """The personal data of orders with their addresses and customers, for later comparison."""
    from customers.models import ADDRESS_PERSONAL_FIELDS
    from orders.privacy.fields import CUSTOMER_FIELDS, ORDER_FIELDS

    snapshot = {}
    orders = (
        Order.objects.filter(pk__in=list(order_ids))
        .select_related("customer", "billing_entry", "shipping_entry")
        .prefetch_related("customer__emails")
    )
    for order in orders:
        snapshot[order.pk] = (
            tuple(getattr(order, f) for f in ORDER_FIELDS),
            tuple(getattr(order.billing_entry, f) for f in ADDRESS_PERSONAL_FIELDS),
            tuple(getattr(order.shipping_entry, f) for f in ADDRESS_PERSONAL_FIELDS),
            tuple(getattr(order.customer, f) for f in CUSTOMER_FIELDS),
            tuple(email.email for email in order.customer.emails.all()),
        )
    return snapshot


def assert_invariants(original: dict[int, tuple], *, settled: bool = True) -> None:
    """SPEC 12: every order fully active with its data, or fully anonymized with exactly one cold
    record that decrypts to its data; likewise for addresses and customers.

    Right after a crash (`settled=False`) active objects may still carry a spare cold record
    (written before the main database committed); no data may be lost even then."""
    from coldstorage.models import ColdRecord
    from coldstorage.services import cold_records_load
    from customers.models import ADDRESS_PERSONAL_FIELDS
    from orders.privacy.fields import ORDER_FIELDS, order_record_fields
    from personal.state import PrivacyState as S

    current = personal_snapshot(original)
    cold = {
        kind: set(ColdRecord.objects.filter(kind=kind).values_list("object_id", flat=True))
        for kind in ("order", "address", "customer")
    }
    orders = list(
        Order.objects.filter(pk__in=list(original)).select_related(
            "customer", "billing_entry", "shipping_entry"
        )
    )
    order_payloads = cold_records_load(kind="order", ids=[o.pk for o in orders])
    address_payloads = cold_records_load(
        kind="address",
        ids={o.billing_entry_id for o in orders} | {o.shipping_entry_id for o in orders},
    )
    for order in orders:
        allowed = (S.ACTIVE, S.ANONYMIZED) if settled else (S.ACTIVE, S.ANONYMIZED, S.RESTORING)
        assert order.privacy_state in allowed, order.privacy_state
        if order.privacy_state == S.ACTIVE:
            assert current[order.pk] == original[order.pk]
            assert not settled or order.pk not in cold["order"]
            for piece, kind in (
                (order.billing_entry, "address"),
                (order.shipping_entry, "address"),
                (order.customer, "customer"),
            ):
                assert piece.privacy_state == S.ACTIVE
                assert not settled or piece.pk not in cold[kind]
        else:
            payload = order_payloads[order.pk]
            fields = order_record_fields(payload)
            assert tuple(fields[f] for f in ORDER_FIELDS) == original[order.pk][0]
            for address, position in ((order.billing_entry, 1), (order.shipping_entry, 2)):
                if address.privacy_state != S.ACTIVE:
                    stored = address_payloads[address.pk]
                    assert (
                        tuple(stored["f"][f] for f in ADDRESS_PERSONAL_FIELDS)
                        == original[order.pk][position]
                    )
                else:
                    assert not settled or address.pk not in cold["address"]
    # Pieces whose orders are all anonymized are anonymized (and the other way round).
    states_of: dict[int, set] = {}
    customer_ids = {o.customer_id for o in orders}
    for customer_id, state in Order.objects.filter(customer_id__in=customer_ids).values_list(
        "customer_id", "privacy_state"
    ):
        states_of.setdefault(customer_id, set()).add(state)
    for customer in Customer.objects.filter(pk__in=customer_ids):
        states = states_of[customer.pk]
        all_anonymized = states <= {S.ANONYMIZED, S.PURGED}
        if not settled and S.RESTORING in states:
            continue
        assert (customer.privacy_state == S.ANONYMIZED) == all_anonymized, customer.pk
        if settled:
            assert (customer.pk in cold["customer"]) == all_anonymized


def bulk_orders(n: int, *, per_customer: int = 3, channel=None) -> list[int]:
    """n orders in a few bulk inserts; customers share orders (and one of two addresses)."""
    from channels.models import Channel

    channel = channel or Channel.objects.get_or_create(name="Bulk", kind=Channel.Kind.SHOP)[0]
    start = (Order.objects.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    customers = Customer.objects.bulk_create(
        Customer(
            number=start + i,
            first_name=f"Vorname{i}",
            last_name=f"Nachname{i}",
            psp_token=f"tok_{i}",
            extra_fields={"Kostenstelle": str(i)},
        )
        for i in range((n + per_customer - 1) // per_customer)
    )
    addresses = Address.objects.bulk_create(
        Address(customer=c, street=f"Straße {c.number}-{k}", city="Köln", country="DE")
        for c in customers
        for k in range(2)
    )
    orders = Order.objects.bulk_create(
        Order(
            number=start + i,
            channel=channel,
            customer=customers[i // per_customer],
            billing_entry=addresses[(i // per_customer) * 2 + (i % 2)],
            shipping_entry=addresses[(i // per_customer) * 2 + (i % 2)],
            order_date=timezone.make_aware(datetime.datetime(2024, 1, 1 + i % 28, 12)),
            buyer_email=f"kaeufer{i}@example.de",
            notes=f"Notiz {i}",
        )
        for i in range(n)
    )
    return [o.pk for o in orders]
