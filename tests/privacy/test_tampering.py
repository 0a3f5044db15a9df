"""A cold record only opens for the object it was sealed for, unaltered, under a known key."""

import pytest

from coldstorage.crypto import TamperedRecordError
from coldstorage.models import ColdRecord
from coldstorage.services import cold_records_load
from personal.state import ANONYMIZED, PrivacyState
from tests.factories import OrderFactory
from tests.privacy.conftest import BOTH, anonymize, fresh, restore

pytestmark = pytest.mark.django_db(transaction=True, databases=BOTH)


def test_a_ciphertext_copied_to_another_record_is_refused():
    first, second = OrderFactory(), OrderFactory()
    anonymize(first, second)
    source = ColdRecord.objects.get(kind="order", object_id=first.pk)
    ColdRecord.objects.filter(kind="order", object_id=second.pk).update(
        nonce=source.nonce, ciphertext=source.ciphertext
    )
    with pytest.raises(TamperedRecordError):
        cold_records_load(kind="order", ids=[second.pk])

    job = restore(first, second)
    # The intact order comes back; the tampered one stays anonymized and is reported by number.
    assert job.summary["restored"] == 1
    assert job.summary["failed_cold_record_unreadable"] == 1
    assert str(second.number) in job.error
    assert fresh(first).privacy_state == PrivacyState.ACTIVE
    assert fresh(second).privacy_state == PrivacyState.ANONYMIZED
    assert second.buyer_email == ANONYMIZED
    assert ColdRecord.objects.filter(kind="order", object_id=second.pk).exists()


def test_a_flipped_bit_is_refused():
    order = OrderFactory()
    anonymize(order)
    record = ColdRecord.objects.get(kind="order", object_id=order.pk)
    damaged = bytearray(record.ciphertext)
    damaged[len(damaged) // 2] ^= 0x01
    ColdRecord.objects.filter(pk=record.pk).update(ciphertext=bytes(damaged))
    with pytest.raises(TamperedRecordError):
        cold_records_load(kind="order", ids=[order.pk])
    job = restore(order)
    assert job.summary == {"queued": 1, "failed_cold_record_unreadable": 1}
    assert fresh(order).privacy_state == PrivacyState.ANONYMIZED


def test_a_record_relabelled_to_another_kind_is_refused():
    order = OrderFactory()
    anonymize(order)
    record = ColdRecord.objects.get(kind="order", object_id=order.pk)
    ColdRecord.objects.filter(kind="address", object_id=order.billing_entry_id).delete()
    ColdRecord.objects.filter(pk=record.pk).update(kind="address", object_id=order.billing_entry_id)
    with pytest.raises(TamperedRecordError):
        cold_records_load(kind="address", ids=[order.billing_entry_id])


def test_what_a_failed_restore_took_out_goes_back_unchanged():
    order = OrderFactory()
    anonymize(order)
    records = ColdRecord.objects.exclude(kind="order")
    before = set(records.values_list("kind", "object_id", "key_id", "nonce", "ciphertext"))
    assert {kind for kind, *_ in before} == {"address", "customer"}
    record = ColdRecord.objects.get(kind="order", object_id=order.pk)
    damaged = bytearray(record.ciphertext)
    damaged[0] ^= 0x80
    ColdRecord.objects.filter(pk=record.pk).update(ciphertext=bytes(damaged))

    job = restore(order)
    assert job.summary == {"queued": 1, "failed_cold_record_unreadable": 1}
    # The address and customer records were read with the order's in one pass and put back.
    after = set(records.values_list("kind", "object_id", "key_id", "nonce", "ciphertext"))
    assert {(k, pk, key, bytes(n), bytes(c)) for k, pk, key, n, c in after} == {
        (k, pk, key, bytes(n), bytes(c)) for k, pk, key, n, c in before
    }
    assert bytes(ColdRecord.objects.get(kind="order", object_id=order.pk).ciphertext) == damaged
    customer = fresh(order).customer
    assert customer.privacy_state == PrivacyState.ANONYMIZED


def test_every_record_gets_its_own_nonce():
    from coldstorage.crypto import nonces

    drawn = nonces(10_000)
    assert all(len(nonce) == 12 for nonce in drawn)
    assert len(set(drawn)) == len(drawn)
    orders = OrderFactory.create_batch(5)
    anonymize(*orders)
    stored = [bytes(n) for n in ColdRecord.objects.values_list("nonce", flat=True)]
    assert len(stored) == 15 and len(set(stored)) == 15
