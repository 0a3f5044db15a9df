"""seed_demo (realistic, consistent, fast demo data) and setup_demo (what bin/start runs each time)."""

import datetime
import itertools
import os
import re
import sqlite3
import subprocess
import sys
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import CharField, Count, F, JSONField, Max, Sum, TextField
from django.utils import timezone

from channels.models import AMAZON_FORCED_DAYS, Channel
from coldstorage import keys
from customers.models import Address, Customer, CustomerEmail, CustomerPhone, CustomerSource
from demo.generator import DEMO_CHANNELS, LAYOUT, DemoChannel, DemoGenerator
from demo.management.commands import seed_demo
from orders.models import NumberSequence, Order, OrderEvent, OrderStatus
from personal.cards import contains_card_number
from tests.test_permissions import ENDPOINTS

pytestmark = pytest.mark.django_db


def seed(orders: int, **options) -> str:
    out = StringIO()
    call_command("seed_demo", orders=orders, stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def seeded(db):
    seed(400, seed=5)


def test_it_creates_the_orders_and_the_channels(seeded):
    assert Order.objects.count() == 400
    assert set(Channel.objects.values_list("name", flat=True)) == {n for n, _k, _w in DEMO_CHANNELS}
    amazon = Channel.objects.get(name="Amazon")
    assert amazon.kind == Channel.Kind.AMAZON
    assert amazon.auto_anonymize and amazon.auto_anonymize_days == AMAZON_FORCED_DAYS
    assert Order.objects.values("channel").distinct().count() == 6


def test_addresses_belong_to_the_order_customer(seeded):
    assert not Order.objects.exclude(billing_entry__customer=F("customer")).exists()
    assert not Order.objects.exclude(shipping_entry__customer=F("customer")).exists()
    assert Order.objects.exclude(billing_entry=F("shipping_entry")).exists()


def test_totals_are_the_sum_of_the_items(seeded):
    orders = Order.objects.annotate(
        items_total=Sum(F("items__unit_price") * F("items__quantity")), n_items=Count("items")
    )
    for order in orders:
        assert 1 <= order.n_items <= 4
        assert order.total == order.items_total, order.number
        assert order.currency == "EUR"
    rates = set(Order.objects.values_list("items__tax_rate", flat=True))
    assert {float(rate) for rate in rates} == {7.0, 19.0}


def test_dates_follow_the_status(seeded):
    now = timezone.now()
    statuses = set()
    for order in Order.objects.all():
        statuses.add(order.status)
        paid, invoiced, shipped = order.payment_date, order.invoice_date, order.delivery_date
        assert now - datetime.timedelta(days=3 * 366) < order.order_date <= now
        if order.status == OrderStatus.NEW:
            assert paid is None and invoiced is None and shipped is None
        if order.status == OrderStatus.PAID:
            assert paid and invoiced is None and shipped is None
        if order.status == OrderStatus.INVOICED:
            assert paid and invoiced and shipped is None
        if order.status in (OrderStatus.SHIPPED, OrderStatus.ARCHIVED):
            assert paid and invoiced and shipped and order.tracking_number
        if order.status == OrderStatus.CANCELLED:
            assert invoiced is None and shipped is None
        dates = [d for d in (order.order_date, paid, invoiced, shipped) if d]
        assert dates == sorted(dates) and dates[-1] <= now
        assert bool(order.invoice_number) == bool(invoiced)
        assert bool(order.tracking_number) == bool(shipped)
        assert order.privacy_state == "active"
    assert {OrderStatus.SHIPPED, OrderStatus.ARCHIVED, OrderStatus.CANCELLED} <= statuses


def test_invoice_numbers_count_per_year_and_the_sequences_follow(seeded):
    by_year: dict[int, list[int]] = {}
    for number, invoiced in Order.objects.filter(invoice_number__isnull=False).values_list(
        "invoice_number", "invoice_date"
    ):
        match = re.fullmatch(r"RE-(\d{4})-(\d{5})", number)
        assert match, number
        assert int(match[1]) == timezone.localtime(invoiced).year
        by_year.setdefault(int(match[1]), []).append(int(match[2]))
    for year, numbers in by_year.items():
        assert sorted(numbers) == list(range(1, len(numbers) + 1))
        assert NumberSequence.objects.get(name=f"invoice-{year}").last_value == len(numbers)


def test_running_numbers_are_unique_and_rise_with_the_order_date(seeded):
    numbers = list(Order.objects.order_by("order_date", "id").values_list("number", flat=True))
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))


def test_customers_have_several_orders_channels_and_addresses(seeded):
    customers = Customer.objects.annotate(
        n_orders=Count("orders", distinct=True),
        n_channels=Count("orders__channel", distinct=True),
        n_addresses=Count("addresses", distinct=True),
        n_emails=Count("emails", distinct=True),
        n_phones=Count("phones", distinct=True),
    )
    assert all(c.n_orders >= 1 for c in customers)
    assert all(1 <= c.n_addresses <= 3 for c in customers)
    assert all(1 <= c.n_emails <= 2 and c.n_phones <= 2 for c in customers)
    single = sum(c.n_orders == 1 for c in customers)
    assert 0.45 < single / len(customers) < 0.8
    assert any(c.n_channels >= 2 for c in customers)
    assert any(c.n_addresses >= 2 for c in customers)
    assert max(c.n_orders for c in customers) <= 6
    # Every channel a customer ordered from is one of its sources.
    for customer_id, channel_id in Order.objects.values_list("customer", "channel").distinct():
        assert CustomerSource.objects.filter(customer=customer_id, channel=channel_id).exists()


def test_customer_data_looks_german_and_holds_only_tokens(seeded):
    customers = list(Customer.objects.all())
    assert any(c.company for c in customers)
    assert any(re.fullmatch(r"DE\d{9}", c.vat_id) for c in customers)
    assert any(c.birth_date for c in customers)
    assert any(c.extra_fields for c in customers)
    for customer in customers:
        assert set(customer.extra_fields) <= {"Affiliate-Code", "Kostenstelle"}
        assert customer.psp_token == "" or customer.psp_token.startswith(("pm_", "tok_"))
    countries = Counter(Address.objects.values_list("country", flat=True))
    assert countries.most_common(1)[0][0] == "DE"
    assert set(countries) <= {"DE", "AT", "CH", "NL", "FR"}
    assert all(re.fullmatch(r"\d{5}", pc) for pc in Address.objects.filter(
        country="DE").values_list("postcode", flat=True))  # fmt: skip
    assert all(p.startswith("+") for p in CustomerPhone.objects.values_list("number", flat=True))
    assert all("@" in e for e in CustomerEmail.objects.values_list("email", flat=True))
    amazon = Order.objects.filter(channel__kind=Channel.Kind.AMAZON).values_list(
        "external_number", flat=True
    )
    assert all(re.fullmatch(r"\d{3}-\d{7}-\d{7}", n) for n in amazon)
    ebay = Order.objects.filter(channel__kind=Channel.Kind.EBAY).values_list(
        "external_number", flat=True
    )
    assert all(re.fullmatch(r"\d{2}-\d{5}-\d{5}", n) for n in ebay)
    shopify = Order.objects.filter(channel__kind=Channel.Kind.SHOPIFY).values_list(
        "external_number", flat=True
    )
    assert all(re.fullmatch(r"#\d{4,}", n) for n in shopify)


def test_each_order_has_one_created_event_without_personal_data(seeded):
    assert OrderEvent.objects.count() == 400
    assert not Order.objects.annotate(n=Count("events")).exclude(n=1).exists()
    assert set(OrderEvent.objects.values_list("kind", "actor_label", "detail", "actor")) == {
        (OrderEvent.Kind.CREATED, "Import", "", None)
    }
    assert Order.objects.filter(messages__isnull=False).exists()
    assert Order.objects.exclude(notes="").exists()


def test_no_card_numbers_anywhere(seeded):
    checked = 0
    for model in LAYOUT:
        text_fields = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, CharField | TextField | JSONField)
        ]
        for row in model.objects.values_list(*text_fields):
            for value in row:
                text = str(value) if value is not None else ""
                assert not contains_card_number(text), (model.__name__, text)
                checked += 1
    assert checked > 10_000


def test_running_twice_continues_the_numbering(db):
    seed(60, seed=1)
    first = set(Order.objects.values_list("number", flat=True))
    first_customers = set(Customer.objects.values_list("number", flat=True))
    first_invoices = NumberSequence.objects.filter(name__startswith="invoice-").aggregate(
        n=Sum("last_value")
    )["n"]

    seed(60, seed=1)

    numbers = set(Order.objects.values_list("number", flat=True))
    assert len(numbers) == 120
    assert min(numbers - first) == max(first) + 1
    assert min(set(Customer.objects.values_list("number", flat=True)) - first_customers) > max(
        first_customers
    )
    invoiced = Order.objects.filter(invoice_number__isnull=False)
    assert invoiced.values("invoice_number").distinct().count() == invoiced.count()
    assert (
        NumberSequence.objects.filter(name__startswith="invoice-").aggregate(n=Sum("last_value"))[
            "n"
        ]
        == invoiced.count()
        > first_invoices
    )
    # Shop-style external numbers continue per channel too.
    shopify = Order.objects.filter(channel__kind=Channel.Kind.SHOPIFY)
    assert shopify.values("external_number").distinct().count() == shopify.count()


def test_channels_can_be_chosen(db):
    seed(30, seed=2, channels=["amazon,shop", "eBay"])
    assert set(Order.objects.values_list("channel__name", flat=True).distinct()) <= {
        "Amazon",
        "Eigener Shop",
        "eBay",
    }
    with pytest.raises(CommandError, match="unknown channel"):
        seed(10, channels=["otto"])


def test_the_same_seed_gives_the_same_data():
    channels = [
        DemoChannel(id=i, kind=kind.value, weight=weight, serial=0)
        for i, (_name, kind, weight) in enumerate(DEMO_CHANNELS, 1)
    ]
    now = datetime.datetime(2026, 3, 1, 12, tzinfo=datetime.UTC)

    def rows(seed_value: int) -> list:
        counter = itertools.count(1)
        generator = DemoGenerator(
            seed=seed_value,
            channels=[DemoChannel(**vars(c)) for c in channels],
            now=now,
            first_order_number=1,
            first_customer_number=1,
            next_id=lambda model: next(counter),
        )
        generator.plan(500)
        return [
            (model.__name__, list(map(tuple, batch.rows[model])))
            for batch in generator.batches(200)
            for model in LAYOUT
        ]

    assert rows(11) == rows(11)
    assert rows(11) != rows(12)


def test_the_row_layout_covers_every_column():
    """A new column must be filled by the generator (COPY would leave it NULL or fail)."""
    for model, columns in LAYOUT.items():
        assert set(columns) == {f.attname for f in model._meta.concrete_fields}, model.__name__


@pytest.mark.skipif(connection.vendor != "postgresql", reason="bulk mode is PostgreSQL only")
def test_bulk_mode_rebuilds_indexes_and_foreign_keys(db, monkeypatch):
    def definitions() -> set:
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT indexdef FROM pg_indexes WHERE tablename = ANY(%s)
                UNION ALL
                SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
                FROM pg_constraint WHERE conrelid::regclass::text = ANY(%s)
                """,
                [[m._meta.db_table for m in LAYOUT]] * 2,
            )
            return {row[0] for row in cursor.fetchall()}

    before = definitions()
    monkeypatch.setattr(seed_demo, "BULK_MIN_ORDERS", 100)
    output = seed(150, seed=3, batch_size=50)
    assert "Bulk load" in output and "Rebuilding" in output
    assert definitions() == before
    assert Order.objects.count() == 150


@pytest.mark.skipif(connection.vendor == "sqlite", reason="the suite runs on SQLite already")
def test_it_falls_back_to_executemany_on_sqlite(tmp_path):
    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL")}
    env.update(VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings")
    for command in (["migrate", "-v0"], ["seed_demo", "--orders", "120", "--seed", "4"]):
        subprocess.run(
            [sys.executable, "manage.py", *command], cwd=root, env=env, check=True, timeout=300
        )
    with sqlite3.connect(tmp_path / "orderdesk.sqlite3") as db:
        assert db.execute(
            "SELECT count(*), count(DISTINCT number) FROM orders_order"
        ).fetchone() == (
            120,
            120,
        )
        assert db.execute(
            "SELECT count(*) FROM orders_order o JOIN customers_address a"
            " ON a.id = o.shipping_entry_id WHERE a.customer_id <> o.customer_id"
        ).fetchone() == (0,)


# -- setup_demo ----------------------------------------------------------------------------------


@pytest.fixture
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def setup_demo(orders: int = 0) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("setup_demo", orders=orders, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_setup_demo_is_idempotent(fast_passwords):
    setup_demo(orders=25)
    out, err = setup_demo(orders=25)

    assert Order.objects.count() == 25
    assert "http://127.0.0.1:8000/" in out and "demo-Passwort-2026" in out
    assert err == ""
    users = get_user_model().objects
    demo = users.get(username="demo")
    assert users.filter(username="demo").count() == 1
    assert demo.is_staff and demo.is_superuser and demo.check_password("demo-Passwort-2026")
    assert list(demo.groups.values_list("name", flat=True)) == ["Händler"]
    staff = users.get(username="mitarbeiter")
    assert not staff.is_staff and not staff.is_superuser
    assert list(staff.groups.values_list("name", flat=True)) == ["Mitarbeiter"]
    bookkeeper = users.get(username="buchhaltung")
    assert not bookkeeper.is_staff and not bookkeeper.is_superuser
    assert list(bookkeeper.groups.values_list("name", flat=True)) == ["Buchhaltung"]
    assert Group.objects.filter(name__in=["Händler", "Mitarbeiter", "Buchhaltung"]).count() == 3


def test_setup_demo_groups_have_the_right_permissions(fast_passwords):
    setup_demo()
    merchant_permissions = Permission.objects.filter(
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

    def codenames(group: str) -> set[str]:
        return {
            f"{app}.{code}"
            for app, code in Group.objects.get(name=group).permissions.values_list(
                "content_type__app_label", "codename"
            )
        }

    merchant, staff = codenames("Händler"), codenames("Mitarbeiter")
    assert merchant == {
        f"{app}.{code}"
        for app, code in merchant_permissions.values_list("content_type__app_label", "codename")
    }
    assert {"orders.anonymize_order", "orders.restore_order", "orders.export_order"} <= merchant
    privacy_office = {name for name in merchant if name.startswith("privacyoffice.")}
    assert privacy_office  # the owner answers data subject requests
    assert staff == merchant - {"orders.restore_order"} - privacy_office
    assert not get_user_model().objects.get(username="mitarbeiter").has_perm("orders.restore_order")
    assert get_user_model().objects.get(username="mitarbeiter").has_perm("orders.anonymize_order")
    # Every right of the merchant pages (tests/test_permissions.py) is among them.
    needed = {name for endpoint in ENDPOINTS for name in endpoint.permissions}
    assert needed <= merchant
    assert needed - staff == {"orders.restore_order"} | (needed & privacy_office)
    assert {
        "orders.change_order",
        "orders.issue_invoice",
        "orders.ship_order",
        "customers.view_personal_data",
        "documents.change_companysettings",
    } <= staff


def test_setup_demo_fills_the_company_settings_and_numbers_after_the_seeded_invoices(
    fast_passwords,
):
    from documents.models import CompanySettings

    CompanySettings.objects.update_or_create(pk=1, defaults={"name": "Eigene Firma GmbH"})
    setup_demo(orders=40)

    company = CompanySettings.load()
    assert company.name == "Eigene Firma GmbH"  # what the merchant filled in stays
    assert company.missing_fields() == []
    highest = NumberSequence.objects.filter(name__startswith="invoice-").aggregate(
        m=Max("last_value")
    )["m"]
    assert highest and company.next_invoice_number == highest + 1


def test_the_bookkeeping_group_reads_without_personal_data(fast_passwords):
    setup_demo()
    bookkeeper = get_user_model().objects.get(username="buchhaltung")

    assert bookkeeper.has_perms(
        ["orders.view_order", "channels.view_channel", "documents.view_companysettings"]
    )
    for write_or_personal in (
        "documents.change_companysettings",
        "customers.view_personal_data",
        "customers.view_customer",
        "orders.change_order",
        "orders.issue_invoice",
        "orders.ship_order",
        "orders.anonymize_order",
        "orders.restore_order",
        "channels.change_channel",
    ):
        assert not bookkeeper.has_perm(write_or_personal), write_or_personal


@pytest.fixture
def key_settings(settings, tmp_path):
    settings.COLDSTORAGE_KEYS = ""
    settings.COLDSTORAGE_KEY_FILE = tmp_path / "var" / "coldstorage.keys"
    keys.reset_cache()
    yield settings
    keys.reset_cache()


def test_setup_demo_creates_the_key_file_when_missing(key_settings, fast_passwords):
    path = key_settings.COLDSTORAGE_KEY_FILE
    _out, err = setup_demo()

    assert path.exists() and path.stat().st_mode & 0o777 == 0o600
    assert "WARNING" in err and str(path) in err
    assert "back" in err.lower() and "COLDSTORAGE_KEYS" in err
    assert keys.keyring().current_id in path.read_text()


def test_setup_demo_keeps_an_existing_key_file(key_settings, fast_passwords):
    path = key_settings.COLDSTORAGE_KEY_FILE
    keys.create_key_file(path)
    before = path.read_text()

    _out, err = setup_demo()

    assert path.read_text() == before and err == ""


def test_setup_demo_creates_no_file_when_keys_are_configured(key_settings, fast_passwords):
    key_settings.COLDSTORAGE_KEYS = keys.new_key_line("prod1")
    _out, err = setup_demo()
    assert not key_settings.COLDSTORAGE_KEY_FILE.exists() and err == ""


def test_setup_demo_refuses_broken_keys(key_settings, fast_passwords):
    key_settings.COLDSTORAGE_KEYS = "not-a-key"
    with pytest.raises(CommandError):
        setup_demo()
