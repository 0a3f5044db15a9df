"""Shared fixtures. Browser tests need DJANGO_ALLOW_ASYNC_UNSAFE (pytest-playwright runs an event loop)."""

import os
import shutil

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from tests.factories import UserFactory

BOTH_DATABASES = ["default", "coldstorage"]
PASSWORD = "pw-Secret-123"


@pytest.fixture(scope="session", autouse=True)
def _coldstorage_test_key(tmp_path_factory):
    """Every test run encrypts with a throwaway key, never the developer's key file."""
    from django.conf import settings

    from coldstorage import keys

    key_file = tmp_path_factory.mktemp("keys") / "coldstorage.keys"
    settings.COLDSTORAGE_KEYS = ""
    settings.COLDSTORAGE_KEY_FILE = key_file
    keys.create_key_file(key_file)
    keys.reset_cache()
    yield
    keys.reset_cache()


@pytest.fixture(autouse=True)
def _default_language():
    """A request leaves the language it answered in active (LocaleMiddleware): an English page in
    one test must not turn the next test's command output English."""
    yield
    from django.utils import translation

    translation.deactivate()


#: What a clerk who works orders holds: see orders and customers with their personal data, edit,
#: invoice and ship orders; not: edit customers or channels, anonymize or restore.
CLERK_PERMISSIONS = (
    "orders.view_order",
    "orders.change_order",
    "orders.issue_invoice",
    "orders.ship_order",
    "customers.view_customer",
    "customers.view_personal_data",
    "channels.view_channel",
)


def permissions(*names: str):
    """The Permission rows of "app_label.codename" names (each must exist)."""
    from django.contrib.auth.models import Permission
    from django.db.models import Q

    if not names:
        return Permission.objects.none()
    condition = Q()
    for name in names:
        app_label, codename = name.split(".")
        condition |= Q(content_type__app_label=app_label, codename=codename)
    found = Permission.objects.filter(condition)
    assert found.count() == len(set(names)), names
    return found


@pytest.fixture
def user(db):
    """A clerk (CLERK_PERMISSIONS)."""
    user = UserFactory(username="mitarbeiter")
    user.user_permissions.set(permissions(*CLERK_PERMISSIONS))
    return user


@pytest.fixture
def nobody(db):
    """Logged in, without any permission."""
    return UserFactory(username="ohne-rechte")


@pytest.fixture
def merchant(db):
    """A user with every merchant permission (the "Händler" group)."""
    from django.contrib.auth.models import Permission

    user = UserFactory(username="haendler")
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=[
                "orders",
                "customers",
                "channels",
                "automation",
                "documents",
                "notifications",
                "privacyoffice",
            ]
        )
    )
    return user


@pytest.fixture
def staff(db):
    return UserFactory(username="support", is_staff=True, is_superuser=True)


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def merchant_client(client, merchant):
    client.force_login(merchant)
    return client


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if not executable:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": executable,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture
def console_log():
    """What the configured console handler writes (formatted and filtered as in production)."""
    import io
    import logging

    from config.log_filters import RedactPersonalData

    handler = next(
        handler
        for handler in logging.getLogger("django").handlers
        if any(isinstance(f, RedactPersonalData) for f in handler.filters)
    )
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


COMPANY = {
    "name": "Muster Handel GmbH",
    "street": "Hauptstraße 5",
    "postcode": "10115",
    "city": "Berlin",
    "country": "DE",
    "email": "rechnung@muster-handel.example",
    "vat_id": "DE123456789",
    "tax_number": "27/123/45678",
    "bank_name": "Musterbank",
    "iban": "DE89370400440532013000",
    "bic": "COBADEFFXXX",
    "footer": "Geschäftsführer: Max Muster · Amtsgericht Berlin HRB 12345",
}


@pytest.fixture
def company(db):
    """Filled company settings (Einstellungen → Firma): what issuing documents needs."""
    from documents.models import CompanySettings

    CompanySettings.objects.update_or_create(pk=1, defaults=COMPANY)
    return CompanySettings.load()
