"""The CSV import: Einstellungen → Import (upload, preview, confirm), `manage.py import_orders`,
our own export read back, Shopify's orders_export.csv, and every way a file or a row is refused."""

import csv
import datetime
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from customers.models import Address, Customer, CustomerEmail
from customers.payment_methods import PaymentMethod
from orders.export import ExportOptions, order_export_lines
from orders.importing.reading import ImportFileError
from orders.importing.services import ImportRefusedError, import_preview, orders_import
from orders.importing.uploads import import_upload_create, import_uploads_delete_expired
from orders.models import ImportUpload, Order, OrderEvent, OrderItem, OrderStatus
from orders.privacy.fields import ORDER_FIELDS
from personal.state import ANONYMIZED, PrivacyState
from tests.conftest import permissions
from tests.factories import (
    AddressFactory,
    ChannelFactory,
    CustomerEmailFactory,
    CustomerFactory,
    OrderFactory,
    OrderItemFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

SHOPIFY_SAMPLE = Path(__file__).parent / "fixtures" / "shopify_orders_export.csv"
UPLOAD_URL = reverse("orders:import")
CARD = "4111 1111 1111 1111"


def _aware(year: int, month: int, day: int, hour: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(year, month, day, hour))


def _order(number: int, **kwargs) -> Order:
    customer = CustomerFactory(first_name="Erika", last_name="Mustermann", company="")
    entry = AddressFactory(
        customer=customer,
        street="Hauptstraße",
        house_number="5",
        line2="Hinterhaus",
        postcode="10115",
        city="Berlin",
        country="DE",
    )
    defaults = {
        "customer": customer,
        "billing_entry": entry,
        "shipping_entry": entry,
        "number": number,
        "external_number": f"AMZ-{number}",
        "order_date": _aware(2026, 3, 31, 23),
        "invoice_date": _aware(2026, 4, 1, 10),
        "invoice_number": f"RE-{number}",
        "delivery_date": _aware(2026, 4, 2, 9),
        "status": OrderStatus.INVOICED,
        "payment_method": PaymentMethod.INVOICE,
        "total": Decimal("35.70"),
        "buyer_email": f"kunde{number}@example.com",
    }
    order = OrderFactory(**(defaults | kwargs))
    OrderItemFactory(order=order, sku="BECHER", quantity=2, unit_price=Decimal("12.50"))
    OrderItemFactory(
        order=order,
        sku="=BUCH",
        title="-Kochbuch",
        quantity=1,
        unit_price=Decimal("10.70"),
        tax_rate=Decimal("7.00"),
    )
    return order


def _export(**options) -> bytes:
    lines = order_export_lines(Order.objects.all(), options=ExportOptions(**options))
    return "".join(lines).encode()


def _anonymize(order: Order) -> None:
    """As the privacy engine leaves an order: placeholders in its personal fields."""
    Order.objects.filter(pk=order.pk).update(
        privacy_state=PrivacyState.ANONYMIZED, **{name: ANONYMIZED for name in ORDER_FIELDS}
    )


def _facts(order: Order) -> dict:
    """What must survive a round trip (ids and the running history aside)."""
    return {
        "number": order.number,
        "external_number": order.external_number,
        "order_date": timezone.localdate(order.order_date),
        "invoice_date": timezone.localdate(order.invoice_date) if order.invoice_date else None,
        "delivery_date": timezone.localdate(order.delivery_date) if order.delivery_date else None,
        "status": order.status,
        "payment_method": order.payment_method,
        "invoice_number": order.invoice_number,
        "total": order.total,
        "currency": order.currency,
        "buyer_email": order.buyer_email,
        "billing": order.billing_address.as_dict(),
        "shipping": order.shipping_address.as_dict(),
        "items": [
            (item.sku, item.title, item.quantity, item.unit_price, item.tax_rate)
            for item in order.items.order_by("id")
        ],
    }


def _empty_database() -> None:
    OrderEvent.objects.all().delete()
    OrderItem.objects.all().delete()
    Order.objects.all().delete()
    Address.objects.all().delete()
    Customer.objects.all().delete()


# --- Round trip ------------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", ["excel", "plain"])
def test_an_export_imported_into_an_empty_database_gives_the_same_orders(dialect):
    channel = ChannelFactory(name="Amazon DE")
    _order(500001, channel=channel)
    _order(
        500002,
        channel=channel,
        status=OrderStatus.PAID,
        invoice_number=None,
        invoice_date=None,
        delivery_date=None,
        shipping_country="AT",
        total=Decimal("1234.50"),
    )
    before = [_facts(order) for order in Order.objects.order_by("number")]
    content = _export(dialect=dialect, per_item=True)
    _empty_database()

    result = orders_import(content=content, channel=channel, skip_duplicates=True, actor=None)

    assert result.imported == 2
    after = [_facts(order) for order in Order.objects.order_by("number")]
    assert after == before


def test_a_per_order_export_comes_back_without_items_but_with_its_amounts():
    channel = ChannelFactory(name="Shop")
    _order(500001, channel=channel)
    content = _export(dialect="excel")
    _empty_database()

    orders_import(content=content, channel=channel, skip_duplicates=True, actor=None)

    order = Order.objects.get()
    assert (order.number, order.total, order.items.count()) == (500001, Decimal("35.70"), 0)
    assert order.billing_address.city == "Berlin"


def test_formula_escaped_cells_come_back_as_the_original_text():
    channel = ChannelFactory(name="Shop")
    _order(500001, channel=channel, external_number="=HYPERLINK(1)")
    content = _export(dialect="plain", per_item=True)
    assert b"'=HYPERLINK(1)" in content and b"'=BUCH" in content and b"'-Kochbuch" in content
    _empty_database()

    orders_import(content=content, channel=channel, skip_duplicates=True, actor=None)

    order = Order.objects.get()
    assert order.external_number == "=HYPERLINK(1)"
    assert list(order.items.values_list("sku", "title").order_by("id")) == [
        ("BECHER", "Kaffeebecher Steingut"),
        ("=BUCH", "-Kochbuch"),
    ]


def test_imported_orders_fill_the_address_book_and_match_customers_by_email():
    channel = ChannelFactory(name="Shop")
    _order(500001, channel=channel, buyer_email="Erika@Example.com")
    _order(500002, channel=channel, buyer_email="erika@example.com", shipping_city="Potsdam")
    content = _export(per_item=True)
    _empty_database()
    known = CustomerFactory(first_name="Erika", last_name="M.")
    CustomerEmailFactory(customer=known, email="ERIKA@example.com")

    result = orders_import(content=content, channel=channel, skip_duplicates=True, actor=None)

    assert result.customers_created == 0
    orders = list(Order.objects.order_by("number"))
    assert {order.customer_id for order in orders} == {known.pk}
    book = {(a.city, a.street) for a in Address.objects.filter(customer=known)}
    assert book == {("Berlin", "Hauptstraße"), ("Potsdam", "Hauptstraße")}
    assert orders[0].billing_entry_id == orders[0].shipping_entry_id == orders[1].billing_entry_id
    assert orders[1].shipping_entry.city == "Potsdam"


def test_every_imported_order_gets_the_history_event_imported():
    channel = ChannelFactory(name="Shop")
    _order(500001, channel=channel)
    content = _export(per_item=True)
    _empty_database()
    user = UserFactory(username="importeur")

    orders_import(content=content, channel=channel, skip_duplicates=True, actor=user)

    event = OrderEvent.objects.get()
    assert (event.kind, event.actor, event.params) == (
        OrderEvent.Kind.IMPORTED,
        user,
        {"import": "own"},
    )
    assert event.detail == "Import aus einem OrderDesk-Export"


# --- Anonymized exports ----------------------------------------------------------------------


def _refusal_texts(preview) -> list[str]:
    return [f"{row}: {reason}" for row, reason in preview.refusals]


def test_an_export_with_anonymized_orders_is_refused_and_imports_nothing():
    channel = ChannelFactory(name="Shop")
    _order(500001, channel=channel)
    _anonymize(_order(500002, channel=channel))
    content = _export(per_item=True)
    _empty_database()

    with pytest.raises(ImportRefusedError) as refused:
        orders_import(content=content, channel=channel, skip_duplicates=True, actor=None)

    texts = _refusal_texts(refused.value.preview)
    assert any("[Anonymisiert]" in text for text in texts)
    assert any("Laut Prüfzeichen" in text for text in texts)
    assert {row for row, _reason in refused.value.preview.refusals} == {4, 5}
    assert Order.objects.count() == 0


def test_an_anonymized_export_stays_refused_when_its_placeholders_are_replaced_by_names():
    channel = ChannelFactory(name="Shop")
    _anonymize(_order(500002, channel=channel))
    content = _export(per_item=True, dialect="plain")
    forged = content.replace(ANONYMIZED.encode(), b"Hans Erfunden")
    # …and the privacy column too, so that only the marker can tell.
    forged = forged.replace(b",Anonymisiert,", b",Aktiv,")
    assert ANONYMIZED.encode() not in forged and b"Anonymisiert" not in forged
    _empty_database()

    preview = import_preview(content=forged, channel=channel, skip_duplicates=True)

    assert (preview.refused_count, preview.refused_rows, preview.can_import) == (1, 2, False)
    assert preview.refusals == [
        (
            2,
            "Laut Prüfzeichen stammt die Zeile aus einer anonymisierten Bestellung; anonymisierte "
            "Bestellungen werden nicht importiert, auch nicht mit geänderten Angaben.",
        )
    ]


def test_a_row_whose_marker_was_edited_or_moved_to_another_number_is_refused():
    channel = ChannelFactory(name="Shop")
    _order(500001, channel=channel)
    content = _export(dialect="plain").decode()
    _empty_database()

    for edited in (
        content.replace("500001,", "500009,", 1),  # another number: the marker does not fit
        re.sub(r"OD1-[0-9a-f]{32}", "OD1-" + "0" * 32, content),
        re.sub(r",OD1-[0-9a-f]{32}", ",", content),
    ):
        preview = import_preview(content=edited.encode(), channel=channel, skip_duplicates=True)
        assert preview.refused_count == 1
        assert "Das Prüfzeichen fehlt oder passt nicht" in preview.refusals[0][1]


def test_a_file_in_our_format_without_the_marker_column_is_refused_as_a_whole():
    channel = ChannelFactory(name="Shop")
    _order(500001, channel=channel)
    lines = _export(dialect="plain").decode().split("\r\n")
    without_marker = "\r\n".join(line.rsplit(",", 1)[0] for line in lines if line)

    with pytest.raises(ImportFileError, match="In der Kopfzeile fehlen Spalten: Prüfzeichen"):
        import_preview(content=without_marker.encode(), channel=channel, skip_duplicates=True)


def test_an_order_anonymized_here_is_not_brought_back_by_an_older_export():
    channel = ChannelFactory(name="Shop")
    order = _order(500001, channel=channel, invoice_number=None)
    content = _export(dialect="plain")
    _anonymize(order)

    kept_out = import_preview(content=content, channel=channel, skip_duplicates=True)
    again = import_preview(content=content, channel=channel, skip_duplicates=False)

    assert (kept_out.duplicate_count, kept_out.can_import) == (1, False)
    assert again.refused_count == 1
    assert "anonymisiert" in again.refusals[0][1]


# --- Duplicates ------------------------------------------------------------------------------


def test_duplicates_by_external_number_are_skipped_unless_the_checkbox_is_off():
    channel = ChannelFactory(name="Shop")
    _order(500001, channel=channel, invoice_number=None)
    _order(500002, channel=channel, invoice_number=None)
    content = _export(dialect="plain", per_item=True)
    Order.objects.filter(number=500002).delete()

    skipped = orders_import(content=content, channel=channel, skip_duplicates=True, actor=None)
    assert (skipped.imported, skipped.duplicates_skipped) == (1, 1)
    again = orders_import(content=content, channel=channel, skip_duplicates=False, actor=None)

    assert again.imported == 2
    assert sorted(Order.objects.values_list("external_number", flat=True)) == [
        "AMZ-500001",
        "AMZ-500001",
        "AMZ-500002",
        "AMZ-500002",
    ]
    # The running numbers taken already are not given twice.
    assert Order.objects.values("number").distinct().count() == 4


def test_a_file_of_duplicates_only_has_nothing_to_import():
    channel = ChannelFactory(name="Shop")
    _order(500001, channel=channel)
    content = _export()

    preview = import_preview(content=content, channel=channel, skip_duplicates=True)

    assert (preview.new_count, preview.duplicate_count, preview.can_import) == (0, 1, False)
    with pytest.raises(ImportRefusedError):
        orders_import(content=content, channel=channel, skip_duplicates=True, actor=None)


def test_an_invoice_number_taken_here_refuses_the_row():
    channel = ChannelFactory(name="Shop")
    _order(500001, channel=channel)
    content = _export()
    Order.objects.update(external_number="ANDERS")

    preview = import_preview(content=content, channel=channel, skip_duplicates=True)

    assert preview.refusals == [
        (2, "Die Rechnungsnummer ist in dieser Installation schon vergeben.")
    ]


# --- Shopify ---------------------------------------------------------------------------------


def test_the_shopify_sample_imports_with_items_taxes_addresses_and_statuses():
    channel = ChannelFactory(name="Shopify", kind="shopify")

    result = orders_import(
        content=SHOPIFY_SAMPLE.read_bytes(), channel=channel, skip_duplicates=True, actor=None
    )

    assert (result.imported, result.customers_created) == (3, 3)
    first, second, third = Order.objects.order_by("order_date")
    assert (first.external_number, first.status, first.total) == (
        "#1001",
        "shipped",
        Decimal("40.60"),
    )
    assert first.payment_method == PaymentMethod.CREDIT_CARD
    assert first.order_date == datetime.datetime(2026, 3, 2, 9, 14, 2, tzinfo=datetime.UTC)
    assert first.delivery_date is not None and first.payment_date is not None
    assert list(first.items.values_list("sku", "quantity", "unit_price", "tax_rate")) == [
        ("BECHER-01", 2, Decimal("12.50"), Decimal("19.00")),
        ("BUCH-07", 1, Decimal("10.70"), Decimal("7.00")),
        ("VERSAND", 1, Decimal("4.90"), Decimal("19.00")),
    ]
    assert sum(item.line_total for item in first.items.all()) == first.total
    assert first.billing_address.as_dict() == {
        "first_name": "Erika",
        "last_name": "Mustermann",
        "company": "",
        "street": "Hauptstraße",
        "house_number": "5",
        "line2": "",
        "postcode": "10115",
        "city": "Berlin",
        "state": "BE",
        "country": "DE",
    }
    assert (first.buyer_email, first.buyer_phone) == (
        "erika.mustermann@example.com",
        "+49 30 1234567",
    )
    assert (second.status, second.payment_method, second.notes) == (
        "new",
        PaymentMethod.PREPAYMENT,
        "Bitte nicht vor 17 Uhr liefern",
    )
    assert second.billing_address.company == "Beispiel GmbH"
    assert (second.billing_address.house_number, second.billing_address.line2) == (
        "12a",
        "Hinterhaus",
    )
    assert (second.shipping_address.full_name, second.shipping_address.city) == (
        "Maria Beispiel",
        "Köln",
    )
    assert (third.status, third.payment_method, third.billing_country) == (
        "cancelled",
        "paypal",
        "AT",
    )
    assert third.shipping_address == third.billing_address
    assert list(third.items.values_list("tax_rate", flat=True)) == [Decimal("20.00")] * 2
    assert CustomerEmail.objects.filter(email="max.beispiel@example.com").count() == 1
    assert Address.objects.filter(customer=second.customer).count() == 2


def test_the_shopify_sample_again_is_all_duplicates():
    channel = ChannelFactory(name="Shopify", kind="shopify")
    content = SHOPIFY_SAMPLE.read_bytes()
    orders_import(content=content, channel=channel, skip_duplicates=True, actor=None)

    preview = import_preview(content=content, channel=channel, skip_duplicates=True)

    assert (preview.new_count, preview.duplicate_count, preview.row_count) == (0, 3, 4)


# --- Broken files ----------------------------------------------------------------------------


def _shopify_text() -> str:
    return SHOPIFY_SAMPLE.read_text(encoding="utf-8")


def _broken_files() -> dict[str, tuple[bytes, str]]:
    sample = _shopify_text()
    header, rest = sample.split("\n", 1)
    return {
        "empty": (b"", "Die Datei ist leer."),
        "blank": (b"\r\n  \r\n", "Die Datei ist leer."),
        "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "keine Textdatei"),
        "xlsx": (b"PK\x03\x04\x14\x00\x06\x00" + b"x" * 100, "Excel-Arbeitsmappe"),
        "header only": ((header + "\n").encode(), "nur eine Kopfzeile"),
        "unknown columns": (b"Kunde;Betrag\nErika;12,50\n", "Das Dateiformat wurde nicht erkannt"),
        "missing columns": (
            sample.replace("Lineitem price", "Preis").encode(),
            "In der Kopfzeile fehlen Spalten: Lineitem price",
        ),
        "duplicate column": (
            sample.replace("Billing Phone", "Email", 1).encode(),
            "Die Spalte „Email“ kommt in der Kopfzeile mehrfach vor.",
        ),
        "broken quoting": (
            (header + "\n" + '#1001,"erika@example.com"x,paid\n').encode(),
            "Die Datei ist in Zeile 2 nicht lesbar: Anführungszeichen",
        ),
        "unclosed quote": (
            (header + "\n" + '#1001,"erika@example.com,paid\n' + rest).encode(),
            "nicht lesbar",
        ),
        "huge cell": (
            (header + "\n" + "#1001," + "x" * 25_000 + "\n").encode(),
            "ein Feld mit mehr als 20000 Zeichen",
        ),
        "undecodable": (b"Name,Email\n\x81\x8d\x8f\x90\x9d\n", "Zeichenkodierung"),
    }


@pytest.mark.parametrize("kind", list(_broken_files()))
def test_a_broken_file_gets_a_clear_message_and_imports_nothing(kind):
    channel = ChannelFactory(name="Shop")
    content, message = _broken_files()[kind]

    with pytest.raises(ImportFileError) as error:
        orders_import(content=content, channel=channel, skip_duplicates=True, actor=None)

    assert message in error.value.message
    assert Order.objects.count() == 0 and Customer.objects.count() == 0


def test_a_file_larger_than_the_limit_is_refused(settings):
    settings.IMPORT_MAX_BYTES = 1024
    channel = ChannelFactory(name="Shop")

    with pytest.raises(ImportFileError, match="Die Datei ist zu groß: höchstens 0 MB"):
        import_preview(
            content=SHOPIFY_SAMPLE.read_bytes() * 2, channel=channel, skip_duplicates=True
        )


def test_a_row_with_the_wrong_number_of_cells_is_refused_with_its_number():
    channel = ChannelFactory(name="Shop")
    text = _shopify_text().rstrip("\n") + "\n#1004,x@example.com,paid\n"

    preview = import_preview(content=text.encode(), channel=channel, skip_duplicates=True)

    assert preview.refusals == [(6, "Die Zeile hat 3 statt 79 Spalten.")]


def test_invalid_values_are_refused_with_row_and_column_but_not_the_value():
    channel = ChannelFactory(name="Shop")
    text = (
        _shopify_text()
        .replace("2026-03-04 18:40:55 +0100", "gestern")
        .replace(",AT,", ",Österreich,", 1)
        .replace(",59.90,69.90,", ",59.90 EUR,69.90,")
    )

    preview = import_preview(content=text.encode(), channel=channel, skip_duplicates=True)

    assert preview.refusals == [
        (4, "„Created at“ ist kein Zeitpunkt."),
        (4, "„Lineitem price“ ist kein Betrag."),
        (5, "„Billing Country“ ist kein Ländercode nach ISO 3166 (zwei Buchstaben, etwa DE)."),
    ]
    assert not any("Österreich" in reason or "gestern" in reason for _r, reason in preview.refusals)


# --- Card numbers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "columns"),
    [
        ("Notes", "„Notes“"),
        ("Billing Address2", "„Billing Street“, „Billing Address2“"),
        ("Lineitem name", "„Lineitem name“"),
    ],
)
def test_a_row_holding_a_card_number_is_refused_without_echoing_it(column, columns):
    channel = ChannelFactory(name="Shop")
    text = _shopify_text().replace(
        {
            "Notes": "Bitte nicht vor 17 Uhr liefern",
            "Billing Address2": "Hinterhaus",
            "Lineitem name": "Teekanne Glas 1,2 l",
        }[column],
        f"Karte {CARD} 12/28",
    )

    preview = import_preview(content=text.encode(), channel=channel, skip_duplicates=True)

    assert preview.refusals == [
        (
            4,
            f"Die Zeile enthält eine Kartennummer (Spalte {columns}). Kartendaten werden nicht "
            "angenommen; die Zeile wird nicht importiert.",
        )
    ]
    assert not preview.can_import


def test_shopify_ids_are_not_taken_for_card_numbers():
    channel = ChannelFactory(name="Shop")
    # A Luhn-valid 16-digit id in Shopify's own id columns is no card a buyer typed.
    text = _shopify_text().replace("5210339876543", "4111111111111111")

    preview = import_preview(content=text.encode(), channel=channel, skip_duplicates=True)

    assert preview.refused_count == 0


# --- Encodings and delimiters ----------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_encoding_and_delimiter_are_detected(encoding, delimiter):
    channel = ChannelFactory(name="Shop")
    rows = list(csv.reader(io.StringIO(_shopify_text())))
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)

    orders_import(
        content=buffer.getvalue().encode(encoding),
        channel=channel,
        skip_duplicates=True,
        actor=None,
    )

    second = Order.objects.get(external_number="#1002")
    assert (second.shipping_city, second.billing_street) == ("Köln", "Lindenallee")


def test_an_excel_export_edited_in_a_spreadsheet_still_reads():
    """Saved again by Excel: cp1252, thousands separators, dates without leading zeros."""
    channel = ChannelFactory(name="Shop")
    _order(500001, channel=channel, total=Decimal("1234.50"))
    text = _export(per_item=True).decode("utf-8-sig")
    text = text.replace("1234,50", "1.234,50").replace("31.03.2026", "31.3.2026")
    _empty_database()

    orders_import(content=text.encode("cp1252"), channel=channel, skip_duplicates=True, actor=None)

    order = Order.objects.get()
    assert (order.total, timezone.localdate(order.order_date)) == (
        Decimal("1234.50"),
        datetime.date(2026, 3, 31),
    )


# --- The command -----------------------------------------------------------------------------


def _run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_orders", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_dry_run_prints_the_counts_and_imports_nothing(tmp_path):
    ChannelFactory(name="Shopify DE", kind="shopify")
    path = tmp_path / "orders_export.csv"
    path.write_bytes(SHOPIFY_SAMPLE.read_bytes())

    out, _err = _run(str(path), "--channel", "Shopify DE", "--dry-run")

    assert (
        "format shopify (item rows), 4 rows: 3 new, 0 duplicates (skipped), 0 rows refused" in out
    )
    assert "Dry run: nothing imported." in out
    assert Order.objects.count() == 0


def test_the_command_imports_and_names_the_command_in_the_history(tmp_path):
    ChannelFactory(name="Shopify DE", kind="shopify")
    path = tmp_path / "orders_export.csv"
    path.write_bytes(SHOPIFY_SAMPLE.read_bytes())

    out, _err = _run(str(path), "--channel", "Shopify DE")

    assert "3 orders imported into 'Shopify DE', 0 duplicates skipped, 3 new customers." in out
    assert set(OrderEvent.objects.values_list("kind", "actor_label")) == {
        ("imported", "manage.py import_orders")
    }


@pytest.mark.parametrize("dry_run", [True, False])
def test_refused_rows_make_the_command_fail_and_import_nothing(tmp_path, dry_run):
    ChannelFactory(name="Shopify DE", kind="shopify")
    path = tmp_path / "orders_export.csv"
    path.write_text(_shopify_text().replace("Hinterhaus", f"Karte {CARD}"), encoding="utf-8")
    out = io.StringIO()

    with pytest.raises(CommandError, match="1 row refused: nothing imported"):
        call_command(
            "import_orders",
            str(path),
            "--channel",
            "Shopify DE",
            *(["--dry-run"] if dry_run else []),
            stdout=out,
        )

    assert "  row 4: Die Zeile enthält eine Kartennummer (Spalte „Billing Street“" in out.getvalue()
    assert "4111" not in out.getvalue()
    assert Order.objects.count() == 0


def test_the_command_exits_non_zero_for_a_broken_file_and_an_unknown_channel(tmp_path):
    ChannelFactory(name="Shop")
    path = tmp_path / "leer.csv"
    path.write_bytes(b"")

    with pytest.raises(CommandError, match="Die Datei ist leer"):
        _run(str(path), "--channel", "Shop")
    with pytest.raises(CommandError, match="no channel with this name or id"):
        _run(str(path), "--channel", "Gibt es nicht")
    with pytest.raises(CommandError, match="cannot read"):
        _run(str(tmp_path / "fehlt.csv"), "--channel", "Shop")


# --- Uploads and their expiry ----------------------------------------------------------------


def test_expired_uploads_are_deleted_by_the_task_and_the_command():
    owner = UserFactory(username="importeur")
    channel = ChannelFactory(name="Shop")
    old = import_upload_create(owner=owner, channel=channel, skip_duplicates=True, content=b"x")
    fresh = import_upload_create(owner=owner, channel=channel, skip_duplicates=True, content=b"y")
    ImportUpload.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=61)
    )

    assert import_uploads_delete_expired() == 1
    assert list(ImportUpload.objects.values_list("pk", flat=True)) == [fresh.pk]
    ImportUpload.objects.update(created_at=timezone.now() - datetime.timedelta(hours=2))
    out = io.StringIO()
    call_command("delete_expired_imports", stdout=out)
    assert out.getvalue().strip() == "1 expired import uploads deleted"
    assert not ImportUpload.objects.exists()


def test_the_expiry_schedule_is_created_once():
    from django_q.models import Schedule

    from orders import schedules

    schedules.ensure_schedules()
    schedules.ensure_schedules()

    schedule = Schedule.objects.get(name=schedules.IMPORT_UPLOADS)
    assert (schedule.func, schedule.minutes) == ("orders.tasks.delete_expired_import_uploads", 10)


# --- The pages -------------------------------------------------------------------------------


def _importer(client, *extra: str):
    user = UserFactory(username="importeur")
    user.user_permissions.set(permissions("orders.add_order", "orders.view_order", *extra))
    client.force_login(user)
    return user


def _upload(client, content: bytes, channel, *, skip_duplicates: bool = True, name="export.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {"file": SimpleUploadedFile(name, content, "text/csv"), "channel": channel.pk}
    if skip_duplicates:
        data["skip_duplicates"] = "on"
    return client.post(UPLOAD_URL, data)


def test_the_page_offers_the_channels_with_duplicates_left_out_by_default(client):
    _importer(client)
    ChannelFactory(name="Shopify DE")

    html = client.get(UPLOAD_URL).content.decode()

    assert "Einstellungen → Import" in html
    assert re.search(r'<input type="checkbox" name="skip_duplicates"[^>]*checked', html)
    assert "Doppelte Bestellungen nicht importieren" in html
    assert ">Shopify DE</option>" in html


def test_upload_preview_and_confirm_import_the_file_once(client):
    user = _importer(client)
    channel = ChannelFactory(name="Shopify DE", kind="shopify")

    response = _upload(client, SHOPIFY_SAMPLE.read_bytes(), channel)

    upload = ImportUpload.objects.get()
    assert upload.owner == user and response.url == reverse(
        "orders:import_preview", args=[upload.token]
    )
    html = client.get(response.url).content.decode()
    assert '<dd class="count-rows">4</dd>' in html and '<dd class="count-new">3</dd>' in html
    assert "3 Bestellungen importieren" in html
    assert "erika.mustermann" not in html and "Mustermann" not in html
    confirm = reverse("orders:import_confirm", args=[upload.token])

    first = client.post(confirm, follow=True)
    second = client.post(confirm, follow=True)

    assert "3 Bestellungen wurden importiert." in first.content.decode()
    assert "Dieser Import ist nicht mehr vorhanden" in second.content.decode()
    assert Order.objects.count() == 3
    assert not ImportUpload.objects.exists()
    assert set(OrderEvent.objects.values_list("actor", flat=True)) == {user.pk}


def test_a_file_with_refused_rows_is_shown_and_not_kept(client):
    _importer(client)
    channel = ChannelFactory(name="Shopify DE", kind="shopify")
    content = _shopify_text().replace("Hinterhaus", f"Karte {CARD}").encode()

    response = _upload(client, content, channel)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Die Datei kann nicht importiert werden" in html
    assert "Die Zeile enthält eine Kartennummer" in html
    assert '<dd class="count-refused">1</dd>' in html
    assert "4111" not in html and "importieren</button>" not in html
    assert not ImportUpload.objects.exists() and Order.objects.count() == 0


def test_a_broken_file_gets_its_message_on_the_page(client):
    _importer(client)
    channel = ChannelFactory(name="Shop")

    response = _upload(client, b"\x00\x01binary", channel)

    assert response.status_code == 400
    assert "Die Datei ist keine Textdatei" in response.content.decode()
    assert not ImportUpload.objects.exists()


def test_a_file_over_the_limit_is_not_read(client, settings):
    settings.IMPORT_MAX_BYTES = 2048
    _importer(client)
    channel = ChannelFactory(name="Shop")

    response = _upload(client, SHOPIFY_SAMPLE.read_bytes() * 3, channel)

    assert response.status_code == 400
    assert "Die Datei ist zu groß" in response.content.decode()
    assert not ImportUpload.objects.exists()


@pytest.mark.parametrize("channel_value", ["999999", "abc", "", "1 OR 1=1"])
def test_a_tampered_channel_is_a_form_error(client, channel_value):
    from django.core.files.uploadedfile import SimpleUploadedFile

    _importer(client)
    ChannelFactory(name="Shop")

    response = client.post(
        UPLOAD_URL,
        {
            "file": SimpleUploadedFile("a.csv", SHOPIFY_SAMPLE.read_bytes()),
            "channel": channel_value,
        },
    )

    assert response.status_code == 400
    assert not ImportUpload.objects.exists()


@pytest.mark.parametrize("token", ["x", "a" * 30, "a" * 200, "<script>", "%00"])
def test_forged_upload_ids_get_no_500(client, token):
    _importer(client)

    preview = client.get(f"/orders/import/{token}/")
    confirm = client.post(f"/orders/import/{token}/confirm/")
    discard = client.post(f"/orders/import/{token}/discard/")

    assert preview.status_code == 404
    assert confirm.status_code == discard.status_code == 302
    assert Order.objects.count() == 0


def test_someone_elses_or_an_expired_upload_is_not_found(client):
    channel = ChannelFactory(name="Shopify DE", kind="shopify")
    other = UserFactory(username="jemand-anderes")
    foreign = import_upload_create(
        owner=other, channel=channel, skip_duplicates=True, content=SHOPIFY_SAMPLE.read_bytes()
    )
    _importer(client)
    mine = _upload(client, SHOPIFY_SAMPLE.read_bytes(), channel)
    ImportUpload.objects.exclude(pk=foreign.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=61)
    )

    assert client.get(reverse("orders:import_preview", args=[foreign.token])).status_code == 404
    assert client.get(mine.url).status_code == 404
    client.post(reverse("orders:import_confirm", args=[foreign.token]))
    client.post(reverse("orders:import_discard", args=[foreign.token]))
    assert Order.objects.count() == 0
    assert ImportUpload.objects.filter(pk=foreign.pk).exists()


def test_discarding_deletes_the_upload(client):
    _importer(client)
    channel = ChannelFactory(name="Shopify DE", kind="shopify")
    _upload(client, SHOPIFY_SAMPLE.read_bytes(), channel)
    upload = ImportUpload.objects.get()

    response = client.post(reverse("orders:import_discard", args=[upload.token]), follow=True)

    assert "Die Datei wurde verworfen" in response.content.decode()
    assert not ImportUpload.objects.exists() and Order.objects.count() == 0


def test_a_confirm_after_the_file_went_stale_imports_nothing(client):
    _importer(client)
    channel = ChannelFactory(name="Shopify DE", kind="shopify")
    _order(500001, channel=channel, invoice_number=None)
    content = _export(dialect="plain", per_item=True)
    Order.objects.all().delete()
    _upload(client, content, channel)
    upload = ImportUpload.objects.get()
    # Meanwhile the order came in again and was anonymized; the checkbox was off.
    ImportUpload.objects.update(skip_duplicates=False)
    _anonymize(_order(600001, channel=channel, invoice_number=None, external_number="AMZ-500001"))

    response = client.post(reverse("orders:import_confirm", args=[upload.token]))

    assert response.status_code == 409
    assert "Seit der Vorschau hat sich etwas geändert" in response.content.decode()
    assert Order.objects.count() == 1


def test_without_the_add_permission_the_pages_are_refused_and_the_links_hidden(client):
    user = UserFactory(username="ohne-import")
    user.user_permissions.set(permissions("orders.view_order", "orders.export_order"))
    client.force_login(user)
    channel = ChannelFactory(name="Shop")
    upload = import_upload_create(owner=user, channel=channel, skip_duplicates=True, content=b"x")

    assert client.get(UPLOAD_URL).status_code == 403
    assert _upload(client, SHOPIFY_SAMPLE.read_bytes(), channel).status_code == 403
    assert client.get(reverse("orders:import_preview", args=[upload.token])).status_code == 403
    assert client.post(reverse("orders:import_confirm", args=[upload.token])).status_code == 403
    html = client.get(reverse("orders:list")).content.decode()
    assert "Importieren …" not in html and UPLOAD_URL not in html
    assert Order.objects.count() == 0


def test_with_the_add_permission_the_menu_and_the_settings_link_lead_to_the_import(client):
    _importer(client)

    html = client.get(reverse("orders:list")).content.decode()

    assert "Importieren …" in html
    assert html.count(f'href="{UPLOAD_URL}"') == 2


def test_an_export_made_in_english_reads_back_too():
    from django.utils import translation

    channel = ChannelFactory(name="Shop")
    _order(500001, channel=channel)
    before = _facts(Order.objects.get())
    with translation.override("en"):
        content = _export(per_item=True)
    assert content.decode("utf-8-sig").startswith("Order number;")
    _empty_database()

    orders_import(content=content, channel=channel, skip_duplicates=True, actor=None)

    assert _facts(Order.objects.get()) == before


def test_a_utf16_file_as_excel_saves_unicode_text_reads():
    channel = ChannelFactory(name="Shop")
    rows = list(csv.reader(io.StringIO(_shopify_text())))
    buffer = io.StringIO()
    csv.writer(buffer, delimiter="\t").writerows(rows)

    preview = import_preview(
        content=buffer.getvalue().encode("utf-16"), channel=channel, skip_duplicates=True
    )

    assert (preview.format, preview.new_count, preview.refused_count) == ("shopify", 3, 0)


@pytest.mark.django_db(transaction=True)
def test_two_confirmations_at_once_import_the_file_once():
    import threading

    from django.db import connection

    from orders.importing.uploads import import_upload_confirm

    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    owner = UserFactory(username="importeur")
    channel = ChannelFactory(name="Shopify DE", kind="shopify")
    upload = import_upload_create(
        owner=owner, channel=channel, skip_duplicates=True, content=SHOPIFY_SAMPLE.read_bytes()
    )
    barrier = threading.Barrier(2)
    results = []

    def confirm():
        from django.db import connections

        barrier.wait()
        try:
            results.append(import_upload_confirm(token=upload.token, owner=owner))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(result is None for result in results) == [False, True]
    assert Order.objects.count() == 3
    assert not ImportUpload.objects.exists()


def test_excels_sep_line_before_the_header_is_read_past():
    channel = ChannelFactory(name="Shop")
    text = "sep=,\n" + _shopify_text().replace("Hinterhaus", f"Karte {CARD}")

    preview = import_preview(content=text.encode(), channel=channel, skip_duplicates=True)

    assert preview.format == "shopify" and [row for row, _reason in preview.refusals] == [5]


@pytest.mark.django_db(transaction=True)
def test_the_commands_exit_code_is_1_for_refused_rows_and_0_for_a_clean_dry_run(tmp_path, capsys):
    from orders.management.commands.import_orders import Command

    ChannelFactory(name="Shopify DE", kind="shopify")
    clean = tmp_path / "clean.csv"
    clean.write_bytes(SHOPIFY_SAMPLE.read_bytes())
    refused = tmp_path / "refused.csv"
    refused.write_text(_shopify_text().replace("Hinterhaus", f"Karte {CARD}"), encoding="utf-8")
    argv = ["manage.py", "import_orders", "--channel", "Shopify DE", "--dry-run"]

    Command().run_from_argv([*argv, str(clean)])  # returns: exit code 0
    with pytest.raises(SystemExit) as exited:
        Command().run_from_argv([*argv, str(refused)])

    assert exited.value.code == 1
    output = capsys.readouterr()
    assert "1 row refused: nothing imported" in output.err
    assert "4111" not in output.out + output.err
    assert Order.objects.count() == 0


def test_the_log_names_counts_and_ids_only(caplog):
    import logging

    channel = ChannelFactory(name="Shopify DE", kind="shopify")
    caplog.set_level(logging.DEBUG)

    orders_import(
        content=SHOPIFY_SAMPLE.read_bytes(), channel=channel, skip_duplicates=True, actor=None
    )

    assert f"import: 3 orders into channel {channel.pk} (shopify" in caplog.text
    for value in ("Mustermann", "erika", "Hauptstraße", "10115", "#1001", "Kaffeebecher"):
        assert value not in caplog.text
