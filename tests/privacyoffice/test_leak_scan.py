"""After a report and a Löschanfrage through the pages, no personal data of the customer is left
anywhere in the main database: not in the audit rows, the request, the job, the task queue, the
sessions – nor in the log."""

import logging
import uuid

import pytest
from django.urls import reverse

from orders.models import OrderStatus, PrivacyJob
from orders.privacy.jobs import privacy_job_run
from tests.conftest import permissions
from tests.factories import (
    AddressFactory,
    CustomerEmailFactory,
    CustomerFactory,
    OrderFactory,
    OrderMessageFactory,
    UserFactory,
)
from tests.privacy.conftest import BOTH
from tests.privacy.test_leak_scan import dump

pytestmark = pytest.mark.django_db(transaction=True, databases=BOTH)


def test_no_marker_survives_a_report_and_an_erasure_request(client, caplog):
    caplog.set_level(logging.DEBUG)
    markers = []

    def marker(field: str) -> str:
        value = f"MK{field}{uuid.uuid4().hex[:10]}"
        markers.append(value)
        return value

    customer = CustomerFactory(
        first_name=marker("fn"), last_name=marker("ln"), psp_token=marker("tok")
    )
    CustomerEmailFactory(customer=customer, email=marker("mail") + "@example.de")
    address = AddressFactory(customer=customer, street=marker("st"), city=marker("ci"))
    order = OrderFactory(
        customer=customer,
        billing_entry=address,
        shipping_entry=address,
        buyer_email=marker("be") + "@example.de",
        notes=marker("no"),
        status=OrderStatus.SHIPPED,
    )
    OrderMessageFactory(order=order, body=marker("msg"))
    user = UserFactory(username="dsb-leak")
    user.user_permissions.set(
        permissions(
            "privacyoffice.view_subject_report",
            "privacyoffice.handle_erasure_request",
            "privacyoffice.view_erasurerequest",
        )
    )
    client.force_login(user)

    page = client.get(reverse("privacyoffice:report", args=[customer.pk]))
    client.get(reverse("privacyoffice:report_json", args=[customer.pk]))
    response = client.post(
        reverse("privacyoffice:erasure_create", args=[customer.pk]),
        {"received_on": "2026-01-02", "received_via": "email"},
        follow=True,
    )
    privacy_job_run(job_id=PrivacyJob.objects.get().pk)
    client.get(response.redirect_chain[-1][0])
    client.get(reverse("privacyoffice:erasure_list"))

    assert all(value in page.text for value in markers if not value.startswith("MKtok"))
    main = dump("default")
    cold = dump("coldstorage")
    for value in markers:
        assert value not in main, value
        assert value not in cold, value
        assert value not in caplog.text, value
