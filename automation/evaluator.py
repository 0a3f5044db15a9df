"""The rules' evaluator: reads the order history in id order and fires each rule once per event.

One run (`automation_run`, every minute by a django-q2 schedule, or `manage.py run_automation`):
1. Reads the events after the cursor, in id ranges of BATCH_SIZE, and re-reads the trailing gaps
   behind it: events commit out of id order (a privacy chunk that started earlier commits later),
   so ids below the cursor that had no visible event at the last run are read again until they
   are filled or an hour old (a rolled-back transaction's ids never fill).
2. Per batch and per active rule (in their positions' order) one statement
   `INSERT INTO firing … SELECT … FROM events WHERE <trigger> AND order IN (<conditions>)
   ON CONFLICT DO NOTHING RETURNING` records the firings before the rule acts; the unique
   (rule, event) makes every re-read, a second run at the same time or a re-run after a crash
   insert nothing for what was done already, and the rule acts only on what it inserted.
3. The rule's actions run on those orders set-based, each in a savepoint: a failing action is
   recorded on the firings and the rule (last error) and never stops anything else. The firings'
   states and one history entry per order (rule_fired) are written in the same transaction as
   the firings, so a worker killed in between leaves nothing done and nothing recorded.
No hooks inside the privacy chunks and no on_commit callbacks: the history is the one stream.
"""

import datetime
import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from automation.actions import ACTIONS, Outcome
from automation.conditions import matching_orders
from automation.models import Firing, Rule, StreamCursor, Trigger
from config.lookups import id_array_literal
from orders import history
from orders.models import OrderEvent

logger = logging.getLogger(__name__)

BATCH_SIZE = 2000
CURSOR = "events"

#: The event kind each event trigger reads.
TRIGGER_EVENTS = {
    Trigger.IMPORTED: OrderEvent.Kind.IMPORTED,
    Trigger.STATUS_CHANGED: OrderEvent.Kind.STATUS_CHANGED,
    Trigger.RESTORED: OrderEvent.Kind.RESTORED,
    Trigger.ANONYMIZED: OrderEvent.Kind.ANONYMIZED,
}


@dataclass
class RunResult:
    events: int = 0
    fired: int = 0
    failed: int = 0
    by_rule: dict[int, int] = field(default_factory=lambda: defaultdict(int))


def _start_cursor(rules: list[Rule]) -> StreamCursor:
    """The first run starts after the history written before the first rule existed: a rule
    acts on what happens from its creation on, never on years of history."""
    first = min((rule.created_at for rule in rules), default=timezone.now())
    before = (
        OrderEvent.objects.filter(created_at__lt=first)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    cursor, _created = StreamCursor.objects.get_or_create(
        name=CURSOR, defaults={"last_event_id": before or 0}
    )
    return cursor


def _gap_lifetime() -> datetime.timedelta:
    return datetime.timedelta(seconds=getattr(settings, "AUTOMATION_GAP_SECONDS", 3600))


def _missing(low: int, high: int) -> list[tuple[int, int]]:
    """The id ranges in low … high (inclusive) without a visible event: ids of transactions not
    committed yet (or rolled back), in one scan of the primary key."""
    if low > high:
        return []
    table = OrderEvent._meta.db_table
    sql = (
        "SELECT previous + 1, id - 1 FROM ("
        f" SELECT id, lag(id, 1, %s) OVER (ORDER BY id) AS previous FROM ("
        f"  SELECT id FROM {table} WHERE id BETWEEN %s AND %s UNION ALL SELECT %s"
        " ) ids"
        ") s WHERE id - previous > 1"
    )
    with connection.cursor() as cur:
        cur.execute(sql, [low - 1, low, high, high + 1])
        return [(a, b) for a, b in cur.fetchall()]


#: The advisory lock one run holds (a session lock: released when its process dies).
_RUN_LOCK = 0x6F72_6465_7273_01


def automation_run(*, now: datetime.datetime | None = None) -> RunResult:
    """Evaluates the new history events and the time slot that has come. Safe to run twice, at
    the same time or after a crash: a run that finds another one running returns at once (the
    cursor has one writer), and the firings are unique anyway."""
    if connection.vendor != "postgresql":
        return _run(now=now or timezone.now())
    with connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_lock(%s)", [_RUN_LOCK])
        if not cur.fetchone()[0]:
            logger.info("automation: another run is busy")
            return RunResult()
    try:
        return _run(now=now or timezone.now())
    finally:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s)", [_RUN_LOCK])


def _run(*, now: datetime.datetime) -> RunResult:
    result = RunResult()
    rules = list(Rule.objects.filter(active=True).prefetch_related("conditions", "actions"))
    event_rules = [r for r in rules if r.trigger in TRIGGER_EVENTS]
    cursor = StreamCursor.objects.filter(name=CURSOR).first() or _start_cursor(rules)
    last = OrderEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    last = max(last, cursor.last_event_id)
    # The ranges to read: the gaps left behind the cursor (events that commit out of id order
    # become visible there later) and everything after it. Gaps are found before the events are
    # read, so an event is read at the latest the run after it committed; a rare second read is
    # skipped by the unique firing.
    ranges, gaps = [], []
    expired = now - _gap_lifetime()
    for low, high, noted in cursor.gaps:
        ranges.append((low, high))
        noted_at = datetime.datetime.fromisoformat(noted)
        if noted_at >= expired:  # older ones were rolled back: no transaction runs this long
            gaps += [(a, b, noted) for a, b in _missing(low, high)]
    ranges.append((cursor.last_event_id + 1, last))
    gaps += [(a, b, now.isoformat()) for a, b in _missing(cursor.last_event_id + 1, last)]
    kinds = {TRIGGER_EVENTS[rule.trigger] for rule in event_rules}
    if event_rules:
        for low, high in ranges:
            for batch_low in range(low, high + 1, BATCH_SIZE):
                batch_high = min(batch_low + BATCH_SIZE - 1, high)
                # The batch's orders: the conditions are evaluated on them alone, by primary key.
                order_ids = set(
                    OrderEvent.objects.filter(
                        pk__gte=batch_low, pk__lte=batch_high, kind__in=kinds
                    ).values_list("order_id", flat=True)
                )
                if not order_ids:
                    continue
                for rule in event_rules:
                    _fire_for_events(
                        rule, batch_low - 1, batch_high, order_ids, now=now, result=result
                    )
    result.events = sum(high - low + 1 for low, high in ranges if high >= low)
    StreamCursor.objects.filter(pk=CURSOR).update(
        last_event_id=last, gaps=[list(gap) for gap in gaps], updated_at=now
    )
    for rule in rules:
        if rule.trigger == Trigger.SCHEDULED and _slot_due(rule, now):
            _fire_for_slot(rule, now=now, result=result)
    return result


def _slot_due(rule: Rule, now: datetime.datetime) -> bool:
    local = timezone.localtime(now)
    return local.weekday() in rule.weekdays and local.hour in rule.hours


def _slot_of(now: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(now).replace(minute=0, second=0, microsecond=0)


def _order_ids_sql(
    rule: Rule, *, now: datetime.datetime, queryset: QuerySet | None = None, among=None
):
    orders = queryset if queryset is not None else matching_orders(rule, now=now)
    if among is not None:
        orders = orders.filter(pk__in_ids=among)
    if not rule.repeatable:
        # Done once for an order: not again (refused ones may run again).
        if among is not None:
            done = _done_among(rule, among)
            if done:
                orders = orders.exclude(pk__in_ids=done)
        else:
            done = Firing.objects.filter(rule=rule, state=Firing.State.DONE)
            orders = orders.exclude(pk__in=done.values("order_id"))
    # One column named `order_pk`, so the callers' `o.order_pk` reads it on every database.
    return orders.order_by().values(order_pk=F("pk")).query.sql_with_params()


def _done_among(rule: Rule, order_ids: set[int]) -> set[int]:
    """Which of a batch's orders the rule has done already: one index probe per order on
    (rule, order). As a subquery (NOT IN, NOT EXISTS) the planner read all of the rule's
    firings per batch instead – by index or sequentially, depending on the statistics – and a
    rule that fires once per order slowed down with every batch (100,000 events: 12 s → 4 s)."""
    if connection.vendor != "postgresql":
        done = Firing.objects.filter(rule=rule, state=Firing.State.DONE, order_id__in_ids=order_ids)
        return set(done.values_list("order_id", flat=True))
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT f.order_id FROM unnest(%s::bigint[]) AS a(id) "
            f"JOIN {Firing._meta.db_table} f ON f.rule_id = %s AND f.order_id = a.id "
            "AND f.state = %s",
            [id_array_literal(order_ids), rule.pk, Firing.State.DONE],
        )
        return {row[0] for row in cur.fetchall()}


def _fire_for_events(
    rule: Rule, low: int, high: int, order_ids: set[int], *, now, result: RunResult
) -> None:
    kind = TRIGGER_EVENTS[rule.trigger]
    if not rule.conditions.all():
        # Every order matches: no join with the orders at all (the foreign key holds them). A
        # join made the planner read every event of each order when the event table had grown
        # since its statistics (2.8 million events: 200 ms per batch instead of 10).
        orders_filter, orders_params = "", []
        done = set() if rule.repeatable else _done_among(rule, order_ids)
        if done and connection.vendor == "postgresql":
            orders_filter, orders_params = (
                " AND NOT e.order_id = ANY(%s::bigint[])",
                [id_array_literal(done)],
            )
        elif done:
            orders_filter = f" AND e.order_id NOT IN ({', '.join(['%s'] * len(done))})"
            orders_params = sorted(done)
    else:
        orders_sql, orders_params = _order_ids_sql(rule, now=now, among=order_ids)
        orders_filter = f" AND e.order_id IN ({orders_sql})"
    # A rule acts on what happens from its creation on.
    where = ["e.id > %s", "e.id <= %s", "e.kind = %s", "e.created_at >= %s"]
    params = [low, high, kind, rule.created_at]
    if rule.trigger == Trigger.STATUS_CHANGED and rule.target_status:
        # The event's facts name the new status as a code: {"status": [old, new]}.
        where.append("e.params -> 'status' ->> 1 = %s")
        params.append(rule.target_status)
    firing, event = Firing._meta.db_table, OrderEvent._meta.db_table
    sql = (
        f"INSERT INTO {firing} (rule_id, event_id, order_id, state, detail, created_at) "
        f"SELECT %s, e.id, e.order_id, %s, '', %s FROM {event} e "
        f"WHERE {' AND '.join(where)}{orders_filter} "
        "ON CONFLICT DO NOTHING RETURNING id, order_id"
    )
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute(sql, [rule.pk, Firing.State.DONE, now, *params, *orders_params])
            inserted = cur.fetchall()
        if inserted:
            _act(rule, inserted, now=now, result=result)


def _fire_for_slot(rule: Rule, *, now, result: RunResult) -> None:
    orders_sql, orders_params = _order_ids_sql(rule, now=now)
    firing = Firing._meta.db_table
    sql = (
        f"INSERT INTO {firing} (rule_id, slot, order_id, state, detail, created_at) "
        f"SELECT %s, %s, o.order_pk, %s, '', %s FROM ({orders_sql}) o WHERE true "
        "ON CONFLICT DO NOTHING RETURNING id, order_id"
    )
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute(sql, [rule.pk, _slot_of(now), Firing.State.DONE, now, *orders_params])
            inserted = cur.fetchall()
        for start in range(0, len(inserted), BATCH_SIZE):
            _act(rule, inserted[start : start + BATCH_SIZE], now=now, result=result)


def rule_run_by_hand(*, rule: Rule, order_ids, user) -> tuple[int, int]:
    """ "Regel ausführen" on ticked orders: the rule's conditions filter them, then it acts as
    if triggered (no event, so no uniqueness: each run by hand is a run of its own). Returns
    (ticked, matched)."""
    now = timezone.now()
    ids = sorted({int(i) for i in order_ids})
    if not ids:
        return 0, 0
    ticked = matching_orders(rule, now=now).filter(pk__in_ids=set(ids))
    orders_sql, orders_params = _order_ids_sql(rule, now=now, queryset=ticked)
    firing = Firing._meta.db_table
    sql = (
        f"INSERT INTO {firing} (rule_id, order_id, state, detail, created_at) "
        f"SELECT %s, o.order_pk, %s, %s, %s FROM ({orders_sql}) o RETURNING id, order_id"
    )
    result = RunResult()
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute(sql, [rule.pk, Firing.State.DONE, "by_hand", now, *orders_params])
            inserted = cur.fetchall()
        for start in range(0, len(inserted), BATCH_SIZE):
            _act(rule, inserted[start : start + BATCH_SIZE], now=now, result=result)
    return len(ids), len(inserted)


def rule_preview_count(*, rule: Rule, order_ids) -> int:
    """How many of the ticked orders the rule's conditions match."""
    ids = {int(i) for i in order_ids}
    if not ids:
        return 0
    return matching_orders(rule).filter(pk__in_ids=ids).count()


def _act(rule: Rule, inserted: list[tuple[int, int]], *, now, result: RunResult) -> None:
    """Runs the rule's actions on the orders of the firings just inserted, then records each
    firing's state and one history entry per order."""
    order_ids = sorted({order_id for _f, order_id in inserted})
    codes: list[str] = []
    refused: dict[int, str] = {}
    error = ""
    job_id = None
    for action in rule.actions.all():
        kind = ACTIONS.get(action.kind)
        targets = [pk for pk in order_ids if pk not in refused]
        if not targets:
            break
        try:
            if kind is None:
                raise LookupError(f"unknown action {action.kind}")
            with transaction.atomic():
                outcome: Outcome = kind.run(rule, action.params, targets)
        except Exception as exc:
            # The class and the action only: a database error's text can quote row values.
            error = f"{action.kind}: {type(exc).__name__}"
            # No traceback: a database error's text quotes row values (personal data).
            logger.error("automation: rule %s action %s failed: %s", rule.pk, action.kind, error)
            break
        codes.append(outcome.code)
        job_id = outcome.job_id or job_id
        for reason, ids in outcome.refused.items():
            for pk in ids:
                refused.setdefault(pk, reason)
    groups: dict[tuple, list[int]] = defaultdict(list)
    if error:
        groups[(Firing.State.FAILED, error)] = order_ids
    elif not refused:  # the common case: one group, no loop over the orders
        groups[(Firing.State.DONE, ",".join(codes))] = order_ids
    else:
        for pk in order_ids:
            if pk in refused:
                groups[(Firing.State.REFUSED, refused[pk])].append(pk)
            else:
                groups[(Firing.State.DONE, ",".join(codes))].append(pk)
    actor = history.Actor(label=rule.actor_label, job_id=job_id)
    for (state, detail), ids in groups.items():
        if state != Firing.State.DONE:  # inserted as done, in this transaction
            members = set(ids)
            Firing.objects.filter(
                pk__in_ids={f for f, order_id in inserted if order_id in members}
            ).update(state=state, detail=detail[:200])
        outcome_name = {"done": "done", "refused": "refused", "failed": "failed"}[state]
        params = history.rule_fired(
            rule_id=rule.pk,
            rule_name=rule.name,
            outcome=outcome_name,
            actions=codes if state == Firing.State.DONE else (),
            reason="" if state == Firing.State.DONE else detail,
        )
        if job_id and state == Firing.State.DONE:
            params["job"] = job_id
        history.record_for_orders(
            ids, OrderEvent.Kind.RULE_FIRED, actor=actor, params=params, created_at=now
        )
    updates = {"last_run_at": now, "last_run_count": len(order_ids)}
    if error:
        updates |= {"last_error": error, "last_error_at": now}
        result.failed += len(order_ids)
    Rule.objects.filter(pk=rule.pk).update(**updates)
    result.fired += len(inserted)
    result.by_rule[rule.pk] += len(inserted)
