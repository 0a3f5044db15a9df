"""Channel-policy throughput on PostgreSQL: `anonymize_due` end to end on 1,000,000 orders.

Usage (a database of its own; seeded with `seed_demo` on first run, reset at the start of each run):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/orderdesk_due \\
    COLDSTORAGE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/orderdesk_due_cold \\
    VAR_DIR=/tmp/orderdesk_due \\
    uv run python benchmarks/anonymize_due.py [--orders 1000000] [--due-share 0.3]

Every demo channel gets a policy (Amazon its forced 40 days, the others 30 to 120 days), and the run
acts as of a moment (`anonymize_due --now`) chosen so that about `--due-share` of the orders are due:
the rollout case, where the first run finds a large backlog. It times the command as cron runs it
(job creation, every channel's job in the foreground, the output), checks that exactly the due
orders were anonymized, and prints `anonymize_due_orders_per_s=N` as the last line.
"""

import argparse
import datetime
import sys
import time
from io import StringIO

from _setup import prepare, start_django

# X days per demo channel kind; Amazon's 40 are forced anyway. Manual entry stays off.
POLICY_DAYS = {"ebay": 60, "shopify": 90, "woocommerce": 30, "shop": 120}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--due-share", type=float, default=0.3)
    parser.add_argument("--chunk-size", type=int, default=None)
    args = parser.parse_args()

    start_django("benchmarks/anonymize_due.py", "orderdesk-due.keys")
    from django.core.management import call_command
    from django.db.models import Max, Min
    from django.utils import timezone

    from channels.models import Channel
    from orders.models import Order, PrivacyJob
    from personal.state import PrivacyState

    prepare(args.orders)
    # Restores set restored_at, which restarts the policy clock: the seeded state has none.
    Order.objects.filter(restored_at__isnull=False).update(restored_at=None)

    for channel in Channel.objects.all():
        days = POLICY_DAYS.get(channel.kind)
        if channel.kind != Channel.Kind.AMAZON:
            channel.auto_anonymize = days is not None
            channel.auto_anonymize_days = days
            channel.save()
    channels = list(Channel.objects.order_by("name"))
    total = Order.objects.count()

    def due_at(now: datetime.datetime) -> int:
        return sum(
            Order.objects.due_for_anonymization(channel=channel, now=now).count()
            for channel in channels
        )

    # Bisect the moment (to the minute, as --now takes it) where the wanted share is due.
    wanted = round(total * args.due_share)
    low = Order.objects.aggregate(m=Min("order_date"))["m"]
    high = timezone.now() + datetime.timedelta(days=200)
    while high - low > datetime.timedelta(minutes=1):
        middle = low + (high - low) / 2
        if due_at(middle) < wanted:
            low = middle
        else:
            high = middle
    now = timezone.localtime(high).replace(second=0, microsecond=0) + datetime.timedelta(minutes=1)
    due = due_at(now)
    per_channel = {
        c.name: Order.objects.due_for_anonymization(channel=c, now=now).count() for c in channels
    }
    policies = ", ".join(
        f"{c.name} {c.anonymize_after_days if c.anonymize_after_days is not None else 'aus'}"
        for c in channels
    )
    print(f"{total:,} orders; policies (days): {policies}")
    print(f"acting as of {now:%Y-%m-%dT%H:%M}: {due:,} orders due ({due / total:.1%})", flush=True)
    print("  " + ", ".join(f"{name} {count:,}" for name, count in per_channel.items()), flush=True)

    first_job = PrivacyJob.objects.aggregate(m=Max("pk"))["m"] or 0
    options = {"now": f"{now:%Y-%m-%dT%H:%M}", "stdout": StringIO()}
    if args.chunk_size:
        options["chunk_size"] = args.chunk_size
    started = time.perf_counter()
    call_command("anonymize_due", **options)
    elapsed = time.perf_counter() - started

    output = options["stdout"].getvalue().splitlines()
    for line in output:
        if not line.endswith("%)"):  # the per-chunk progress lines
            print("  | " + line)
    anonymized = Order.objects.filter(privacy_state=PrivacyState.ANONYMIZED).count()
    jobs = PrivacyJob.objects.filter(pk__gt=first_job)
    reported = sum(job.summary.get("anonymized", 0) for job in jobs)
    print(
        f"anonymize_due: {anonymized:,} orders anonymized in {elapsed:.2f} s "
        f"({len(jobs)} jobs, {sum(1 for line in output if line.endswith('%)'))} chunks)"
    )
    if anonymized != due or reported != due:
        sys.exit(f"expected {due} anonymized orders, found {anonymized} (jobs say {reported})")
    if due_at(now):
        sys.exit("orders are still due after the run")
    print(f"anonymize_due_orders_per_s={anonymized / elapsed:.0f}")


if __name__ == "__main__":
    main()
