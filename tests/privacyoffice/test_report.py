"""The Auskunft (Art. 15) of one customer in each privacy state: exactly what exists, cold parts
decrypted, nothing of other customers, the payment token masked."""

import json

import pytest
from django.core.serializers.json import DjangoJSONEncoder

from coldstorage.models import ColdRecord
from privacyoffice.models import SubjectReport
from privacyoffice.selectors import mask_token, subject_report
from privacyoffice.services import subject_report_create
from tests.privacy.conftest import BOTH, anonymize, fresh, restore
from tests.privacyoffice.conftest import OTHER_VALUES

pytestmark = pytest.mark.django_db(transaction=True, databases=BOTH)


def _text(report: dict) -> str:
    return json.dumps(report, cls=DjangoJSONEncoder, ensure_ascii=False)


def _orders(report: dict) -> dict[int, dict]:
    return {order["number"]: order for order in report["orders"]}


def _addresses(report: dict) -> dict[str, dict]:
    return {address["country"]: address for address in report["addresses"]}


def _assert_common(report: dict) -> None:
    text = _text(report)
    for value in OTHER_VALUES:
        assert value not in text
    assert "pm_live_ABCDEF5678" not in text
    assert report["customer"]["payment_token"]["token"] == "****5678"
    assert report["customer"]["payment_token"]["kept_in"]["place"] == "payment_provider"
    assert sorted(_orders(report)) == [900001, 900002]
    assert "[Anonymisiert]" not in text


def test_it_masks_the_token_to_its_last_four_characters():
    assert mask_token("pm_live_ABCDEF5678") == "****5678"
    assert mask_token("abcd") == "****"
    assert mask_token("") == ""


def test_an_active_customer_is_reported_from_the_main_database(example):
    report = subject_report(customer=example["customer"])

    _assert_common(report)
    customer = report["customer"]
    assert customer["data"]["last_name"] == "Mustermann"
    assert customer["data"]["vat_id"] == "DE123456789"
    assert customer["kept_in"]["place"] == "main_database"
    assert [e["email"] for e in customer["emails"]] == ["erika@example.de"]
    assert [p["number"] for p in customer["phones"]] == ["+49 30 5555"]
    assert customer["channel_ids"][0]["external_id"] == "AMZ-C-1"
    assert _addresses(report)["DE"]["street"] == "Amazonweg"
    assert _addresses(report)["AT"]["street"] == "Shopifystraße"
    amazon = _orders(report)[900001]
    assert amazon["kept_in"]["place"] == "main_database"
    assert amazon["purpose"]["code"] == "order_processing"
    assert amazon["contact"]["buyer_email"] == "erika.amazon@example.de"
    assert amazon["billing_address"]["street"] == "Amazonweg"
    assert amazon["messages"][0]["body"] == "Bitte beim Nachbarn abgeben"
    assert _orders(report)[900002]["notes"] == "Shopify-Notiz"


def test_a_partly_anonymized_customer_gets_the_cold_order_decrypted(example):
    anonymize(example["amazon"])
    purge_on = fresh(example["amazon"]).purge_on

    report = subject_report(customer=example["customer"])

    _assert_common(report)
    amazon = _orders(report)[900001]
    assert amazon["kept_in"] == {
        "place": "cold_storage",
        "label": amazon["kept_in"]["label"],
        "purge_on": purge_on.isoformat(),
    }
    assert amazon["purpose"]["code"] == "tax_retention"
    assert amazon["contact"]["buyer_email"] == "erika.amazon@example.de"
    assert amazon["billing_address"]["street"] == "Amazonweg"
    assert amazon["messages"][0]["body"] == "Bitte beim Nachbarn abgeben"
    assert _addresses(report)["DE"]["kept_in"]["place"] == "cold_storage"
    assert _addresses(report)["DE"]["street"] == "Amazonweg"
    assert _addresses(report)["AT"]["kept_in"]["place"] == "main_database"
    assert report["customer"]["kept_in"]["place"] == "main_database"
    assert _orders(report)[900002]["kept_in"]["place"] == "main_database"
    # Read, not taken: cold storage is as it was.
    assert ColdRecord.objects.filter(kind="order", object_id=example["amazon"].pk).exists()


def test_a_fully_anonymized_customer_is_reported_from_cold_storage(example):
    anonymize(example["amazon"], example["shopify"])
    records = ColdRecord.objects.count()

    report = subject_report(customer=example["customer"])

    _assert_common(report)
    customer = report["customer"]
    assert customer["kept_in"]["place"] == "cold_storage"
    assert customer["data"]["first_name"] == "Erika"
    assert customer["data"]["birth_date"] == "1985-04-12"
    assert customer["data"]["extra_fields"] == {"Kostenstelle": "KST-1"}
    assert [e["email"] for e in customer["emails"]] == ["erika@example.de"]
    assert customer["channel_ids"][0]["external_id"] == "AMZ-C-1"
    assert all(a["kept_in"]["place"] == "cold_storage" for a in report["addresses"])
    assert _orders(report)[900002]["notes"] == "Shopify-Notiz"
    assert report["report"]["last_purge_on"] is not None
    assert ColdRecord.objects.count() == records


def test_a_partly_restored_customer_mixes_both_places(example):
    anonymize(example["amazon"], example["shopify"])
    restore(example["amazon"])

    report = subject_report(customer=example["customer"])

    _assert_common(report)
    assert report["customer"]["kept_in"]["place"] == "main_database"
    assert _orders(report)[900001]["kept_in"]["place"] == "main_database"
    assert _orders(report)[900002]["kept_in"]["place"] == "cold_storage"
    assert _orders(report)[900002]["contact"]["buyer_email"] == "erika.shopify@example.de"
    assert _addresses(report)["AT"]["kept_in"]["place"] == "cold_storage"
    assert _addresses(report)["AT"]["street"] == "Shopifystraße"
    assert _addresses(report)["DE"]["street"] == "Amazonweg"


def test_every_report_is_audited_without_personal_data(example):
    customer = example["customer"]

    subject_report_create(customer=customer, via=SubjectReport.Via.COMMAND)

    row = SubjectReport.objects.get()
    assert row.customer_id == customer.pk and row.via == "command"
    stored = repr(list(SubjectReport.objects.values()))
    for value in ("Erika", "Mustermann", "erika@", "Amazonweg", "5678"):
        assert value not in stored
