"""Triggers wired through the real services: import, status change, anonymize and restore jobs,
the time slots; exactly one firing per (rule, event) however often the evaluator runs."""

import datetime
import threading
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from automation.evaluator import automation_run
from automation.models import Condition, Firing, Rule, StreamCursor, Trigger
from orders import history
from orders.importing.services import orders_import
from orders.models import Order, OrderEvent, OrderStatus, PrivacyJob
from orders.privacy.jobs import privacy_job_run
from orders.services import order_update, orders_set_status
from tests.factories import ChannelFactory, OrderFactory, UserFactory
from tests.privacy.conftest import BOTH, anonymize, fresh, restore

pytestmark = pytest.mark.django_db(transaction=True, databases=BOTH)

K, Op = Condition.Kind, Condition.Operator


def rule_events(order):
    return list(
        order.events.filter(kind=OrderEvent.Kind.RULE_FIRED).values_list("params", flat=True)
    )


def test_restored_orders_fire_once_each_however_often_it_runs(make_rule):
    orders = [OrderFactory(status=OrderStatus.SHIPPED) for _ in range(5)]
    anonymize(*orders)
    rule = make_rule(Trigger.RESTORED, actions=(("set_status", {"status": "archived"}),))
    automation_run()  # before the restore: nothing to fire
    assert not Firing.objects.exists()

    restore(*orders)
    automation_run()
    automation_run()
    call_command("run_automation", stdout=mock.Mock())

    assert Firing.objects.filter(rule=rule, state=Firing.State.DONE).count() == 5
    for order in orders:
        assert fresh(order).status == OrderStatus.ARCHIVED
        [params] = rule_events(order)
        assert params["rule"] == rule.pk
        assert params["actions"] == ["set_status:archived"]
        event = order.events.get(kind=OrderEvent.Kind.RULE_FIRED)
        assert event.actor_label == f"Regel {rule.pk}"
        assert "Status gesetzt: Archiviert" in history.entry_text(event)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite has one writer: nothing commits out of order"
)
def test_an_event_committed_after_a_later_one_is_read_when_it_commits(make_rule):
    # Two chunks: the first takes its event id, the second commits first; the evaluator runs in
    # between, and the earlier event still fires once it is committed.
    rule = make_rule(Trigger.RESTORED)
    early, late = OrderFactory(), OrderFactory()
    taken, release = threading.Event(), threading.Event()

    def slow_chunk():
        try:
            with transaction.atomic():
                history.record(early, OrderEvent.Kind.RESTORED, actor=history.Actor.system("t"))
                taken.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=slow_chunk)
    thread.start()
    taken.wait(10)
    history.record(late, OrderEvent.Kind.RESTORED, actor=history.Actor.system("t"))
    automation_run()
    assert list(Firing.objects.values_list("order_id", flat=True)) == [late.pk]
    assert StreamCursor.objects.get().gaps  # the early event's id: not visible yet
    release.set()
    thread.join()
    automation_run()
    automation_run()
    assert sorted(Firing.objects.filter(rule=rule).values_list("order_id", flat=True)) == [
        early.pk,
        late.pk,
    ]
    early_id = early.events.get(kind=OrderEvent.Kind.RESTORED).pk
    assert not [gap for gap in StreamCursor.objects.get().gaps if gap[0] <= early_id <= gap[1]]


def test_an_anonymize_job_fires_the_anonymized_trigger(make_rule):
    rule = make_rule(Trigger.ANONYMIZED, actions=(("set_status", {"status": "archived"}),))
    orders = [OrderFactory() for _ in range(3)]
    anonymize(*orders)
    automation_run()
    assert Firing.objects.filter(rule=rule).count() == 3
    assert {fresh(o).status for o in orders} == {OrderStatus.ARCHIVED}


def test_status_changed_fires_only_for_the_chosen_status(make_rule):
    rule = make_rule(
        Trigger.STATUS_CHANGED,
        target_status=OrderStatus.SHIPPED,
        actions=(("set_status", {"status": "archived"}),),
    )
    shipped, cancelled = (
        OrderFactory(status=OrderStatus.PAID),
        OrderFactory(status=OrderStatus.PAID),
    )
    orders_set_status(
        order_ids=[shipped.pk], status=OrderStatus.SHIPPED, actor=history.Actor.system("t")
    )
    orders_set_status(
        order_ids=[cancelled.pk], status=OrderStatus.CANCELLED, actor=history.Actor.system("t")
    )
    automation_run()
    assert list(Firing.objects.filter(rule=rule).values_list("order_id", flat=True)) == [shipped.pk]
    assert fresh(shipped).status == OrderStatus.ARCHIVED
    assert fresh(cancelled).status == OrderStatus.CANCELLED


def test_a_status_set_on_the_edit_page_fires(make_rule):
    rule = make_rule(Trigger.STATUS_CHANGED, target_status=OrderStatus.CANCELLED)
    order = OrderFactory(status=OrderStatus.PAID)
    user = UserFactory()
    from customers.models import ADDRESS_FIELDS

    addresses = {
        role: {name: getattr(order, f"{role}_{name}") for name in ADDRESS_FIELDS}
        for role in ("billing", "shipping")
    }
    order_update(
        order=order,
        actor=user,
        version=order.version,
        billing=addresses["billing"],
        shipping=addresses["shipping"],
        fields={
            "buyer_email": order.buyer_email,
            "buyer_phone": order.buyer_phone,
            "status": OrderStatus.CANCELLED,
            "notes": order.notes,
        },
    )
    automation_run()
    assert Firing.objects.filter(rule=rule, order=order).count() == 1


def test_imported_orders_fire_the_imported_trigger(make_rule):
    from tests.orders.test_import import _empty_database, _export, _order

    channel = ChannelFactory(name="Shop")
    _order(500001, channel=channel)
    _order(500002, channel=channel)
    content = _export(per_item=True)
    _empty_database()
    rule = make_rule(
        Trigger.IMPORTED,
        conditions=((K.CHANNEL, Op.IS, str(channel.pk)),),
        actions=(("set_status", {"status": "paid"}),),
    )
    orders_import(content=content, channel=channel, skip_duplicates=True, actor=UserFactory())
    automation_run()
    assert Firing.objects.filter(rule=rule, state=Firing.State.DONE).count() == 2
    assert set(Order.objects.values_list("status", flat=True)) == {OrderStatus.PAID}


def test_conditions_filter_the_orders_a_rule_fires_for(make_rule):
    rule = make_rule(Trigger.RESTORED, conditions=((K.TOTAL, Op.GTE, "50"),))
    cheap, dear = OrderFactory(total="10.00"), OrderFactory(total="90.00")
    anonymize(cheap, dear)
    restore(cheap, dear)
    automation_run()
    assert list(Firing.objects.filter(rule=rule).values_list("order_id", flat=True)) == [dear.pk]


def test_a_rule_that_is_not_repeatable_acts_once_per_order(make_rule):
    rule = make_rule(Trigger.RESTORED, repeatable=False)
    order = OrderFactory(status=OrderStatus.SHIPPED)
    for _ in range(2):
        anonymize(order)
        restore(order)
        Order.objects.filter(pk=order.pk).update(status=OrderStatus.SHIPPED)
        automation_run()
    assert Firing.objects.filter(rule=rule).count() == 1
    Rule.objects.filter(pk=rule.pk).update(repeatable=True)
    anonymize(order)
    restore(order)
    automation_run()
    assert Firing.objects.filter(rule=rule).count() == 2


def test_the_anonymize_action_starts_a_privacy_job_with_the_rule_as_actor(make_rule):
    rule = make_rule(
        Trigger.STATUS_CHANGED,
        target_status=OrderStatus.ARCHIVED,
        actions=(("anonymize", {}),),
    )
    orders = [OrderFactory() for _ in range(3)]
    orders_set_status(
        order_ids=[o.pk for o in orders], status=OrderStatus.ARCHIVED, actor=history.Actor()
    )
    automation_run()
    job = PrivacyJob.objects.get(kind=PrivacyJob.Kind.ANONYMIZE)
    assert job.source == f"Regel {rule.pk}"
    assert job.selection["ids"] == sorted(o.pk for o in orders)
    privacy_job_run(job_id=job.pk)
    assert {fresh(o).privacy_state for o in orders} == {"anonymized"}
    event = orders[0].events.get(kind=OrderEvent.Kind.ANONYMIZED)
    assert event.actor_label == f"Regel {rule.pk}"
    [params] = rule_events(orders[0])
    assert params["job"] == job.pk


def test_a_failing_action_is_recorded_and_stops_nothing(make_rule):
    failing = make_rule(Trigger.RESTORED, name="kaputt", actions=(("set_status", {}),))
    working = make_rule(Trigger.RESTORED, name="heil", position=5)
    order = OrderFactory()
    anonymize(order)
    restore(order)
    automation_run()
    assert Firing.objects.get(rule=failing).state == Firing.State.FAILED
    assert Firing.objects.get(rule=working).state == Firing.State.DONE
    failing.refresh_from_db()
    assert failing.last_error.startswith("set_status: KeyError")
    assert {p["outcome"] for p in rule_events(order)} == {"failed", "done"}


def test_a_scheduled_rule_fires_once_per_slot(make_rule):
    now = timezone.localtime()
    rule = make_rule(
        Trigger.SCHEDULED,
        weekdays=[now.weekday()],
        hours=[now.hour],
        conditions=((K.AGE_DAYS, Op.GTE, "30"),),
        repeatable=True,
    )
    old = OrderFactory(order_date=now - datetime.timedelta(days=40))
    OrderFactory(order_date=now - datetime.timedelta(days=1))
    automation_run(now=now)
    automation_run(now=now + datetime.timedelta(seconds=30))
    assert list(Firing.objects.filter(rule=rule).values_list("order_id", flat=True)) == [old.pk]
    automation_run(now=now + datetime.timedelta(days=7))  # the next week's slot
    assert Firing.objects.filter(rule=rule).count() == 2
    automation_run(now=now + datetime.timedelta(days=1))  # another weekday: not due
    assert Firing.objects.filter(rule=rule).count() == 2


def test_an_inactive_rule_does_not_fire(make_rule):
    make_rule(Trigger.RESTORED, active=False)
    order = OrderFactory()
    anonymize(order)
    restore(order)
    automation_run()
    assert not Firing.objects.exists()


def test_a_restore_killed_mid_chunk_and_resumed_fires_once_per_order(make_rule, monkeypatch):
    from orders.privacy.jobs import privacy_job_restore, reconcile_jobs
    from orders.privacy.selection import Selection
    from tests.privacy.test_jobs import Killed, expire_lease

    rule = make_rule(Trigger.RESTORED, repeatable=True)
    orders = [OrderFactory() for _ in range(9)]
    anonymize(*orders)
    job = privacy_job_restore(selection=Selection.of_ids(o.pk for o in orders), background=False)
    real, calls = history.record_for_orders, {"n": 0}

    def killed_in_the_second_chunk(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise Killed(None)
        return real(*args, **kwargs)

    monkeypatch.setattr(history, "record_for_orders", killed_in_the_second_chunk)
    with pytest.raises(Killed):
        privacy_job_run(job_id=job.pk, chunk_size=3)
    monkeypatch.undo()
    automation_run()  # between the crash and the resume
    expire_lease(job.pk)
    reconcile_jobs()
    privacy_job_run(job_id=job.pk, chunk_size=3)
    automation_run()
    automation_run()

    assert Firing.objects.filter(rule=rule).count() == 9
    assert sorted(Firing.objects.values_list("order_id", flat=True)) == sorted(o.pk for o in orders)
    assert OrderEvent.objects.filter(kind=OrderEvent.Kind.RULE_FIRED).count() == 9


def test_the_schedule_is_created_once():
    from django_q.models import Schedule

    from orders import schedules

    schedules.ensure_schedules()
    schedules.ensure_schedules()
    [schedule] = Schedule.objects.filter(name=schedules.AUTOMATION)
    assert (schedule.func, schedule.minutes) == ("automation.tasks.run_automation", 1)
