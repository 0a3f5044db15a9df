"""Hostile input never gets a 500: every URL of the product (walked from the URLconf) is asked
with out-of-range dates, huge ids and pages, NUL characters, wrong types, over-long and missing
values, by GET and by POST; refused writes change nothing."""

import json

import pytest
from django.contrib.auth.models import Permission
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from channels.models import Channel
from coldstorage.models import ColdRecord
from customers.models import Address, Customer, CustomerEmail, CustomerPhone
from orders.models import Invoice, Order, OrderEvent, PrivacyJob
from orders.privacy.jobs import privacy_job_anonymize
from orders.privacy.selection import MAX_PRIVACY_SELECTION, Selection
from tests.customers.edit_form import customer_with_data, edit_payload
from tests.factories import OrderFactory, UserFactory

BOTH = ["default", "coldstorage"]
HUGE = str(2**63)  # one past PostgreSQL's bigint
HUGER = "9" * 30
NUL = "bad\x00value"
LONG = "x" * 20_000

#: Query parameters every list, dialog, count and admin page is asked with, one set at a time.
HOSTILE_QUERIES: list[dict] = [
    {"page": HUGER},
    {"page": "-5"},
    {"p": HUGER},
    {"q": LONG},
    {"q": HUGE},
    {"q": "9" * 5000},
    {"q": "a@" + "b" * 3000},
    {"date_from": "0001-01-01"},
    {"date_to": "9999-12-31"},
    {"date_from": "0001-01-01", "date_to": "9999-12-31"},
    {"date_from": "10000-01-01"},
    {"date_from": "2026-02-30"},
    {"ids": HUGE},
    {"ids": ["1", HUGER]},
    {"ids": "-1"},
    {"ids": "abc"},
    {"channel": HUGE},
    {"channel": "abc"},
    {"status": LONG},
    {"sort": LONG},
    {"privacy": ["a", "b"]},
    {"matching": "1", "date_to": "9999-12-31"},
    {"matching": "1", "date_from": "0001-01-01", "date_to": "2026-01-01"},
    {"matching": "1", "q": HUGE},
    {"matching": "1", "channel": HUGE},
    {
        "range-date_field": "order_date",
        "range-date_from": "0001-01-01",
        "range-date_to": "9999-12-31",
    },
    {
        "range-date_field": "delivery_date",
        "range-date_from": "9999-12-31",
        "range-date_to": "9999-12-31",
    },
    {"range-date_field": LONG, "range-date_from": "2026-01-01", "range-date_to": "2026-01-31"},
    {"range-date_from": "2026-01-01", "range-date_to": "2026-01-31", "range-channels": HUGE},
    {"range-date_from": "2026-01-01", "range-date_to": "2026-01-31", "range-channels": "abc"},
    {
        "range-date_from": "2026-01-01",
        "range-date_to": "2026-01-31",
        "range-exclude_statuses": LONG,
    },
    {"tab": LONG},
    {"seen": HUGER, "on_page": HUGER},
    {"select": "1", "date_to": "9999-12-31"},
    # The admin's changelists: ordering, date hierarchy, filters.
    {"o": "999.-999"},
    {"o": "abc"},
    {"e": "1"},
    {"order_date__year": "99999"},
    {"order_date__year": "2026", "order_date__month": "13"},
    {"order_date__year": "9999", "order_date__month": "12", "order_date__day": "31"},
    {"created_at__year": "0", "started_at__year": "0"},
    {"channel__id__exact": HUGE},
    {"privacy_state__exact": LONG},
    {"kind__exact": LONG, "state__exact": LONG},
    {"id__exact": HUGE},
    {"number__exact": HUGER},
    {"_changelist_filters": LONG},
    {"next": "//evil.example/"},
    {"_popup": "1", "_to_field": "password"},
    # NUL characters: refused before any view (config.middleware.refuse_null_characters).
    {"q": NUL},
    {"page": NUL},
    {"date_from": NUL},
    {NUL: "1"},
]

#: Pages of one object (and the admin's forms) read few parameters: these stand for the rest.
OBJECT_PAGE_QUERIES: list[dict] = [
    {"tab": LONG},
    {"page": HUGER},
    {"seen": HUGER, "on_page": HUGER},
    {"date_to": "9999-12-31"},
    {"ids": HUGE},
    {"_changelist_filters": LONG},
    {"_popup": "1", "_to_field": "password"},
    {"q": NUL},
]

#: Form bodies: wrong for every form, so that no write may happen.
HOSTILE_POSTS: list[dict] = [
    {},
    {"version": "abc", "order-version": "abc"},
    {"version": HUGER, "order-version": HUGER, "billing-country": LONG},
    {"ids": [HUGE]},
    {"ids": [HUGER, "1"]},
    {"ids": ["-1"]},
    {"ids": ["abc"]},
    {"matching": "1", "date_to": "9999-12-31"},
    {"matching": "1", "date_from": "0001-01-01", "date_to": "0001-01-02"},
    {
        "range-date_field": "order_date",
        "range-date_from": "0001-01-01",
        "range-date_to": "9999-12-31",
        "range-channels": HUGE,
    },
    {
        "range-date_field": "invoice_date",
        "range-date_from": "9999-12-31",
        "range-date_to": "9999-12-31",
    },
    {"extra_fields": "[1,2,3]", "version": HUGER},
    {"extra_fields": '"a string"', "version": "0"},
    {"extra_fields": '{"a": "\\u0000"}', "version": "abc"},
    {"tracking_number": LONG},
    {"tracking_number": "", "replace_tracking": LONG},
    {"name": LONG, "kind": LONG, "anonymize_after_days": HUGER, "version": "abc"},
    {"anonymize_after_days": "-1", "auto_anonymize": "on", "name": ""},
    {"action": "delete_selected", "_selected_action": [HUGE], "index": "0"},
    {"action": "anonymize_orders", "_selected_action": [HUGER], "index": "0"},
    {"action": LONG, "select_across": "1", "index": HUGER},
    {"username": LONG, "password": LONG},
    {"email": NUL, "first_name": NUL, "q": NUL},
    {"json": '{"a": "\u0000"}'},
]

#: The bodies the admin's many object pages get (its forms are Django's, tested by Django).
ADMIN_OBJECT_POSTS = HOSTILE_POSTS[:4] + HOSTILE_POSTS[-3:]

#: POSTs that act on whatever they are sent to (the body is not a form): asked with missing
#: objects only, and not watched for changes.
POST_ACTIONS = {
    "orders:anonymize",
    "orders:restore",
    "orders:invoice_create",
    "documents:invoice_cancel",
    "documents:delivery_note",
    "logout",
    "admin:logout",
    "set_language",
}


def _patterns(resolver: URLResolver, prefix: str = "", namespace: str = ""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            space = f"{namespace}:{entry.namespace}" if entry.namespace else namespace
            yield from _patterns(entry, prefix + str(entry.pattern), space.strip(":"))
        elif isinstance(entry, URLPattern) and entry.name:
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield name, prefix + str(entry.pattern), entry


@pytest.fixture
def world(db):
    customer = customer_with_data()
    order = customer.orders.get()
    other = OrderFactory(customer=customer, channel=order.channel)
    job = privacy_job_anonymize(
        selection=Selection.of_ids([other.pk]), source="Test", background=False
    )
    from automation.models import Action, Rule

    rule = Rule.objects.create(name="Regel", trigger="restored")
    Action.objects.create(rule=rule, kind="set_status", params={"status": "archived"})
    from notifications.models import NotificationText, SmtpServer

    text = NotificationText.objects.create(name="Text", subject="{OrderNumber}", body_text="x")
    # A closed port: a test mail fails at once.
    server = SmtpServer.objects.create(
        name="Server", sender="shop@example.org", host="127.0.0.1", port=9, security="none"
    )
    import datetime

    from privacyoffice.models import ErasureRequest

    erasure = ErasureRequest.objects.create(
        customer=customer,
        received_on=datetime.date(2026, 12, 1),
        received_via=ErasureRequest.ReceivedVia.values[0],
        deadline=datetime.date(2027, 1, 1),
    )
    return {
        "customer": customer,
        "erasure": erasure,
        "order": order,
        "job": job,
        "channel": order.channel,
        "rule": rule,
        "text": text,
        "server": server,
    }


@pytest.fixture
def boss(db):
    """Every permission and the support admin: every page and every action is open to them."""
    user = UserFactory(username="chefin", is_staff=True, is_superuser=True)
    user.user_permissions.set(Permission.objects.all())
    return user


def _object_for(name: str, world) -> int | str | None:
    """The id a URL's path parameter takes for an existing object (None: not a model page)."""
    if name.startswith("orders:privacy_job"):
        return world["job"].pk
    if name.startswith(("orders:", "documents:")):
        return world["order"].pk
    if name.startswith("customers:"):
        return world["customer"].pk
    if name.startswith("channels:"):
        return world["channel"].pk
    if name.startswith("automation:"):
        return world["rule"].pk
    if name.startswith("notifications:text"):
        return world["text"].pk
    if name.startswith("notifications:server"):
        return world["server"].pk
    if name.startswith("privacyoffice:erasure"):
        return world["erasure"].pk
    if name.startswith("privacyoffice:"):
        return world["customer"].pk
    return None


def _urls(world) -> list[tuple[str, str, bool]]:
    """(name, url, is_object_page) for every named URL, with real objects where it takes an id."""
    from django.contrib import admin

    urls = []
    admin_objects = {
        f"admin:{model._meta.app_label}_{model._meta.model_name}": model._default_manager.order_by(
            "pk"
        ).first()
        for model in admin.site._registry
    }
    for name, route, _pattern in _patterns(get_resolver()):
        params = [part.split(">")[0] for part in route.split("<")[1:]]
        if not params:
            try:
                urls.append((name, reverse(name), False))
            except Exception:  # pragma: no cover - a route with regex groups
                pytest.fail(f"cannot reverse {name} ({route})")
            continue
        kwargs = {}
        for param in params:
            _converter, _, key = param.rpartition(":")
            if name.startswith("admin:") and key == "object_id":
                model_name = name.rsplit("_", 1)[0]
                obj = admin_objects.get(model_name)
                kwargs[key] = obj.pk if obj is not None else HUGE
            elif name.startswith("admin:") and key == "app_label":
                kwargs[key] = "orders"
            elif name.startswith("admin:") and key in ("content_type_id", "object_id"):
                kwargs[key] = "1"
            elif key == "pk":
                kwargs[key] = _object_for(name, world)
            elif key in ("uidb64", "token"):
                kwargs[key] = "x"
            else:
                kwargs[key] = "1"
        urls.append((name, reverse(name, kwargs=kwargs), True))
        # The same page for an id no object has, at the ends of the integer range.
        if "pk" in kwargs:
            for huge in (HUGE, HUGER):
                urls.append((name, reverse(name, kwargs={**kwargs, "pk": huge}), True))
    return urls


def _short(data: dict) -> str:
    """A failure's parameters, readable: long values cut."""
    return repr({key[:40]: (str(value)[:40]) for key, value in data.items()})


def _snapshot() -> dict:
    """What a refused write must leave as it was."""
    return {
        "orders": list(Order.objects.order_by("pk").values()),
        "customers": list(Customer.objects.order_by("pk").values()),
        "emails": list(CustomerEmail.objects.order_by("pk").values()),
        "phones": list(CustomerPhone.objects.order_by("pk").values()),
        "addresses": list(Address.objects.order_by("pk").values()),
        "channels": list(Channel.objects.order_by("pk").values()),
        "invoices": Invoice.objects.count(),
        "events": OrderEvent.objects.count(),
        "jobs": list(PrivacyJob.objects.order_by("pk").values("pk", "state", "selection")),
        "cold": ColdRecord.objects.count(),
    }


@pytest.mark.django_db(databases=BOTH)
def test_no_url_answers_500_to_hostile_input(client, boss, world):
    client.force_login(boss)
    client.raise_request_exception = False
    failures = []
    urls = _urls(world)
    assert len({name for name, _, _ in urls}) > 60, "the URLconf walk found too few URLs"
    for name, url, is_object_page in urls:
        if name in ("logout", "admin:logout"):
            continue  # would end the session the rest of the sweep needs
        queries = OBJECT_PAGE_QUERIES if is_object_page else HOSTILE_QUERIES
        for params in [{}, *queries]:
            response = client.get(url, params)
            if response.status_code >= 500:
                failures.append(f"GET {name} {url} {_short(params)}: {response.status_code}")
        if name in POST_ACTIONS and HUGE not in url and HUGER not in url:
            continue
        bodies = (
            ADMIN_OBJECT_POSTS if is_object_page and name.startswith("admin:") else HOSTILE_POSTS
        )
        for body in bodies:
            before = _snapshot()
            response = client.post(url, body)
            if response.status_code >= 500:
                failures.append(f"POST {name} {url} {_short(body)}: {response.status_code}")
            elif _snapshot() != before:
                failures.append(f"POST {name} {url} {_short(body)}: changed the database")
    assert not failures, "\n".join(failures[:60])


@pytest.mark.django_db(databases=BOTH)
def test_pages_answer_anonymous_hostile_requests_with_the_login(client, world):
    client.raise_request_exception = False
    for name, url, _ in _urls(world):
        for params in ({"page": HUGER}, {"q": NUL}, {"date_to": "9999-12-31"}):
            assert client.get(url, params).status_code < 500, (name, params)


# --- The cases found in the issue, one by one, with the message they now get -----------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("[1,2,3]", "JSON-Objekt"),
        ('"a string"', "JSON-Objekt"),
        ('{"a": {"b": 1}}', "keine Liste und kein Objekt"),
        ('{"a": [1]}', "keine Liste und kein Objekt"),
        ('{"Telefon": "\\u0000 0171 1234567"}', "Nullzeichen"),
        ('{"\\u0000": "x"}', "Nullzeichen"),
        (json.dumps({"k": "v" * 501}), "höchstens 500 Zeichen"),
        (json.dumps({f"k{i}": i for i in range(21)}), "Höchstens 20 Zusatzfelder"),
    ],
)
def test_customer_page_refuses_extra_fields_that_are_no_plain_object(
    merchant_client, extra, message
):
    customer = customer_with_data()
    before = Customer.objects.filter(pk=customer.pk).values().get()
    response = merchant_client.post(
        f"/customers/{customer.pk}/", edit_payload(customer, extra_fields=extra)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Customer.objects.filter(pk=customer.pk).values().get() == before
    assert merchant_client.get(f"/customers/{customer.pk}/").status_code == 200


@pytest.mark.django_db
def test_customer_page_shows_extra_fields_stored_before_they_were_checked(merchant_client):
    customer = customer_with_data()
    Customer.objects.filter(pk=customer.pk).update(extra_fields=[1, 2, 3])
    response = merchant_client.get(f"/customers/{customer.pk}/")
    assert response.status_code == 200
    Customer.objects.filter(pk=customer.pk).update(extra_fields="a string")
    assert merchant_client.get(f"/customers/{customer.pk}/").status_code == 200


@pytest.mark.django_db
def test_the_model_refuses_a_list_as_extra_fields():
    from django.core.exceptions import ValidationError

    customer = customer_with_data()
    customer.extra_fields = [1, 2, 3]
    with pytest.raises(ValidationError) as caught:
        customer.full_clean()
    assert "extra_fields" in caught.value.message_dict


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [{"q": NUL}, {"q": "\x00"}, {"date_from": "2026-01-01\x00"}],
)
def test_null_characters_get_a_clear_message(merchant_client, params):
    for url in ("/orders/", "/customers/", "/admin/orders/order/"):
        response = merchant_client.get(url, params)
        assert response.status_code == 400
        assert "Nullzeichen" in response.content.decode()


@pytest.mark.django_db
def test_order_list_refuses_dates_out_of_range_with_a_message(merchant_client):
    for params in ({"date_to": "9999-12-31"}, {"date_from": "0001-01-01"}):
        response = merchant_client.get("/orders/", params)
        assert response.status_code == 200
        assert "außerhalb des unterstützten Bereichs" in response.content.decode()
        assert response.context["page"] is None


@pytest.mark.django_db(databases=BOTH)
def test_range_dialog_and_count_refuse_dates_out_of_range(merchant_client, world):
    before = _snapshot()
    data = {
        "range-date_field": "order_date",
        "range-date_from": "0001-01-01",
        "range-date_to": "9999-12-31",
        "range-channels": [world["channel"].pk],
    }
    for response in (
        merchant_client.get(reverse("orders:privacy_anonymize_count"), data),
        merchant_client.get(reverse("orders:privacy_anonymize"), data),
        merchant_client.post(reverse("orders:privacy_anonymize"), data),
        merchant_client.post(
            reverse("orders:privacy_restore"), {"matching": "1", "date_to": "9999-12-31"}
        ),
    ):
        assert response.status_code == 200
        html = response.content.decode()
        assert "außerhalb des unterstützten Bereichs" in html or "Filter" in html
    assert _snapshot() == before


@pytest.mark.django_db(databases=BOTH)
def test_ids_beyond_bigint_are_refused_with_a_message(merchant_client, world):
    before = _snapshot()
    for method in (merchant_client.get, merchant_client.post):
        response = method(reverse("orders:privacy_anonymize"), {"ids": [HUGE]})
        assert response.status_code == 200
        assert "ungültige Bestellnummern" in response.content.decode()
    assert _snapshot() == before


def test_upload_limits_leave_room_for_the_largest_selection(settings):
    assert settings.DATA_UPLOAD_MAX_NUMBER_FIELDS > MAX_PRIVACY_SELECTION
    # "ids=<19 digits>&" per id, plus the CSRF token.
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE > (MAX_PRIVACY_SELECTION + 1) * 24


@pytest.mark.django_db(databases=BOTH)
def test_more_ids_than_the_selection_limit_get_the_products_message(merchant_client, world):
    before = _snapshot()
    body = "&".join(f"ids={10_000_000 + i}" for i in range(MAX_PRIVACY_SELECTION + 1))
    response = merchant_client.post(
        reverse("orders:privacy_anonymize"),
        body,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert "höchstens 200.000 Bestellungen" in response.content.decode()
    assert _snapshot() == before


@pytest.mark.django_db
def test_a_huge_page_number_is_clamped(merchant_client):
    for url in ("/orders/", "/customers/"):
        assert merchant_client.get(url, {"page": HUGER}).status_code == 200
