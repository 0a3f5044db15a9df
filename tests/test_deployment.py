"""Production settings: `check --deploy` passes, no start without SECRET_KEY, secure cookies and
short sessions, a CSP the pages keep to, and no caching of signed-in pages."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parent.parent


def _manage(*args: str, tmp_path, **env: str) -> subprocess.CompletedProcess:
    base = {
        key: value
        for key, value in os.environ.items()
        # The test run's own (the browser tests need DJANGO_ALLOW_ASYNC_UNSAFE) are no production's.
        if key not in ("DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
        and not key.endswith("DATABASE_URL")
        and not key.startswith(("SECURE_", "SESSION_", "CSRF_"))
    }
    base.update(VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings", **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_with_production_settings(tmp_path):
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        tmp_path=tmp_path,
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="orders.example.de",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_it_refuses_to_start_without_secret_key_when_debug_is_off(tmp_path):
    result = _manage("check", tmp_path=tmp_path, DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_the_embedded_default_starts_without_secret_key(tmp_path):
    # What `make start` does: DEBUG on, SQLite, no SECRET_KEY, plain http.
    result = _manage("check", tmp_path=tmp_path, DEBUG="true")
    assert result.returncode == 0, result.stderr
    result = _manage(
        "shell",
        "-c",
        "from django.conf import settings as s; print(s.SECURE_SSL_REDIRECT, "
        "s.SESSION_COOKIE_SECURE, s.SECURE_HSTS_SECONDS)",
        tmp_path=tmp_path,
        DEBUG="true",
    )
    assert result.stdout.split()[-3:] == ["False", "False", "0"], result.stderr


def test_session_settings_come_from_the_environment(tmp_path):
    result = _manage(
        "shell",
        "-c",
        "from django.conf import settings as s; print(s.SESSION_COOKIE_AGE, "
        "s.SESSION_EXPIRE_AT_BROWSER_CLOSE, s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME)",
        tmp_path=tmp_path,
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        SESSION_COOKIE_AGE="1800",
        SESSION_EXPIRE_AT_BROWSER_CLOSE="false",
        LOGIN_FAILURE_LIMIT="10",
        LOGIN_COOLOFF_MINUTES="60",
    )
    assert result.stdout.split()[-4:] == ["1800", "False", "10", "1:00:00"], result.stderr


@pytest.mark.django_db
def test_login_sets_secure_http_only_session_cookie_for_the_browser_session(client, user):
    response = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    cookie = response.cookies["sessionid"]
    assert cookie["secure"] and cookie["httponly"]
    assert cookie["expires"] == "" and cookie["max-age"] == ""  # ends with the browser
    csrf = client.get("/orders/").cookies.get("csrftoken") or client.cookies["csrftoken"]
    assert csrf["secure"] and csrf["httponly"]


def test_sessions_are_short_by_default(settings):
    assert settings.SESSION_COOKIE_AGE == 8 * 60 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True


_INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)


@pytest.mark.django_db(databases=["default", "coldstorage"])
def test_signed_in_pages_are_not_stored_and_keep_to_the_csp(merchant_client, merchant, company):
    from orders.services import order_create_invoice
    from tests.customers.edit_form import customer_with_data

    customer = customer_with_data()
    order = customer.orders.get()
    order_create_invoice(order=order, actor=merchant)
    channel = order.channel
    pages = [
        "/orders/",
        reverse("orders:detail", args=[order.pk]),
        reverse("orders:detail", args=[order.pk]) + "?tab=history",
        reverse("orders:invoice", args=[order.pk]),
        reverse("orders:privacy_anonymize"),
        reverse("orders:privacy_anonymize") + f"?ids={order.pk}",
        "/customers/",
        reverse("customers:detail", args=[customer.pk]),
        reverse("channels:list"),
        reverse("channels:edit", args=[channel.pk]),
    ]
    for url in pages:
        response = merchant_client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url
        policy = response["Content-Security-Policy"]
        assert re.search(r"script-src 'self'( 'nonce-[^']+')?;", policy), policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        html = response.content.decode()
        assert not _INLINE_HANDLER.search(html), (url, _INLINE_HANDLER.search(html))
        assert not _INLINE_SCRIPT.search(html), (url, _INLINE_SCRIPT.search(html))
        # htmx filters in hx-trigger ("[…]") would need eval.
        assert not re.search(r'hx-trigger="[^"]*\[', html), url
        assert "hx-on" not in html, url


@pytest.mark.django_db
def test_admin_pages_are_not_stored(client, staff):
    client.force_login(staff)
    response = client.get("/admin/customers/customer/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "Content-Security-Policy" in response


@pytest.mark.django_db
def test_the_login_page_carries_the_security_headers(client):
    response = client.get("/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_https_is_required_in_production(settings):
    assert settings.SECURE_HSTS_SECONDS == 31_536_000
    assert settings.SECURE_HSTS_INCLUDE_SUBDOMAINS
    assert settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE
