"""No personal data in the logs: database errors without their values, 4xx without traceback,
search terms not in logged request lines (runserver and gunicorn)."""

import datetime
import logging
import runpy
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.db import DataError, IntegrityError, transaction
from django.urls import reverse

from customers.models import Customer
from tests.customers.edit_form import customer_with_data

ROOT = Path(__file__).resolve().parent.parent
PHONE = "0171 9876543"
EMAIL = "erika.geheim@example.de"


def _log_exception(logger: str, exc: BaseException, **extra) -> None:
    logging.getLogger(logger).error(
        "Internal Server Error: %s",
        "/customers/1/",
        exc_info=(type(exc), exc, exc.__traceback__),
        extra={"status_code": 500, **extra},
    )


@pytest.mark.django_db
def test_a_database_error_is_logged_without_the_values_it_quotes(console_log):
    customer = customer_with_data()
    # The case: PostgreSQL's CONTEXT line quotes the JSON document it could not store.
    with pytest.raises(DataError) as caught, transaction.atomic():
        Customer.objects.filter(pk=customer.pk).update(
            extra_fields={"Telefon": f"{PHONE}\u0000", "E-Mail": EMAIL}
        )
    assert PHONE in str(caught.value.__cause__) or "sqlite" in str(type(caught.value.__cause__))
    _log_exception("django.request", caught.value)
    logged = console_log.getvalue()
    assert "Internal Server Error: /customers/1/" in logged
    assert "Traceback (most recent call last)" in logged
    assert "DataError" in logged
    assert PHONE not in logged and EMAIL not in logged
    assert "CONTEXT" not in logged and "DETAIL" not in logged


@pytest.mark.django_db
def test_a_unique_violation_is_logged_without_the_key(console_log):
    customer = customer_with_data()
    # PostgreSQL's DETAIL: Key (number)=(…) already exists.
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Customer.objects.create(number=customer.number)
    _log_exception("django.db.backends", caught.value)
    logged = console_log.getvalue()
    assert "IntegrityError" in logged
    assert f"({customer.number})" not in logged
    assert "DETAIL" not in logged


@pytest.mark.django_db
def test_a_403_is_logged_without_traceback(client, user, console_log):
    client.force_login(user)
    response = client.post(reverse("orders:privacy_anonymize"), {"ids": ["1"]})
    assert response.status_code == 403
    logged = console_log.getvalue()
    assert "Forbidden (Permission denied): /orders/privacy/anonymize/" in logged
    assert "Traceback" not in logged


@pytest.mark.django_db
def test_a_404_is_logged_without_traceback(logged_in, console_log):
    assert logged_in.get("/orders/999999999/").status_code == 404
    logged = console_log.getvalue()
    assert "Not Found" in logged
    assert "Traceback" not in logged


def test_runserver_request_lines_lose_search_terms(console_log):
    logging.getLogger("django.server").info(
        '"%s" %s %s', f"GET /orders/?q={EMAIL}&page=2&channel=3 HTTP/1.1", "200", "5120"
    )
    logging.getLogger("django.server").info(
        '"%s" %s %s', "GET /admin/customers/customer/?emails__email=a%40b.de&o=1 HTTP/1.1", 200, 1
    )
    logged = console_log.getvalue()
    assert EMAIL not in logged and "a%40b.de" not in logged
    assert "GET /orders/?q=…&page=2&channel=3 HTTP/1.1" in logged
    assert "emails__email=…&o=1" in logged


def test_gunicorn_access_log_loses_search_terms(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))
    conf = runpy.run_path(str(ROOT / "config" / "gunicorn.conf.py"))
    from gunicorn.config import Config

    logger = conf["RedactingLogger"](Config())
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/customers/?q={EMAIL}&page=3",
        "PATH_INFO": "/customers/",
        "QUERY_STRING": f"q={EMAIL}&page=3",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": f"https://orders.example.de/orders/?q={PHONE}",
    }
    atoms = logger.atoms(
        SimpleNamespace(status="200 OK", sent=10, headers=[]),
        SimpleNamespace(headers=[("REFERER", environ["HTTP_REFERER"])]),
        environ,
        datetime.timedelta(milliseconds=12),
    )
    line = " ".join(str(value) for value in atoms.values())
    assert EMAIL not in line and PHONE not in line
    assert atoms["r"] == "GET /customers/?q=…&page=3 HTTP/1.1"
    assert atoms["q"] == "q=…&page=3"
    assert "gunicorn" in sys.modules


def test_the_filter_is_on_every_configured_handler():
    from config.log_filters import RedactPersonalData

    for name in ("", "django", "django.server"):
        handlers = logging.getLogger(name).handlers
        assert handlers, name
        for handler in handlers:
            if type(handler).__module__.startswith("_pytest"):
                continue
            assert any(isinstance(f, RedactPersonalData) for f in handler.filters), (name, handler)
