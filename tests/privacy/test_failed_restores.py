"""A restore that fails never strands its orders: they go back to "anonymized" (the data is still
in cold storage) with the reason in the order, its history and the job; they can be restored again;
an order whose cold record is missing is marked and not offered; commands exit non-zero."""

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from coldstorage import keys
from coldstorage.models import ColdRecord
from orders.models import OrderEvent, PrivacyJob, RestoreFailure
from orders.privacy.jobs import privacy_job_restore, privacy_job_run, reconcile_jobs
from orders.privacy.selection import Selection
from personal.state import PrivacyState
from tests.factories import OrderFactory
from tests.privacy.conftest import BOTH, anonymize, fresh, restore

pytestmark = pytest.mark.django_db(transaction=True, databases=BOTH)


@pytest.fixture
def keyring(settings):
    """Switches the configured cold-storage keys: `keyring(line, …)`, `keyring()` for none."""

    def _use(*lines):
        settings.COLDSTORAGE_KEYS = ",".join(lines)
        settings.COLDSTORAGE_KEY_FILE = "/nonexistent/orderdesk.keys"
        keys.reset_cache()

    yield _use
    keys.reset_cache()


def _events(order, kind):
    return list(OrderEvent.objects.filter(order=order, kind=kind))


def test_a_restore_job_that_fails_hands_its_orders_back_and_can_be_retried(
    keyring, merchant_client
):
    key = keys.new_key_line("k1")
    keyring(key)
    orders = [OrderFactory() for _ in range(3)]
    anonymize(*orders)
    job = privacy_job_restore(selection=Selection.of_ids(o.pk for o in orders), background=False)
    keyring()  # the worker has no key

    job = privacy_job_run(job_id=job.pk)

    assert job.state == PrivacyJob.State.FAILED and job.orders_released
    assert job.summary["failed_job"] == 3
    for order in orders:
        order = fresh(order)
        assert order.privacy_state == PrivacyState.ANONYMIZED
        assert order.restore_failure == RestoreFailure.JOB_FAILED
        (event,) = _events(order, OrderEvent.Kind.RESTORE_FAILED)
        assert event.params == {"job": job.pk, "failure": "job_failed"}
    page = merchant_client.get(reverse("orders:detail", args=[orders[0].pk])).text
    assert "Die letzte Wiederherstellung" in page and "erneut versuchen" in page
    assert reverse("orders:restore", args=[orders[0].pk]) in page
    history = merchant_client.get(
        reverse("orders:detail", args=[orders[0].pk]), {"tab": "history"}
    ).text
    assert "Wiederherstellung fehlgeschlagen" in history

    keyring(key)
    job = restore(*orders)

    assert job.state == PrivacyJob.State.DONE and job.summary["restored"] == 3
    assert all(fresh(o).privacy_state == PrivacyState.ACTIVE for o in orders)
    assert all(fresh(o).restore_failure == "" for o in orders)


def test_the_reconciler_hands_back_orders_an_earlier_version_stranded():
    order = OrderFactory()
    anonymize(order)
    job = privacy_job_restore(selection=Selection.of_ids([order.pk]), background=False)
    # As a failed job left them before: still `restoring`, the job ended.
    PrivacyJob.objects.filter(pk=job.pk).update(state=PrivacyJob.State.FAILED)

    reconcile_jobs()

    order = fresh(order)
    assert order.privacy_state == PrivacyState.ANONYMIZED
    assert order.restore_failure == RestoreFailure.JOB_FAILED
    assert PrivacyJob.objects.get(pk=job.pk).orders_released
    reconcile_jobs()  # once only
    assert len(_events(order, OrderEvent.Kind.RESTORE_FAILED)) == 1
    assert restore(order).summary["restored"] == 1


def test_an_order_whose_record_is_missing_is_marked_and_not_offered(merchant_client):
    order, other = OrderFactory(), OrderFactory()
    anonymize(order, other)
    record = ColdRecord.objects.get(kind="order", object_id=order.pk)
    saved = {f.name: getattr(record, f.name) for f in ColdRecord._meta.fields if f.name != "id"}
    record.delete()

    job = restore(order, other)

    assert (job.summary["restored"], job.summary["failed_cold_record_missing"]) == (1, 1)
    assert job.has_failures and str(order.number) in job.error
    order = fresh(order)
    assert order.restore_failure == RestoreFailure.MISSING
    page = merchant_client.get(reverse("orders:detail", args=[order.pk])).text
    assert "Cold-Storage-Eintrag fehlt" in page
    assert reverse("orders:restore", args=[order.pk]) not in page
    job_page = merchant_client.get(reverse("orders:privacy_job", args=[job.pk])).text
    assert "Wiederherstellung mit Fehlern abgeschlossen" in job_page
    # Asked again, it is left out with the reason …
    assert restore(order).summary == {"queued": 0, "skipped_cold_record_missing": 1}
    # … until the record is back (say, from a backup).
    ColdRecord.objects.create(**saved)
    assert restore(order).summary["restored"] == 1
    assert fresh(order).restore_failure == ""


def test_restore_orders_exits_non_zero_when_an_order_failed(capsys):
    order = OrderFactory()
    anonymize(order)
    ColdRecord.objects.filter(kind="order", object_id=order.pk).delete()

    with pytest.raises(CommandError, match="1 Bestellungen konnten nicht bearbeitet werden"):
        call_command("restore_orders", ids=str(order.pk))
    assert "Cold-Storage-Eintrag fehlt" in capsys.readouterr().out
