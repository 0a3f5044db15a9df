"""The supervised worker (`manage.py run_worker`) recovers by itself when idle worker processes
of its django-q2 cluster are killed with SIGKILL (which can freeze a bare `qcluster` for good:
django-q2 issue #23), and finishes the job it is given afterwards."""

import os
import re
import signal
import subprocess
import sys
import time

import pytest
from django.core.management import CommandError, call_command

from orders.models import Order, PrivacyJob, WorkerHeartbeat
from orders.privacy.jobs import privacy_job_restore
from orders.privacy.selection import Selection
from personal.state import PrivacyState
from tests.privacy.conftest import BOTH, anonymize, bulk_orders
from tests.privacy.test_crash_qcluster import ROOT, Cluster, wait_for

pytestmark = [pytest.mark.django_db(transaction=True, databases=BOTH), pytest.mark.slow]

STALL_SECONDS = 8
GRACE_SECONDS = 3
# Stall, TERM grace, a new cluster's start and the lease of the job it held.
RECOVERY_SECONDS = STALL_SECONDS + GRACE_SECONDS + 30


def worker_pids(log_path) -> list[int]:
    text = log_path.read_text(errors="replace")
    return [
        int(pid) for pid in re.findall(r"(?:ready for work at|bereit für Arbeit auf) (\d+)", text)
    ]


def test_killed_idle_workers_do_not_stop_the_product(tmp_path, settings):
    ids = bulk_orders(300)
    anonymize(*Order.objects.filter(pk__in=ids))
    env = {
        **Cluster().env,
        "WORKER_PROBE_SECONDS": "1",
        "WORKER_STALL_SECONDS": str(STALL_SECONDS),
        "WORKER_STOP_GRACE_SECONDS": str(GRACE_SECONDS),
        "LOG_LEVEL": "INFO",
    }
    log_path = tmp_path / "worker.log"
    with log_path.open("wb") as log:
        supervisor = subprocess.Popen(
            [sys.executable, "manage.py", "run_worker"],
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(lambda: WorkerHeartbeat.objects.filter(name="probe").exists(), 60, "a probe")
        call_command("worker_health")
        for _ in range(2):  # as in the report: kill -9 of an idle worker, twice
            pids = [pid for pid in worker_pids(log_path) if os.path.exists(f"/proc/{pid}")]
            assert pids, log_path.read_text()
            os.kill(pids[0], signal.SIGKILL)
            time.sleep(1.5)

        # Then the whole cluster freezes (SIGSTOP: it neither works nor answers TERM), as the
        # report saw it after such kills. The supervisor must notice and replace it.
        cluster_pid = int(re.findall(r"cluster started \(pid (\d+)\)", log_path.read_text())[-1])
        os.killpg(cluster_pid, signal.SIGSTOP)
        started = time.monotonic()
        job = privacy_job_restore(selection=Selection.of_ids(ids), background=True)
        wait_for(
            lambda: PrivacyJob.objects.get(pk=job.pk).is_finished,
            RECOVERY_SECONDS + 60,
            "the restore to finish",
        )
        took = time.monotonic() - started
        job.refresh_from_db()
        assert job.state == PrivacyJob.State.DONE, job.error
        assert job.summary["restored"] == 300
        assert not Order.objects.filter(pk__in=ids).exclude(privacy_state=PrivacyState.ACTIVE)
        print(f"restore finished {took:.1f} s after the freeze")  # shown with -s
        assert "restarting the cluster" in log_path.read_text()
        call_command("worker_health")
    finally:
        os.killpg(supervisor.pid, signal.SIGTERM)
        try:
            supervisor.wait(timeout=GRACE_SECONDS + 20)
        except subprocess.TimeoutExpired:
            os.killpg(supervisor.pid, signal.SIGKILL)
            supervisor.wait()
    # The supervisor stopped its cluster on the way out: no process of its group is left.
    assert subprocess.run(["pgrep", "-g", str(supervisor.pid)], capture_output=True).stdout == b""


def test_worker_health_fails_without_a_recent_task(settings):
    settings.WORKER_STALL_SECONDS = 60
    with pytest.raises(CommandError, match="no task has ever run"):
        call_command("worker_health")
    WorkerHeartbeat.beat("probe")
    call_command("worker_health")
    WorkerHeartbeat.objects.update(beat_at="2020-01-01T00:00:00Z")
    with pytest.raises(CommandError, match="stopped or frozen"):
        call_command("worker_health")
