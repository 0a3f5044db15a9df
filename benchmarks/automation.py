"""Automation throughput on PostgreSQL: N restored orders, one rule, one evaluator run.

Usage (a database of its own; it is seeded on first run):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/orderdesk_bench \\
    COLDSTORAGE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/orderdesk_bench_cold \\
    .venv/bin/python benchmarks/automation.py [--orders 100000] [--full-restore] [--once]

The "Kundendaten wiederhergestellt" events are written by the history writer the restore chunks
use (`orders.history.record_for_orders`, one statement per 2,000 orders, as a chunk does); with
`--full-restore` they come from a real anonymize and restore job instead (slower to prepare, the
same events). Then one rule "Kundendaten wiederhergestellt → Bestellstatus setzen: Archiviert"
(or, with `--action noop`, an action that does nothing) is evaluated by one `automation_run()` (firings, the status update, the status and rule_fired
history entries), and once more to show that a second run fires nothing. The last line is
machine-readable.
"""

import argparse
import time

from _setup import all_orders, prepare, start_django


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--full-restore", action="store_true")
    parser.add_argument(
        "--once",
        action="store_true",
        help="the rule fires once per order (the editor's default: no 'kann mehrfach gesendet "
        "werden'): each batch also checks the rule's earlier firings and the mails' dedupe keys",
    )
    parser.add_argument(
        "--action",
        choices=["set_status", "mail", "noop"],
        default="set_status",
        help="mail: 'E-Mail an mich senden' (the issue's mail rule: one outbox row per order; "
        "sending is the outbox task's, not measured here); noop: a benchmark-only action that "
        "does nothing (the evaluator's own cost: events read, firings, rule_fired entries)",
    )
    args = parser.parse_args()

    start_django("benchmarks/automation.py", "orderdesk-bench.keys")
    from automation.actions import ActionKind, Outcome, register
    from automation.evaluator import automation_run
    from automation.models import Action, Firing, Rule, StreamCursor
    from orders import history
    from orders.models import Order, OrderEvent
    from orders.privacy.jobs import privacy_job_anonymize, privacy_job_restore, privacy_job_run

    prepare(args.orders)
    Order.objects.exclude(status="paid").update(status="paid")  # as before an earlier run
    Rule.objects.all().delete()
    StreamCursor.objects.all().delete()
    rule = Rule.objects.create(name="Benchmark", trigger="restored", repeatable=not args.once)
    if args.action == "mail":
        from notifications.models import NotificationText, OutgoingMail

        OutgoingMail.objects.all().delete()
        text, _created = NotificationText.objects.get_or_create(
            name="Benchmark", defaults={"subject": "{OrderNumber}", "body_text": "{RestoredAt}"}
        )
        Action.objects.create(rule=rule, kind="mail_merchant", params={"text": text.pk})
    elif args.action == "noop":
        register(ActionKind("noop", "Benchmark", lambda rule, params, ids: Outcome(code="noop")))
        Action.objects.create(rule=rule, kind="noop")
    else:
        Action.objects.create(rule=rule, kind="set_status", params={"status": "archived"})
    automation_run()  # the cursor starts here

    ids = list(Order.objects.order_by("pk").values_list("pk", flat=True)[: args.orders])
    started = time.perf_counter()
    if args.full_restore:
        selection = all_orders()
        for start in (privacy_job_anonymize, privacy_job_restore):
            job = start(selection=selection, source="benchmark", background=False)
            privacy_job_run(job_id=job.pk)
    else:
        actor = history.Actor.system("benchmark")
        for i in range(0, len(ids), 2000):
            history.record_for_orders(ids[i : i + 2000], OrderEvent.Kind.RESTORED, actor=actor)
    print(f"{len(ids):,} restore events written in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    result = automation_run()
    elapsed = time.perf_counter() - started
    fired = Firing.objects.filter(rule=rule).count()
    print(f"run 1: {result.events:,} events read, {result.fired:,} firings in {elapsed:.2f} s")
    started = time.perf_counter()
    again = automation_run()
    print(f"run 2: {again.fired} firings in {time.perf_counter() - started:.2f} s")
    assert fired == result.fired, (fired, result.fired)
    if args.action == "mail":
        outbox = OutgoingMail.objects.count()
        print(f"{outbox:,} outbox rows ({outbox / elapsed:,.0f} per s)")
        assert outbox == result.fired, (outbox, result.fired)
        OutgoingMail.objects.all().delete()  # not to be sent by a worker of this database
    # The orders go back as they were for the next benchmark (the firings stay out of the way).
    Rule.objects.filter(pk=rule.pk).delete()
    print(f"automation_events_per_s={result.events / elapsed:.0f}")


if __name__ == "__main__":
    main()
