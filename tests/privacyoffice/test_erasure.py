"""Löschanfrage (Art. 17): everything that can be anonymized is, at once, through the privacy
engine; what cannot yet is listed with its reason and keeps the request open until a re-run."""

import datetime

import pytest
from django.utils import timezone

from orders.models import Order, OrderStatus, PrivacyJob
from orders.privacy.jobs import privacy_job_restore
from orders.privacy.selection import Selection
from personal.state import PrivacyState
from privacyoffice.models import ErasureRequest, one_month_after
from privacyoffice.services import (
    ErasureRequestError,
    erasure_purge_date,
    erasure_request_create,
    erasure_request_run,
)
from tests.factories import OrderFactory
from tests.privacy.conftest import BOTH, anonymize, fresh

pytestmark = pytest.mark.django_db(transaction=True, databases=BOTH)


def test_the_deadline_is_one_month_later():
    assert one_month_after(datetime.date(2026, 3, 15)) == datetime.date(2026, 4, 15)
    assert one_month_after(datetime.date(2026, 1, 31)) == datetime.date(2026, 2, 28)
    assert one_month_after(datetime.date(2026, 12, 10)) == datetime.date(2027, 1, 10)


def test_it_anonymizes_every_finished_order_and_closes(example):
    today = timezone.localdate()

    request = erasure_request_create(
        customer=example["customer"],
        received_on=today,
        received_via="email",
        background=False,
    )

    assert request.state == ErasureRequest.State.DONE
    assert request.deadline == one_month_after(today)
    assert request.blocked == []
    job = request.last_job
    assert job.kind == PrivacyJob.Kind.ANONYMIZE and job.source == "Löschanfrage"
    assert fresh(job).summary["anonymized"] == 2
    assert fresh(example["amazon"]).privacy_state == PrivacyState.ANONYMIZED
    assert fresh(example["customer"]).privacy_state == PrivacyState.ANONYMIZED
    assert erasure_purge_date(request) == fresh(example["amazon"]).purge_on
    # Another customer's order is not touched.
    assert Order.objects.get(number=900003).privacy_state == PrivacyState.ACTIVE


def test_an_open_order_is_listed_and_the_request_stays_open_until_a_rerun(example):
    open_order = OrderFactory(
        number=900010,
        customer=example["customer"],
        channel=example["amazon"].channel,
        billing_entry=example["a1"],
        shipping_entry=example["a1"],
        status=OrderStatus.PAID,
    )

    request = erasure_request_create(
        customer=example["customer"],
        received_on=timezone.localdate(),
        received_via="letter",
        background=False,
    )

    assert request.state == ErasureRequest.State.OPEN
    assert request.blocked == [{"order": open_order.pk, "reason": "open"}]
    assert fresh(example["amazon"]).privacy_state == PrivacyState.ANONYMIZED
    assert fresh(example["shopify"]).privacy_state == PrivacyState.ANONYMIZED
    assert fresh(open_order).privacy_state == PrivacyState.ACTIVE
    assert fresh(example["customer"]).privacy_state == PrivacyState.ACTIVE

    # Still open: a re-run changes nothing.
    assert erasure_request_run(request=request, background=False).is_open

    Order.objects.filter(pk=open_order.pk).update(status=OrderStatus.SHIPPED)
    request = erasure_request_run(request=request, background=False)

    assert request.state == ErasureRequest.State.DONE and request.closed_at
    assert request.blocked == []
    assert fresh(open_order).privacy_state == PrivacyState.ANONYMIZED
    assert fresh(example["customer"]).privacy_state == PrivacyState.ANONYMIZED


def test_a_restoring_order_waits(example):
    anonymize(example["amazon"])
    privacy_job_restore(selection=Selection.of_ids([example["amazon"].pk]), background=False)
    assert fresh(example["amazon"]).privacy_state == PrivacyState.RESTORING

    request = erasure_request_create(
        customer=example["customer"],
        received_on=timezone.localdate(),
        received_via="phone",
        background=False,
    )

    assert request.is_open
    assert request.blocked == [{"order": example["amazon"].pk, "reason": "restoring"}]
    assert fresh(example["shopify"]).privacy_state == PrivacyState.ANONYMIZED


def test_a_date_in_the_future_or_an_unknown_channel_is_refused(example):
    with pytest.raises(ErasureRequestError):
        erasure_request_create(
            customer=example["customer"],
            received_on=timezone.localdate() + datetime.timedelta(days=1),
            received_via="email",
        )
    with pytest.raises(ErasureRequestError):
        erasure_request_create(
            customer=example["customer"], received_on=timezone.localdate(), received_via="fax"
        )
    assert not ErasureRequest.objects.exists()


def test_a_customer_without_orders_keeps_the_request_open(example):
    from tests.factories import CustomerFactory

    lonely = CustomerFactory(number=5000)

    request = erasure_request_create(
        customer=lonely, received_on=timezone.localdate(), received_via="email", background=False
    )

    assert request.is_open
    assert request.blocked == [{"order": None, "reason": "no_orders"}]
    assert request.last_job is None


def test_after_erasure_the_person_is_found_by_numbers_only(example):
    from privacyoffice.selectors import customers_matching

    erasure_request_create(
        customer=example["customer"],
        received_on=timezone.localdate(),
        received_via="email",
        background=False,
    )

    assert customers_matching("4711") == [example["customer"]]
    assert customers_matching("900001") == [example["customer"]]
    assert customers_matching("Mustermann") == []
    assert customers_matching("erika@example.de") == []
