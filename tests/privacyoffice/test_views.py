"""The Datenschutz pages: finding the person, the Auskunft as page and file, Löschanfragen."""

import datetime
import json
import logging
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from orders.models import OrderStatus, PrivacyJob
from privacyoffice.models import ErasureRequest, SubjectReport
from tests.conftest import permissions
from tests.factories import OrderFactory, UserFactory
from tests.privacy.conftest import BOTH

pytestmark = pytest.mark.django_db(databases=BOTH)

DPO_PERMISSIONS = (
    "privacyoffice.view_subject_report",
    "privacyoffice.handle_erasure_request",
    "privacyoffice.view_erasurerequest",
)
PERSONAL = ("Erika", "Mustermann", "erika@", "Amazonweg", "ABCDEF5678")


@pytest.fixture
def dpo(client):
    user = UserFactory(username="dsb")
    user.user_permissions.set(permissions(*DPO_PERMISSIONS))
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "q", ["4711", "Erika Mustermann", "erika@example.de", "ERIKA.AMAZON@example.de", "900002"]
)
def test_the_person_is_found(dpo, example, q):
    response = dpo.get(reverse("privacyoffice:search"), {"q": q})

    assert reverse("privacyoffice:customer", args=[example["customer"].pk]) in response.text
    assert reverse("privacyoffice:customer", args=[example["other"].pk]) not in response.text


def test_by_external_order_number_too(dpo, example):
    response = dpo.get(reverse("privacyoffice:search"), {"q": "302-1234567-7654321"})

    assert reverse("privacyoffice:customer", args=[example["customer"].pk]) in response.text


def test_nobody_found_says_so(dpo, example):
    response = dpo.get(reverse("privacyoffice:search"), {"q": "Niemandsland"})

    assert "Niemand gefunden" in response.text


def test_the_customer_page_links_the_report_and_the_request_form(dpo, example):
    response = dpo.get(reverse("privacyoffice:customer", args=[example["customer"].pk]))

    assert reverse("privacyoffice:report_json", args=[example["customer"].pk]) in response.text
    assert reverse("privacyoffice:erasure_create", args=[example["customer"].pk]) in response.text


def test_the_customer_detail_page_links_datenschutz(client, example):
    user = UserFactory(username="dsb2")
    user.user_permissions.set(
        permissions("customers.view_customer", "customers.view_personal_data", *DPO_PERMISSIONS[:1])
    )
    client.force_login(user)

    response = client.get(reverse("customers:detail", args=[example["customer"].pk]))

    assert reverse("privacyoffice:customer", args=[example["customer"].pk]) in response.text


@pytest.mark.parametrize(
    "name", ["privacyoffice:customer", "privacyoffice:report", "privacyoffice:report_json"]
)
def test_an_unknown_customer_gets_a_message_not_an_error(dpo, name):
    response = dpo.get(reverse(name, args=[987654321]), follow=True)

    assert response.status_code == 200
    assert "Diesen Kunden gibt es nicht." in response.text
    assert not SubjectReport.objects.exists()


def test_the_report_page_shows_the_data_and_is_audited(dpo, example):
    response = dpo.get(reverse("privacyoffice:report", args=[example["customer"].pk]))

    assert response.status_code == 200
    assert "Mustermann" in response.text and "Bitte beim Nachbarn abgeben" in response.text
    assert "****5678" in response.text and "ABCDEF5678" not in response.text
    assert "Zacharias" not in response.text
    assert "no-store" in response["Cache-Control"]
    audit = SubjectReport.objects.get()
    assert audit.via == "page" and audit.requested_by.username == "dsb"
    # Dates and codes as a reader expects them, not as the JSON file has them.
    assert not re.search(r"\d{4}-\d{2}-\d{2}", response.text.split("<main", 1)[-1])
    assert "PayPal" in response.text and ">paypal<" not in response.text
    assert "(OrderDesk) ." not in response.text


def test_report_values_read_in_the_readers_format():
    from privacyoffice.templatetags.subject_report import iso_local, payment_label

    assert iso_local("1985-04-12") == "12.04.1985"
    assert iso_local("2026-12-04T05:39:30+01:00") == "04.12.2026 05:39"
    assert iso_local("kein Datum") == "kein Datum"
    assert iso_local(None) is None
    assert payment_label("paypal") == "PayPal"
    assert payment_label("unbekannt") == "unbekannt"


def test_the_json_file_is_a_download_and_audited(dpo, example):
    response = dpo.get(reverse("privacyoffice:report_json", args=[example["customer"].pk]))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="auskunft-4711-')
    report = json.loads(response.content)
    assert report["customer"]["data"]["first_name"] == "Erika"
    assert SubjectReport.objects.get().via == "json"
    stored = repr(list(SubjectReport.objects.values()))
    for value in PERSONAL:
        assert value not in stored


def test_an_erasure_request_is_recorded_and_its_job_queued(dpo, example, caplog):
    caplog.set_level(logging.INFO)
    today = timezone.localdate()

    response = dpo.post(
        reverse("privacyoffice:erasure_create", args=[example["customer"].pk]),
        {"received_on": today.isoformat(), "received_via": "email"},
    )

    request = ErasureRequest.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("privacyoffice:erasure_detail", args=[request.pk])
    assert request.recorded_by.username == "dsb" and request.deadline > today
    job = PrivacyJob.objects.get()
    assert job.selection == {"ids": sorted([example["amazon"].pk, example["shopify"].pk])}
    for value in PERSONAL:
        assert value not in caplog.text
        assert value not in json.dumps(job.selection) + job.source
    page = dpo.get(response.url)
    assert "Art. 17 Abs. 3 lit. b" in page.text
    assert "endgültige Löschung am" in page.text


def test_a_bad_request_form_is_refused_with_a_message(dpo, example):
    url = reverse("privacyoffice:erasure_create", args=[example["customer"].pk])
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    for data in (
        {"received_on": tomorrow.isoformat(), "received_via": "email"},
        {"received_on": "kein Datum", "received_via": "email"},
        {"received_on": timezone.localdate().isoformat(), "received_via": "<script>"},
    ):
        response = dpo.post(url, data, follow=True)
        assert response.status_code == 200
        assert "&lt;script&gt;" not in response.text
        assert response.redirect_chain[-1][0] == reverse(
            "privacyoffice:customer", args=[example["customer"].pk]
        )
    assert "Bitte einen Eingangsweg aus der Liste wählen." in response.text
    assert not ErasureRequest.objects.exists()


def test_an_open_request_lists_the_blocked_order_and_the_list_shows_its_deadline(dpo, example):
    blocked = OrderFactory(
        number=900030,
        customer=example["customer"],
        channel=example["amazon"].channel,
        billing_entry=example["a1"],
        shipping_entry=example["a1"],
        status=OrderStatus.PAID,
    )
    dpo.post(
        reverse("privacyoffice:erasure_create", args=[example["customer"].pk]),
        {"received_on": "2026-01-31", "received_via": "letter"},
    )
    request = ErasureRequest.objects.get()

    detail = dpo.get(reverse("privacyoffice:erasure_detail", args=[request.pk]))
    listing = dpo.get(reverse("privacyoffice:erasure_list"))

    assert "900030" in detail.text and "noch nicht abgeschlossen" in detail.text
    assert reverse("privacyoffice:erasure_rerun", args=[request.pk]) in detail.text
    assert reverse("privacyoffice:erasure_detail", args=[request.pk]) in listing.text
    assert "28.02.2026" in listing.text
    assert "überfällig" in listing.text or timezone.localdate() <= datetime.date(2026, 2, 28)

    blocked.status = OrderStatus.SHIPPED
    blocked.save(update_fields=["status"])
    dpo.post(reverse("privacyoffice:erasure_rerun", args=[request.pk]))

    request.refresh_from_db()
    assert not request.is_open
    listing = dpo.get(reverse("privacyoffice:erasure_list"))
    assert reverse("privacyoffice:erasure_detail", args=[request.pk]) not in listing.text


def test_a_forged_request_id_gets_a_message(dpo):
    response = dpo.get(reverse("privacyoffice:erasure_detail", args=[424242]), follow=True)

    assert response.status_code == 200
    assert "Diese Löschanfrage gibt es nicht." in response.text


def test_writes_need_post_and_csrf(example):
    user = UserFactory(username="dsb3")
    user.user_permissions.set(permissions(*DPO_PERMISSIONS))
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    url = reverse("privacyoffice:erasure_create", args=[example["customer"].pk])

    assert strict.get(url).status_code == 405
    response = strict.post(url, {"received_on": "2026-01-02", "received_via": "email"})

    assert response.status_code == 403
    assert not ErasureRequest.objects.exists()


def test_a_request_without_orders_shows_the_reason(dpo, example):
    from tests.factories import CustomerFactory

    lonely = CustomerFactory(number=5001)
    dpo.post(
        reverse("privacyoffice:erasure_create", args=[lonely.pk]),
        {"received_on": "2026-01-02", "received_via": "email"},
    )

    page = dpo.get(reverse("privacyoffice:erasure_detail", args=[ErasureRequest.objects.get().pk]))

    assert "Der Kunde hat keine Bestellung" in page.text
