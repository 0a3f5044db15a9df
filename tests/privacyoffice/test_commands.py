"""manage.py customer_report and erasure_request."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from orders.models import OrderStatus
from personal.state import PrivacyState
from privacyoffice.models import ErasureRequest, SubjectReport
from tests.factories import OrderFactory
from tests.privacy.conftest import BOTH, fresh

pytestmark = pytest.mark.django_db(transaction=True, databases=BOTH)


def _run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_customer_report_prints_the_json_and_is_audited(example):
    report = json.loads(_run("customer_report", "--customer", "4711"))

    assert report["customer"]["data"]["last_name"] == "Mustermann"
    assert report["customer"]["payment_token"]["token"] == "****5678"
    audit = SubjectReport.objects.get()
    assert audit.via == "command" and audit.customer_id == example["customer"].pk
    assert audit.requested_by is None


@pytest.mark.parametrize("number", ["999999", "abc", "-1", "9" * 30])
def test_an_unknown_customer_is_a_clear_error(example, number):
    with pytest.raises(CommandError, match="no customer with that number"):
        _run("customer_report", "--customer", number)
    with pytest.raises(CommandError, match="no customer with that number"):
        _run("erasure_request", "--customer", number)
    assert not SubjectReport.objects.exists()
    assert not ErasureRequest.objects.exists()


def test_erasure_request_records_and_runs_it(example):
    out = _run("erasure_request", "--customer", "4711", "--received-via", "email")

    request = ErasureRequest.objects.get()
    assert request.received_via == "email" and not request.is_open
    assert f"erasure request {request.pk}: erledigt" in out
    assert fresh(example["customer"]).privacy_state == PrivacyState.ANONYMIZED
    assert "Mustermann" not in out


def test_erasure_request_lists_what_is_not_yet_possible(example):
    OrderFactory(
        number=900020,
        customer=example["customer"],
        channel=example["amazon"].channel,
        billing_entry=example["a1"],
        shipping_entry=example["a1"],
        status=OrderStatus.NEW,
    )

    out = _run("erasure_request", "--customer", "4711", "--received-on", "2026-01-02")

    assert "not yet: order 900020 (open)" in out
    assert ErasureRequest.objects.get().is_open


def test_erasure_request_refuses_a_bad_date(example):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        _run("erasure_request", "--customer", "4711", "--received-on", "morgen")
    assert not ErasureRequest.objects.exists()
