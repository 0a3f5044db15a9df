"""The support admin: every page loads, anonymized records are read-only, cold storage shows
metadata only, the Amazon policy holds, and the admin log keeps no personal data."""

import datetime
import re

import pytest
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.forms import MultiWidget
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from channels.models import Channel
from coldstorage.models import ColdRecord
from coldstorage.services import cold_records_store
from customers.models import Address, Customer, CustomerEmail
from orders.models import NumberSequence, Order, OrderEvent, PrivacyJob
from tests.customers.edit_form import customer_with_data
from tests.factories import ChannelFactory, OrderFactory, OrderItemFactory, OrderMessageFactory

BOTH = ["default", "coldstorage"]
SECRET = "Geheimstraße 7"


def _form_data(data: dict, form) -> None:
    for name, field in form.fields.items():
        if field.disabled:
            continue
        bound = form[name]
        value = bound.value()
        if isinstance(field.widget, MultiWidget):
            if not isinstance(value, list):
                value = field.widget.decompress(value)
            for index, part in enumerate(value):
                if hasattr(part, "isoformat"):
                    part = part.isoformat()
                data[f"{bound.html_name}_{index}"] = "" if part is None else str(part)
        elif value is True:
            data[bound.html_name] = "on"
        elif value is False or value is None:
            continue
        elif isinstance(value, (list, tuple)):
            data[bound.html_name] = [str(v) for v in value]
        else:
            data[bound.html_name] = value.isoformat() if hasattr(value, "isoformat") else value


def admin_change_payload(client, url: str, **overrides) -> dict:
    """The admin change form as the page renders it, with `overrides` applied."""
    response = client.get(url)
    assert response.status_code == 200
    data: dict = {}
    _form_data(data, response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        _form_data(data, formset.management_form)
        for form in formset.forms:
            _form_data(data, form)
    data.update(overrides)
    return data


@pytest.fixture
def support_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def world(db):
    customer = customer_with_data()
    order = customer.orders.get()
    OrderItemFactory(order=order)
    OrderMessageFactory(order=order)
    OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.CREATED, actor_label="Import")
    PrivacyJob.objects.create(kind=PrivacyJob.Kind.ANONYMIZE, total=10, done=4, error="")
    NumberSequence.objects.create(name="invoice", last_value=41)
    return {"customer": customer, "order": order}


@pytest.fixture
def cold_record(db):
    cold_records_store(
        items=[("address", 4242, {"street": SECRET})],
        anonymized_at=timezone.now(),
        purge_on=datetime.date(2036, 1, 1),
    )
    return ColdRecord.objects.get(object_id=4242)


def _admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_anonymous_is_sent_to_the_admin_login(client):
    response = client.get("/admin/orders/order/")
    assert response.status_code == 302
    assert "login" in response.url


@pytest.mark.django_db(databases=BOTH)
def test_every_changelist_and_change_form_loads(support_client, world, cold_record):
    for model, model_admin in admin.site._registry.items():
        changelist = support_client.get(_admin_url(model, "changelist"))
        assert changelist.status_code == 200, model
        obj = model_admin.get_queryset(changelist.wsgi_request).first()
        if obj is not None:
            assert support_client.get(_admin_url(model, "change", obj.pk)).status_code == 200, model
        if model_admin.has_add_permission(changelist.wsgi_request):
            assert support_client.get(_admin_url(model, "add")).status_code == 200, model


@pytest.mark.django_db(databases=BOTH)
@pytest.mark.parametrize(
    ("model", "q"),
    [
        (Customer, "Mustermann"),
        (Customer, "erika@example.de"),
        (Customer, "123"),
        (Address, "Mustermann"),
        (Order, "EXT-ORDER"),
        (Order, "100"),
        (OrderEvent, "abc"),
        (ColdRecord, "4242"),
        (ColdRecord, "abc"),
        (Channel, "Shop"),
    ],
)
def test_changelist_search(support_client, world, cold_record, model, q):
    response = support_client.get(_admin_url(model, "changelist"), {"q": q})
    assert response.status_code == 200


def test_customer_search_finds_number_last_name_and_email(support_client, world):
    customer = world["customer"]
    url = _admin_url(Customer, "changelist")
    for q in (str(customer.number), "Muster", "ERIKA@example.de"):
        result = support_client.get(url, {"q": q}).context["cl"].result_list
        assert list(result) == [customer], q


@pytest.mark.django_db(databases=BOTH)
def test_cold_record_admin_shows_metadata_only(support_client, cold_record):
    url = _admin_url(ColdRecord, "change", cold_record.pk)
    response = support_client.get(url)
    # The page's own CSP nonce attributes are not the record's nonce.
    html = re.sub(r' nonce="[^"]*"', "", response.content.decode())
    assert "4242" in html
    assert cold_record.key_id in html
    assert "ciphertext" not in html
    assert "nonce" not in html
    assert SECRET not in html
    assert 'name="_save"' not in html
    form = response.context["adminform"].form
    assert not set(form.fields) & {"nonce", "ciphertext"}
    changelist = support_client.get(_admin_url(ColdRecord, "changelist"))
    assert SECRET not in changelist.content.decode()
    listed = changelist.context["cl"].result_list
    assert {"nonce", "ciphertext"} <= listed[0].get_deferred_fields()


@pytest.mark.django_db(databases=BOTH)
def test_cold_record_admin_cannot_add_change_or_delete(support_client, cold_record):
    model_admin = admin.site._registry[ColdRecord]
    request = support_client.get(_admin_url(ColdRecord, "changelist")).wsgi_request
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, cold_record)
    assert not model_admin.has_delete_permission(request, cold_record)
    assert support_client.get(_admin_url(ColdRecord, "add")).status_code == 403
    assert support_client.get(_admin_url(ColdRecord, "delete", cold_record.pk)).status_code == 403
    response = support_client.post(
        _admin_url(ColdRecord, "change", cold_record.pk), {"key_id": "evil", "size": "1"}
    )
    assert response.status_code == 403
    cold_record.refresh_from_db()
    assert cold_record.key_id != "evil"


def test_an_active_order_can_be_changed(support_client, world):
    order = world["order"]
    url = _admin_url(Order, "change", order.pk)
    response = support_client.post(
        url, admin_change_payload(support_client, url, notes="Ohne Klingel")
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    order.refresh_from_db()
    assert order.notes == "Ohne Klingel"


@pytest.mark.parametrize("state", ["anonymized", "restoring", "purged"])
def test_an_anonymized_order_is_read_only(support_client, world, state):
    order = world["order"]
    url = _admin_url(Order, "change", order.pk)
    payload = admin_change_payload(support_client, url, notes="Überschrieben")
    Order.objects.filter(pk=order.pk).update(privacy_state=state)
    page = support_client.get(url)
    html = page.content.decode()
    assert "kann nicht mehr bearbeitet werden" in html or "Stellen Sie" in html or "warten" in html
    assert 'name="notes"' not in html
    assert 'name="items-0-sku"' not in html
    assert 'name="_save"' not in html
    model_admin = admin.site._registry[Order]
    locked = Order.objects.get(pk=order.pk)
    assert "notes" in model_admin.get_readonly_fields(page.wsgi_request, locked)
    assert support_client.post(url, payload).status_code == 403
    assert support_client.get(_admin_url(Order, "delete", order.pk)).status_code == 403
    order.refresh_from_db()
    assert order.notes == "Bitte klingeln"


def test_a_customer_with_an_anonymized_address_is_read_only(support_client, world):
    customer = world["customer"]
    url = _admin_url(Customer, "change", customer.pk)
    payload = admin_change_payload(support_client, url, first_name="Überschrieben")
    Address.objects.filter(customer=customer).update(privacy_state="anonymized")
    html = support_client.get(url).content.decode()
    assert "mindestens eine Adresse" in html  # the reason
    assert 'name="first_name"' not in html
    assert 'name="emails-0-email"' not in html
    assert support_client.post(url, payload).status_code == 403
    address = customer.addresses.get()
    address_url = _admin_url(Address, "change", address.pk)
    assert 'name="city"' not in support_client.get(address_url).content.decode()
    customer.refresh_from_db()
    assert customer.first_name == "Erika"


def test_an_anonymized_customer_is_read_only(support_client, world):
    customer = world["customer"]
    Customer.objects.filter(pk=customer.pk).update(privacy_state="anonymized")
    html = support_client.get(_admin_url(Customer, "change", customer.pk)).content.decode()
    assert 'name="first_name"' not in html


def test_privacy_state_is_never_editable_in_the_admin(support_client, world):
    for model, obj in ((Order, world["order"]), (Customer, world["customer"])):
        html = support_client.get(_admin_url(model, "change", obj.pk)).content.decode()
        assert 'name="privacy_state"' not in html
        assert 'name="anonymized_at_0"' not in html


def test_admin_log_keeps_no_personal_data(support_client, world):
    customer = world["customer"]
    url = _admin_url(Customer, "change", customer.pk)
    payload = admin_change_payload(
        support_client,
        url,
        first_name="Erika Maria",
        **{"emails-TOTAL_FORMS": "2", "emails-1-email": "geheim@example.de"},
    )
    payload["emails-1-customer"] = str(customer.pk)
    response = support_client.post(url, payload)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert CustomerEmail.objects.filter(email="geheim@example.de").exists()
    entry = LogEntry.objects.get()
    assert entry.object_repr == f"Kunde {customer.number}"
    assert "geheim@example.de" not in entry.change_message
    assert "Erika" not in entry.change_message
    assert "Mustermann" not in entry.object_repr


def test_amazon_policy_is_forced_in_the_admin(support_client):
    channel = ChannelFactory(name="Amazon DE", kind="amazon")
    url = _admin_url(Channel, "change", channel.pk)
    payload = admin_change_payload(support_client, url, auto_anonymize_days="10")
    response = support_client.post(url, payload)
    assert response.status_code == 200
    assert "Amazon-Kanäle werden" in response.content.decode()
    payload = admin_change_payload(support_client, url, name="Amazon FR")
    del payload["auto_anonymize"]
    assert support_client.post(url, payload).status_code == 200
    channel.refresh_from_db()
    assert (channel.name, channel.auto_anonymize, channel.auto_anonymize_days) == (
        "Amazon DE",
        True,
        40,
    )
    response = support_client.post(
        _admin_url(Channel, "add"),
        {"name": "Amazon IT", "kind": "amazon", "auto_anonymize": "on", "auto_anonymize_days": "7"},
    )
    assert response.status_code == 200
    assert not Channel.objects.filter(name="Amazon IT").exists()
    policy = admin.site._registry[Channel].policy(channel)
    assert "40 Tagen" in policy


def test_read_only_history_jobs(support_client, world):
    request = support_client.get("/admin/").wsgi_request
    for model in (OrderEvent, PrivacyJob):
        model_admin = admin.site._registry[model]
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request)
        assert not model_admin.has_delete_permission(request)
    jobs = support_client.get(_admin_url(PrivacyJob, "changelist")).content.decode()
    assert "4/10" in jobs


@pytest.mark.parametrize("model", [Order, Customer, Address, OrderEvent])
def test_changelist_query_count_does_not_grow(support_client, world, model):
    url = _admin_url(model, "changelist")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert support_client.get(url).status_code == 200
        return len(queries)

    few = count()
    for _ in range(8):
        order = OrderFactory(channel=ChannelFactory())
        OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.CREATED)
    assert count() == few
