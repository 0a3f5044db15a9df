"""Channel policies through the engine: the due rule, restore resetting the clock, the backlog run,
the `anonymize_due` command, the task and its schedule."""

import datetime
from io import StringIO

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_q.models import OrmQ, Schedule

from channels.models import Channel
from orders import schedules
from orders.models import Order, OrderEvent, PrivacyJob
from orders.privacy.jobs import privacy_job_anonymize_due, privacy_job_run
from orders.privacy.selection import Selection, SelectionError
from personal.state import PrivacyState
from tests.factories import ChannelFactory, OrderFactory
from tests.privacy.conftest import (
    BOTH,
    anonymize,
    assert_invariants,
    bulk_orders,
    fresh,
    personal_snapshot,
    restore,
)

jobs = pytest.mark.django_db(transaction=True, databases=BOTH)


def local(*args) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(*args))


def due_ids(channel, now) -> set[int]:
    return set(
        Order.objects.due_for_anonymization(channel=channel, now=now).values_list("pk", flat=True)
    )


def run(*args) -> str:
    out = StringIO()
    call_command("anonymize_due", *args, stdout=out)
    return out.getvalue()


# --- the due rule --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_order_is_due_x_days_after_its_order_date_to_the_second():
    channel = ChannelFactory(kind="shop", auto_anonymize=True, auto_anonymize_days=30)
    order = OrderFactory(channel=channel, order_date=local(2024, 3, 1, 14, 5, 7))
    due = local(2024, 3, 31, 14, 5, 7)
    assert due_ids(channel, due - datetime.timedelta(days=1)) == set()  # day X−1
    assert due_ids(channel, due - datetime.timedelta(seconds=1)) == set()
    assert due_ids(channel, due) == {order.pk}  # day X, to the second
    assert due_ids(channel, due + datetime.timedelta(days=400)) == {order.pk}


@pytest.mark.django_db
def test_zero_days_makes_an_order_due_at_once():
    channel = ChannelFactory(kind="shop", auto_anonymize=True, auto_anonymize_days=0)
    order = OrderFactory(channel=channel, order_date=local(2024, 3, 1, 12))
    assert due_ids(channel, local(2024, 3, 1, 11, 59, 59)) == set()
    assert due_ids(channel, local(2024, 3, 1, 12)) == {order.pk}


@pytest.mark.django_db
def test_a_restore_resets_the_clock():
    amazon = ChannelFactory(name="Amazon", kind="amazon")
    order = OrderFactory(
        channel=amazon,
        order_date=local(2024, 1, 1, 12),
        restored_at=local(2024, 3, 10, 9, 30),
    )
    # 40 days after the order date it is not due: it was restored since.
    assert due_ids(amazon, local(2024, 2, 10, 12)) == set()
    assert due_ids(amazon, local(2024, 4, 19, 9, 29, 59)) == set()
    assert due_ids(amazon, local(2024, 4, 19, 9, 30)) == {order.pk}  # 40 days after the restore


@pytest.mark.django_db
def test_only_active_orders_of_the_channel_with_a_policy_are_picked():
    channel = ChannelFactory(kind="shop", auto_anonymize=True, auto_anonymize_days=10)
    other = ChannelFactory(kind="shop", auto_anonymize=True, auto_anonymize_days=10)
    off = ChannelFactory(kind="ebay")
    old = local(2024, 1, 1)
    active = OrderFactory(channel=channel, order_date=old)
    for state in (PrivacyState.ANONYMIZED, PrivacyState.RESTORING, PrivacyState.PURGED):
        OrderFactory(channel=channel, order_date=old, privacy_state=state)
    OrderFactory(channel=other, order_date=old)
    OrderFactory(channel=off, order_date=old)
    now = local(2024, 6, 1)
    assert due_ids(channel, now) == {active.pk}
    assert due_ids(off, now) == set()
    # Chainable like any other filter.
    assert not Order.objects.due_for_anonymization(channel=channel, now=now).exclude(pk=active.pk)


@pytest.mark.django_db
def test_amazon_is_due_after_40_days_and_a_bulk_write_cannot_clear_its_policy():
    amazon = ChannelFactory(name="Amazon", kind="amazon")
    with pytest.raises(IntegrityError), transaction.atomic():
        Channel.objects.filter(pk=amazon.pk).update(auto_anonymize=False, auto_anonymize_days=None)
    amazon.refresh_from_db()
    order = OrderFactory(channel=amazon, order_date=local(2024, 1, 1, 12))
    assert due_ids(amazon, local(2024, 2, 9, 11)) == set()
    assert due_ids(amazon, local(2024, 2, 10, 12)) == {order.pk}


def test_the_due_selection_round_trips_through_json_and_old_selections_still_load():
    cutoff = local(2024, 5, 1, 2, 30)
    selection = Selection.due(channel_id=7, cutoff=cutoff)
    data = selection.to_json()
    assert data == {"due": {"channel": 7, "cutoff": cutoff.isoformat()}}
    assert Selection.from_json(data) == selection
    assert "01.05.2024 02:30" in str(selection.describe())
    by_ids = Selection.from_json({"ids": [1, 3]})
    assert (by_ids.ids, by_ids.is_due, by_ids.to_json()) == ((1, 3), False, {"ids": [1, 3]})
    by_range = {
        "date_field": "order_date",
        "from": "2024-01-01",
        "to": "2024-01-31",
        "channels": None,
        "exclude_statuses": [],
    }
    assert Selection.from_json(by_range).to_json() == by_range
    assert not Selection.from_json(by_range).is_due
    with pytest.raises(SelectionError):
        Selection(due_channel_id=7)
    with pytest.raises(SelectionError):
        Selection.due(channel_id=7, cutoff=datetime.datetime(2024, 5, 1))


# --- through the engine --------------------------------------------------------------------------


@jobs
def test_the_policy_anonymizes_due_orders_and_a_restored_one_again_40_days_after_its_restore(at):
    amazon = ChannelFactory(name="Amazon DE", kind="amazon")
    order = OrderFactory(channel=amazon, order_date=local(2024, 1, 1, 12))
    younger = OrderFactory(channel=amazon, order_date=local(2024, 1, 5, 12))

    out = run("--now", "2024-02-10T12:00")
    assert fresh(order).privacy_state == PrivacyState.ANONYMIZED
    assert fresh(younger).privacy_state == PrivacyState.ACTIVE
    assert "Amazon DE: 1 Bestellungen anonymisiert" in out
    event = order.events.get(kind=OrderEvent.Kind.ANONYMIZED)
    assert event.actor_label == "Kanalregel: Amazon DE"

    with at(2024, 3, 1, 9, 0):
        restore(order)
    assert fresh(order).privacy_state == PrivacyState.ACTIVE
    assert order.restored_at == local(2024, 3, 1, 9, 0)

    run("--now", "2024-04-10T08:59")  # 39 days 23:59 after the restore
    assert fresh(order).privacy_state == PrivacyState.ACTIVE
    assert fresh(younger).privacy_state == PrivacyState.ANONYMIZED
    run("--now", "2024-04-10T09:00")  # 40 days after the restore
    assert fresh(order).privacy_state == PrivacyState.ANONYMIZED
    assert order.events.filter(kind=OrderEvent.Kind.ANONYMIZED).count() == 2


@jobs
def test_a_first_run_anonymizes_the_whole_backlog_in_chunks_and_nothing_else():
    shop = Channel.objects.create(
        name="Eigener Shop", kind="shop", auto_anonymize=True, auto_anonymize_days=10
    )
    off = Channel.objects.create(name="eBay", kind="ebay")
    ids = bulk_orders(3000, channel=shop)
    other_ids = bulk_orders(300, channel=off)
    # bulk_orders dates order i on 1 + i % 28 January 2024 at noon; as of 20 January 12:00 and
    # 10 days, 1–10 January are due.
    expected = set(
        Order.objects.filter(pk__in=ids, order_date__lte=local(2024, 1, 10, 12)).values_list(
            "pk", flat=True
        )
    )
    assert 1000 < len(expected) < 1200
    sample = personal_snapshot(ids[:300])

    out = run("--now", "2024-01-20T12:00", "--chunk-size", "250")

    anonymized = set(
        Order.objects.filter(privacy_state=PrivacyState.ANONYMIZED).values_list("pk", flat=True)
    )
    assert anonymized == expected
    assert not anonymized & set(other_ids)
    job = PrivacyJob.objects.get()
    assert job.source == "Kanalregel: Eigener Shop"
    assert (job.state, job.total, job.done) == (PrivacyJob.State.DONE, len(expected), len(expected))
    assert job.summary["anonymized"] == len(expected)
    progress = [line for line in out.splitlines() if line.endswith("%)")]
    assert len(progress) == -(-len(expected) // 250)  # one line per chunk
    assert progress[0].startswith("250/")
    assert f"Eigener Shop: {len(expected)} Bestellungen anonymisiert" in out
    grouped = f"{len(expected):,}".replace(",", ".")  # German thousands separator
    assert f"Insgesamt {grouped} Bestellungen in 1 Kanal anonymisiert." in out
    assert_invariants(sample)

    # The next day's run has only the next day to do.
    out = run("--now", "2024-01-21T12:00")
    assert (
        Order.objects.filter(privacy_state=PrivacyState.ANONYMIZED).count()
        == len(expected)
        + Order.objects.filter(pk__in=ids, order_date=local(2024, 1, 11, 12)).count()
    )


@jobs
def test_the_job_selection_keeps_its_cutoff_when_resumed():
    shop = ChannelFactory(kind="shop", auto_anonymize=True, auto_anonymize_days=10)
    due = OrderFactory(channel=shop, order_date=local(2024, 1, 1))
    later = OrderFactory(channel=shop, order_date=local(2024, 1, 15))
    [job] = privacy_job_anonymize_due(now=local(2024, 1, 12), background=False).jobs
    assert job.selection == {"due": {"channel": shop.pk, "cutoff": local(2024, 1, 2).isoformat()}}
    assert job.total == 1
    job = privacy_job_run(job_id=job.pk)  # runs "now" (today), long after both are due
    assert fresh(due).privacy_state == PrivacyState.ANONYMIZED
    assert fresh(later).privacy_state == PrivacyState.ACTIVE


@jobs
def test_one_job_per_channel_with_a_policy():
    ChannelFactory(name="Amazon", kind="amazon")
    ChannelFactory(name="Shop", kind="shop", auto_anonymize=True, auto_anonymize_days=0)
    ChannelFactory(name="eBay", kind="ebay")
    created = privacy_job_anonymize_due(now=timezone.now(), background=False).jobs
    assert [job.source for job in created] == ["Kanalregel: Amazon", "Kanalregel: Shop"]


# --- the command ---------------------------------------------------------------------------------


@jobs
def test_the_command_reports_per_channel():
    amazon = ChannelFactory(name="Amazon", kind="amazon")
    shop = ChannelFactory(name="Shop", kind="shop", auto_anonymize=True, auto_anonymize_days=5)
    ChannelFactory(name="eBay", kind="ebay")
    for _ in range(3):
        OrderFactory(channel=amazon, order_date=local(2024, 1, 1))
    OrderFactory(channel=shop, order_date=local(2024, 2, 8))
    out = run("--now", "2024-02-11T00:00")
    assert "Amazon: 3 fällige Bestellungen" in out
    assert "Amazon: 3 Bestellungen anonymisiert" in out
    assert "Shop: 0 fällige Bestellungen" in out
    assert "Shop: 0 Bestellungen anonymisiert" in out
    assert "eBay" not in out
    assert "Insgesamt 3 Bestellungen in 2 Kanälen anonymisiert." in out


@jobs
def test_the_command_acts_as_of_another_day():
    shop = ChannelFactory(name="Shop", kind="shop", auto_anonymize=True, auto_anonymize_days=5)
    order = OrderFactory(channel=shop, order_date=timezone.now() - datetime.timedelta(days=3))
    in_two_days = (timezone.localdate() + datetime.timedelta(days=2)).isoformat()
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    run("--today", tomorrow)
    assert fresh(order).privacy_state == PrivacyState.ACTIVE
    run("--today", in_two_days)
    assert fresh(order).privacy_state == PrivacyState.ANONYMIZED


@jobs
def test_the_command_says_when_there_is_nothing_to_do():
    ChannelFactory(name="eBay", kind="ebay")
    assert "nichts zu tun" in run()
    assert not PrivacyJob.objects.exists()


@jobs
def test_the_command_enqueues_in_the_background():
    amazon = ChannelFactory(name="Amazon", kind="amazon")
    OrderFactory(channel=amazon, order_date=local(2024, 1, 1))
    out = run("--background")
    job = PrivacyJob.objects.get()
    assert f"Amazon: Vorgang #{job.pk} eingereiht (1 fällige Bestellungen)." in out
    assert job.state == PrivacyJob.State.QUEUED
    assert OrmQ.objects.count() == 1


@pytest.mark.parametrize(
    "args",
    [("--now", "2024-02-30T10:00"), ("--now", "2024-02-01"), ("--today", "morgen")],
)
@jobs
def test_the_command_refuses_bad_times(args):
    with pytest.raises(CommandError):
        run(*args)


@jobs
def test_the_command_fails_when_a_job_fails_but_runs_every_channel(monkeypatch):
    from orders.privacy import lifecycle

    first = ChannelFactory(name="A-Shop", kind="shop", auto_anonymize=True, auto_anonymize_days=1)
    second = ChannelFactory(name="B-Shop", kind="shop", auto_anonymize=True, auto_anonymize_days=1)
    broken = OrderFactory(channel=first, order_date=local(2024, 1, 1))
    fine = OrderFactory(channel=second, order_date=local(2024, 1, 1))
    original = lifecycle.anonymize_chunk

    def anonymize_chunk(order_ids, **kwargs):
        if broken.pk in order_ids:
            raise RuntimeError("Festplatte voll")
        return original(order_ids, **kwargs)

    monkeypatch.setattr(lifecycle, "anonymize_chunk", anonymize_chunk)
    out = StringIO()
    # Only the error's class is recorded: its text could quote personal data.
    with pytest.raises(CommandError, match="A-Shop: RuntimeError"):
        call_command("anonymize_due", stdout=out)
    assert "B-Shop: 1 Bestellungen anonymisiert" in out.getvalue()
    assert fresh(broken).privacy_state == PrivacyState.ACTIVE
    assert fresh(fine).privacy_state == PrivacyState.ANONYMIZED


@jobs
def test_the_command_fails_without_a_usable_key(settings, tmp_path):
    from coldstorage import keys

    ChannelFactory(name="Amazon", kind="amazon")
    settings.COLDSTORAGE_KEYS = ""
    settings.COLDSTORAGE_KEY_FILE = tmp_path / "missing.keys"
    keys.reset_cache()
    try:
        with pytest.raises(CommandError):
            run()
    finally:
        keys.reset_cache()
    assert not PrivacyJob.objects.exists()


@jobs
def test_the_exit_code_is_non_zero_on_failure(monkeypatch):
    from django.core.management import ManagementUtility

    monkeypatch.setattr(
        "orders.management.commands.anonymize_due.privacy_job_anonymize_due",
        lambda **kwargs: (_ for _ in ()).throw(CommandError("kaputt")),
    )
    with pytest.raises(SystemExit) as exit_info:
        ManagementUtility(["manage.py", "anonymize_due"]).execute()
    assert exit_info.value.code != 0


# --- the task and its schedule -------------------------------------------------------------------


@jobs
def test_the_task_queues_one_job_per_channel():
    from orders.tasks import anonymize_due

    amazon = ChannelFactory(name="Amazon", kind="amazon")
    OrderFactory(channel=amazon, order_date=local(2024, 1, 1))
    result = anonymize_due()
    job = PrivacyJob.objects.get()
    assert result == f"queued job {job.pk} (1)"
    assert OrmQ.objects.count() == 1


@jobs
def test_the_schedule_exists_exactly_once_after_repeated_setup(settings):
    settings.AUTO_ANONYMIZE_TIME = "02:30"
    schedules.ensure_schedules()
    schedules.ensure_schedules()
    call_command("migrate", verbosity=0)
    [schedule] = Schedule.objects.filter(name=schedules.AUTO_ANONYMIZE)
    assert schedule.func == "orders.tasks.anonymize_due"
    assert schedule.schedule_type == Schedule.DAILY
    assert schedule.repeats == -1
    next_run = timezone.localtime(schedule.next_run)
    assert (next_run.hour, next_run.minute) == (2, 30)
    assert timezone.now() < next_run <= timezone.now() + datetime.timedelta(days=1)

    settings.AUTO_ANONYMIZE_TIME = "04:15"
    schedules.ensure_schedules()
    [schedule] = Schedule.objects.filter(name=schedules.AUTO_ANONYMIZE)
    next_run = timezone.localtime(schedule.next_run)
    assert (next_run.hour, next_run.minute) == (4, 15)
    assert schedules.next_run_of(schedules.AUTO_ANONYMIZE) == schedule.next_run


@jobs
def test_the_schedule_time_must_be_hh_mm(settings):
    settings.AUTO_ANONYMIZE_TIME = "25:00"
    with pytest.raises(ImproperlyConfigured, match="HH:MM"):
        schedules.ensure_schedules()


@jobs
def test_anonymize_and_restore_by_hand_do_not_count_as_policy():
    shop = ChannelFactory(kind="shop", auto_anonymize=True, auto_anonymize_days=10)
    order = OrderFactory(channel=shop, order_date=local(2024, 1, 1))
    anonymize(order)
    assert not fresh(order).events.filter(actor_label__startswith="Kanalregel").exists()
