"""Every URL of the merchant pages checks its permission on the server.

ENDPOINTS names, for each URL of the URLconf (the support admin has its own tests), what a
request needs. The tests walk the URLconf: a URL missing from the table fails, and for each
entry a user lacking any one of its permissions gets 403 and changes nothing, an anonymous user
is sent to the login and changes nothing, and a user holding exactly its permissions gets the
page or has the action done.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from automation.models import Action, Firing, Rule
from channels.models import Channel
from coldstorage.models import ColdRecord
from customers.models import Customer, CustomerEmail
from documents.models import CompanySettings, Document
from notifications.models import NotificationText, OutgoingMail, SmtpServer
from orders.importing.uploads import import_upload_create
from orders.models import ImportUpload, Invoice, NumberSequence, Order, OrderEvent, PrivacyJob
from orders.privacy.jobs import privacy_job_anonymize
from orders.privacy.selection import Selection
from orders.services import order_create_invoice
from personal.state import PrivacyState
from privacyoffice.models import ErasureRequest, SubjectReport
from tests.conftest import BOTH_DATABASES
from tests.customers.edit_form import edit_payload
from tests.factories import (
    ChannelFactory,
    CustomerEmailFactory,
    OrderFactory,
    OrderItemFactory,
    UserFactory,
)

pytestmark = [pytest.mark.django_db(databases=BOTH_DATABASES), pytest.mark.usefixtures("company")]

#: URLs that need no permission: logging in and out, the language, the start page's redirect,
#: the icon.
NO_PERMISSION = {"home", "login", "logout", "set_language", "favicon"}
MERCHANT_APPS = (
    "orders",
    "customers",
    "channels",
    "automation",
    "documents",
    "notifications",
    "privacyoffice",
)
VIEW_ORDER = "orders.view_order"
CUSTOMER_PAGES = ("customers.view_customer", "customers.view_personal_data")


@dataclass
class World:
    """What the requests act on: an active order, an invoiced one, an anonymized one, a job of
    someone else's, a customer, a channel."""

    active: Order
    invoiced: Order
    anonymized: Order
    job: PrivacyJob
    customer: Customer
    channel: Channel
    #: An import file of the user who holds exactly an endpoint's permissions ("genau-diese").
    upload: ImportUpload | None = None
    #: An automation rule: restored → set status "archived".
    rule: Rule | None = None
    text: NotificationText | None = None
    #: An SMTP server on a closed port: a test mail fails at once.
    server: SmtpServer | None = None
    #: An open Löschanfrage of the customer (its only order is not finished yet).
    erasure: ErasureRequest | None = None


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    #: All of them are needed.
    permissions: tuple[str, ...]
    #: The URL's arguments and the request's data, from the world.
    request: Callable[[World], tuple[tuple, dict]] = lambda world: ((), {})
    htmx: bool = False
    #: A permitted request changes the database; any other changes nothing.
    writes: bool = False

    def __str__(self) -> str:
        return f"{self.method} {self.name}"


def _order_edit(world: World) -> tuple[tuple, dict]:
    order = world.active
    data = {}
    for role, address in (("billing", order.billing_address), ("shipping", order.shipping_address)):
        for name, value in address.as_dict().items():
            data[f"{role}-{name}"] = value
    data |= {
        "order-buyer_email": order.buyer_email,
        "order-buyer_phone": order.buyer_phone,
        "order-status": order.status,
        "order-notes": "Neue Notiz",
        "order-version": str(order.version),
    }
    return (order.pk,), data


def _range(world: World) -> tuple[tuple, dict]:
    today = timezone.localdate()
    return (), {
        "range-date_field": "order_date",
        "range-date_from": (today - datetime.timedelta(days=30)).isoformat(),
        "range-date_to": today.isoformat(),
    }


def _company_form(world: World) -> tuple[tuple, dict]:
    from tests.conftest import COMPANY

    company = CompanySettings.load()
    return (), {
        **COMPANY,
        "name": "Umbenannt GmbH",
        "invoice_number_format": company.invoice_number_format,
        "next_invoice_number": str(company.next_invoice_number),
        "version": str(company.version),
    }


def _document(world: World) -> tuple[tuple, dict]:
    return (world.invoiced.pk, Document.objects.get(order=world.invoiced).pk), {}


SHOPIFY_SAMPLE = Path(__file__).parent / "orders" / "fixtures" / "shopify_orders_export.csv"


def _import_file(world: World) -> tuple[tuple, dict]:
    upload = SimpleUploadedFile("orders_export.csv", SHOPIFY_SAMPLE.read_bytes(), "text/csv")
    return (), {"file": upload, "channel": world.channel.pk, "skip_duplicates": "on"}


def _channel_form(world: World) -> tuple[tuple, dict]:
    return (world.channel.pk,), {"name": "Umbenannt", "kind": "shop"}


def _run_policy(world: World) -> tuple[tuple, dict]:
    # The world's channel has a policy of 0 days: its active orders are due, a run starts a job.
    return (world.channel.pk,), {"days": "0"}


def _rule_form(world: World) -> tuple[tuple, dict]:
    args = (world.rule.pk,) if world.rule else ()
    return args, {
        "name": "Regel Perm",
        "trigger": "restored",
        "match": "all",
        "position": "0",
        "version": str(world.rule.version),
        "action-count": "1",
        "action-0-kind": "set_status",
        "action-0-status": "archived",
    }


def _text_form(world: World) -> tuple[tuple, dict]:
    text = world.text
    return (text.pk,), {
        "name": "Umbenannt",
        "subject": "Bestellung {OrderNumber}",
        "body_text": "Hallo {CustomerName}",
        "body_html": "",
        "version": str(text.version),
    }


def _server_form(world: World) -> tuple[tuple, dict]:
    server = world.server
    return (server.pk,), {
        "name": "Umbenannt",
        "sender": server.sender,
        "host": server.host,
        "port": str(server.port),
        "security": server.security,
        "username": "",
        "password": "",
        "is_active": "on",
        "version": str(server.version),
    }


NEW_SERVER = {
    "name": "Neuer Server",
    "sender": "shop@example.org",
    "host": "smtp.example.org",
    "port": "587",
    "security": "starttls",
    "username": "shop",
    "password": "geheim",
    "is_active": "on",
}
TEXTS = "notifications.view_notificationtext"
SUBJECT_REPORT = "privacyoffice.view_subject_report"
ERASURE = "privacyoffice.handle_erasure_request"
SERVERS = "notifications.view_smtpserver"

ENDPOINTS = (
    Endpoint("orders:list", "GET", (VIEW_ORDER,)),
    Endpoint("orders:detail", "GET", (VIEW_ORDER,), lambda w: ((w.active.pk,), {})),
    Endpoint(
        "orders:detail",
        "POST",
        (VIEW_ORDER, "orders.change_order", "customers.view_personal_data"),
        _order_edit,
        writes=True,
    ),
    Endpoint("orders:invoice", "GET", (VIEW_ORDER,), lambda w: ((w.invoiced.pk,), {})),
    Endpoint(
        "orders:invoice_create",
        "POST",
        ("orders.issue_invoice",),
        lambda w: ((w.active.pk,), {}),
        writes=True,
    ),
    Endpoint(
        "orders:ship",
        "POST",
        ("orders.ship_order",),
        lambda w: ((w.active.pk,), {"tracking_number": "00340434161094042557"}),
        writes=True,
    ),
    Endpoint(
        "orders:anonymize",
        "POST",
        ("orders.anonymize_order",),
        lambda w: ((w.active.pk,), {}),
        writes=True,
    ),
    Endpoint(
        "orders:restore",
        "POST",
        ("orders.restore_order",),
        lambda w: ((w.anonymized.pk,), {}),
        writes=True,
    ),
    Endpoint(
        "orders:privacy_banner",
        "GET",
        (VIEW_ORDER,),
        lambda w: ((w.anonymized.pk,), {}),
        htmx=True,
    ),
    Endpoint("orders:privacy_anonymize", "GET", ("orders.anonymize_order",)),
    Endpoint(
        "orders:privacy_anonymize",
        "POST",
        ("orders.anonymize_order",),
        lambda w: ((), {"ids": [w.active.pk]}),
        writes=True,
    ),
    Endpoint("orders:privacy_anonymize_count", "GET", ("orders.anonymize_order",), _range),
    Endpoint("orders:privacy_restore", "GET", ("orders.restore_order",)),
    Endpoint(
        "orders:privacy_restore",
        "POST",
        ("orders.restore_order",),
        lambda w: ((), {"ids": [w.anonymized.pk]}),
        writes=True,
    ),
    Endpoint("orders:privacy_restore_count", "GET", ("orders.restore_order",), _range),
    # Someone else's job: its kind's permission (the one who started it may always look).
    Endpoint(
        "orders:privacy_job",
        "GET",
        ("orders.anonymize_order",),
        lambda w: ((w.job.pk,), {}),
    ),
    Endpoint("orders:privacy_jobs", "GET", (VIEW_ORDER,)),
    Endpoint("orders:select_matching", "GET", (VIEW_ORDER,), lambda w: ((), {"select": "1"})),
    Endpoint("orders:list_count", "GET", (VIEW_ORDER,)),
    Endpoint("orders:export", "GET", (VIEW_ORDER, "orders.export_order")),
    Endpoint(
        "orders:export",
        "POST",
        (VIEW_ORDER, "orders.export_order"),
        lambda w: ((), {"ids": [w.active.pk, w.anonymized.pk]}),
    ),
    Endpoint("orders:export_dialog", "GET", (VIEW_ORDER, "orders.export_order"), htmx=True),
    Endpoint("orders:import", "GET", ("orders.add_order",)),
    Endpoint("orders:import", "POST", ("orders.add_order",), _import_file, writes=True),
    Endpoint(
        "orders:import_preview",
        "GET",
        ("orders.add_order",),
        lambda w: ((w.upload.token,), {}),
    ),
    Endpoint(
        "orders:import_confirm",
        "POST",
        ("orders.add_order",),
        lambda w: ((w.upload.token,), {}),
        writes=True,
    ),
    Endpoint(
        "orders:import_discard",
        "POST",
        ("orders.add_order",),
        lambda w: ((w.upload.token,), {}),
        writes=True,
    ),
    Endpoint("customers:list", "GET", CUSTOMER_PAGES),
    Endpoint("customers:detail", "GET", CUSTOMER_PAGES, lambda w: ((w.customer.pk,), {})),
    Endpoint(
        "customers:detail",
        "POST",
        (*CUSTOMER_PAGES, "customers.change_customer"),
        lambda w: ((w.customer.pk,), edit_payload(w.customer, first_name="Erika-Maria")),
        writes=True,
    ),
    Endpoint("channels:list", "GET", ("channels.view_channel",)),
    Endpoint("channels:create", "GET", ("channels.add_channel",)),
    Endpoint(
        "channels:create",
        "POST",
        ("channels.add_channel",),
        lambda w: ((), {"name": "Neuer Shop", "kind": "shop"}),
        writes=True,
    ),
    Endpoint("channels:edit", "GET", ("channels.change_channel",), _channel_form),
    Endpoint("channels:edit", "POST", ("channels.change_channel",), _channel_form, writes=True),
    Endpoint(
        "channels:run_policy",
        "POST",
        ("channels.view_channel", "orders.anonymize_order"),
        _run_policy,
        writes=True,
    ),
    Endpoint("automation:list", "GET", ("automation.view_rule",)),
    Endpoint("automation:create", "GET", ("automation.add_rule",)),
    Endpoint(
        "automation:create",
        "POST",
        ("automation.add_rule",),
        lambda w: ((), _rule_form(w)[1]),
        writes=True,
    ),
    Endpoint("automation:edit", "GET", ("automation.change_rule",), lambda w: ((w.rule.pk,), {})),
    Endpoint("automation:edit", "POST", ("automation.change_rule",), _rule_form, writes=True),
    Endpoint(
        "automation:delete",
        "POST",
        ("automation.delete_rule",),
        lambda w: ((w.rule.pk,), {"version": str(w.rule.version)}),
        writes=True,
    ),
    Endpoint(
        "automation:run_dialog",
        "GET",
        ("automation.view_rule", "orders.change_order"),
        lambda w: ((), {"ids": [w.active.pk], "rule": w.rule.pk}),
        htmx=True,
    ),
    Endpoint(
        "automation:run",
        "POST",
        ("automation.view_rule", "orders.change_order"),
        lambda w: ((), {"ids": [w.active.pk], "rule": w.rule.pk}),
        writes=True,
    ),
    Endpoint("documents:company", "GET", ("documents.view_companysettings",)),
    Endpoint(
        "documents:company",
        "POST",
        ("documents.view_companysettings", "documents.change_companysettings"),
        _company_form,
        writes=True,
    ),
    Endpoint("documents:pdf", "GET", (VIEW_ORDER, "customers.view_personal_data"), _document),
    Endpoint(
        "documents:invoice_cancel",
        "POST",
        ("orders.issue_invoice",),
        lambda w: ((w.invoiced.pk,), {}),
        writes=True,
    ),
    Endpoint(
        "documents:delivery_note",
        "POST",
        ("orders.ship_order",),
        lambda w: ((w.active.pk,), {}),
        writes=True,
    ),
    Endpoint("notifications:texts", "GET", (TEXTS,)),
    Endpoint("notifications:text_create", "GET", ("notifications.add_notificationtext",)),
    Endpoint(
        "notifications:text_create",
        "POST",
        ("notifications.add_notificationtext",),
        lambda w: ((), {"name": "Neu", "subject": "{OrderNumber}", "body_text": "Hallo"}),
        writes=True,
    ),
    Endpoint(
        "notifications:text_edit", "GET", ("notifications.change_notificationtext",), _text_form
    ),
    Endpoint(
        "notifications:text_edit",
        "POST",
        ("notifications.change_notificationtext",),
        _text_form,
        writes=True,
    ),
    Endpoint(
        "notifications:text_delete",
        "POST",
        ("notifications.delete_notificationtext",),
        lambda w: ((w.text.pk,), {}),
        writes=True,
    ),
    Endpoint(
        "notifications:text_preview",
        "GET",
        (TEXTS, VIEW_ORDER),
        lambda w: ((), {"order": w.active.number, "subject": "{OrderNumber}", "body_text": "x"}),
        htmx=True,
    ),
    Endpoint("notifications:servers", "GET", (SERVERS,)),
    Endpoint("notifications:server_create", "GET", ("notifications.add_smtpserver",)),
    Endpoint(
        "notifications:server_create",
        "POST",
        ("notifications.add_smtpserver",),
        lambda w: ((), NEW_SERVER),
        writes=True,
    ),
    Endpoint(
        "notifications:server_edit", "GET", ("notifications.change_smtpserver",), _server_form
    ),
    Endpoint(
        "notifications:server_edit",
        "POST",
        ("notifications.change_smtpserver",),
        _server_form,
        writes=True,
    ),
    Endpoint(
        "notifications:server_delete",
        "POST",
        ("notifications.delete_smtpserver",),
        lambda w: ((w.server.pk,), {}),
        writes=True,
    ),
    Endpoint("privacyoffice:search", "GET", (SUBJECT_REPORT,), lambda w: ((), {"q": "700001"})),
    Endpoint("privacyoffice:customer", "GET", (SUBJECT_REPORT,), lambda w: ((w.customer.pk,), {})),
    # A report writes its audit row.
    Endpoint(
        "privacyoffice:report",
        "GET",
        (SUBJECT_REPORT,),
        lambda w: ((w.customer.pk,), {}),
        writes=True,
    ),
    Endpoint(
        "privacyoffice:report_json",
        "GET",
        (SUBJECT_REPORT,),
        lambda w: ((w.customer.pk,), {}),
        writes=True,
    ),
    Endpoint(
        "privacyoffice:erasure_create",
        "POST",
        (ERASURE,),
        lambda w: ((w.customer.pk,), {"received_on": "2026-01-02", "received_via": "email"}),
        writes=True,
    ),
    Endpoint("privacyoffice:erasure_list", "GET", ("privacyoffice.view_erasurerequest",)),
    Endpoint(
        "privacyoffice:erasure_detail",
        "GET",
        ("privacyoffice.view_erasurerequest",),
        lambda w: ((w.erasure.pk,), {}),
    ),
    Endpoint(
        "privacyoffice:erasure_rerun",
        "POST",
        (ERASURE,),
        lambda w: ((w.erasure.pk,), {}),
        writes=True,
    ),
    # Sends (and fails: the port is closed), changes nothing stored.
    Endpoint(
        "notifications:server_test",
        "POST",
        ("notifications.change_smtpserver",),
        lambda w: ((w.server.pk,), {"to": "ich@example.org"}),
    ),
)


def _url_names(patterns=None, prefix: str = "") -> set[str]:
    """Every URL name of the URLconf, with its namespace; the support admin left out."""
    names = set()
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            names |= _url_names(pattern.url_patterns, namespace)
        else:
            assert isinstance(pattern, URLPattern)
            assert pattern.name, f"unnamed URL {pattern.pattern}: name it and add it to ENDPOINTS"
            names.add(prefix + pattern.name)
    return names


def _merchant_permissions():
    return Permission.objects.filter(content_type__app_label__in=MERCHANT_APPS)


def _names(queryset) -> set[str]:
    return {
        f"{app}.{codename}"
        for app, codename in queryset.values_list("content_type__app_label", "codename")
    }


def _login(client, username: str, permissions) -> None:
    user = UserFactory(username=username)
    user.user_permissions.set(permissions)
    client.force_login(user)


@pytest.fixture
def world(settings) -> World:
    # One connection: the order page's anonymize runs its job here, inside the test's transaction.
    settings.PRIVACY_JOB_THREADS = 1
    # A policy of 0 days: "Jetzt ausführen" has due orders to start a job for.
    channel = ChannelFactory(name="Shop Perm", auto_anonymize=True, auto_anonymize_days=0)
    active = OrderFactory(channel=channel, number=700001)
    OrderItemFactory(order=active)
    invoiced = OrderFactory(channel=channel, number=700002)
    OrderItemFactory(order=invoiced)
    order_create_invoice(order=invoiced, actor=None)
    anonymized = OrderFactory(channel=channel, number=700003)
    now = timezone.now()
    Order.objects.filter(pk=anonymized.pk).update(
        privacy_state=PrivacyState.ANONYMIZED,
        anonymized_at=now,
        purge_on=datetime.date(now.year + 11, 1, 1),
    )
    CustomerEmailFactory(customer=active.customer, email="erika.perm@example.de")
    job = privacy_job_anonymize(
        selection=Selection.of_ids([invoiced.pk]),
        requested_by=UserFactory(username="jemand-anderes"),
        source="Test",
        background=False,
    )
    active.refresh_from_db()
    # The users the tests log in with (UserFactory gets or creates by name) own an import file
    # each: the endpoint, not the owner check, is what refuses them.
    uploads = {
        name: import_upload_create(
            owner=UserFactory(username=name),
            channel=channel,
            skip_duplicates=True,
            content=SHOPIFY_SAMPLE.read_bytes(),
        )
        for name in ("genau-diese", "alles-ausser", "ohne-rechte")
    }
    rule = Rule.objects.create(name="Archivieren", trigger="restored")
    Action.objects.create(rule=rule, kind="set_status", params={"status": "archived"})
    return World(
        rule=rule,
        active=active,
        invoiced=invoiced,
        anonymized=Order.objects.get(pk=anonymized.pk),
        job=job,
        customer=active.customer,
        channel=channel,
        upload=uploads["genau-diese"],
        text=NotificationText.objects.create(
            name="Versand", subject="Bestellung {OrderNumber}", body_text="Hallo {CustomerName}"
        ),
        erasure=ErasureRequest.objects.create(
            customer=active.customer,
            received_on=datetime.date(2026, 1, 2),
            received_via="email",
            deadline=datetime.date(2026, 2, 2),
            blocked=[{"order": active.pk, "reason": "open"}],
        ),
        server=SmtpServer.objects.create(
            name="Geschlossen", sender="shop@example.org", host="127.0.0.1", port=9, security="none"
        ),
    )


def _state() -> tuple:
    """What any write would change, on both databases."""
    return (
        list(
            Order.objects.order_by("pk").values_list(
                "pk", "version", "status", "privacy_state", "invoice_number", "tracking_number"
            )
        ),
        Invoice.objects.count(),
        OrderEvent.objects.count(),
        list(PrivacyJob.objects.order_by("pk").values_list("pk", "state")),
        list(NumberSequence.objects.values_list("name", "last_value")),
        list(CompanySettings.objects.values_list("version", "next_invoice_number", "name")),
        Document.objects.count(),
        list(Customer.objects.order_by("pk").values_list("pk", "version", "first_name")),
        CustomerEmail.objects.count(),
        list(
            Channel.objects.order_by("pk").values_list(
                "pk", "name", "auto_anonymize", "auto_anonymize_days"
            )
        ),
        ColdRecord.objects.count(),
        ImportUpload.objects.count(),
        list(Rule.objects.order_by("pk").values_list("pk", "version", "name")),
        Firing.objects.count(),
        list(NotificationText.objects.order_by("pk").values_list("pk", "version", "name")),
        list(
            SmtpServer.objects.order_by("pk").values_list(
                "pk", "version", "name", "is_active", "consecutive_failures", "password_key_id"
            )
        ),
        OutgoingMail.objects.count(),
        list(ErasureRequest.objects.order_by("pk").values_list("pk", "state", "last_run_at")),
        SubjectReport.objects.count(),
    )


def _send(client, endpoint: Endpoint, world: World):
    args, data = endpoint.request(world)
    url = reverse(endpoint.name, args=args)
    headers = {"HX-Request": "true"} if endpoint.htmx else {}
    if endpoint.method == "POST":
        return client.post(url, data, headers=headers)
    return client.get(url, data, headers=headers)


def test_the_table_covers_every_url_of_the_urlconf():
    listed = {endpoint.name for endpoint in ENDPOINTS}

    assert _url_names() - NO_PERMISSION == listed


def test_the_table_names_only_permissions_that_exist(db):
    existing = _names(Permission.objects.all())

    for endpoint in ENDPOINTS:
        assert set(endpoint.permissions) <= existing, endpoint


def _denials():
    for endpoint in ENDPOINTS:
        for missing in endpoint.permissions:
            yield pytest.param(endpoint, missing, id=f"{endpoint}-without-{missing}")


@pytest.mark.parametrize(("endpoint", "missing"), list(_denials()))
def test_without_one_of_its_permissions_it_is_refused_and_changes_nothing(
    client, world, endpoint, missing
):
    app_label, codename = missing.split(".")
    _login(
        client,
        "alles-ausser",
        _merchant_permissions().exclude(content_type__app_label=app_label, codename=codename),
    )
    before = _state()

    response = _send(client, endpoint, world)

    assert response.status_code == 403
    assert "Keine Berechtigung" in response.text
    assert f'<code class="muted">{missing}</code>' in response.text  # says what is missing
    assert _state() == before


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_anonymous_users_are_sent_to_the_login_and_change_nothing(client, world, endpoint):
    before = _state()

    response = _send(client, endpoint, world)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert _state() == before


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_user_without_any_permission_gets_nothing_by_any_method(
    client, nobody, world, endpoint, method
):
    client.force_login(nobody)
    before = _state()

    response = _send(client, Endpoint(endpoint.name, method, (), endpoint.request), world)

    assert response.status_code in (403, 405)
    assert _state() == before


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_with_exactly_its_permissions_it_works(client, world, endpoint):
    app_codenames = [name.split(".") for name in endpoint.permissions]
    permissions = Permission.objects.none()
    for app_label, codename in app_codenames:
        permissions |= Permission.objects.filter(
            content_type__app_label=app_label, codename=codename
        )
    _login(client, "genau-diese", permissions)
    before = _state()

    response = _send(client, endpoint, world)

    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 302:
        assert not response.url.startswith(reverse("login"))
    if endpoint.writes:
        assert _state() != before
    else:
        assert _state() == before
