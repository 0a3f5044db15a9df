"""Jobs: claiming, resuming after a crash at any step, the reconciler, the commands."""

import datetime
from contextlib import contextmanager

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from django_q.models import OrmQ

from coldstorage import services as cold_services
from orders.models import Order, PrivacyJob
from orders.privacy import jobs, lifecycle
from orders.privacy.jobs import (
    privacy_job_anonymize,
    privacy_job_restore,
    privacy_job_run,
    reconcile_jobs,
)
from orders.privacy.selection import Selection
from personal.state import PrivacyState
from tests.factories import CustomerFactory, OrderFactory
from tests.privacy.conftest import BOTH, assert_invariants, fresh, personal_snapshot

pytestmark = pytest.mark.django_db(transaction=True, databases=BOTH)


class Killed(BaseException):
    """Stands in for SIGKILL: not an Exception, so nothing in the job code catches it."""


def orders_of_shared_customers(n: int) -> list[Order]:
    orders = []
    for _ in range(n // 3):
        customer = CustomerFactory()
        orders += [OrderFactory(customer=customer) for _i in range(3)]
    return orders


def expire_lease(job_id: int) -> None:
    PrivacyJob.objects.filter(pk=job_id).update(
        heartbeat_at=timezone.now() - datetime.timedelta(hours=1)
    )


@pytest.mark.parametrize(
    "crash_point",
    [
        "coldstorage.services.cold_records_store",  # cold committed, main untouched
        "orders.history.record_for_orders",  # cold written, main not committed
        "orders.privacy.jobs._advance",  # all written, not committed
    ],
)
def test_an_anonymization_killed_mid_chunk_resumes_to_a_consistent_end(monkeypatch, crash_point):
    orders = orders_of_shared_customers(12)
    original = personal_snapshot([o.pk for o in orders])
    job = privacy_job_anonymize(selection=Selection.of_ids(o.pk for o in orders), background=False)

    module, _, name = crash_point.rpartition(".")
    target = __import__(module, fromlist=[name])
    real = getattr(target, name)
    calls = {"n": 0}

    def crash_on_second_chunk(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            result = real(*args, **kwargs) if name == "cold_records_store" else None
            raise Killed(result)
        return real(*args, **kwargs)

    monkeypatch.setattr(target, name, crash_on_second_chunk)
    if name == "cold_records_store":
        monkeypatch.setattr(lifecycle, name, crash_on_second_chunk)
    with pytest.raises(Killed):
        privacy_job_run(job_id=job.pk, chunk_size=3)
    assert_invariants(original, settled=False)
    assert fresh(job).state == PrivacyJob.State.RUNNING
    monkeypatch.undo()

    # The lease is still fresh: nobody else may take the job yet.
    assert privacy_job_run(job_id=job.pk) is None
    expire_lease(job.pk)
    assert reconcile_jobs() == [job.pk]
    done = privacy_job_run(job_id=job.pk, chunk_size=3)
    assert done.state == PrivacyJob.State.DONE
    assert done.summary["anonymized"] == 12
    assert all(fresh(o).privacy_state == PrivacyState.ANONYMIZED for o in orders)
    assert_invariants(original)


@pytest.mark.parametrize("crash_point", ["between_the_commits", "before_the_commits"])
def test_a_restore_killed_mid_chunk_resumes_to_a_consistent_end(monkeypatch, crash_point):
    orders = orders_of_shared_customers(12)
    original = personal_snapshot([o.pk for o in orders])
    selection = Selection.of_ids(o.pk for o in orders)
    privacy_job_run(job_id=privacy_job_anonymize(selection=selection, background=False).pk)
    job = privacy_job_restore(selection=selection, background=False)
    assert all(fresh(o).privacy_state == PrivacyState.RESTORING for o in orders)
    calls = {"n": 0}

    if crash_point == "between_the_commits":
        # The main database has the data back and has committed; the cold-storage transaction
        # that deleted the records has not.
        real = jobs.cold_transaction

        @contextmanager
        def killed_before_the_cold_commit():
            calls["n"] += 1
            this_call = calls["n"]  # chunks run in two threads at once
            with real():
                yield
                if this_call == 3:
                    raise Killed()

        monkeypatch.setattr(jobs, "cold_transaction", killed_before_the_cold_commit)
    else:
        real = jobs._advance

        def killed_before_any_commit(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] == 3:
                raise Killed()
            return real(*args, **kwargs)

        monkeypatch.setattr(jobs, "_advance", killed_before_any_commit)
    with pytest.raises(Killed):
        privacy_job_run(job_id=job.pk, chunk_size=3)
    monkeypatch.undo()
    assert_invariants(original, settled=False)
    active = [o.pk for o in orders if fresh(o).privacy_state == PrivacyState.ACTIVE]
    spare = cold_services.cold_records_existing(kind="order", ids=active)
    assert bool(spare) == (crash_point == "between_the_commits")

    expire_lease(job.pk)
    done = privacy_job_run(job_id=job.pk, chunk_size=3)
    assert done.state == PrivacyJob.State.DONE, done.error
    assert done.summary["restored"] == 12
    assert_invariants(original)
    assert cold_services.cold_records_count() == 0
    assert not Order.objects.filter(privacy_state=PrivacyState.RESTORING).exists()


def stop_before_chunk(monkeypatch, number: int) -> None:
    real = lifecycle.anonymize_chunk
    calls = {"n": 0}

    def stopping(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == number:
            raise Killed()
        return real(*args, **kwargs)

    monkeypatch.setattr(lifecycle, "anonymize_chunk", stopping)


def test_a_chunk_ends_where_a_customers_orders_end(monkeypatch, settings):
    settings.PRIVACY_JOB_THREADS = 1  # chunks one after the other, to stop between them
    # Repeat customers' orders interleave in id order, as they do in real life.
    first, second = CustomerFactory(), CustomerFactory()
    orders = [OrderFactory(customer=c) for _ in range(3) for c in (first, second)]
    original = personal_snapshot([o.pk for o in orders])
    job = privacy_job_anonymize(selection=Selection.of_ids(o.pk for o in orders), background=False)
    stop_before_chunk(monkeypatch, 2)
    with pytest.raises(Killed):
        privacy_job_run(job_id=job.pk, chunk_size=4)
    monkeypatch.undo()

    # The first chunk took the first customer's three orders (not a fourth order of the second
    # customer), and with them the customer.
    assert {o.customer_id for o in orders if fresh(o).is_anonymized} == {first.pk}
    assert fresh(first).privacy_state == PrivacyState.ANONYMIZED
    assert fresh(second).privacy_state == PrivacyState.ACTIVE
    assert fresh(job).cursor == first.pk
    assert fresh(job).done == 3
    assert_invariants(original)

    expire_lease(job.pk)
    done = privacy_job_run(job_id=job.pk, chunk_size=4)
    assert done.state == PrivacyJob.State.DONE
    assert done.summary == {"anonymized": 6, "addresses_anonymized": 6, "customers_anonymized": 2}
    assert_invariants(original)


def test_a_customer_with_more_orders_than_a_chunk_holds_is_split_and_ends_consistent(
    monkeypatch, settings
):
    settings.PRIVACY_JOB_THREADS = 1
    big, small = CustomerFactory(), CustomerFactory()
    orders = [OrderFactory(customer=big) for _ in range(5)] + [OrderFactory(customer=small)]
    original = personal_snapshot([o.pk for o in orders])
    job = privacy_job_anonymize(selection=Selection.of_ids(o.pk for o in orders), background=False)
    stop_before_chunk(monkeypatch, 2)
    with pytest.raises(Killed):
        privacy_job_run(job_id=job.pk, chunk_size=2)
    monkeypatch.undo()

    # Two of the big customer's orders are done; the customer keeps its data (three orders are
    # active) and the cursor has not passed it.
    assert sum(fresh(o).is_anonymized for o in orders) == 2
    assert fresh(big).privacy_state == PrivacyState.ACTIVE
    assert fresh(job).cursor == 0
    assert_invariants(original)

    expire_lease(job.pk)
    done = privacy_job_run(job_id=job.pk, chunk_size=2)
    assert done.state == PrivacyJob.State.DONE
    assert done.summary["anonymized"] == 6
    assert fresh(big).privacy_state == PrivacyState.ANONYMIZED
    assert_invariants(original)

    # Restoring them, split the same way and two chunks at once, waits for the customer's lock.
    settings.PRIVACY_JOB_THREADS = 2
    restore_job = privacy_job_restore(
        selection=Selection.of_ids(o.pk for o in orders), background=False
    )
    restored = privacy_job_run(job_id=restore_job.pk, chunk_size=2)
    assert restored.summary["restored"] == 6
    assert_invariants(original)
    assert cold_services.cold_records_count() == 0


def test_running_a_finished_job_again_changes_nothing():
    order = OrderFactory()
    job = privacy_job_anonymize(selection=Selection.of_ids([order.pk]), background=False)
    privacy_job_run(job_id=job.pk)
    assert privacy_job_run(job_id=job.pk) is None
    assert fresh(job).summary == {
        "anonymized": 1,
        "addresses_anonymized": 1,
        "customers_anonymized": 1,
    }


def test_anonymizing_twice_is_harmless_and_says_why():
    order = OrderFactory()
    selection = Selection.of_ids([order.pk])
    privacy_job_run(job_id=privacy_job_anonymize(selection=selection, background=False).pk)
    again = privacy_job_run(job_id=privacy_job_anonymize(selection=selection, background=False).pk)
    assert again.summary == {"skipped_already_anonymized": 1}


def test_restoring_an_active_order_is_skipped_with_the_reason():
    order = OrderFactory()
    job = privacy_job_restore(selection=Selection.of_ids([order.pk]), background=False)
    assert job.state == PrivacyJob.State.DONE
    assert job.summary == {"queued": 0, "skipped_not_anonymized": 1}


def test_a_restoring_order_is_not_anonymized():
    order = OrderFactory()
    selection = Selection.of_ids([order.pk])
    privacy_job_run(job_id=privacy_job_anonymize(selection=selection, background=False).pk)
    privacy_job_restore(selection=selection, background=False)
    job = privacy_job_run(job_id=privacy_job_anonymize(selection=selection, background=False).pk)
    assert job.summary == {"skipped_restoring": 1}


def test_background_jobs_enqueue_only_the_job_id():
    order = OrderFactory()
    job = privacy_job_anonymize(selection=Selection.of_ids([order.pk]), background=True)
    task = OrmQ.objects.get()
    assert task.task["args"] == (job.pk,)
    assert task.task["func"] == "orders.tasks.run_privacy_job"


def test_the_commands_select_by_ids_and_by_date_range(capsys):
    inside = OrderFactory(order_date=timezone.make_aware(datetime.datetime(2024, 3, 31, 23, 30)))
    outside = OrderFactory(order_date=timezone.make_aware(datetime.datetime(2024, 4, 1, 0, 10)))
    call_command("anonymize_orders", "--from", "2024-03-01", "--to", "2024-03-31")
    assert "anonymisiert: 1" in capsys.readouterr().out
    assert fresh(inside).privacy_state == PrivacyState.ANONYMIZED
    assert fresh(outside).privacy_state == PrivacyState.ACTIVE

    call_command("restore_orders", "--ids", f"{inside.pk},{outside.pk}")
    out = capsys.readouterr().out
    assert "wiederhergestellt: 1" in out and "nicht anonymisiert: 1" in out
    assert fresh(inside).privacy_state == PrivacyState.ACTIVE

    call_command("anonymize_orders", "--ids", str(outside.pk), "--background")
    assert "eingereiht" in capsys.readouterr().out
    assert OrmQ.objects.count() == 1
    assert fresh(outside).privacy_state == PrivacyState.ACTIVE


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--ids", "1,x"],
        ["--from", "2024-05-01"],
        ["--from", "2024-05-02", "--to", "2024-05-01"],
        ["--from", "2024-13-01", "--to", "2024-05-01"],
        ["--ids", "1", "--from", "2024-05-01", "--to", "2024-05-02"],
    ],
)
def test_the_commands_refuse_bad_input(args):
    with pytest.raises(CommandError):
        call_command("anonymize_orders", *args)
    assert PrivacyJob.objects.count() == 0


def test_a_failed_job_records_no_text_that_could_quote_personal_data(monkeypatch, caplog):
    from django.db import IntegrityError

    order = OrderFactory(buyer_email="geheim@example.de")
    database_says = 'Failing row contains (1, geheim@example.de, "Erika Mustermann")'

    def failing_chunk(order_ids, **kwargs):
        raise IntegrityError(database_says)

    monkeypatch.setattr(lifecycle, "anonymize_chunk", failing_chunk)
    job = privacy_job_anonymize(selection=Selection.of_ids([order.pk]), background=False)
    job = privacy_job_run(job_id=job.pk)
    assert job.state == PrivacyJob.State.FAILED
    assert job.error == "IntegrityError"
    assert "geheim" not in caplog.text and "Mustermann" not in caplog.text
    assert fresh(order).privacy_state == PrivacyState.ACTIVE


def test_an_order_moved_to_another_customer_after_the_plan_was_read_is_still_done_right(
    monkeypatch,
):
    first, second = CustomerFactory(), CustomerFactory()
    order = OrderFactory(customer=first)
    job = privacy_job_anonymize(selection=Selection.of_ids([order.pk]), background=False)
    real = lifecycle.anonymize_chunk

    def moved_in_the_admin_meanwhile(*args, **kwargs):
        Order.objects.filter(pk=order.pk).update(customer=second)
        return real(*args, **kwargs)

    monkeypatch.setattr(lifecycle, "anonymize_chunk", moved_in_the_admin_meanwhile)
    done = privacy_job_run(job_id=job.pk)
    assert done.summary["anonymized"] == 1
    assert done.summary["customers_anonymized"] == 1
    assert fresh(second).privacy_state == PrivacyState.ANONYMIZED
    assert fresh(first).privacy_state == PrivacyState.ACTIVE
