"""Privacy jobs: requesting anonymize / restore / purge, and running them chunk by chunk.

The job row is the source of truth. A worker claims it with a conditional UPDATE (the row count
proves who won), renews the claim with every chunk, and stores its cursor in the same transaction
as the chunk's writes. A worker that dies leaves a stale heartbeat; `reconcile_jobs` hands the job
to a new worker, which continues after the cursor. Every chunk is idempotent, so a chunk that two
workers both touch ends the same either way.
"""

import datetime
import logging
import secrets
from collections import Counter
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from coldstorage.services import cold_keyring
from customers.models import PrivacyState as S
from orders.models import Order, OrderEvent, PrivacyJob
from orders.privacy import lifecycle
from orders.privacy.lifecycle import SKIP_REASON, Actor
from orders.privacy.rows import insert_events_for
from orders.privacy.selection import Selection

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
    return Actor(user_id=job.requested_by_id, label=job.source, detail=f"Auftrag #{job.pk}")


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


@transaction.atomic
def privacy_job_anonymize_due(
    *, now: datetime.datetime | None = None, requested_by=None, background: bool = True
) -> list[PrivacyJob]:
    """One anonymize job per channel with a policy, for the orders due at `now` (SPEC 5).

    The cutoff (now − X days) is fixed on each job, so a resumed job selects what was due when it
    was created; the first run on an existing database simply finds the whole backlog due.
    """
    from channels.models import Channel

    now = now or timezone.now()
    jobs = []
    channels = Channel.objects.filter(Q(auto_anonymize=True) | Q(kind=Channel.Kind.AMAZON))
    for channel in channels.order_by("name", "pk"):
        days = channel.anonymize_after_days
        if days is None:
            continue
        selection = Selection.due(channel_id=channel.pk, cutoff=now - datetime.timedelta(days=days))
        jobs.append(
            privacy_job_anonymize(
                selection=selection,
                requested_by=requested_by,
                source=channel.policy_actor_label,
                background=background,
            )
        )
    return jobs


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
    restorable = selected.filter(privacy_state=S.ANONYMIZED, purge_on__gt=today)
    queued = restorable.update(privacy_state=S.RESTORING, privacy_job=job)
    summary = {"queued": queued}
    for state, count in by_state.items():
        if state != S.ANONYMIZED and count:
            summary["skipped_" + SKIP_REASON[state]] = count
    # Anonymized but past its purge date: the daily purge has not run yet; it is gone all the same.
    past_purge = by_state.get(S.ANONYMIZED, 0) - queued
    if past_purge:
        summary["skipped_purged"] = summary.get("skipped_purged", 0) + past_purge
    actor = _actor_of(job)
    insert_events_for(
        Order.objects.filter(privacy_job=job),
        kind=OrderEvent.Kind.RESTORE_REQUESTED,
        created_at=now,
        actor_id=actor.user_id,
        actor_label=actor.label,
        detail=actor.detail,
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


def _claim(job_id: int) -> str | None:
    owner = secrets.token_hex(8)
    now = timezone.now()
    stale = now - datetime.timedelta(seconds=settings.PRIVACY_JOB_LEASE_SECONDS)
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
    cursor: int,
    processed: int,
    counts: Counter,
    pending_cleanup: list[int] = (),
):
    """Records a chunk's progress; must run inside the chunk's transaction (raises LostLease)."""
    job.summary = dict(Counter(job.summary) + counts)
    updated = PrivacyJob.objects.filter(pk=job.pk, lease_owner=owner).update(
        pending_cleanup=list(pending_cleanup),
        cursor=cursor,
        done=F("done") + processed,
        summary=job.summary,
        heartbeat_at=timezone.now(),
    )
    if not updated:
        raise LostLease(job.pk)
    job.cursor = cursor
    job.done += processed


def _finish(job: PrivacyJob, owner: str | None, *, error: str = "") -> None:
    qs = PrivacyJob.objects.filter(pk=job.pk)
    if owner is not None:
        qs = qs.filter(lease_owner=owner)
    qs.update(
        state=PrivacyJob.State.FAILED if error else PrivacyJob.State.DONE,
        error=error,
        lease_owner="",
        finished_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )


def _next_ids(job: PrivacyJob, chunk_size: int) -> list[int]:
    if job.kind == PrivacyJob.Kind.ANONYMIZE:
        qs = Selection.from_json(job.selection).filter(Order.objects.all())
    elif job.kind == PrivacyJob.Kind.RESTORE:
        qs = Order.objects.filter(privacy_job=job, privacy_state=S.RESTORING)
    else:
        today = datetime.date.fromisoformat(job.selection["today"])
        qs = Order.objects.filter(privacy_state=S.ANONYMIZED, purge_on__lte=today)
    return list(
        qs.filter(pk__gt=job.cursor).order_by("pk").values_list("pk", flat=True)[:chunk_size]
    )


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
        if job.kind == PrivacyJob.Kind.RESTORE:
            # A previous run may have restored a chunk but died before deleting its cold records.
            lifecycle.finish_restored(order_ids=job.pending_cleanup)
        while True:
            ids = _next_ids(job, chunk_size)
            if not ids:
                break
            now = timezone.now()
            with transaction.atomic():
                if job.kind == PrivacyJob.Kind.ANONYMIZE:
                    result = lifecycle.anonymize_chunk(ids, now=now, actor=actor)
                elif job.kind == PrivacyJob.Kind.RESTORE:
                    result = lifecycle.restore_chunk(ids, job_id=job.pk, now=now, actor=actor)
                else:
                    today = datetime.date.fromisoformat(job.selection["today"])
                    result = lifecycle.purge_chunk(ids, today=today, now=now, actor=actor)
                _advance(
                    job,
                    owner,
                    cursor=ids[-1],
                    processed=len(ids),
                    counts=result.counts,
                    pending_cleanup=result.restored_ids,
                )
                if result.failed_numbers:
                    _note_failures(job, result.failed_numbers)
            if progress:
                progress(job)
        if job.kind == PrivacyJob.Kind.PURGE:
            today = datetime.date.fromisoformat(job.selection["today"])
            counts = lifecycle.purge_pieces(today=today, chunk_size=chunk_size)
            with transaction.atomic():
                _advance(job, owner, cursor=job.cursor, processed=0, counts=counts)
            lifecycle.sweep_cold_orphans()
    except LostLease:
        logger.warning("privacy job %s: lease lost, another worker continues", job_id)
        return None
    except Exception as exc:
        # The message names the error class and our own text only; payloads never reach here.
        logger.exception("privacy job %s failed", job_id)
        _finish(job, owner, error=f"{type(exc).__name__}: {exc}"[:2000])
        job.refresh_from_db()
        return job
    _finish(job, owner, error=job.error)
    job.refresh_from_db()
    return job


def _note_failures(job: PrivacyJob, numbers: list[int]) -> None:
    shown = ", ".join(str(n) for n in numbers[:50])
    more = _(" und %(count)d weitere") % {"count": len(numbers) - 50} if len(numbers) > 50 else ""
    text = _(
        "Nicht wiederherstellbar (Cold-Storage-Eintrag fehlt oder ist beschädigt): "
        "Bestellungen %(numbers)s%(more)s"
    ) % {"numbers": shown, "more": more}
    job.error = (job.error + "\n" + text).strip()[:4000]
    PrivacyJob.objects.filter(pk=job.pk).update(error=job.error)


def reconcile_jobs() -> list[int]:
    """Hands jobs whose worker stopped reporting (or that never started) to a new worker."""
    from django_q.tasks import async_task

    stale = timezone.now() - datetime.timedelta(seconds=settings.PRIVACY_JOB_LEASE_SECONDS)
    job_ids = list(
        PrivacyJob.objects.filter(state__in=(PrivacyJob.State.QUEUED, PrivacyJob.State.RUNNING))
        .filter(Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True, created_at__lt=stale))
        .values_list("pk", flat=True)
    )
    for job_id in job_ids:
        async_task(
            "orders.tasks.run_privacy_job",
            job_id,
            task_name=f"privacy-job-{job_id}-resume",
            group="privacy",
        )
    return job_ids
