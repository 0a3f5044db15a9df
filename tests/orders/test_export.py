"""The CSV export: "Mehr" → Exportieren …, the download, `manage.py export_orders` and the marker."""

import csv
import datetime
import io
import logging
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from customers.payment_methods import PaymentMethod
from orders.export import (
    PERSONAL_COLUMNS,
    ExportOptions,
    export_header,
    export_marker,
    export_marker_state,
    order_export_lines,
)
from orders.models import Order, OrderStatus
from orders.privacy.fields import ORDER_FIELDS
from orders.selectors import orders_matching
from personal.state import ANONYMIZED, PrivacyState
from tests.conftest import CLERK_PERMISSIONS, permissions
from tests.factories import (
    AddressFactory,
    ChannelFactory,
    CustomerFactory,
    OrderFactory,
    OrderItemFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

EXPORT_URL = reverse("orders:export")
DIALOG_URL = reverse("orders:export_dialog")
LIST_URL = reverse("orders:list")
HTMX = {"HTTP_HX_REQUEST": "true"}
PERSONAL_HEADERS = [str(header) for _field, header in PERSONAL_COLUMNS]


def _aware(year: int, month: int, day: int, hour: int = 12) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(year, month, day, hour))


def _order(**kwargs) -> Order:
    """An order with two items at 19 % and one at 7 % (gross 25.00 + 10.70 = 35.70)."""
    customer = CustomerFactory(first_name="Erika", last_name="Mustermann", company="")
    entry = AddressFactory(
        customer=customer,
        street="Hauptstraße",
        house_number="5",
        postcode="10115",
        city="Berlin",
        country="DE",
    )
    defaults = {
        "customer": customer,
        "billing_entry": entry,
        "number": 500001,
        "external_number": "AMZ-1",
        "order_date": _aware(2026, 3, 31, 23),
        "invoice_date": _aware(2026, 4, 1),
        "invoice_number": f"RE-{kwargs.get('number', 500001)}",
        "delivery_date": None,
        "status": OrderStatus.INVOICED,
        "payment_method": PaymentMethod.INVOICE,
        "total": Decimal("35.70"),
        "buyer_email": "erika@example.com",
    }
    order = OrderFactory(**(defaults | kwargs))
    OrderItemFactory(order=order, sku="BECHER", quantity=2, unit_price=Decimal("12.50"))
    OrderItemFactory(
        order=order,
        sku="BUCH",
        title="Kochbuch",
        quantity=1,
        unit_price=Decimal("10.70"),
        tax_rate=Decimal("7.00"),
    )
    return order


def _anonymize(order: Order, state: str = PrivacyState.ANONYMIZED) -> None:
    """As the privacy engine leaves an order: placeholders in its personal fields."""
    Order.objects.filter(pk=order.pk).update(
        privacy_state=state, **{name: ANONYMIZED for name in ORDER_FIELDS}
    )


def _parse(content: bytes, dialect: str = "excel") -> list[dict[str, str]]:
    text = content.decode("utf-8-sig" if dialect == "excel" else "utf-8")
    reader = csv.DictReader(
        io.StringIO(text, newline=""), delimiter=";" if dialect == "excel" else ","
    )
    return list(reader)


def _export(orders=None, **options) -> bytes:
    options = ExportOptions(**options)
    lines = order_export_lines(
        orders if orders is not None else Order.objects.all(), options=options
    )
    return "".join(lines).encode()


def _download(client, data=None, method: str = "get") -> bytes:
    response = getattr(client, method)(EXPORT_URL, data or {})
    assert response.status_code == 200, response.content[:500]
    assert response.streaming
    return b"".join(response.streaming_content)


def _client_with(client, *names: str):
    user = UserFactory(username="exporteur")
    user.user_permissions.set(permissions(*names))
    client.force_login(user)
    return client


# --- The file --------------------------------------------------------------------------------


def test_excel_dialect_header_and_cells():
    order = _order()

    content = _export()

    assert content.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in content
    header = content.decode("utf-8-sig").split("\r\n")[0].split(";")
    assert header[:9] == [
        "Bestellnummer",
        "Externe Bestellnummer",
        "Kanal",
        "Auftragsdatum",
        "Status",
        "Zahlungsart",
        "Rechnungsnummer",
        "Rechnungsdatum",
        "Lieferdatum",
    ]
    assert header[9 : 9 + len(PERSONAL_HEADERS)] == PERSONAL_HEADERS
    assert header[-8:] == [
        "Land",
        "Lieferland",
        "Netto",
        "MwSt",
        "Brutto",
        "Währung",
        "Datenschutz",
        "Prüfzeichen",
    ]
    (row,) = _parse(content)
    assert row["Bestellnummer"] == "500001"
    assert row["Externe Bestellnummer"] == "AMZ-1"
    assert row["Kanal"] == order.channel.name
    # 23:00 in Berlin is still the 31st, whatever UTC says.
    assert row["Auftragsdatum"] == "31.03.2026"
    assert row["Rechnungsdatum"] == "01.04.2026"
    assert row["Lieferdatum"] == ""
    assert row["Status"] == "Rechnung erstellt"
    assert row["Zahlungsart"] == "Rechnung"
    assert row["Rechnungsnummer"] == "RE-500001"
    assert row["E-Mail"] == "erika@example.com"
    assert row["Rechnung Nachname"] == "Mustermann"
    assert row["Rechnung Straße"] == "Hauptstraße"
    assert row["Rechnung Hausnummer"] == "5"
    assert row["Lieferung Ort"] == "Berlin"
    assert row["Land"] == "DE"
    assert row["Lieferland"] == "DE"
    # 25.00 at 19 % holds 3.99 tax, 10.70 at 7 % holds 0.70 (as the invoice says).
    assert row["MwSt"] == "4,69"
    assert row["Netto"] == "31,01"
    assert row["Brutto"] == "35,70"
    assert row["Währung"] == "EUR"
    assert row["Datenschutz"] == "Aktiv"


def test_plain_dialect_has_commas_iso_dates_decimal_points_and_no_bom():
    _order()

    content = _export(dialect="plain")

    assert not content.startswith(b"\xef\xbb\xbf")
    assert content.startswith(b"Bestellnummer,Externe Bestellnummer,")
    (row,) = _parse(content, "plain")
    assert row["Auftragsdatum"] == "2026-03-31"
    assert row["Brutto"] == "35.70"
    assert row["MwSt"] == "4.69"
    assert row["Rechnung Vorname"] == "Erika"


def test_cells_with_the_delimiter_or_quotes_are_quoted_by_the_csv_module():
    _order(
        billing_company='Müller; Söhne "GmbH"',
        shipping_street="Am Markt\n2. Hinterhaus",
    )

    (row,) = _parse(_export())

    assert row["Rechnung Firma"] == 'Müller; Söhne "GmbH"'
    assert row["Lieferung Straße"] == "Am Markt\n2. Hinterhaus"


@pytest.mark.parametrize("state", [PrivacyState.ANONYMIZED, PrivacyState.RESTORING])
def test_anonymized_orders_show_the_placeholder_in_every_personal_column(state):
    order = _order(billing_company="")  # also where the order had nothing
    _anonymize(order, state)

    (row,) = _parse(_export())

    assert {row[header] for header in PERSONAL_HEADERS} == {ANONYMIZED}
    assert row["Land"] == "DE"
    assert row["Brutto"] == "35,70"
    assert row["MwSt"] == "4,69"
    assert row["Rechnungsnummer"] == "RE-500001"
    assert row["Bestellnummer"] == "500001"
    assert row["Datenschutz"] == (
        "Anonymisiert" if state == PrivacyState.ANONYMIZED else "Wird wiederhergestellt"
    )


def test_an_order_anonymized_with_its_values_still_stored_shows_none_of_them():
    order = _order()
    Order.objects.filter(pk=order.pk).update(privacy_state=PrivacyState.ANONYMIZED)

    content = _export()

    assert b"Mustermann" not in content
    assert b"erika@example.com" not in content


def test_skip_anonymized_leaves_them_out_in_sql():
    kept = _order(number=1)
    gone = _order(number=2)
    restoring = _order(number=3)
    _anonymize(gone)
    _anonymize(restoring, PrivacyState.RESTORING)

    with CaptureQueriesContext(connection) as queries:
        rows = _parse(_export(skip_anonymized=True))

    assert [row["Bestellnummer"] for row in rows] == [str(kept.number)]
    orders_query = next(
        q["sql"]
        for q in queries.captured_queries
        if "DECLARE" in q["sql"] or ('FROM "orders_order"' in q["sql"] and "LIMIT" in q["sql"])
    )
    assert "privacy_state" in orders_query.split("WHERE", 1)[1]


def test_per_item_rows_repeat_the_order_and_add_the_item():
    _order()
    empty = OrderFactory(number=500002, total=Decimal("0"))

    rows = _parse(_export(per_item=True))

    assert [row["Bestellnummer"] for row in rows] == ["500001", "500001", str(empty.number)]
    first, second, without = rows
    assert (first["Artikelnummer"], first["Bezeichnung"], first["Menge"]) == (
        "BECHER",
        "Kaffeebecher Steingut",
        "2",
    )
    assert (first["Einzelpreis"], first["Steuersatz"]) == ("12,50", "19,00")
    assert (second["Artikelnummer"], second["Einzelpreis"], second["Steuersatz"]) == (
        "BUCH",
        "10,70",
        "7,00",
    )
    assert first["MwSt"] == second["MwSt"] == "4,69"
    assert first["Prüfzeichen"] == second["Prüfzeichen"]
    assert without["Artikelnummer"] == "" and without["Brutto"] == "0,00"
    assert list(first)[-1] == "Prüfzeichen"


@pytest.mark.parametrize("dialect", ["excel", "plain"])
def test_formula_injection_is_escaped_in_text_cells_only(dialect):
    _order(
        billing_company="=cmd|' /C calc'!A0",
        billing_first_name="+49 Vorwahl",
        billing_last_name="-minus",
        shipping_company="@SUM(A1)",
        shipping_first_name="\tTab",
        shipping_last_name="\rCR",
        external_number="=HYPERLINK(1)",
    )

    (row,) = _parse(_export(dialect=dialect), dialect)

    assert row["Rechnung Firma"] == "'=cmd|' /C calc'!A0"
    assert row["Rechnung Vorname"] == "'+49 Vorwahl"
    assert row["Rechnung Nachname"] == "'-minus"
    assert row["Lieferung Firma"] == "'@SUM(A1)"
    assert row["Lieferung Vorname"] == "'\tTab"
    assert row["Lieferung Nachname"] == "'\rCR"
    assert row["Externe Bestellnummer"] == "'=HYPERLINK(1)"
    assert row["Rechnung Ort"] == "Berlin"


def test_negative_amounts_are_not_escaped():
    order = _order(total=Decimal("-5.00"))
    order.items.all().delete()

    (row,) = _parse(_export())

    assert row["Brutto"] == "-5,00"


def test_orders_are_read_in_chunks_each_once_in_id_order():
    orders = [OrderFactory() for _ in range(7)]

    lines = order_export_lines(
        Order.objects.all(), options=ExportOptions(dialect="plain"), chunk_size=3
    )
    content = "".join(lines).encode()

    assert [row["Bestellnummer"] for row in _parse(content, "plain")] == [
        str(order.number) for order in orders
    ]


def test_without_server_side_cursors_it_pages_by_key():
    orders = [OrderFactory() for _ in range(5)]
    before = connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS", False)
    connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] = True
    try:
        lines = order_export_lines(Order.objects.all(), options=ExportOptions(), chunk_size=2)
        rows = _parse("".join(lines).encode())
    finally:
        connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] = before

    assert [row["Bestellnummer"] for row in rows] == [str(order.number) for order in orders]


def test_queries_do_not_grow_with_the_number_of_orders():
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            _export(per_item=True)
            _export()
        return len(queries)

    for _ in range(10):
        OrderItemFactory(order=OrderFactory())
    ten = count()
    for _ in range(40):
        OrderItemFactory(order=OrderFactory())
    fifty = count()

    assert ten == fifty
    # Per export at most: the channels, the orders, and per chunk their amounts and items.
    assert fifty <= 7


# --- The marker ------------------------------------------------------------------------------


def test_the_marker_verifies_and_states_the_privacy_flag():
    active = _order(number=1)
    anonymized = _order(number=2)
    _anonymize(anonymized)

    rows = {row["Bestellnummer"]: row for row in _parse(_export())}

    assert export_marker_state("1", rows["1"]["Prüfzeichen"]) == "active"
    assert export_marker_state(2, rows["2"]["Prüfzeichen"]) == "anonymized"
    assert rows["1"]["Prüfzeichen"] == export_marker(active.number, anonymized=False)


def test_the_marker_is_an_hmac_keyed_with_the_secret_key_and_the_salt():
    marker = export_marker(42, anonymized=True)

    expected = salted_hmac("orders.export", "42:anonymized", algorithm="sha256").hexdigest()
    assert marker == "OD1-" + expected[:32]


def test_the_marker_still_says_anonymized_when_the_placeholders_were_edited_away():
    order = _order()
    _anonymize(order)
    (row,) = _parse(_export())
    row["Rechnung Nachname"] = "Mustermann"
    row["Datenschutz"] = "Aktiv"

    assert export_marker_state(row["Bestellnummer"], row["Prüfzeichen"]) == "anonymized"


def test_a_flipped_flag_or_a_forged_row_is_not_ours():
    anonymized = export_marker(7, anonymized=True)
    active = export_marker(7, anonymized=False)
    # Someone who knows the format but not the key: the active marker for another number.
    assert export_marker_state("8", active) is None
    assert export_marker_state("7", anonymized.replace("OD1-", "OD1-0")[:36]) is None
    flipped = anonymized[:-1] + ("0" if anonymized[-1] != "0" else "1")
    assert export_marker_state("7", flipped) is None
    assert export_marker_state("7", "OD1-" + "0" * 32) is None
    assert export_marker_state("7", "") is None
    assert export_marker_state("7", None) is None
    assert export_marker_state("abc", active) is None
    assert export_marker_state("", active) is None
    assert export_marker_state(" 7 ", active) == "active"


def test_markers_of_another_installation_are_not_ours(settings):
    marker = export_marker(7, anonymized=False)
    settings.SECRET_KEY = "another-installation-" + "x" * 40

    assert export_marker_state("7", marker) is None


def test_markers_made_before_a_key_rotation_still_verify(settings):
    marker = export_marker(7, anonymized=True)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "rotated-" + "y" * 50

    assert export_marker_state("7", marker) == "anonymized"


# --- Personal data -----------------------------------------------------------------------------


def test_without_view_personal_data_the_personal_columns_are_left_out(client):
    _order()
    client = _client_with(client, "orders.view_order", "orders.export_order")

    content = _download(client)

    (row,) = _parse(content)
    assert not set(PERSONAL_HEADERS) & set(row)
    assert b"Mustermann" not in content and b"erika@example.com" not in content
    assert row["Land"] == "DE" and row["Brutto"] == "35,70"
    assert export_marker_state(row["Bestellnummer"], row["Prüfzeichen"]) == "active"
    assert export_header(ExportOptions(personal_data=False)) == list(row)


def test_the_dialog_says_when_personal_columns_are_left_out(client):
    client = _client_with(client, "orders.view_order", "orders.export_order")

    response = client.get(DIALOG_URL, **HTMX)

    assert response.status_code == 200
    assert "enthält der Export keine personenbezogenen Spalten" in response.text


def test_the_logs_name_the_rows_and_the_user_but_no_personal_data(merchant_client, caplog):
    _order()

    with caplog.at_level(logging.INFO, logger="orders.export"):
        _download(merchant_client)

    messages = [record.getMessage() for record in caplog.records if record.name == "orders.export"]
    assert any("export started" in message for message in messages)
    assert any("export finished: 1 rows" in message for message in messages)
    joined = " ".join(messages)
    assert "Mustermann" not in joined and "erika@" not in joined


# --- The view and the dialog -------------------------------------------------------------------


def test_the_download_is_an_attachment_named_by_the_day(merchant_client):
    _order()

    response = merchant_client.get(EXPORT_URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="bestellungen-{today}.csv"'
    assert "no-store" in response["Cache-Control"]


def test_the_options_reach_the_file(merchant_client):
    _order(number=1)
    _anonymize(_order(number=2))

    content = _download(
        merchant_client, {"format": "plain", "rows": "item", "skip_anonymized": "1"}
    )

    rows = _parse(content, "plain")
    assert [row["Bestellnummer"] for row in rows] == ["1", "1"]
    assert rows[0]["Artikelnummer"] == "BECHER"


def test_by_filter_it_exports_exactly_what_the_list_finds(merchant_client):
    shop, market = ChannelFactory(name="Shop"), ChannelFactory(name="Markt")
    march = _order(number=1, channel=shop, order_date=_aware(2026, 3, 10))
    _order(number=2, channel=shop, order_date=_aware(2026, 4, 10))
    _order(number=3, channel=market, order_date=_aware(2026, 3, 11))
    _order(number=4, channel=shop, order_date=_aware(2026, 3, 12), status=OrderStatus.CANCELLED)
    params = {"channel": shop.pk, "date_from": "2026-03-01", "date_to": "2026-03-31"}

    rows = _parse(_download(merchant_client, params | {"status": "invoiced"}))

    assert [row["Bestellnummer"] for row in rows] == [str(march.number)]
    listed = orders_matching(
        {
            "channel": shop,
            "date_from": datetime.date(2026, 3, 1),
            "date_to": datetime.date(2026, 3, 31),
        },
        personal_search=True,
    )
    rows = _parse(_download(merchant_client, params))
    assert sorted(int(row["Bestellnummer"]) for row in rows) == sorted(
        listed.values_list("number", flat=True)
    )


def test_by_filter_the_search_is_the_lists(merchant_client):
    _order(number=1)
    _order(number=2, external_number="EBAY-77")

    rows = _parse(_download(merchant_client, {"q": "EBAY-77"}))

    assert [row["Bestellnummer"] for row in rows] == ["2"]


def test_by_selection_it_exports_the_ticked_orders_whatever_the_filter(merchant_client):
    first = _order(number=1)
    _order(number=2)
    third = _order(number=3)

    rows = _parse(
        _download(merchant_client, {"ids": [third.pk, first.pk], "status": "new"}, method="post")
    )

    assert [row["Bestellnummer"] for row in rows] == ["1", "3"]


def test_all_matching_from_the_select_bar_is_the_filter_not_the_page(merchant_client):
    shop = ChannelFactory(name="Shop")
    one = _order(number=1, channel=shop)
    _order(number=2)

    rows = _parse(
        _download(merchant_client, {"matching": "1", "ids": [one.pk], "channel": shop.pk})
    )

    assert [row["Bestellnummer"] for row in rows] == ["1"]


def test_view_and_command_write_the_same_bytes(merchant_client, tmp_path):
    _order(number=1, billing_company="=1+1")
    _anonymize(_order(number=2))
    target = tmp_path / "export.csv"

    downloaded = _download(merchant_client, {"rows": "item"})
    call_command("export_orders", "--output", str(target), "--per-item", stdout=io.StringIO())

    assert target.read_bytes() == downloaded


@pytest.mark.parametrize(
    "params",
    [
        {"date_from": "2026-02-30"},
        {"date_from": "0001-01-01"},
        {"date_from": "2026-03-10", "date_to": "2026-03-01"},
        {"format": "xls"},
        {"rows": "column"},
        {"channel": "999999999"},
        {"channel": "abc"},
        {"status": "lost"},
        {"ids": "abc"},
        {"ids": str(2**63)},
        {"ids": "-1"},
        {"q": "4111 1111 1111 1111"},
    ],
    ids=str,
)
def test_bad_parameters_get_a_400_page_that_says_why(merchant_client, params):
    _order()

    response = merchant_client.get(EXPORT_URL, params)

    assert response.status_code == 400
    assert "Ungültige Anfrage" in response.text
    assert "4111" not in response.text
    assert response.get("Content-Disposition") is None


def test_forged_ids_by_post_get_a_400_page(merchant_client):
    response = merchant_client.post(EXPORT_URL, {"ids": ["1", "x"]})

    assert response.status_code == 400
    assert "ungültige Bestellnummern" in response.text


def test_odd_but_valid_parameters_stream_a_file(merchant_client):
    _order()

    for params in (
        {"page": "9" * 30},
        {"sort": "x" * 300},
        {"q": str(2**63)},
        {"privacy": "purged"},
    ):
        content = _download(merchant_client, params)
        assert content.startswith(b"\xef\xbb\xbfBestellnummer;")


def test_without_export_order_it_is_refused_and_the_menu_entry_hidden(client):
    client = _client_with(client, *CLERK_PERMISSIONS)

    assert client.get(EXPORT_URL).status_code == 403
    assert client.post(EXPORT_URL, {"ids": ["1"]}).status_code == 403
    assert client.get(DIALOG_URL).status_code == 403
    response = client.get(LIST_URL)
    assert DIALOG_URL not in response.text
    assert "Exportieren" not in response.text


def test_with_export_order_alone_the_menu_shows_only_the_export(client):
    client = _client_with(client, "orders.view_order", "orders.export_order")

    response = client.get(LIST_URL)

    assert 'id="more-menu"' in response.text
    assert f'hx-get="{DIALOG_URL}"' in response.text
    assert f'hx-get="{reverse("orders:privacy_anonymize")}"' not in response.text


def test_the_dialog_for_ticked_orders_posts_their_ids(merchant_client):
    first, second = _order(number=1), _order(number=2)

    response = merchant_client.get(DIALOG_URL, {"ids": [first.pk, second.pk]}, **HTMX)

    assert response.status_code == 200
    assert "<dialog" in response.text
    assert "Die 2 markierten Bestellungen werden exportiert." in response.text
    assert 'method="post"' in response.text
    assert f'name="ids" value="{first.pk}"' in response.text
    assert "Anonymisierte Bestellungen ignorieren" in response.text
    assert 'value="plain"' in response.text and 'value="item"' in response.text


def test_the_dialog_for_the_filter_carries_the_filter(merchant_client):
    shop = ChannelFactory(name="Shop")
    _order(number=1, channel=shop)
    _order(number=2)

    response = merchant_client.get(DIALOG_URL, {"channel": shop.pk})

    assert response.status_code == 200
    assert "<dialog" not in response.text  # a page of its own without htmx
    assert "Die 1 zu den Filtern passende Bestellung wird exportiert." in response.text
    assert 'method="get"' in response.text
    assert f'name="channel" value="{shop.pk}"' in response.text


def test_the_dialog_shows_invalid_filters_instead_of_the_button(merchant_client):
    response = merchant_client.get(DIALOG_URL, {"date_from": "2026-02-30"}, **HTMX)

    assert response.status_code == 200
    assert "Die Filter der Bestellübersicht sind ungültig" in response.text
    assert ">Exportieren</button>" not in response.text


# --- The command -------------------------------------------------------------------------------


def test_the_command_writes_to_standard_output():
    _order()

    out = io.StringIO()
    call_command("export_orders", "--format", "plain", stdout=out, stderr=io.StringIO())

    (row,) = _parse(out.getvalue().encode(), "plain")
    assert row["Rechnung Nachname"] == "Mustermann"


def test_the_command_writes_bytes_where_the_stream_has_them():
    _order()
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii")

    call_command("export_orders", stdout=stream, stderr=io.StringIO())

    assert raw.getvalue().startswith(b"\xef\xbb\xbfBestellnummer;")
    assert "Hauptstraße".encode() in raw.getvalue()


def test_the_command_filters_like_the_list(tmp_path):
    shop = ChannelFactory(name="Shop Nord")
    _order(number=1, channel=shop, order_date=_aware(2026, 3, 10))
    _order(number=2, channel=shop, order_date=_aware(2026, 5, 10))
    _anonymize(_order(number=3, channel=shop, order_date=_aware(2026, 3, 11)))
    _order(number=4, order_date=_aware(2026, 3, 12))
    target = tmp_path / "out.csv"

    out = io.StringIO()
    call_command(
        "export_orders",
        "--output",
        str(target),
        "--from",
        "2026-03-01",
        "--to",
        "2026-03-31",
        "--channel",
        "Shop Nord",
        "--skip-anonymized",
        stdout=out,
    )

    assert [row["Bestellnummer"] for row in _parse(target.read_bytes())] == ["1"]
    assert "1 rows written" in out.getvalue()
    call_command("export_orders", "--output", str(target), "--channel", str(shop.pk))
    assert len(_parse(target.read_bytes())) == 3
    call_command("export_orders", "--output", str(target), "--privacy", "anonymized")
    assert [row["Bestellnummer"] for row in _parse(target.read_bytes())] == ["3"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-13-01"], "not a date"),
        (["--from", "31.03.2026"], "not a date"),
        (["--from", "2026-03-10", "--to", "2026-03-01"], "Von-Datum"),
        (["--from", "0001-01-01"], "außerhalb"),
        (["--channel", "Nirgendwo"], "no channel"),
        (["--format", "xls"], "invalid choice"),
        (["--status", "lost"], "invalid choice"),
        (["--privacy", "gone"], "invalid choice"),
        (["--output", "/nonexistent-dir/x.csv"], "cannot write"),
    ],
)
def test_the_command_refuses_bad_options(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("export_orders", *args, stdout=io.StringIO(), stderr=io.StringIO())
