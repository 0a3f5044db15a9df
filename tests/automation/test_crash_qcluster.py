"""A restore run by a real django-q2 cluster that is SIGKILLed mid-job, with the evaluator run
(and killed) meanwhile: still exactly one firing, one history entry and one e-mail per restored
order, the e-mails sent by the same cluster to a real SMTP server."""

import random
import subprocess
import sys
import time
from collections import Counter

import pytest

from automation.evaluator import automation_run
from automation.models import Action, Firing, Rule, Trigger
from notifications.models import MailState, NotificationText, OutgoingMail
from notifications.services import enqueue_send
from orders.models import Order, OrderEvent, OrderStatus, PrivacyJob
from orders.privacy.jobs import (
    privacy_job_anonymize,
    privacy_job_restore,
    privacy_job_run,
    reconcile_jobs,
)
from orders.privacy.selection import Selection
from tests.notifications.test_smtp import make_server
from tests.privacy.conftest import BOTH, bulk_orders
from tests.privacy.test_crash_qcluster import ROOT, Cluster, job, kill_repeatedly, wait_for

pytestmark = [pytest.mark.django_db(transaction=True, databases=BOTH), pytest.mark.slow]

ORDERS = 1500


def kill_an_evaluator_run(env: dict, rng: random.Random) -> None:
    """`manage.py run_automation` in a process of its own, killed at a random moment."""
    process = subprocess.Popen(
        [sys.executable, "manage.py", "run_automation"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(rng.uniform(0.3, 1.5))
    process.kill()
    process.wait(timeout=10)


def all_sent() -> bool:
    """Every mail sent; else asks the cluster to send (a killed sender's claims expire)."""
    if not OutgoingMail.objects.exclude(state=MailState.SENT).exists():
        return True
    enqueue_send()
    time.sleep(0.5)
    return False


def test_a_killed_restore_fires_the_rule_once_per_restored_order(settings, smtpd, company):
    settings.PRIVACY_JOB_LEASE_SECONDS = 2
    rng = random.Random(20261203)
    ids = bulk_orders(ORDERS)
    selection = Selection.of_ids(ids)
    privacy_job_run(job_id=privacy_job_anonymize(selection=selection, background=False).pk)
    make_server(smtpd.host, smtpd.port)
    text = NotificationText.objects.create(
        name="Wiederhergestellt", subject="Bestellung {OrderNumber}", body_text="{RestoredAt}"
    )
    rule = Rule.objects.create(name="Wiederhergestellt", trigger=Trigger.RESTORED)
    Action.objects.create(rule=rule, kind="set_status", params={"status": OrderStatus.ARCHIVED})
    Action.objects.create(rule=rule, kind="mail_merchant", params={"text": text.pk}, position=1)
    cluster = Cluster()
    # The cluster sends the mails while it is being killed; a killed sender's claims run out soon.
    cluster.env["MAIL_CLAIM_SECONDS"] = "3"
    try:
        restoration = privacy_job_restore(selection=selection, source="crash test")
        hits = 0
        for _ in range(2):
            hits += kill_repeatedly(cluster, restoration.pk, rng, kills=1)
            automation_run()  # while chunks are committed, out of id order (two threads)
            kill_an_evaluator_run(cluster.env, rng)
        cluster.start()
        reconcile_jobs()
        wait_for(lambda: job(restoration.pk).is_finished, 120, "the restore")
        assert job(restoration.pk).state == PrivacyJob.State.DONE, job(restoration.pk).error
        assert job(restoration.pk).summary["restored"] == ORDERS
        # A kill with the job unfinished (the job's attempts may stay 1: a kill between two
        # chunks, once the last chunk of the lease had committed, leaves nothing to re-lease).
        assert hits >= 1, "the kills should hit the job"
        kill_an_evaluator_run(cluster.env, rng)
        automation_run()
        automation_run()
        wait_for(all_sent, 120, "every mail sent")
        time.sleep(0.5)  # an SMTP conversation still open would show as one more message
    finally:
        cluster.stop()

    restored = OrderEvent.objects.filter(kind=OrderEvent.Kind.RESTORED).count()
    assert restored == ORDERS  # a re-run chunk writes no second event
    assert Firing.objects.filter(rule=rule, state=Firing.State.DONE).count() == ORDERS
    assert Firing.objects.filter(rule=rule).values("order_id").distinct().count() == ORDERS
    fired = OrderEvent.objects.filter(kind=OrderEvent.Kind.RULE_FIRED)
    assert fired.count() == ORDERS
    assert fired.values("order_id").distinct().count() == ORDERS
    assert set(Order.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        OrderStatus.ARCHIVED
    }

    # One mail queued per order and rule, whatever ran twice; each arrived. Exactly once, but for
    # a mail whose SMTP conversation a kill cut short: it goes out again once its claim expires
    # (at least once, docs/notifications.md), and only such a mail (claimed more than once).
    mails = OutgoingMail.objects.filter(text=text)
    assert mails.count() == ORDERS
    assert mails.values("order_id").distinct().count() == ORDERS
    arrived = Counter(int(r.message["Subject"].split()[1]) for r in smtpd.received)
    numbers = dict(Order.objects.filter(pk__in=ids).values_list("pk", "number"))
    assert set(arrived) == set(numbers.values())
    reclaimed = {
        numbers[pk] for pk in mails.filter(attempts__gt=1).values_list("order_id", flat=True)
    }
    assert {number for number, count in arrived.items() if count > 1} <= reclaimed
    assert {r.recipients[0] for r in smtpd.received} == {company.email}
