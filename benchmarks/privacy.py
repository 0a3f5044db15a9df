"""Privacy engine throughput on PostgreSQL: anonymize and restore 100,000 orders end to end.

Usage (a database of its own; it is seeded on first run and reset after each run):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/orderdesk_bench \\
    COLDSTORAGE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/orderdesk_bench_cold \\
    .venv/bin/python benchmarks/privacy.py [--orders 100000] [--naive 3000] [--chunk-size 2000]

It anonymizes every order by order-date range through the job code (the same path as the UI, the
commands and the schedules), restores them all, and runs a deliberately naive per-object ORM
anonymization of a sample inside transactions that are rolled back (a throwaway copy), as the
baseline. The last lines are machine-readable figures.
"""

import argparse
import time

from _setup import all_orders, prepare, start_django


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--naive", type=int, default=3000, help="orders for the naive baseline")
    parser.add_argument("--chunk-size", type=int, default=None)
    args = parser.parse_args()

    start_django("benchmarks/privacy.py", "orderdesk-bench.keys")
    from orders.models import Order
    from orders.privacy.jobs import privacy_job_anonymize, privacy_job_restore, privacy_job_run

    prepare(args.orders)
    selection = all_orders()
    total = selection.filter(Order.objects.all()).count()
    print(f"{total} orders, {selection.describe()}", flush=True)

    started = time.perf_counter()
    job = privacy_job_anonymize(selection=selection, source="benchmark", background=False)
    job = privacy_job_run(job_id=job.pk, chunk_size=args.chunk_size)
    anonymize_s = time.perf_counter() - started
    anonymized = job.summary.get("anonymized", 0)
    print(f"anonymize: {anonymized} orders in {anonymize_s:.2f} s  {job.summary}", flush=True)

    started = time.perf_counter()
    job = privacy_job_restore(selection=selection, source="benchmark", background=False)
    job = privacy_job_run(job_id=job.pk, chunk_size=args.chunk_size)
    restore_s = time.perf_counter() - started
    restored = job.summary.get("restored", 0)
    print(f"restore:   {restored} orders in {restore_s:.2f} s  {job.summary}", flush=True)

    sample = list(Order.objects.order_by("pk").values_list("pk", flat=True)[: args.naive])
    naive_s = naive_anonymize(sample)
    print(f"naive:     {len(sample)} orders in {naive_s:.2f} s (rolled back)", flush=True)

    anonymize_rate = anonymized / anonymize_s
    naive_rate = len(sample) / naive_s
    print(f"speed-up over naive: {anonymize_rate / naive_rate:.1f}x")
    print(f"anonymize_orders_per_s={anonymize_rate:.0f}")
    print(f"restore_orders_per_s={restored / restore_s:.0f}")
    print(f"naive_anonymize_orders_per_s={naive_rate:.0f}")


class _Rollback(Exception):
    pass


def naive_anonymize(order_ids: list[int]) -> float:
    """What one would write first: per order, per address, per customer, save() by save()."""
    from django.db import transaction
    from django.utils import timezone

    from coldstorage import crypto
    from coldstorage.models import ColdRecord
    from coldstorage.services import cold_keyring
    from customers.models import ADDRESS_PERSONAL_FIELDS
    from orders.models import Order, purge_date_for
    from orders.privacy.fields import CUSTOMER_TEXT_FIELDS, ORDER_FIELDS
    from personal.state import ANONYMIZED, PrivacyState

    ring = cold_keyring()

    def store(kind, pk, payload, now):
        key_id, nonce, ciphertext = crypto.seal(ring, kind, pk, payload)
        ColdRecord.objects.create(
            kind=kind,
            object_id=pk,
            anonymized_at=now,
            purge_on=purge_date_for(now),
            key_id=key_id,
            size=len(ciphertext),
            nonce=nonce,
            ciphertext=ciphertext,
        )

    started = time.perf_counter()
    try:
        with transaction.atomic(), transaction.atomic(using="coldstorage"):
            for pk in order_ids:
                now = timezone.now()
                order = Order.objects.get(pk=pk)
                store("order", pk, {f: getattr(order, f) for f in ORDER_FIELDS}, now)
                for field in ORDER_FIELDS:
                    setattr(order, field, ANONYMIZED)
                order.privacy_state = PrivacyState.ANONYMIZED
                order.anonymized_at = now
                order.purge_on = purge_date_for(now)
                order.save()
                for message in order.messages.all():
                    message.body = ANONYMIZED
                    message.save()
                for address in {order.billing_entry, order.shipping_entry}:
                    users = Order.objects.filter(billing_entry=address) | Order.objects.filter(
                        shipping_entry=address
                    )
                    if all(o.privacy_state != PrivacyState.ACTIVE for o in users):
                        store(
                            "address",
                            address.pk,
                            {f: getattr(address, f) for f in ADDRESS_PERSONAL_FIELDS},
                            now,
                        )
                        for field in ADDRESS_PERSONAL_FIELDS:
                            setattr(address, field, ANONYMIZED)
                        address.privacy_state = PrivacyState.ANONYMIZED
                        address.save()
                customer = order.customer
                if all(o.privacy_state != PrivacyState.ACTIVE for o in customer.orders.all()):
                    store(
                        "customer",
                        customer.pk,
                        {f: getattr(customer, f) for f in CUSTOMER_TEXT_FIELDS},
                        now,
                    )
                    for field in CUSTOMER_TEXT_FIELDS:
                        setattr(customer, field, ANONYMIZED)
                    customer.privacy_state = PrivacyState.ANONYMIZED
                    customer.save()
                    for email in customer.emails.all():
                        email.email = ANONYMIZED
                        email.save()
            raise _Rollback
    except _Rollback:
        pass
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
