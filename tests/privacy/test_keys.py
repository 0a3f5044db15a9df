"""Key handling: several keys, rotation to the newest, and failing closed without a key."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from coldstorage import keys
from coldstorage.models import ColdRecord
from orders.models import Order, PrivacyJob
from orders.privacy.jobs import privacy_job_anonymize
from orders.privacy.selection import Selection
from personal.state import PrivacyState
from tests.factories import OrderFactory
from tests.privacy.conftest import BOTH, anonymize, fresh, restore


@pytest.fixture
def use_keys(settings):
    def _use(*lines):
        settings.COLDSTORAGE_KEYS = ",".join(lines)
        keys.reset_cache()

    yield _use
    keys.reset_cache()


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_rotation_lets_the_old_key_go(use_keys):
    old, new = keys.new_key_line("old"), keys.new_key_line("new")
    use_keys(old)
    orders = [OrderFactory() for _ in range(5)]
    anonymize(*orders)
    assert set(ColdRecord.objects.values_list("key_id", flat=True)) == {"old"}

    use_keys(new, old)  # the first key encrypts, all decrypt
    call_command("rotate_coldstorage_key", "--chunk-size", "4")
    assert set(ColdRecord.objects.values_list("key_id", flat=True)) == {"new"}

    use_keys(new)  # old key removed
    job = restore(*orders)
    assert job.state == "done" and job.summary["restored"] == 5
    assert all(fresh(o).privacy_state == PrivacyState.ACTIVE for o in orders)


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_without_the_key_a_record_is_not_restored_and_says_so(use_keys):
    use_keys(keys.new_key_line("gone"))
    order = OrderFactory()
    anonymize(order)
    use_keys(keys.new_key_line("other"))
    job = restore(order)
    assert job.summary["failed_cold_record_unreadable"] == 1
    assert fresh(order).privacy_state == PrivacyState.ANONYMIZED


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_it_refuses_to_anonymize_without_a_key(settings, tmp_path):
    settings.COLDSTORAGE_KEYS = ""
    settings.COLDSTORAGE_KEY_FILE = tmp_path / "missing.keys"
    keys.reset_cache()
    order = OrderFactory()
    try:
        with pytest.raises(keys.KeyConfigurationError, match="Kein Schlüssel"):
            privacy_job_anonymize(selection=Selection.of_ids([order.pk]), background=False)
        with pytest.raises(CommandError, match="Kein Schlüssel"):
            call_command("anonymize_orders", "--ids", str(order.pk))
    finally:
        keys.reset_cache()
    assert PrivacyJob.objects.count() == 0
    assert Order.objects.get(pk=order.pk).privacy_state == PrivacyState.ACTIVE
    assert ColdRecord.objects.count() == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "keinen Schlüssel"),
        ("nocolon", "Schlüssel-ID"),
        ("k1:not-base64!", "Base64"),
        ("k1:c2hvcnQ=", "32 Bytes"),
    ],
)
def test_it_explains_unusable_keys(text, message):
    # German explicitly: a view test's request can leave another language active on the thread.
    with translation.override("de"), pytest.raises(keys.KeyConfigurationError, match=message):
        keys.parse_keys(text, "COLDSTORAGE_KEYS")


def test_the_first_key_encrypts():
    ring = keys.parse_keys(
        "# comment, with comma\n" + keys.new_key_line("b") + "," + keys.new_key_line("a"), "x"
    )
    assert ring.current_id == "b" and set(ring.keys) == {"a", "b"}
