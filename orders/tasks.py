"""django-q2 tasks. They take ids or dates only, never personal data, and are safe to run twice."""

from django.utils import timezone

from orders.importing.uploads import import_uploads_delete_expired
from orders.models import WorkerHeartbeat
from orders.privacy.jobs import (
    privacy_job_anonymize_due,
    privacy_job_purge,
    privacy_job_run,
    reconcile_jobs,
)


def run_privacy_job(job_id: int) -> str:
    job = privacy_job_run(job_id=job_id)
    return f"job {job_id}: {job.state if job else 'held by another worker'}"


def worker_heartbeat() -> str:
    """The supervisor's probe: proves that a task went through the queue and ran."""
    WorkerHeartbeat.beat("probe")
    return "ok"


def reconcile_privacy_jobs() -> str:
    WorkerHeartbeat.beat("schedule")
    resumed = reconcile_jobs()
    return f"resumed {len(resumed)} jobs"


def purge_coldstorage() -> str:
    job = privacy_job_purge(today=timezone.localdate(), source="Zeitplan", background=False)
    job = privacy_job_run(job_id=job.pk)
    return f"purge job {job.pk if job else '-'}: {job.summary if job else ''}"


def anonymize_due() -> str:
    """The daily channel-policy run: one job per channel, each enqueued as a task of its own (the
    reconciler resumes any that a killed worker leaves behind). A channel whose job could not be
    created fails the task (django-q2 shows it among the failed tasks) after the others queued."""
    run = privacy_job_anonymize_due(background=True)
    queued = "queued " + (", ".join(f"job {job.pk} ({job.total})" for job in run.jobs) or "nothing")
    if run.failed_channel_ids:
        failed = ", ".join(str(pk) for pk in run.failed_channel_ids)
        raise RuntimeError(f"{queued}; no job for channels {failed} (see the log)")
    return queued


def delete_expired_import_uploads() -> str:
    """Uploaded import files hold personal data: gone an hour after upload at the latest."""
    return f"deleted {import_uploads_delete_expired()} import uploads"
