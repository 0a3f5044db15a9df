"""Purge dates (1 January of anonymization year + 11) and the purge itself."""

import datetime

import pytest
from django.core.management import call_command

from coldstorage.models import ColdRecord
from orders.models import OrderEvent, purge_date_for
from personal.state import PrivacyState
from tests.factories import OrderFactory
from tests.privacy.conftest import BOTH, anonymize, fresh, restore


def local(*args):
    from django.utils import timezone

    return timezone.make_aware(datetime.datetime(*args))


@pytest.mark.parametrize(
    ("anonymized_at", "purge_on"),
    [
        (local(2022, 12, 31, 23, 59), datetime.date(2033, 1, 1)),
        (local(2022, 9, 15, 10, 0), datetime.date(2033, 1, 1)),
        (local(2023, 3, 1, 0, 0), datetime.date(2034, 1, 1)),
        (local(2023, 1, 1, 0, 30), datetime.date(2034, 1, 1)),  # 2022 in UTC, 2023 in Berlin
    ],
)
def test_it_computes_the_purge_date(anonymized_at, purge_on):
    assert purge_date_for(anonymized_at) == purge_on


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_it_purges_on_the_purge_date_and_not_the_day_before(at):
    order = OrderFactory()
    with at(2022, 12, 31, 18, 0):
        anonymize(order)
    assert fresh(order).purge_on == datetime.date(2033, 1, 1)
    assert ColdRecord.objects.count() == 3  # order, address, customer

    call_command("purge_coldstorage", "--today", "2032-12-31")
    assert fresh(order).privacy_state == PrivacyState.ANONYMIZED
    assert ColdRecord.objects.count() == 3

    call_command("purge_coldstorage", "--today", "2033-01-01")
    assert fresh(order).privacy_state == PrivacyState.PURGED
    assert fresh(order.customer).privacy_state == PrivacyState.PURGED
    assert fresh(order.billing_entry).privacy_state == PrivacyState.PURGED
    assert ColdRecord.objects.count() == 0
    assert order.events.filter(kind=OrderEvent.Kind.PURGED).count() == 1

    # A purged order cannot come back.
    job = restore(order)
    assert job.summary == {"queued": 0, "skipped_purged": 1}


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_a_new_anonymization_after_a_restore_gives_a_new_purge_date(at):
    order = OrderFactory()
    with at(2022, 9, 1, 12, 0):
        anonymize(order)
    assert fresh(order).purge_on == datetime.date(2033, 1, 1)
    with at(2023, 3, 1, 12, 0):
        restore(order)
        anonymize(order)
    assert fresh(order).purge_on == datetime.date(2034, 1, 1)
    record = ColdRecord.objects.get(kind="order", object_id=order.pk)
    assert record.purge_on == datetime.date(2034, 1, 1)
    call_command("purge_coldstorage", "--today", "2033-06-01")
    assert fresh(order).privacy_state == PrivacyState.ANONYMIZED


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_restore_is_refused_once_the_purge_date_has_come_even_before_the_purge_ran(at):
    order = OrderFactory()
    with at(2020, 6, 1, 12, 0):
        anonymize(order)
    with at(2031, 1, 2, 12, 0):
        job = restore(order)
    assert job.summary == {"queued": 0, "skipped_purged": 1}
    assert fresh(order).privacy_state == PrivacyState.ANONYMIZED
