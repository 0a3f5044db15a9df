"""The seed's example end to end: restoring 150 orders with a rule "Kundendaten
wiederhergestellt → E-Mail an mich senden" sends exactly 150 e-mails through the merchant's own
SMTP server (a real local one); a message to the buyer is refused for anonymized orders."""

import pytest

from automation.evaluator import automation_run
from automation.models import Firing, Trigger
from notifications.models import NotificationText, OutgoingMail
from notifications.services import outbox_send
from orders import history
from orders.models import OrderEvent
from tests.automation.test_triggers import rule_events
from tests.factories import OrderFactory
from tests.notifications.test_smtp import make_server
from tests.privacy.conftest import BOTH, anonymize, restore

pytestmark = [pytest.mark.django_db(transaction=True, databases=BOTH)]


@pytest.fixture
def text(db):
    return NotificationText.objects.create(
        name="Wiederhergestellt",
        subject="Bestellung {OrderNumber} wiederhergestellt",
        body_text="Die Kundendaten der Bestellung {OrderNumber} sind zurück ({RestoredAt}).",
    )


def test_restoring_150_orders_sends_exactly_150_mails_to_the_merchant(
    make_rule, text, smtpd, company
):
    make_server(smtpd.host, smtpd.port)
    orders = [OrderFactory() for _ in range(150)]
    anonymize(*orders)
    rule = make_rule(Trigger.RESTORED, actions=(("mail_merchant", {"text": text.pk}),))

    restore(*orders)
    automation_run()
    automation_run()  # a second run (the schedule's next minute) sends nothing more
    report = outbox_send(batch_size=50)

    assert Firing.objects.filter(rule=rule, state=Firing.State.DONE).count() == 150
    assert OutgoingMail.objects.count() == 150
    received = smtpd.received
    assert len(received) == 150
    assert report.sent == 150
    assert {r.recipients[0] for r in received} == {company.email}
    numbers = sorted(int(r.message["Subject"].split()[1]) for r in received)
    assert numbers == sorted(order.number for order in orders)
    [params] = rule_events(orders[0])
    assert params["actions"] == [f"mail_merchant:{text.pk}"]
    event = orders[0].events.get(kind=OrderEvent.Kind.RULE_FIRED)
    assert "E-Mail an Sie eingereiht" in history.entry_text(event)


def test_a_message_to_the_buyer_of_an_anonymized_order_is_refused_with_a_history_entry(
    make_rule, text, smtpd
):
    make_server(smtpd.host, smtpd.port)
    order = OrderFactory()
    rule = make_rule(Trigger.ANONYMIZED, actions=(("mail_merchant", {"text": text.pk}),))
    buyer_rule = make_rule(
        Trigger.STATUS_CHANGED, actions=(("mail_buyer", {"text": text.pk}),), target_status=""
    )
    anonymize(order)
    from orders.services import orders_set_status

    orders_set_status(order_ids=[order.pk], status="archived", actor=history.Actor.system("Test"))
    automation_run()

    assert Firing.objects.get(rule=rule).state == Firing.State.DONE
    refused = Firing.objects.get(rule=buyer_rule)
    assert refused.state == Firing.State.REFUSED
    assert refused.detail == "anonymized"
    texts = [history.entry_text(e) for e in order.events.filter(kind=OrderEvent.Kind.RULE_FIRED)]
    assert any("abgelehnt: die Bestellung ist anonymisiert" in t for t in texts)
    assert not OutgoingMail.objects.filter(recipient="buyer").exclude(state="refused").exists()
