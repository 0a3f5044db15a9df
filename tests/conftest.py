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


@pytest.fixture
def user(db):
    return UserFactory(username="mitarbeiter")


@pytest.fixture
def merchant(db):
    """A user with every merchant permission (the "Händler" group)."""
    from django.contrib.auth.models import Permission

    user = UserFactory(username="haendler")
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=["orders", "customers", "channels", "automation"]
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
