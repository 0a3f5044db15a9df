"""The outbox: queue_mails (set-based, idempotent, refusals), sending through the default
mailer, claiming, and the minute schedule."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from documents.models import CompanySettings
from notifications import schedules
from notifications.models import MailState, NotificationText, OutgoingMail, Refusal
from notifications.services import outbox_send, queue_mails
from notifications.tasks import send_outbox
from orders.models import Order
from personal.state import ANONYMIZED, PrivacyState
from tests.conftest import BOTH_DATABASES
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db(databases=BOTH_DATABASES)


@pytest.fixture
def text(db):
    return NotificationText.objects.create(
        name="Wiederhergestellt",
        subject="Bestellung {OrderNumber}: Daten wiederhergestellt",
        body_text="Kunde {CustomerName}, Bestellung {OrderNumber} von {MerchantName}.",
    )


def test_one_mail_per_order_through_the_default_mailer(text, mailoutbox):
    orders = [OrderFactory() for _ in range(5)]

    added = queue_mails(text=text, order_ids=[o.pk for o in orders])
    report = outbox_send()

    assert added == 5
    assert report.sent == 5
    assert sorted(m.to[0] for m in mailoutbox) == sorted(o.buyer_email for o in orders)
    assert {m.subject for m in mailoutbox} == {
        f"Bestellung {o.number}: Daten wiederhergestellt" for o in orders
    }
    mail = OutgoingMail.objects.first()
    assert (mail.state, mail.server_id, mail.server_name, mail.attempts) == ("sent", None, "", 1)
    assert mail.sent_at is not None
    # Running again sends nothing twice.
    assert outbox_send().sent == 0
    assert len(mailoutbox) == 5


def test_the_outbox_stores_no_address_subject_or_body(text):
    order = OrderFactory(buyer_email="geheim@example.de")
    queue_mails(text=text, order_ids=[order.pk])
    outbox_send()

    row = OutgoingMail.objects.values().get()
    stored = " ".join(str(v) for v in row.values())
    assert "geheim@example.de" not in stored
    assert order.billing_address.full_name not in stored


def test_queue_mails_costs_a_constant_number_of_queries(text):
    few = [OrderFactory().pk for _ in range(2)]
    many = [OrderFactory().pk for _ in range(30)]

    with CaptureQueriesContext(connection) as small:
        queue_mails(text=text, order_ids=few, dedupe_prefix="rule:1")
    with CaptureQueriesContext(connection) as large:
        queue_mails(text=text, order_ids=many, dedupe_prefix="rule:1")

    assert len(large) == len(small) <= 4


def test_queue_mails_works_in_chunks(text):
    ids = [OrderFactory().pk for _ in range(7)]

    with CaptureQueriesContext(connection) as queries:
        added = queue_mails(text=text, order_ids=ids, chunk_size=3)

    assert added == 7
    # Per chunk: the orders' states and one INSERT.
    inserts = [q for q in queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 3


def test_a_dedupe_prefix_queues_each_order_once(text):
    ids = [OrderFactory().pk for _ in range(3)]

    assert queue_mails(text=text, order_ids=ids, dedupe_prefix="rule:3") == 3
    assert queue_mails(text=text, order_ids=ids, dedupe_prefix="rule:3") == 0
    assert queue_mails(text=text, order_ids=ids, dedupe_prefix="rule:4") == 3
    # Without a prefix, a rule that may send several times adds a row each time.
    assert queue_mails(text=text, order_ids=ids[:1]) == 1
    assert queue_mails(text=text, order_ids=ids[:1]) == 1

    assert OutgoingMail.objects.count() == 8
    assert OutgoingMail.objects.filter(dedupe_key=f"rule:3:order:{ids[0]}:buyer").exists()


def test_a_key_taken_meanwhile_is_skipped_by_the_database(text):
    order = OrderFactory()
    OutgoingMail.objects.create(
        order=order, text=text, text_name=text.name, recipient="buyer", dedupe_key="x"
    )
    # As if another producer had inserted the same key between our check and our insert.
    OutgoingMail.objects.bulk_create(
        [
            OutgoingMail(
                order=order, text=text, text_name=text.name, recipient="buyer", dedupe_key="x"
            )
        ],
        ignore_conflicts=True,
    )
    assert OutgoingMail.objects.count() == 1


def test_buyer_mails_for_anonymized_orders_are_refused_with_the_reason(text, mailoutbox):
    active = OrderFactory()
    anonymized = OrderFactory()
    Order.objects.filter(pk=anonymized.pk).update(privacy_state=PrivacyState.ANONYMIZED)

    assert queue_mails(text=text, order_ids=[active.pk, anonymized.pk, 999_999]) == 2
    outbox_send()

    refused = OutgoingMail.objects.get(order=anonymized)
    assert (refused.state, refused.refusal) == (MailState.REFUSED, Refusal.ANONYMIZED)
    assert refused.reason == "Die Kundendaten der Bestellung sind anonymisiert."
    assert [m.to for m in mailoutbox] == [[active.buyer_email]]


def test_merchant_mails_go_to_the_company_address_also_for_anonymized_orders(
    text, mailoutbox, company
):
    order = OrderFactory()
    Order.objects.filter(pk=order.pk).update(
        privacy_state=PrivacyState.ANONYMIZED, billing_last_name=ANONYMIZED
    )

    queue_mails(text=text, order_ids=[order.pk], recipient="merchant")
    outbox_send()

    (message,) = mailoutbox
    assert message.to == [company.email]
    assert message.body == f"Kunde {ANONYMIZED}, Bestellung {order.number} von {company.name}."


def test_merchant_mails_without_an_address_use_the_setting_or_are_refused(
    text, mailoutbox, settings
):
    CompanySettings.objects.update_or_create(pk=1, defaults={"email": ""})
    first, second = OrderFactory(), OrderFactory()
    queue_mails(text=text, order_ids=[first.pk], recipient="merchant")
    settings.NOTIFICATIONS_MERCHANT_EMAIL = ""
    outbox_send()
    settings.NOTIFICATIONS_MERCHANT_EMAIL = "chef@example.org"
    queue_mails(text=text, order_ids=[second.pk], recipient="merchant")
    outbox_send()

    assert OutgoingMail.objects.get(order=first).refusal == Refusal.NO_MERCHANT_ADDRESS
    assert [m.to for m in mailoutbox] == [["chef@example.org"]]


def test_a_buyer_without_address_and_a_deleted_text_are_refused(text):
    no_address = OrderFactory(buyer_email="")
    other = NotificationText.objects.create(name="Weg", subject="x", body_text="y")
    queue_mails(text=text, order_ids=[no_address.pk])
    queue_mails(text=other, order_ids=[OrderFactory().pk])
    other.delete()

    outbox_send()

    assert set(OutgoingMail.objects.values_list("text_name", "refusal")) == {
        ("Wiederhergestellt", Refusal.NO_ADDRESS),
        ("Weg", Refusal.NO_TEXT),
    }


def test_the_text_is_rendered_from_the_live_order_at_send_time(text, mailoutbox):
    order = OrderFactory()
    queue_mails(text=text, order_ids=[order.pk])
    Order.objects.filter(pk=order.pk).update(billing_first_name="Neu", billing_last_name="Name")
    NotificationText.objects.filter(pk=text.pk).update(body_text="Hallo {CustomerName}")

    outbox_send()

    assert mailoutbox[0].body == "Hallo Neu Name"


def test_a_claim_of_a_stopped_sender_is_taken_over_and_a_retry_waits(text, mailoutbox):
    orders = [OrderFactory() for _ in range(2)]
    queue_mails(text=text, order_ids=[o.pk for o in orders])
    past = timezone.now() - datetime.timedelta(minutes=1)
    future = timezone.now() + datetime.timedelta(hours=1)
    # One was claimed by a worker that died; the other waits for its retry.
    OutgoingMail.objects.filter(order=orders[0]).update(
        state=MailState.SENDING, claimed_until=past, attempts=1
    )
    OutgoingMail.objects.filter(order=orders[1]).update(next_attempt_at=future)

    report = outbox_send()

    assert report.sent == 1
    assert OutgoingMail.objects.get(order=orders[0]).attempts == 2
    assert OutgoingMail.objects.get(order=orders[1]).state == MailState.QUEUED


def test_the_task_takes_no_personal_data_and_reports(text, mailoutbox):
    queue_mails(text=text, order_ids=[OrderFactory().pk])

    assert send_outbox() == "sent 1, retry later 0, failed 0, refused 0"


def test_queue_mails_asks_a_worker_after_commit(text, django_capture_on_commit_callbacks):
    from notifications.services import enqueue_send

    with django_capture_on_commit_callbacks() as callbacks:
        queue_mails(text=text, order_ids=[OrderFactory().pk])

    assert [c.func if hasattr(c, "func") else c for c in callbacks] == [enqueue_send]


def test_unknown_recipient_kind_is_a_programming_error(text):
    with pytest.raises(ValueError):
        queue_mails(text=text, order_ids=[1], recipient="everyone")


def test_the_minute_schedule_is_created_once():
    from django_q.models import Schedule

    schedules.ensure_schedules()
    schedules.ensure_schedules()

    (schedule,) = Schedule.objects.filter(name=schedules.SEND_OUTBOX)
    assert schedule.func == "notifications.tasks.send_outbox"
    assert (schedule.schedule_type, schedule.minutes) == (Schedule.MINUTES, 1)


def test_the_task_runs_through_django_q(text, mailoutbox):
    from django_q.tasks import async_task

    queue_mails(text=text, order_ids=[OrderFactory().pk])

    async_task("notifications.tasks.send_outbox", sync=True)

    assert len(mailoutbox) == 1
    assert OutgoingMail.objects.get().state == MailState.SENT


def test_deleting_an_order_a_text_or_a_rule_clears_its_outbox_rows_and_firings(text):
    """The outbox and the firings have no foreign-key constraints in the database (speed,
    docs/notifications.md); Django's on_delete keeps them consistent."""
    from automation.evaluator import rule_run_by_hand
    from automation.models import Action, Firing, Rule

    kept, gone = OrderFactory(), OrderFactory()
    queue_mails(text=text, order_ids=[kept.pk, gone.pk], recipient="merchant")
    rule = Rule.objects.create(name="Regel", trigger="imported")
    Action.objects.create(rule=rule, kind="set_status", params={"status": "archived"})
    rule_run_by_hand(rule=rule, order_ids=[kept.pk, gone.pk], user=None)
    assert Firing.objects.filter(rule=rule).count() == 2

    Order.objects.filter(pk=gone.pk).delete()
    assert sorted(OutgoingMail.objects.values_list("order_id", flat=True), key=str) == [
        kept.pk,
        None,
    ]
    assert list(Firing.objects.values_list("order_id", flat=True)) == [kept.pk]
    text.delete()
    assert set(OutgoingMail.objects.values_list("text_id", flat=True)) == {None}
    assert set(OutgoingMail.objects.values_list("text_name", flat=True)) == {text.name}
    rule.delete()
    assert not Firing.objects.exists()
