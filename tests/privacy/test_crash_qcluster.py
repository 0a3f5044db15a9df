"""A real django-q2 cluster, killed with SIGKILL mid-job several times, still ends consistent."""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

from orders.models import PrivacyJob
from orders.privacy.jobs import privacy_job_anonymize, privacy_job_restore, reconcile_jobs
from orders.privacy.selection import Selection
from tests.privacy.conftest import BOTH, assert_invariants, bulk_orders, personal_snapshot

pytestmark = [pytest.mark.django_db(transaction=True, databases=BOTH), pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 2


def database_url(alias: str) -> str:
    config = connections[alias].settings_dict
    if config["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{config['NAME']}"
    auth = config["USER"] or ""
    if config["PASSWORD"]:
        auth += f":{config['PASSWORD']}"
    host = f"{config['HOST'] or 'localhost'}:{config['PORT'] or 5432}"
    return f"postgres://{auth}@{host}/{config['NAME']}"


class Cluster:
    """`manage.py qcluster` on the test databases, in its own process group."""

    def __init__(self):
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url("default"),
            "COLDSTORAGE_DATABASE_URL": database_url("coldstorage"),
            "COLDSTORAGE_KEYS": settings.COLDSTORAGE_KEYS,
            "COLDSTORAGE_KEY_FILE": str(settings.COLDSTORAGE_KEY_FILE),
            "PRIVACY_JOB_LEASE_SECONDS": str(LEASE_SECONDS),
            "PRIVACY_CHUNK_SIZE": "100",
            "Q_WORKERS": "2",
            "LOG_LEVEL": "WARNING",
        }
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=ROOT,
            env=self.env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def kill(self):
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self.kill()


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def job(pk: int) -> PrivacyJob:
    return PrivacyJob.objects.get(pk=pk)


def kill_repeatedly(cluster: Cluster, job_id: int, rng: random.Random, kills: int) -> int:
    """Starts the cluster and kills it mid-job up to `kills` times; returns how many kills hit."""
    hits = 0
    for _ in range(kills):
        cluster.start()
        start_done = job(job_id).done
        wait_for(
            lambda start_done=start_done: job(job_id).done > start_done or job(job_id).is_finished,
            60,
            "the worker to make progress",
        )
        if job(job_id).is_finished:
            cluster.stop()
            break
        time.sleep(rng.uniform(0, 0.25))
        cluster.kill()
        hits += 1
        # Let the lease run out, then hand the job over as the scheduled reconciler would.
        time.sleep(LEASE_SECONDS + 0.2)
        reconcile_jobs()
    return hits


def test_killed_workers_never_lose_or_duplicate_data(settings):
    settings.PRIVACY_JOB_LEASE_SECONDS = LEASE_SECONDS
    rng = random.Random(int(os.environ.get("CRASH_SEED", "20261122")))
    ids = bulk_orders(3000)
    original = personal_snapshot(ids)
    selection = Selection.of_ids(ids)
    cluster = Cluster()
    try:
        anonymization = privacy_job_anonymize(selection=selection, source="crash test")
        hits = kill_repeatedly(cluster, anonymization.pk, rng, kills=3)
        assert_invariants(original, settled=False)
        cluster.start()
        reconcile_jobs()
        wait_for(lambda: job(anonymization.pk).is_finished, 120, "the anonymization")
        assert job(anonymization.pk).state == PrivacyJob.State.DONE, job(anonymization.pk).error
        assert job(anonymization.pk).summary["anonymized"] == 3000
        assert_invariants(original)
        cluster.stop()

        restoration = privacy_job_restore(selection=selection, source="crash test")
        hits += kill_repeatedly(cluster, restoration.pk, rng, kills=3)
        assert_invariants(original, settled=False)
        cluster.start()
        reconcile_jobs()
        wait_for(lambda: job(restoration.pk).is_finished, 120, "the restore")
        final = job(restoration.pk)
        assert final.state == PrivacyJob.State.DONE, final.error
        assert final.summary["restored"] == 3000
        assert final.attempts >= 2
        assert_invariants(original)
        assert hits >= 2, "the kills should have hit running jobs"
    finally:
        cluster.stop()
