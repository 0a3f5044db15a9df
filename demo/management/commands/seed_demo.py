"""seed_demo: realistic German demo data (channels, customers, addresses, orders …) for any volume.

The rows come from `demo.generator`; this command reserves primary keys, keeps the invoice number
sequences in step and writes each batch in one transaction: binary COPY on PostgreSQL (a million
orders in a few minutes), executemany elsewhere.

A large seed on PostgreSQL (at least BULK_MIN_ORDERS, and no fewer than the orders already there)
runs as one transaction that drops the secondary indexes and foreign keys of the tables it fills
and recreates them from their catalog definitions at the end: building an index once is far
cheaper than maintaining it row by row, and if anything fails, the rollback restores them. The
tables are locked meanwhile, which is fine for seeding before the server starts.
"""

import random
import re
import time
from contextlib import nullcontext

from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.models import Count, F, Max
from django.utils import timezone

from channels.models import Channel
from customers.management.base import CardSafeCommand
from customers.models import Address, Customer, CustomerEmail, CustomerPhone, CustomerSource
from demo.generator import DEMO_CHANNELS, LAYOUT, Batch, DemoChannel, DemoGenerator
from documents.models import CompanySettings
from orders.models import NumberSequence, Order, OrderEvent, OrderItem, OrderMessage

FIRST_ORDER_NUMBER = 100001
FIRST_CUSTOMER_NUMBER = 10001
BULK_MIN_ORDERS = 50_000


class Command(CardSafeCommand):
    help = (
        "Creates realistic German demo data: the six demo channels, customers with addresses, "
        "orders with items, messages and history. Deterministic with --seed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=1000, help="how many orders (1000)")
        parser.add_argument(
            "--seed", type=int, help="random seed: the same seed gives the same data"
        )
        parser.add_argument(
            "--channels",
            nargs="+",
            metavar="CHANNEL",
            help="only these demo channels, by kind or name (e.g. amazon ebay shop); default: all",
        )
        parser.add_argument(
            "--batch-size", type=int, default=20000, help="orders per transaction (20000)"
        )

    def handle(self, *args, orders: int, seed: int | None, channels, batch_size: int, **options):
        if orders < 0:
            raise CommandError("--orders must be 0 or more")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        if seed is None:
            seed = random.SystemRandom().randrange(1_000_000)
        started = time.monotonic()
        demo_channels = self._channels(channels)
        if orders == 0:
            self.stdout.write("Nothing to do: --orders 0.")
            return

        last_order = Order.objects.aggregate(m=Max("number"))["m"]
        last_customer = Customer.objects.aggregate(m=Max("number"))["m"]
        generator = DemoGenerator(
            seed=seed,
            channels=demo_channels,
            now=timezone.now(),
            first_order_number=last_order + 1 if last_order else FIRST_ORDER_NUMBER,
            first_customer_number=last_customer + 1 if last_customer else FIRST_CUSTOMER_NUMBER,
            next_id=_PrimaryKeys(block=max(256, min(batch_size, orders) // 4)),
        )
        generator.plan(orders)
        self.stdout.write(
            f"Seeding {orders:,} orders of about {generator.planned_customers:,} customers "
            f"(seed {seed}, batches of {batch_size:,}) …"
        )

        bulk = (
            connection.vendor == "postgresql"
            and orders >= BULK_MIN_ORDERS
            and orders >= Order.objects.count()
        )
        totals = dict.fromkeys(LAYOUT, 0)
        with transaction.atomic() if bulk else nullcontext():
            if bulk:
                rebuild = _drop_secondary_indexes_and_foreign_keys()
                self.stdout.write(
                    f"Bulk load in one transaction: {len(rebuild)} indexes and foreign keys "
                    "are rebuilt at the end."
                )
            for batch in generator.batches(batch_size):
                _write_batch(batch)
                for model in LAYOUT:
                    totals[model] += batch.count(model)
                elapsed = time.monotonic() - started
                self.stdout.write(
                    f"  {totals[Order]:>10,} / {orders:,} orders  "
                    f"{totals[Order] / elapsed:>8,.0f} orders/s",
                )
            if bulk:
                rebuilding = time.monotonic()
                self.stdout.write("Rebuilding indexes and foreign keys …")
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
                    for statement in rebuild:
                        cursor.execute(statement)
                self.stdout.write(f"  rebuilt in {time.monotonic() - rebuilding:,.1f} s")
        if connection.vendor == "postgresql":
            tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in LAYOUT)
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {tables}")

        elapsed = time.monotonic() - started
        rows = sum(totals.values())
        self.stdout.write(
            self.style.SUCCESS(
                f"Done in {elapsed:,.1f} s: {totals[Order]:,} orders "
                f"({totals[Order] / elapsed:,.0f}/s), {totals[Customer]:,} customers, "
                f"{totals[Address]:,} addresses, {totals[OrderItem]:,} items, "
                f"{totals[OrderMessage]:,} messages, {totals[CustomerEmail]:,} emails, "
                f"{totals[CustomerPhone]:,} phones, {totals[CustomerSource]:,} sources, "
                f"{totals[OrderEvent]:,} history entries ({rows:,} rows, {rows / elapsed:,.0f}/s)."
            )
        )

    def _channels(self, wanted: list[str] | None) -> list[DemoChannel]:
        specs = DEMO_CHANNELS
        if wanted:
            names = {w.strip().casefold() for item in wanted for w in item.split(",") if w.strip()}
            specs = [s for s in DEMO_CHANNELS if {s[0].casefold(), s[1].value} & names]
            known = {s[0].casefold() for s in DEMO_CHANNELS} | {s[1].value for s in DEMO_CHANNELS}
            if unknown := names - known:
                raise CommandError(
                    f"unknown channel(s): {', '.join(sorted(unknown))}; choose from "
                    + ", ".join(f"{kind.value} ({name})" for name, kind, _w in DEMO_CHANNELS)
                )
        channels = []
        for name, kind, weight in specs:
            channel, created = Channel.objects.get_or_create(name=name, defaults={"kind": kind})
            if created:
                self.stdout.write(f"Channel {name} created.")
            channels.append(DemoChannel(id=channel.pk, kind=channel.kind, weight=weight, serial=0))
        counts = dict(
            Order.objects.filter(channel__in=[c.id for c in channels])
            .values_list("channel")
            .annotate(n=Count("id"))
        )
        for channel in channels:
            channel.serial = counts.get(channel.id, 0)
        return channels


class _PrimaryKeys:
    """Hands out primary keys: blocks from the PostgreSQL sequences, else counting up from max(id).

    Drawing from the sequences keeps concurrent inserts (the app, a worker) safe; unused keys of the
    last block only leave a gap.
    """

    def __init__(self, *, block: int):
        self.block = block
        self._pools: dict[type, list[int]] = {}
        self._next: dict[type, int] = {}

    def __call__(self, model: type) -> int:
        pool = self._pools.get(model)
        if not pool:
            pool = self._pools[model] = self._fetch(model)
        return pool.pop()

    def _fetch(self, model: type) -> list[int]:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [model._meta.db_table, self.block],
                )
                ids = [row[0] for row in cursor.fetchall()]
        else:
            start = self._next.get(model)
            if start is None:
                start = (model.objects.aggregate(m=Max("id"))["m"] or 0) + 1
            ids = list(range(start, start + self.block))
            self._next[model] = start + self.block
        ids.sort(reverse=True)  # pop() hands them out in ascending order
        return ids


def _drop_secondary_indexes_and_foreign_keys() -> list[str]:
    """Drops what slows row-by-row loading; returns the statements that recreate it, as it was.

    Kept: primary keys, unique indexes and anything backing a constraint (they guard the data).
    """
    tables = [model._meta.db_table for model in LAYOUT]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT format('DROP INDEX %%s', i.indexrelid::regclass), pg_get_indexdef(i.indexrelid)
            FROM pg_index i
            WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisunique AND NOT i.indisprimary
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid
                                                               AND c.conrelid = i.indrelid)
            UNION ALL
            SELECT format('ALTER TABLE %%s DROP CONSTRAINT %%I', conrelid::regclass, conname),
                   format('ALTER TABLE %%s ADD CONSTRAINT %%I %%s', conrelid::regclass, conname,
                          pg_get_constraintdef(oid))
            FROM pg_constraint
            WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])
            """,
            [tables, tables],
        )
        statements = cursor.fetchall()
        for drop, _create in statements:
            cursor.execute(drop)
    # Indexes first: they are listed first, and validating a foreign key does not need them.
    return [create for _drop, create in statements]


@transaction.atomic
def _write_batch(batch: Batch) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Demo data: losing the last batch in a crash is fine, waiting for the disk is not.
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
    batch.number_invoices(_reserve_invoice_numbers(batch.invoice_counts()))
    for model, rows in batch.rows.items():
        if rows:
            _insert(model, LAYOUT[model], rows)


def _reserve_invoice_numbers(counts: dict[int, int]) -> dict[int, int]:
    """Advances the "invoice-<year>" sequences, and the company settings' next invoice number
    past the highest of them, so later invoices continue after the seeded ones."""
    first = {}
    for year in sorted(counts):
        sequence, _created = NumberSequence.objects.select_for_update().get_or_create(
            name=f"invoice-{year}"
        )
        first[year] = sequence.last_value + 1
        NumberSequence.objects.filter(pk=sequence.pk).update(
            last_value=F("last_value") + counts[year]
        )
    if counts:
        highest = max(first[year] + counts[year] - 1 for year in counts)
        CompanySettings.load(for_update=True)
        CompanySettings.objects.filter(pk=1, next_invoice_number__lte=highest).update(
            next_invoice_number=highest + 1
        )
    return first


def _insert(model: type, columns: tuple[str, ...], rows: list) -> None:
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    fields = [model._meta.get_field(c) for c in columns]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            types = [re.sub(r"\(.*\)", "", f.db_type(connection)).strip() for f in fields]
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(types)
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            cursor.executemany(
                f"INSERT INTO {table} ({names}) VALUES ({placeholders})",
                [
                    [f.get_db_prep_save(v, connection) for f, v in zip(fields, row, strict=True)]
                    for row in rows
                ],
            )
