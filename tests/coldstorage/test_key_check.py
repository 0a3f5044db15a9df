"""Cold-storage key safety (issue 10): a check value per key id, a wrong key under a known id
refused before anything changes, key files that cannot be read, and no key path for merchants."""

import base64
import os
from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import translation

from coldstorage import keys
from coldstorage.models import ColdRecord, KeyCheckValue
from coldstorage.services import cold_keyring
from orders.models import Order, PrivacyJob
from orders.privacy.jobs import privacy_job_anonymize, privacy_job_restore, privacy_job_run
from orders.privacy.selection import Selection
from personal.state import PrivacyState
from tests.conftest import BOTH_DATABASES
from tests.factories import OrderFactory, UserFactory
from tests.privacy.conftest import anonymize, fresh, restore

pytestmark = pytest.mark.django_db(transaction=True, databases=BOTH_DATABASES)

MISMATCH = "Der Schlüssel mit der ID „k1“ passt nicht zu den Daten im Cold Storage"


@pytest.fixture(autouse=True)
def _german():
    # The messages are checked in German; a view test's request can leave another language active.
    with translation.override("de"):
        yield


@pytest.fixture
def use_keys(settings):
    """Configures COLDSTORAGE_KEYS as a fresh process would see them (nothing cached)."""

    def _use(*lines):
        settings.COLDSTORAGE_KEYS = ",".join(lines)
        keys.reset_cache()

    yield _use
    keys.reset_cache()


@pytest.fixture
def key_file(settings):
    """Points COLDSTORAGE_KEY_FILE (with COLDSTORAGE_KEYS empty) at a path."""

    def _use(path):
        settings.COLDSTORAGE_KEYS = ""
        settings.COLDSTORAGE_KEY_FILE = path
        keys.reset_cache()

    yield _use
    keys.reset_cache()


def key_line(key_id: str, key: bytes) -> str:
    return f"{key_id}:{base64.b64encode(key).decode()}"


@pytest.fixture
def real_key() -> bytes:
    return os.urandom(32)


@pytest.fixture
def other_key() -> bytes:
    return os.urandom(32)


def merchant_client(client, *codenames):
    user = UserFactory(username="haendlerin")
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return client


def page_messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


# --- the check value -----------------------------------------------------------------------------


def test_the_first_use_records_the_check_value_and_the_right_key_keeps_working(use_keys, real_key):
    use_keys(key_line("k1", real_key))
    order = OrderFactory()
    assert anonymize(order).state == PrivacyJob.State.DONE
    [check] = KeyCheckValue.objects.all()
    assert check.key_id == "k1"
    assert check.check_value == keys.check_value(real_key)
    # A fingerprint, not the key in any spelling.
    assert real_key.hex() not in check.check_value
    assert base64.b64encode(real_key).decode() not in check.check_value

    use_keys(key_line("k1", real_key))  # a new process with the same key
    assert restore(order).summary["restored"] == 1
    assert fresh(order).privacy_state == PrivacyState.ACTIVE
    assert KeyCheckValue.objects.count() == 1


def test_a_wrong_key_under_a_known_id_refuses_anonymizing_and_restoring(
    use_keys, real_key, other_key
):
    use_keys(key_line("k1", real_key))
    anonymized, active = OrderFactory(), OrderFactory()
    anonymize(anonymized)
    records = set(ColdRecord.objects.values_list("kind", "object_id", "ciphertext"))

    use_keys(key_line("k1", other_key))
    for start, order in ((privacy_job_anonymize, active), (privacy_job_restore, anonymized)):
        with pytest.raises(keys.KeyMismatchError) as error:
            start(selection=Selection.of_ids([order.pk]), background=False)
        assert str(error.value).startswith(MISMATCH)
        assert base64.b64encode(other_key).decode() not in str(error.value)
    with pytest.raises(CommandError, match=MISMATCH):
        call_command("anonymize_orders", "--ids", str(active.pk), stdout=StringIO())
    with pytest.raises(CommandError, match=MISMATCH):
        call_command("restore_orders", "--ids", str(anonymized.pk), stdout=StringIO())

    # Nothing changed: no job, no order, no record.
    assert PrivacyJob.objects.filter(kind=PrivacyJob.Kind.RESTORE).count() == 0
    assert PrivacyJob.objects.count() == 1
    assert fresh(active).privacy_state == PrivacyState.ACTIVE
    assert fresh(anonymized).privacy_state == PrivacyState.ANONYMIZED
    assert set(ColdRecord.objects.values_list("kind", "object_id", "ciphertext")) == records
    assert list(KeyCheckValue.objects.values_list("check_value", flat=True)) == [
        keys.check_value(real_key)
    ]

    use_keys(key_line("k1", real_key))  # the right key again: all is well
    assert restore(anonymized).summary["restored"] == 1


def test_a_wrong_decrypt_only_key_refuses_too(use_keys, real_key, other_key):
    use_keys(key_line("k1", real_key))
    anonymize(OrderFactory())
    use_keys(keys.new_key_line("k2"), key_line("k1", other_key))
    with pytest.raises(keys.KeyMismatchError, match="„k1“"):
        cold_keyring()


def test_a_worker_with_a_wrong_key_fails_the_job_and_changes_nothing(use_keys, real_key, other_key):
    use_keys(key_line("k1", real_key))
    anonymized, active = OrderFactory(), OrderFactory()
    anonymize(anonymized)
    anonymize_job = privacy_job_anonymize(selection=Selection.of_ids([active.pk]), background=False)
    restore_job = privacy_job_restore(selection=Selection.of_ids([anonymized.pk]), background=False)
    records = set(ColdRecord.objects.values_list("kind", "object_id", "ciphertext"))

    use_keys(key_line("k1", other_key))  # the worker's process has another key under k1
    for job in (anonymize_job, restore_job):
        job = privacy_job_run(job_id=job.pk)
        assert job.state == PrivacyJob.State.FAILED
        assert "KeyMismatchError" in job.error and "„k1“" in job.error
    assert fresh(active).privacy_state == PrivacyState.ACTIVE
    assert fresh(anonymized).privacy_state != PrivacyState.ACTIVE
    assert set(ColdRecord.objects.values_list("kind", "object_id", "ciphertext")) == records


def test_a_database_from_before_check_values_tries_the_key_on_a_record(
    use_keys, real_key, other_key
):
    use_keys(key_line("k1", real_key))
    orders = [OrderFactory() for _ in range(5)]
    anonymize(*orders)
    KeyCheckValue.objects.all().delete()  # as it was before migration coldstorage.0003

    use_keys(key_line("k1", other_key))
    with pytest.raises(keys.KeyMismatchError, match="„k1“"):
        cold_keyring()
    assert not KeyCheckValue.objects.exists()

    # One damaged record does not make the right key look wrong.
    record = ColdRecord.objects.filter(kind="order").order_by("pk").first()
    ColdRecord.objects.filter(pk=record.pk).update(ciphertext=b"\x00" + bytes(record.ciphertext))
    use_keys(key_line("k1", real_key))
    cold_keyring()
    assert KeyCheckValue.objects.get().check_value == keys.check_value(real_key)


def test_a_new_key_id_without_records_is_recorded_on_first_use(use_keys, real_key):
    use_keys(key_line("fresh", real_key))
    cold_keyring()
    assert KeyCheckValue.objects.get().key_id == "fresh"


def test_after_the_first_check_a_process_asks_cold_storage_nothing(use_keys, real_key):
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    use_keys(key_line("k1", real_key))
    cold_keyring()
    with CaptureQueriesContext(connections["coldstorage"]) as queries:
        cold_keyring()
        cold_keyring()
    assert len(queries) == 0


# --- the UI, the admin ---------------------------------------------------------------------------


def test_the_order_page_names_the_key_id(client, use_keys, real_key, other_key):
    use_keys(key_line("k1", real_key))
    order = OrderFactory()
    anonymize(OrderFactory())
    use_keys(key_line("k1", other_key))
    client = merchant_client(client, "anonymize_order", "view_order")
    response = client.post(reverse("orders:anonymize", args=[order.pk]), follow=True)
    assert response.status_code == 200
    assert MISMATCH in page_messages(response)
    assert fresh(order).privacy_state == PrivacyState.ACTIVE


def test_the_mehr_dialog_names_the_key_id(client, use_keys, real_key, other_key):
    use_keys(key_line("k1", real_key))
    order = OrderFactory()
    anonymize(OrderFactory())
    use_keys(key_line("k1", other_key))
    client = merchant_client(client, "anonymize_order")
    response = client.post(
        reverse("orders:privacy_anonymize"), {"ids": [order.pk]}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "Anonymisieren ist gerade nicht möglich." in response.text
    assert MISMATCH in response.text
    assert PrivacyJob.objects.count() == 1


def test_the_admin_action_names_the_key_id(client, staff, use_keys, real_key, other_key):
    use_keys(key_line("k1", real_key))
    order = OrderFactory()
    anonymize(OrderFactory())
    use_keys(key_line("k1", other_key))
    client.force_login(staff)
    response = client.post(
        reverse("admin:orders_order_changelist"),
        {"action": "anonymize_orders", "_selected_action": [order.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert MISMATCH in page_messages(response)
    assert fresh(order).privacy_state == PrivacyState.ACTIVE


# --- key files that cannot be used ---------------------------------------------------------------


def test_a_key_path_that_is_a_directory_is_a_clear_error(client, key_file, tmp_path):
    directory = tmp_path / "keys-dir"
    directory.mkdir()
    key_file(directory)
    with pytest.raises(keys.KeyConfigurationError) as error:
        cold_keyring()
    assert "ist ein Verzeichnis" in str(error.value)
    assert str(directory) not in str(error.value)
    assert str(directory) in error.value.for_operator()

    order = OrderFactory()
    client = merchant_client(client, "anonymize_order", "view_order")
    page = client.post(reverse("orders:anonymize", args=[order.pk]), follow=True)
    dialog = client.post(
        reverse("orders:privacy_anonymize"), {"ids": [order.pk]}, HTTP_HX_REQUEST="true"
    )
    for response, text in ((page, page_messages(page)), (dialog, dialog.text)):
        assert response.status_code == 200
        assert "ist ein Verzeichnis" in text
        assert str(tmp_path) not in text
    # Operators see the path in the command's output.
    with pytest.raises(CommandError, match="ist ein Verzeichnis") as error:
        call_command("anonymize_orders", "--ids", str(order.pk), stdout=StringIO())
    assert str(directory) in str(error.value)
    assert fresh(order).privacy_state == PrivacyState.ACTIVE


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"kaputt\n", "Eintrag ohne gültige Schlüssel-ID"),
        (b"k1:c2hvcnQ=\n", "32 Bytes"),
        (b"\xff\xfe\x00k1", "kein Text"),
        (b"# only a comment\n", "enthält keinen Schlüssel"),
    ],
)
def test_a_malformed_key_file_is_a_clear_error_without_its_path(
    client, key_file, tmp_path, content, message
):
    path = tmp_path / "coldstorage.keys"
    path.write_bytes(content)
    key_file(path)
    order = OrderFactory()
    client = merchant_client(client, "anonymize_order", "view_order")
    response = client.post(reverse("orders:anonymize", args=[order.pk]), follow=True)
    assert response.status_code == 200
    text = page_messages(response)
    assert message in text
    assert "Schlüsseldatei (COLDSTORAGE_KEY_FILE)" in text
    assert str(tmp_path) not in text


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_key_file_is_a_clear_error(key_file, tmp_path):
    path = tmp_path / "coldstorage.keys"
    path.write_text(keys.new_key_line() + "\n")
    path.chmod(0)
    key_file(path)
    with pytest.raises(keys.KeyConfigurationError, match="keine Leserechte") as error:
        cold_keyring()
    assert str(path) not in str(error.value)


def test_a_missing_key_file_is_named_without_its_path(client, key_file, tmp_path):
    key_file(tmp_path / "missing.keys")
    order = OrderFactory()
    client = merchant_client(client, "anonymize_order", "view_order")
    response = client.post(reverse("orders:anonymize", args=[order.pk]), follow=True)
    text = page_messages(response)
    assert "Schlüsseldatei (COLDSTORAGE_KEY_FILE) fehlt" in text
    assert str(tmp_path) not in text


# --- rotation ------------------------------------------------------------------------------------


def test_rotation_records_the_new_key_and_keeps_working(use_keys, real_key, other_key):
    use_keys(key_line("old", real_key))
    orders = [OrderFactory() for _ in range(3)]
    anonymize(*orders)

    use_keys(key_line("new", other_key), key_line("old", real_key))
    out = StringIO()
    call_command("rotate_coldstorage_key", stdout=out)
    assert "under key 'new'" in out.getvalue()
    assert dict(KeyCheckValue.objects.values_list("key_id", "check_value")) == {
        "old": keys.check_value(real_key),
        "new": keys.check_value(other_key),
    }
    assert set(ColdRecord.objects.values_list("key_id", flat=True)) == {"new"}

    use_keys(key_line("new", other_key))
    assert restore(*orders).summary["restored"] == 3
    assert all(fresh(o).privacy_state == PrivacyState.ACTIVE for o in orders)


def test_rotation_refuses_a_wrong_key(use_keys, real_key, other_key):
    use_keys(key_line("old", real_key))
    anonymize(OrderFactory())
    use_keys(keys.new_key_line("new"), key_line("old", other_key))
    with pytest.raises(CommandError, match="„old“"):
        call_command("rotate_coldstorage_key", stdout=StringIO())
    assert set(ColdRecord.objects.values_list("key_id", flat=True)) == {"old"}
    assert Order.objects.filter(privacy_state=PrivacyState.ANONYMIZED).count() == 1
