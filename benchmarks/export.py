"""CSV export throughput and memory on PostgreSQL: every order of the database, through the
export's own generator (orders.export.order_export_lines), into a sink that only counts bytes.

Usage (a database of its own; it is seeded on first run):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/orderdesk_expbench \\
    COLDSTORAGE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/orderdesk_expbench_cold \\
    .venv/bin/python benchmarks/export.py [--orders 1000000] [--chunk-size 2000]

Seeding runs in this process; the measurement in a fresh child process, so that the peak RSS is
the export's (Django and the database driver included), not the seed's. It exports once per
order and once per line item (Excel dialect, with personal columns: the widest file), then a
shorter pass under tracemalloc for the Python heap's peak. The last lines are machine-readable.
"""

import argparse
import subprocess
import sys
import time

from _setup import prepare, start_django


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--chunk-size", type=int, default=None)
    parser.add_argument("--traced-orders", type=int, default=50_000)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    start_django("benchmarks/export.py", "orderdesk-expbench.keys")
    if args.measure:
        measure(args)
        return
    prepare(args.orders)
    child = [sys.executable, __file__, "--measure", "--orders", str(args.orders)]
    child += ["--traced-orders", str(args.traced_orders)]
    if args.chunk_size:
        child += ["--chunk-size", str(args.chunk_size)]
    sys.exit(subprocess.run(child, check=False).returncode)


class _Sink:
    """A /dev/null that counts: the export's text encoded as the download sends it."""

    def __init__(self):
        self.bytes = 0

    def write(self, piece: str) -> None:
        self.bytes += len(piece.encode())


def _run(orders, options, chunk_size):
    from orders.export import CHUNK_SIZE, order_export_lines

    sink = _Sink()
    written = []
    started = time.perf_counter()
    for piece in order_export_lines(
        orders, options=options, chunk_size=chunk_size or CHUNK_SIZE, on_finish=written.append
    ):
        sink.write(piece)
    return written[0], time.perf_counter() - started, sink.bytes


def _peak_rss_mb() -> float:
    """This process's peak resident memory. Linux's VmHWM belongs to the process image; the
    rusage maximum survives exec and would report the seeding parent's peak (a 1M-order seed
    showed 347 MB for an export that never exceeded 82 MB)."""
    import resource

    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(args) -> None:
    import tracemalloc

    from orders.export import ExportOptions
    from orders.models import Order

    total = Order.objects.count()
    print(f"{total:,} orders", flush=True)

    rows, seconds, size = _run(Order.objects.all(), ExportOptions(), args.chunk_size)
    rate = rows / seconds
    print(f"per order: {rows:,} rows in {seconds:.2f} s, {size / 1e6:,.0f} MB", flush=True)

    item_rows, item_seconds, item_size = _run(
        Order.objects.all(), ExportOptions(per_item=True), args.chunk_size
    )
    item_rate = item_rows / item_seconds
    print(
        f"per item:  {item_rows:,} rows in {item_seconds:.2f} s, {item_size / 1e6:,.0f} MB",
        flush=True,
    )
    peak_rss_mb = _peak_rss_mb()

    # The Python heap's peak over a part of the table (tracing makes allocations slow).
    last = Order.objects.order_by("pk").values_list("pk", flat=True)[
        max(0, min(args.traced_orders, total) - 1)
    ]
    tracemalloc.start()
    _run(Order.objects.filter(pk__lte=last), ExportOptions(per_item=True), args.chunk_size)
    _current, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"tracemalloc peak over {min(args.traced_orders, total):,} orders", flush=True)

    print(f"export_rows_per_s={rate:.0f}")
    print(f"export_item_rows_per_s={item_rate:.0f}")
    print(f"export_peak_rss_mb={peak_rss_mb:.0f}")
    print(f"export_tracemalloc_peak_mb={traced_peak / 2**20:.1f}")


if __name__ == "__main__":
    main()
