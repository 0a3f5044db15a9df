"""The daily channel-policy run keeps channels apart (issue 10): one channel whose job cannot be
created is logged and reported, and every other channel, Amazon's included, still runs."""

import datetime
import logging
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError
from django.utils import timezone
from django_q.models import OrmQ

from orders.models import Order, PrivacyJob
from orders.privacy import jobs
from personal.state import PrivacyState
from tests.conftest import BOTH_DATABASES
from tests.factories import ChannelFactory, OrderFactory

pytestmark = pytest.mark.django_db(transaction=True, databases=BOTH_DATABASES)

# Personal data that must not leak into logs or messages (a variable, so that the traceback's
# source lines, which the log keeps, do not show it either).
BUYER = "Mustermann"


def long_ago() -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=400)


@pytest.fixture
def channels():
    """Amazon, a broken shop and a fine shop, each with one due order from a named buyer."""
    amazon = ChannelFactory(name="Amazon DE", kind="amazon")
    broken = ChannelFactory(name="Kaputt", kind="shop", auto_anonymize=True, auto_anonymize_days=1)
    fine = ChannelFactory(name="Heil", kind="shop", auto_anonymize=True, auto_anonymize_days=1)
    orders = {
        channel.name: OrderFactory(channel=channel, order_date=long_ago(), billing_last_name=BUYER)
        for channel in (amazon, broken, fine)
    }
    return amazon, broken, fine, orders


@pytest.fixture
def failing_query_for(monkeypatch):
    """Makes creating the job of one channel fail the way a database error does (its text quotes
    a row, as PostgreSQL's "Failing row contains …" does)."""

    def _fail(channel):
        original = jobs.privacy_job_anonymize

        def privacy_job_anonymize(*, selection, **kwargs):
            if selection.due_channel_id == channel.pk:
                raise DatabaseError(f"Failing row contains ({BUYER}, Hauptstraße 1)")
            return original(selection=selection, **kwargs)

        monkeypatch.setattr(jobs, "privacy_job_anonymize", privacy_job_anonymize)

    return _fail


def state_of(order) -> str:
    return Order.objects.get(pk=order.pk).privacy_state


def test_a_failing_channel_does_not_stop_the_others(channels, failing_query_for, caplog):
    broken = channels[1]
    failing_query_for(broken)
    with caplog.at_level(logging.ERROR, logger="orders.privacy.jobs"):
        run = jobs.privacy_job_anonymize_due(background=False)
    assert run.failed_channel_ids == [broken.pk]
    assert sorted(job.source for job in run.jobs) == ["Kanalregel: Amazon DE", "Kanalregel: Heil"]
    assert PrivacyJob.objects.count() == 2
    # Logged with the channel's id and the error's class, never the row's text.
    logged = caplog.text
    assert f"channel {broken.pk}" in logged
    assert "DatabaseError" in logged
    assert BUYER not in logged


def test_the_command_runs_the_others_and_exits_non_zero(channels, failing_query_for):
    _amazon, broken, _fine, orders = channels
    failing_query_for(broken)
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match=rf"Kaputt \(#{broken.pk}\)") as error:
        call_command("anonymize_due", stdout=out, stderr=err)
    assert BUYER not in str(error.value) + out.getvalue() + err.getvalue()
    assert "Amazon DE: 1 Bestellungen anonymisiert" in out.getvalue()
    assert "Heil: 1 Bestellungen anonymisiert" in out.getvalue()
    assert state_of(orders["Amazon DE"]) == PrivacyState.ANONYMIZED
    assert state_of(orders["Heil"]) == PrivacyState.ANONYMIZED
    assert state_of(orders["Kaputt"]) == PrivacyState.ACTIVE


def test_the_exit_code_is_non_zero_when_a_channel_fails(channels, failing_query_for):
    from django.core.management import ManagementUtility

    failing_query_for(channels[1])
    with pytest.raises(SystemExit) as exit_info:
        ManagementUtility(["manage.py", "anonymize_due", "--background"]).execute()
    assert exit_info.value.code != 0
    assert PrivacyJob.objects.count() == 2


def test_the_scheduled_task_queues_the_others_and_then_fails(channels, failing_query_for):
    from orders.tasks import anonymize_due

    broken = channels[1]
    failing_query_for(broken)
    with pytest.raises(RuntimeError, match=rf"no job for channels {broken.pk}\b"):
        anonymize_due()
    # The other channels' jobs were committed and enqueued before the task failed.
    assert PrivacyJob.objects.count() == 2
    assert OrmQ.objects.count() == 2


def test_without_failures_the_run_reports_none(channels):
    run = jobs.privacy_job_anonymize_due(background=False)
    assert run.failed_channel_ids == []
    assert len(run.jobs) == 3
