"""CSV import throughput on PostgreSQL: an export of N seeded orders (one row per line item, plain
dialect) read back through the import's own services – the preview, then the import in one
transaction – into a channel of its own, rolled back afterwards so that the database stays as
seeded.

Usage (a database of its own; it is seeded on first run):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/orderdesk_impbench \\
    COLDSTORAGE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/orderdesk_impbench_cold \\
    .venv/bin/python benchmarks/import.py [--orders 10000]

The seeded orders' invoice numbers are blanked in the file (they are taken in this database);
running numbers are taken too, so every order gets a new one, and the customers are found by
e-mail address – the path of a real re-import. The last lines are machine-readable.
"""

import argparse
import csv
import io
import time

from _setup import prepare, start_django


class _Rollback(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    args = parser.parse_args()
    start_django("benchmarks/import.py", "orderdesk-impbench.keys")
    prepare(args.orders)

    from django.db import transaction

    from channels.models import Channel
    from orders.export import ExportOptions, order_export_lines
    from orders.importing.services import import_preview, orders_import
    from orders.models import Order

    orders = Order.objects.order_by("pk")[: args.orders]
    ids = list(orders.values_list("pk", flat=True))
    text = "".join(
        order_export_lines(
            Order.objects.filter(pk__in=ids), options=ExportOptions(dialect="plain", per_item=True)
        )
    )
    rows = list(csv.reader(io.StringIO(text, newline="")))
    column = rows[0].index("Rechnungsnummer")
    for row in rows[1:]:
        row[column] = ""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    content = buffer.getvalue().encode()
    print(f"{len(ids):,} orders, {len(rows) - 1:,} rows, {len(content) / 1e6:.1f} MB", flush=True)

    try:
        with transaction.atomic():
            channel = Channel.objects.create(name="Import-Benchmark", kind="shop")
            started = time.perf_counter()
            preview = import_preview(content=content, channel=channel, skip_duplicates=True)
            preview_seconds = time.perf_counter() - started
            assert preview.can_import, preview.refusals[:5]
            started = time.perf_counter()
            result = orders_import(
                content=content, channel=channel, skip_duplicates=True, actor=None
            )
            import_seconds = time.perf_counter() - started
            raise _Rollback
    except _Rollback:
        pass
    row_count = len(rows) - 1
    print(f"preview: {row_count:,} rows in {preview_seconds:.2f} s", flush=True)
    print(
        f"import (preview again + writes): {result.imported:,} orders in {import_seconds:.2f} s",
        flush=True,
    )
    print(f"import_preview_rows_per_s={row_count / preview_seconds:.0f}")
    print(f"import_rows_per_s={row_count / import_seconds:.0f}")
    print(f"import_orders_per_s={result.imported / import_seconds:.0f}")


if __name__ == "__main__":
    main()
