"""The background worker, supervised: a django-q2 cluster that cannot freeze unnoticed.

django-q2's cluster can stop processing for good when one of its worker processes is killed (its
issue #23: the sentinel reincarnates the worker, the scheduler keeps enqueueing, nothing runs), and
it can hang on SIGTERM (#339, #346). So `manage.py run_worker` runs `manage.py qcluster` as a child
in its own process group and, every WORKER_PROBE_SECONDS, sends a probe task through the queue (the
real path: broker, worker, database). When no probe got through for WORKER_STALL_SECONDS, or the
cluster exited, it stops the cluster (TERM to the group, KILL after WORKER_STOP_GRACE_SECONDS),
starts a new one and hands interrupted privacy jobs over at once. `manage.py worker_health` reads
the same heartbeat, for monitoring.
"""

import contextlib
import datetime
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from orders.models import WorkerHeartbeat
from orders.privacy.jobs import reconcile_jobs, stalled_jobs

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]


def last_beat() -> datetime.datetime | None:
    """The last time any task went through the queue and ran (probe or scheduled reconciler)."""
    beats = WorkerHeartbeat.objects.values_list("beat_at", flat=True)
    return max(beats, default=None)


@dataclass(frozen=True)
class Health:
    problems: list[str]
    last_beat: datetime.datetime | None

    @property
    def ok(self) -> bool:
        return not self.problems


def worker_health(now: datetime.datetime | None = None) -> Health:
    """What stops the worker from doing its work: no task ran lately, or privacy jobs stall
    (running without a heartbeat, or queued and never started, for longer than the lease)."""
    now = now or timezone.now()
    problems = []
    beat = last_beat()
    stall = datetime.timedelta(seconds=settings.WORKER_STALL_SECONDS)
    if beat is None:
        problems.append("no task has ever run: is the worker (manage.py run_worker) running?")
    elif now - beat > stall:
        problems.append(
            f"no task ran for {int((now - beat).total_seconds())} s "
            f"(limit {settings.WORKER_STALL_SECONDS} s): the worker is stopped or frozen"
        )
    stalled = sorted(stalled_jobs(now).values_list("pk", flat=True))
    if stalled:
        problems.append(
            f"privacy jobs without progress for over {settings.PRIVACY_JOB_LEASE_SECONDS} s: "
            + ", ".join(f"#{pk}" for pk in stalled)
        )
    return Health(problems=problems, last_beat=beat)


class Supervisor:
    """Runs and watches one qcluster (see the module's text)."""

    def __init__(self, *, command: list[str] | None = None):
        self.command = command or [sys.executable, "manage.py", "qcluster"]
        self.process: subprocess.Popen | None = None
        self.started_at = 0.0
        self.restarts = 0
        self.stopping = False

    def start(self) -> None:
        self.process = subprocess.Popen(self.command, cwd=ROOT, start_new_session=True)
        self.started_at = time.monotonic()
        logger.info("worker: cluster started (pid %s)", self.process.pid)

    def stop(self) -> None:
        """TERM to the cluster's process group, KILL after the grace period (a TERM can hang)."""
        if self.process is None or self.process.poll() is not None:
            return
        self._signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=settings.WORKER_STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            logger.warning("worker: cluster ignored TERM, killing it")
            self._signal(signal.SIGKILL)
            self.process.wait(timeout=30)
        self._signal(signal.SIGKILL)  # stray children of a cluster that exited on its own

    def _signal(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)

    def restart(self, reason: str) -> None:
        logger.error("worker: restarting the cluster: %s", reason)
        self.stop()
        self.restarts += 1
        self.start()
        # Jobs the frozen cluster held are resumed as soon as their lease runs out.
        reconcile_jobs()

    def check(self) -> None:
        """One round: probe, and restart a cluster that exited or let no probe through."""
        from django_q.tasks import async_task

        close_old_connections()
        if self.process.poll() is not None:
            self.restart(f"the cluster exited with {self.process.returncode}")
            return
        async_task("orders.tasks.worker_heartbeat", task_name="worker-probe", save=False)
        beat = last_beat()
        stall = settings.WORKER_STALL_SECONDS
        running_for = time.monotonic() - self.started_at
        if running_for < stall:
            return  # a fresh cluster gets the whole stall time to answer
        if beat is None or (timezone.now() - beat).total_seconds() > stall:
            self.restart(f"no task ran for over {stall} s")

    def run(self) -> None:
        def _stop(signum, frame):
            self.stopping = True

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        self.start()
        next_check = time.monotonic() + settings.WORKER_PROBE_SECONDS
        try:
            while not self.stopping:
                time.sleep(0.2)
                if time.monotonic() >= next_check:
                    try:
                        self.check()
                    except Exception:
                        # The database may be away for a moment; try again next round.
                        logger.exception("worker: check failed")
                    next_check = time.monotonic() + settings.WORKER_PROBE_SECONDS
        finally:
            self.stop()
