"""The outbox sent by a real django-q2 cluster to a real SMTP server: one mail per order."""

import time

import pytest

from notifications.models import MailState, NotificationText, OutgoingMail
from notifications.services import queue_mails
from tests.factories import OrderFactory
from tests.notifications.test_smtp import make_server
from tests.privacy.test_crash_qcluster import Cluster, wait_for

pytestmark = [
    pytest.mark.django_db(transaction=True, databases=["default", "coldstorage"]),
    pytest.mark.slow,
]


def test_a_worker_sends_each_queued_mail_once(smtpd):
    make_server(smtpd.host, smtpd.port)
    text = NotificationText.objects.create(
        name="Wiederhergestellt", subject="Bestellung {OrderNumber}", body_text="Hallo"
    )
    orders = [OrderFactory() for _ in range(20)]
    cluster = Cluster()
    cluster.start()
    try:
        # Autocommit: the task is enqueued at once (on_commit), the cluster picks it up.
        queue_mails(text=text, order_ids=[o.pk for o in orders], dedupe_prefix="rule:1")
        queue_mails(text=text, order_ids=[o.pk for o in orders], dedupe_prefix="rule:1")
        wait_for(
            lambda: OutgoingMail.objects.filter(state=MailState.SENT).count() == 20,
            timeout=60,
            what="20 mails sent",
        )
        time.sleep(0.5)
    finally:
        cluster.stop()

    assert sorted(r.recipients[0] for r in smtpd.received) == sorted(o.buyer_email for o in orders)
    assert {r.message["Subject"] for r in smtpd.received} == {
        f"Bestellung {o.number}" for o in orders
    }
