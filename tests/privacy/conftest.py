"""Fixtures for the privacy lifecycle: real commits on both databases, a fixed clock."""

import datetime

import pytest
from django.utils import timezone

from customers.models import Address, Customer
from orders.models import Order, PrivacyJob
from orders.privacy.jobs import privacy_job_anonymize, privacy_job_restore, privacy_job_run
from orders.privacy.selection import Selection

BOTH = ["default", "coldstorage"]


def anonymize(*orders, user=None) -> PrivacyJob:
    job = privacy_job_anonymize(
        selection=Selection.of_ids(o.pk for o in orders), requested_by=user, background=False
    )
    return privacy_job_run(job_id=job.pk)


def restore(*orders, user=None) -> PrivacyJob:
    job = privacy_job_restore(
        selection=Selection.of_ids(o.pk for o in orders), requested_by=user, background=False
    )
    return privacy_job_run(job_id=job.pk) if not job.is_finished else job


def fresh(obj):
    obj.refresh_from_db()
    return obj


@pytest.fixture
def at():
    """Runs the block as if it were the given local date/time: `with at(2022, 12, 31): ...`."""
    from contextlib import contextmanager
    from unittest import mock

    @contextmanager
    def _at(*args):
        moment = timezone.make_aware(datetime.datetime(*args))
        with mock.patch("django.utils.timezone.now", return_value=moment):
            yield moment

    return _at


__all__ = ["BOTH", "Address", "Customer", "Order", "anonymize", "fresh", "restore"]
