"""Privacy jobs: requesting anonymize / restore / purge, and running them chunk by chunk.

The job row is the source of truth. A worker claims it with a conditional UPDATE (the row count
proves who won) and renews the claim with every chunk. Its cursor only ever moves past chunks that
have committed (in the chunk's own transaction when chunks run one by one; once every earlier chunk
has committed when two run at once on PostgreSQL). A worker that dies leaves a stale heartbeat;
`reconcile_jobs` hands the job to a new worker, which continues after the cursor. Every chunk is
idempotent, so a chunk that is done twice, or by two workers, ends the same either way.
"""

import datetime
import logging
import queue
import secrets
import threading
import traceback
from array import array
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from channels.models import Channel
from coldstorage.crypto import TamperedRecordError
from coldstorage.keys import KeyConfigurationError
from coldstorage.models import ColdRecord
from coldstorage.services import (
    cold_keyring,
    cold_records_existing,
    cold_statistics_refresh,
    cold_transaction,
)
from orders.models import Order, OrderEvent, PrivacyJob, RestoreFailure
from orders.privacy import lifecycle
from orders.privacy.lifecycle import Actor
from orders.privacy.selection import Selection, SelectionError
from orders.privacy.skips import restorable, skipped_by_reason
from personal.state import PrivacyState as S

logger = logging.getLogger(__name__)

Progress = Callable[[PrivacyJob], None]


class LostLease(Exception):
    """Another worker took the job over; this one stops without touching it further."""


def _enqueue(job: PrivacyJob) -> None:
    from django_q.tasks import async_task

    job_id = job.pk
    transaction.on_commit(
        lambda: async_task(
            "orders.tasks.run_privacy_job",
            job_id,
            task_name=f"privacy-job-{job_id}",
            group="privacy",
        )
    )


def _actor_of(job: PrivacyJob) -> Actor:
    return Actor(user_id=job.requested_by_id, label=job.source, job_id=job.pk)


@transaction.atomic
def privacy_job_anonymize(
    *, selection: Selection, requested_by=None, source: str = "", background: bool = True
) -> PrivacyJob:
    """Queues the anonymization of the selected orders. Refuses (KeyConfigurationError) before
    anything happens when no cold-storage key is usable."""
    cold_keyring()
    total = selection.filter(Order.objects.all()).count()
    job = PrivacyJob.objects.create(
        kind=PrivacyJob.Kind.ANONYMIZE,
        requested_by=requested_by,
        source=source,
        selection=selection.to_json(),
        total=total,
    )
    if background:
        _enqueue(job)
    return job


@dataclass(frozen=True)
class PolicyRun:
    """What a channel-policy run started: one job per channel with a policy, and the ids of the
    channels it could not start one for (each logged; the others ran regardless)."""

    jobs: list[PrivacyJob] = field(default_factory=list)
    failed_channel_ids: list[int] = field(default_factory=list)


def privacy_job_anonymize_due(
    *,
    now: datetime.datetime | None = None,
    requested_by=None,
    background: bool = True,
    channel_ids: list[int] | None = None,
) -> PolicyRun:
    """One anonymize job per channel with a policy, for the orders due at `now` (SPEC 5).

    The cutoff (now − X days) is fixed on each job, so a resumed job selects what was due when it
    was created; the first run on an existing database simply finds the whole backlog due. Each
    channel's job is created in a transaction of its own: a channel that fails is logged and
    reported, and never stops another channel. An unusable key stops the run before any job.
    """
    now = now or timezone.now()
    cold_keyring()
    run = PolicyRun()
    channels = Channel.objects.filter(Q(auto_anonymize=True) | Q(kind=Channel.Kind.AMAZON))
    if channel_ids is not None:  # "Jetzt ausführen" on a channel's page
        channels = channels.filter(pk__in=channel_ids)
    for channel in channels.order_by("name", "pk"):
        try:
            with transaction.atomic():
                if channel.anonymize_after_days is None:
                    continue
                selection = Selection.due(channel_id=channel.pk, cutoff=channel.policy_cutoff(now))
                run.jobs.append(
                    privacy_job_anonymize(
                        selection=selection,
                        requested_by=requested_by,
                        source=channel.policy_actor_label,
                        background=background,
                    )
                )
        except KeyConfigurationError:
            raise
        except Exception as exc:
            # Ids and the error's class only: a database error's text can quote row values.
            logger.error(
                "channel policy run: no job for channel %s: %s\n%s",
                channel.pk,
                describe_failure(exc),
                "".join(traceback.format_tb(exc.__traceback__)),
            )
            run.failed_channel_ids.append(channel.pk)
    return run


@transaction.atomic
def privacy_job_restore(
    *, selection: Selection, requested_by=None, source: str = "", background: bool = True
) -> PrivacyJob:
    """Marks the selected anonymized orders `restoring` at once and queues their restore."""
    cold_keyring()
    now = timezone.now()
    today = timezone.localdate(now)
    selected = selection.filter(Order.objects.all())
    by_state = Counter(
        dict(selected.values_list("privacy_state").annotate(n=Count("pk")).order_by())
    )
    job = PrivacyJob.objects.create(
        kind=PrivacyJob.Kind.RESTORE,
        requested_by=requested_by,
        source=source,
        selection=selection.to_json(),
        state=PrivacyJob.State.QUEUED,
    )
    to_restore = selected.filter(restorable(today))
    # Orders whose record was found missing before are left out, unless it is back (from a backup).
    marked_missing = set(
        to_restore.filter(restore_failure=RestoreFailure.MISSING).values_list("pk", flat=True)
    )
    still_missing = marked_missing - cold_records_existing(
        kind=ColdRecord.Kind.ORDER, ids=marked_missing
    )
    if still_missing:
        to_restore = to_restore.exclude(pk__in_ids=still_missing)
    queued = to_restore.update(privacy_state=S.RESTORING, privacy_job=job)
    summary = {"queued": queued}
    if still_missing:
        summary["skipped_cold_record_missing"] = len(still_missing)
    # Anonymized but past its purge date: the daily purge has not run yet; it is gone all the same.
    past_purge = by_state.get(S.ANONYMIZED, 0) - queued - len(still_missing)
    skipped = skipped_by_reason(action="restore", by_state=by_state, past_purge=past_purge)
    summary |= {"skipped_" + reason: count for reason, count in skipped.items()}
    lifecycle.record_events(
        selected.filter(privacy_job=job),
        kind=OrderEvent.Kind.RESTORE_REQUESTED,
        now=now,
        actor=_actor_of(job),
    )
    PrivacyJob.objects.filter(pk=job.pk).update(total=queued, summary=summary)
    job.refresh_from_db()
    if queued == 0:
        _finish(job, owner=None)
        job.refresh_from_db()
    elif background:
        _enqueue(job)
    return job


@transaction.atomic
def privacy_job_purge(*, today: datetime.date, source: str = "", background: bool = True):
    """Queues the purge of everything whose purge date is `today` or earlier."""
    total = Order.objects.filter(privacy_state=S.ANONYMIZED, purge_on__lte=today).count()
    job = PrivacyJob.objects.create(
        kind=PrivacyJob.Kind.PURGE,
        source=source,
        selection={"today": today.isoformat()},
        total=total,
    )
    if background:
        _enqueue(job)
    return job


def _lease_expiry(now: datetime.datetime) -> datetime.datetime:
    """A job whose worker last reported before this has lost its lease."""
    return now - datetime.timedelta(seconds=settings.PRIVACY_JOB_LEASE_SECONDS)


def _claim(job_id: int) -> str | None:
    owner = secrets.token_hex(8)
    now = timezone.now()
    stale = _lease_expiry(now)
    claimed = (
        PrivacyJob.objects.filter(
            pk=job_id, state__in=(PrivacyJob.State.QUEUED, PrivacyJob.State.RUNNING)
        )
        .filter(
            # Free, or its holder stopped reporting.
            Q(lease_owner="") | Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=stale)
        )
        .update(
            lease_owner=owner,
            heartbeat_at=now,
            state=PrivacyJob.State.RUNNING,
            started_at=Coalesce(F("started_at"), now),
            attempts=F("attempts") + 1,
        )
    )
    return owner if claimed else None


def _advance(
    job: PrivacyJob,
    owner: str,
    *,
    processed: int,
    counts: Counter,
    cursor: int | None = None,
    failed_numbers: list[int] = (),
) -> None:
    """Records a chunk's progress inside the chunk's transaction (raises LostLease).

    The job row is locked for the merge, so chunks committing in parallel never lose a count.
    """
    row = (
        PrivacyJob.objects.select_for_update()
        .filter(pk=job.pk, lease_owner=owner)
        .values("summary", "done", "error")
        .first()
    )
    if row is None:
        raise LostLease(job.pk)
    changes = {
        "summary": dict(Counter(row["summary"]) + counts),
        "done": row["done"] + processed,
        "heartbeat_at": timezone.now(),
        "error": _with_failures(row["error"], failed_numbers),
    }
    if cursor is not None:
        changes["cursor"] = cursor
    PrivacyJob.objects.filter(pk=job.pk).update(**changes)
    for name, value in changes.items():
        setattr(job, name, value)


def _move_cursor(job: PrivacyJob, owner: str, cursor: int) -> None:
    if not PrivacyJob.objects.filter(pk=job.pk, lease_owner=owner).update(
        cursor=cursor, heartbeat_at=timezone.now()
    ):
        raise LostLease(job.pk)
    job.cursor = cursor


def _finish(job: PrivacyJob, owner: str | None, *, failure: str = "") -> None:
    """Ends the job: failed with `failure` appended to its error text, or done (orders that
    could not be restored are reported in the error text of a job that is still done)."""
    qs = PrivacyJob.objects.filter(pk=job.pk)
    if owner is not None:
        qs = qs.filter(lease_owner=owner)
    changes = {
        "state": PrivacyJob.State.FAILED if failure else PrivacyJob.State.DONE,
        "lease_owner": "",
        "finished_at": timezone.now(),
        "heartbeat_at": timezone.now(),
    }
    if failure:
        current = qs.values_list("error", flat=True).first() or ""
        changes["error"] = f"{current}\n{failure}".strip()
    qs.update(**changes)


def _plan(job: PrivacyJob, after: int) -> QuerySet:
    """The job's orders of customers after `after`, as (customer id, order id) in walk order."""
    if job.kind == PrivacyJob.Kind.ANONYMIZE:
        qs = Selection.from_json(job.selection).filter(Order.objects.all())
    elif job.kind == PrivacyJob.Kind.RESTORE:
        # Found along the selection's own index (privacy_job has none, see Order.Meta).
        mine = Order.objects.filter(privacy_job=job, privacy_state=S.RESTORING)
        qs = Selection.from_json(job.selection).filter(mine)
    else:
        today = datetime.date.fromisoformat(job.selection["today"])
        qs = Order.objects.filter(privacy_state=S.ANONYMIZED, purge_on__lte=today)
    return (
        qs.filter(customer_id__gt=after)
        .order_by("customer_id", "pk")
        .values_list("customer_id", "pk")
    )


Chunk = tuple[int, list[int], list[int]]  # (cursor, order ids, their customers' ids)


def _chunks(job: PrivacyJob, after: int, chunk_size: int) -> Iterator[Chunk]:
    """The job's remaining orders as (cursor, order ids, customer ids), at most `chunk_size`
    orders a chunk.

    Walked customer by customer, and a chunk ends where a customer's orders end: chunks that run
    at once then lock disjoint customers instead of queueing for each other's (a customer's orders
    lie anywhere in the date range, so an order-id walk serialized two threads almost completely),
    and a chunk sees all of a customer's selected orders at once. Only a customer with more
    orders than a chunk holds is split; those chunks wait for each other's lock, which keeps them
    correct. The cursor is the last customer whose orders are all done. The plan is read once per
    run, 16 bytes an order.
    """
    customers, orders = array("q"), array("q")
    for customer_id, pk in _plan(job, after).iterator(chunk_size=20_000):
        customers.append(customer_id)
        orders.append(pk)
    start, done_through, count = 0, after, len(orders)
    while start < count:
        end = min(start + chunk_size, count)
        if end < count and customers[end] == customers[end - 1]:
            # Ends inside a customer's orders: end before them, unless they fill the chunk alone.
            boundary = end - 1
            while boundary > start and customers[boundary - 1] == customers[end - 1]:
                boundary -= 1
            end = boundary if boundary > start else end
        if end == count or customers[end] != customers[end - 1]:
            done_through = customers[end - 1]
        yield done_through, orders[start:end].tolist(), sorted(set(customers[start:end]))
        start = end


def _run_chunk(
    job: PrivacyJob, owner: str, actor: Actor, chunk: Chunk, *, sets_cursor: bool
) -> None:
    cursor, ids, customer_ids = chunk
    now = timezone.now()
    # A restore takes cold records out in a cold-storage transaction that commits after the main
    # database's (the inner block); anonymize and purge commit cold storage on their own.
    restoring = job.kind == PrivacyJob.Kind.RESTORE
    with cold_transaction() if restoring else nullcontext(), transaction.atomic():
        _plan_for_id_lookups()
        if job.kind == PrivacyJob.Kind.ANONYMIZE:
            result = lifecycle.anonymize_chunk(ids, customer_ids=customer_ids, now=now, actor=actor)
        elif job.kind == PrivacyJob.Kind.RESTORE:
            result = lifecycle.restore_chunk(
                ids, customer_ids=customer_ids, job_id=job.pk, now=now, actor=actor
            )
        else:
            today = datetime.date.fromisoformat(job.selection["today"])
            result = lifecycle.purge_chunk(ids, today=today, now=now, actor=actor)
        _advance(
            job,
            owner,
            processed=len(ids),
            counts=result.counts,
            cursor=cursor if sets_cursor else None,
            failed_numbers=result.failed_numbers,
        )


def _plan_for_id_lookups() -> None:
    """Every query of a chunk looks rows up by a few thousand ids. With PostgreSQL's default
    random_page_cost (4, for spinning disks) the planner scans smaller tables whole instead:
    the order messages of a chunk took 10–20 ms that way on a million orders, 1.7 ms by index.
    For this transaction only."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL random_page_cost = 1.1")


def _threads_for(job: PrivacyJob) -> int:
    if job.kind == PrivacyJob.Kind.PURGE or connection.vendor != "postgresql":
        return 1  # SQLite has one writer at a time; purges are small
    return max(1, settings.PRIVACY_JOB_THREADS)


def _run_sequential(job, owner, actor, chunk_size, progress) -> None:
    for chunk in _chunks(job, job.cursor, chunk_size):
        _run_chunk(job, owner, actor, chunk, sets_cursor=True)
        if progress:
            progress(job)


def _run_parallel(job, owner, actor, chunk_size, progress, threads: int) -> None:
    """Chunks run on `threads` connections at once (PostgreSQL then uses every core).

    The cursor only moves past a chunk once every chunk before it has committed, so a resumed
    job never skips one; a chunk done twice changes nothing the second time.
    """
    work: queue.Queue = queue.Queue(maxsize=threads)
    finished: queue.Queue = queue.Queue()
    stop = threading.Event()

    def worker() -> None:
        try:
            while (item := work.get()) is not None:
                seq, chunk = item
                cursor, ids, _customers = chunk
                if stop.is_set():
                    continue
                try:
                    chunk_job = PrivacyJob(pk=job.pk, kind=job.kind, selection=job.selection)
                    _run_chunk(chunk_job, owner, actor, chunk, sets_cursor=False)
                    finished.put((seq, cursor, len(ids), None))
                except BaseException as exc:
                    stop.set()
                    finished.put((seq, cursor, len(ids), exc))
        finally:
            connections.close_all()

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for thread in pool:
        thread.start()
    chunks: dict[int, tuple[int, int]] = {}
    next_to_commit = 0
    done_in_order = job.done
    errors: list[BaseException] = []

    def collect() -> None:
        nonlocal next_to_commit, done_in_order
        while True:
            try:
                seq, cursor, size, exc = finished.get_nowait()
            except queue.Empty:
                return
            if exc is not None:
                errors.append(exc)
                continue
            chunks[seq] = (cursor, size)
            while next_to_commit in chunks and not errors:
                cursor, size = chunks.pop(next_to_commit)
                next_to_commit += 1
                _move_cursor(job, owner, cursor)
                # Progress as the cursor sees it: chunk by chunk, in order.
                done_in_order += size
                if progress:
                    job.done = done_in_order
                    progress(job)

    seq = 0
    try:
        for chunk in _chunks(job, job.cursor, chunk_size):
            if stop.is_set():
                break
            while True:
                try:
                    work.put((seq, chunk), timeout=0.2)
                    break
                except queue.Full:
                    collect()
            seq += 1
            collect()
    finally:
        for _ in pool:
            work.put(None)
        for thread in pool:
            thread.join()
    collect()
    if errors:
        raise errors[0]
    if next_to_commit != seq:
        raise RuntimeError("privacy job: not every chunk reported back")


def privacy_job_run(
    *, job_id: int, chunk_size: int | None = None, progress: Progress | None = None
) -> PrivacyJob | None:
    """Runs (or resumes) a job to its end. Returns None when another worker holds it."""
    chunk_size = chunk_size or settings.PRIVACY_CHUNK_SIZE
    owner = _claim(job_id)
    if owner is None:
        return None
    job = PrivacyJob.objects.get(pk=job_id)
    actor = _actor_of(job)
    try:
        if job.kind == PrivacyJob.Kind.RESTORE and job.attempts > 1:
            # A previous run may have restored chunks but died before deleting their cold records.
            _finish_interrupted_restore(job, chunk_size)
        if job.kind != PrivacyJob.Kind.ANONYMIZE:
            cold_statistics_refresh()  # restores and purges look cold records up by id
        threads = _threads_for(job)
        if threads > 1:
            _run_parallel(job, owner, actor, chunk_size, progress, threads)
        else:
            _run_sequential(job, owner, actor, chunk_size, progress)
        if job.kind == PrivacyJob.Kind.PURGE:
            today = datetime.date.fromisoformat(job.selection["today"])
            counts = lifecycle.purge_pieces(today=today, chunk_size=chunk_size)
            with transaction.atomic():
                _advance(job, owner, processed=0, counts=counts)
            lifecycle.sweep_cold_orphans()
    except LostLease:
        logger.warning("privacy job %s: lease lost, another worker continues", job_id)
        return None
    except Exception as exc:
        failure = describe_failure(exc)
        logger.error(
            "privacy job %s failed: %s\n%s",
            job_id,
            failure,
            "".join(traceback.format_tb(exc.__traceback__)),
        )
        _finish(job, owner, failure=failure)
        job.refresh_from_db()
        release_finished_restore(job, chunk_size=chunk_size)
        job.refresh_from_db()
        return job
    _finish(job, owner)
    job.refresh_from_db()
    release_finished_restore(job, chunk_size=chunk_size)
    return job


def release_finished_restore(job: PrivacyJob, *, chunk_size: int | None = None) -> int:
    """Hands back the orders a finished restore still holds `restoring` (it failed, e.g. the
    worker had no key): they become "anonymized" again, with the failure in their history, and
    can be restored again; their data never left cold storage. Then the job is marked released.
    Idempotent; the reconciler calls it for finished restores that were not released (a
    database error at the end of a job, or stranded by an earlier version)."""
    if job.kind != PrivacyJob.Kind.RESTORE or not job.is_finished or job.orders_released:
        return 0
    chunk_size = chunk_size or settings.PRIVACY_CHUNK_SIZE
    held = Selection.from_json(job.selection).filter(
        Order.objects.filter(privacy_job=job, privacy_state=S.RESTORING)
    )
    actor, now, released = _actor_of(job), timezone.now(), 0
    while ids := list(held.order_by("pk").values_list("pk", flat=True)[:chunk_size]):
        with transaction.atomic():
            marked = lifecycle.mark_restore_failed(
                ids, reason=RestoreFailure.JOB_FAILED, now=now, actor=actor
            )
        if not marked:
            break
        released += marked
    with transaction.atomic():
        row = PrivacyJob.objects.select_for_update().filter(pk=job.pk).values("summary").first()
        summary = dict(Counter(row["summary"]) + Counter({"failed_job": released}))
        PrivacyJob.objects.filter(pk=job.pk).update(orders_released=True, summary=summary)
    if released:
        logger.warning("privacy job %s: %d orders handed back as not restored", job.pk, released)
    return released


def release_finished_restores() -> list[int]:
    """`release_finished_restore` for every finished restore not released yet."""
    jobs = PrivacyJob.objects.filter(
        kind=PrivacyJob.Kind.RESTORE,
        state__in=(PrivacyJob.State.DONE, PrivacyJob.State.FAILED),
        orders_released=False,
    )
    released = []
    for job in jobs.order_by("pk"):
        if release_finished_restore(job):
            released.append(job.pk)
    return released


def _finish_interrupted_restore(job: PrivacyJob, chunk_size: int) -> None:
    """Deletes leftover cold records of the orders this job already restored (idempotent)."""
    restored = Selection.from_json(job.selection).filter(
        Order.objects.filter(privacy_state=S.ACTIVE, restored_at__gte=job.created_at)
    )
    after = 0
    while ids := list(
        restored.filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)[:chunk_size]
    ):
        lifecycle.finish_restored(order_ids=ids)
        after = ids[-1]


#: Errors whose text is our own and holds no personal data.
_OWN_ERRORS = (KeyConfigurationError, TamperedRecordError, SelectionError)


def describe_failure(exc: BaseException) -> str:
    """What a failed job records and logs. Database and other errors can quote row values
    (PostgreSQL's "Failing row contains …"), so only their class and SQLSTATE are kept; the
    traceback (code lines, no values) goes to the log."""
    if isinstance(exc, _OWN_ERRORS):
        return f"{type(exc).__name__}: {exc}"[:2000]
    sqlstate = getattr(exc, "sqlstate", None) or getattr(exc.__cause__, "sqlstate", None)
    return type(exc).__name__ + (f" (SQLSTATE {sqlstate})" if sqlstate else "")


def _with_failures(error: str, numbers: list[int]) -> str:
    if not numbers:
        return error
    shown = ", ".join(str(n) for n in numbers[:50])
    more = _(" und %(count)d weitere") % {"count": len(numbers) - 50} if len(numbers) > 50 else ""
    text = _(
        "Nicht wiederherstellbar (Cold-Storage-Eintrag fehlt oder ist beschädigt): "
        "Bestellungen %(numbers)s%(more)s"
    ) % {"numbers": shown, "more": more}
    return (error + "\n" + text).strip()[:4000]


def stalled_jobs(now: datetime.datetime | None = None) -> QuerySet:
    """Unfinished jobs whose worker stopped reporting, or that no worker ever started, for
    longer than the lease."""
    now = now or timezone.now()
    stale = _lease_expiry(now)
    return PrivacyJob.objects.filter(
        state__in=(PrivacyJob.State.QUEUED, PrivacyJob.State.RUNNING)
    ).filter(Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True, created_at__lt=stale))


def reconcile_jobs() -> list[int]:
    """Hands jobs whose worker stopped reporting (or that never started) to a new worker, and
    hands back the orders of finished restores that still hold some (`release_finished_restore`)."""
    from django_q.tasks import async_task

    release_finished_restores()
    job_ids = list(stalled_jobs().values_list("pk", flat=True))
    for job_id in job_ids:
        async_task(
            "orders.tasks.run_privacy_job",
            job_id,
            task_name=f"privacy-job-{job_id}-resume",
            group="privacy",
        )
    return job_ids
