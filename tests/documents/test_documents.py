"""Company settings, stored PDF documents (invoice, cancellation, delivery note) and their way
through anonymize and restore."""

import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from coldstorage.models import ColdRecord
from coldstorage.services import cold_records_load
from documents.forms import CompanySettingsForm
from documents.models import CompanySettings, Document
from documents.services import CompanyIncompleteError
from orders.invoicing import issued_invoice
from orders.models import Invoice, Order, OrderEvent, OrderLockedError, OrderStatus
from orders.privacy.jobs import privacy_job_purge, privacy_job_run
from orders.services import (
    OrderRuleError,
    order_cancel_invoice,
    order_create_delivery_note,
    order_create_invoice,
    order_update,
)
from personal.state import PrivacyState
from tests.factories import OrderFactory, OrderItemFactory
from tests.privacy.conftest import BOTH, anonymize, restore

pytestmark = pytest.mark.django_db(databases=BOTH)


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture
def order():
    order = OrderFactory(
        billing_first_name="Erika",
        billing_last_name="Mustermann",
        billing_street="Heidestraße",
        billing_house_number="17",
        billing_postcode="51147",
        billing_city="Köln",
        billing_country="DE",
        shipping_first_name="Erika",
        shipping_last_name="Mustermann",
        shipping_street="Lieferweg",
        shipping_house_number="3",
        shipping_postcode="50667",
        shipping_city="Köln",
        shipping_country="DE",
        status=OrderStatus.PAID,
        payment_date=timezone.now(),
    )
    OrderItemFactory(
        order=order,
        sku="TS-100",
        title="Teekanne Steingut",
        quantity=2,
        unit_price=Decimal("24.90"),
        tax_rate=Decimal("19.00"),
    )
    OrderItemFactory(
        order=order,
        sku="BK-7",
        title="Kochbuch",
        quantity=1,
        unit_price=Decimal("19.99"),
        tax_rate=Decimal("7.00"),
    )
    return order


def test_it_issues_a_stored_pdf_with_seller_buyer_items_and_totals(company, order):
    order = order_create_invoice(order=order, actor=None)

    document = Document.objects.get(order=order, kind=Document.Kind.INVOICE)
    text = _text(bytes(document.pdf))
    assert order.invoice_number == document.number == f"RE-{order.invoice_date.year}-00001"
    for expected in (
        "Muster Handel GmbH",
        "Hauptstraße 5",
        "10115 Berlin",
        "DE123456789",
        "DE89 3704 0044 0532 0130 00",
        "Erika Mustermann",
        "Heidestraße 17",
        "51147 Köln",
        "TS-100",
        "Teekanne Steingut",
        "Kochbuch",
        "49,80 EUR",
        "69,79 EUR",
        "Amtsgericht Berlin",
    ):
        assert expected in text, expected
    assert CompanySettings.load().next_invoice_number == 2
    assert Invoice.objects.get(order=order).content["seller"]["name"] == "Muster Handel GmbH"


def test_the_stored_pdf_is_served_unchanged_after_the_settings_change(
    company, order, client, merchant
):
    order_create_invoice(order=order, actor=None)
    document = Document.objects.get(order=order)
    CompanySettings.objects.filter(pk=1).update(name="Andere Firma AG")
    client.force_login(merchant)

    response = client.get(reverse("documents:pdf", args=(order.pk, document.pk)))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="Rechnung-{document.number}.pdf"' in response["Content-Disposition"]
    assert response.content == bytes(document.pdf)
    assert "Andere Firma" not in _text(response.content)


def test_issuing_is_refused_while_the_company_settings_are_incomplete(order, client, merchant):
    CompanySettings.objects.update_or_create(pk=1, defaults={"name": "Muster Handel GmbH"})

    with pytest.raises(CompanyIncompleteError) as refused:
        order_create_invoice(order=order, actor=None)

    assert "Straße und Hausnummer" in refused.value.message
    assert "USt-IdNr. oder Steuernummer" in refused.value.message
    assert reverse("documents:company") in refused.value.message
    assert not Invoice.objects.exists() and not Document.objects.exists()
    client.force_login(merchant)
    response = client.post(reverse("orders:invoice_create", args=(order.pk,)), follow=True)
    assert "Einstellungen → Firma</a>" in response.text
    assert Order.objects.get(pk=order.pk).invoice_number is None


def _edit_billing(order: Order, **changes) -> Order:
    order = Order.objects.get(pk=order.pk)
    return order_update(
        order=order,
        actor=None,
        version=order.version,
        billing={**order.billing_address.as_dict(), **changes},
        shipping=order.shipping_address.as_dict(),
        fields={n: getattr(order, n) for n in ("buyer_email", "buyer_phone", "status", "notes")},
    )


def _correct(order: Order, **billing) -> Order:
    """A correction: cancel the invoice in force, edit the billing address, issue a new one."""
    order_cancel_invoice(order=order, actor=None)
    order = _edit_billing(order, **billing)
    return order_create_invoice(order=order, actor=None)


def test_a_cancellation_has_its_own_number_negative_totals_and_frees_the_billing_address(
    company, order
):
    order = order_create_invoice(order=order, actor=None)
    first = order.invoice_number

    order = order_cancel_invoice(order=order, actor=None)

    cancellation = Document.objects.get(order=order, kind=Document.Kind.CANCELLATION)
    text = _text(bytes(cancellation.pdf))
    assert cancellation.number != first and cancellation.invoice.number == first
    assert f"Stornorechnung {cancellation.number}" in text
    assert f"hebt die Rechnung {first}" in text
    assert "-69,79 EUR" in text and "-49,80 EUR" in text
    assert "Erika Mustermann" in text and "51147 Köln" in text
    assert order.invoice_number is None
    assert order.status == OrderStatus.PAID
    event = order.events.get(kind=OrderEvent.Kind.INVOICE_CANCELLED)
    assert event.params == {"invoice": first, "cancellation": cancellation.number}
    # A correction: the billing address may be edited now, then a new invoice is issued.
    order = _edit_billing(order, city="Bonn", postcode="53111")
    order = order_create_invoice(order=order, actor=None)
    assert order.invoice_number not in (first, cancellation.number)
    assert Invoice.objects.filter(order=order).count() == 2
    new = Document.objects.get(order=order, number=order.invoice_number)
    assert "53111 Bonn" in _text(bytes(new.pdf))
    order_cancel_invoice(order=order, actor=None)
    with pytest.raises(OrderRuleError, match="keine Rechnung"):
        order_cancel_invoice(order=order, actor=None)


def test_the_cancelled_invoice_keeps_the_old_billing_address_after_the_edit(
    company, order, client, merchant
):
    order = order_create_invoice(order=order, actor=None)
    first = Invoice.objects.get(order=order)
    order_cancel_invoice(order=order, actor=None)

    _edit_billing(order, street="Domplatz", house_number="1", city="Bonn", postcode="53111")

    # Order.save kept the address the cancelled invoice printed (by reference until now).
    first = Invoice.objects.select_related("order").get(pk=first.pk)
    assert first.buyer["billing"]["city"] == "Köln"
    assert "shipping" not in first.buyer
    printed = issued_invoice(first)
    assert (printed.billing.street, printed.billing.city) == ("Heidestraße", "Köln")
    assert Order.objects.get(pk=order.pk).billing_city == "Bonn"
    client.force_login(merchant)
    for document in Document.objects.filter(invoice=first):
        response = client.get(reverse("documents:pdf", args=(order.pk, document.pk)))
        text = _text(response.content)
        assert "Heidestraße 17" in text and "51147 Köln" in text, document
        assert "Bonn" not in text and "Domplatz" not in text


def test_a_delivery_note_has_the_shipping_address_and_no_prices(company, order):
    document = order_create_delivery_note(order=order, actor=None)

    text = _text(bytes(document.pdf))
    assert "Lieferschein LS-" in text
    assert "Lieferweg 3" in text and "50667 Köln" in text and "Teekanne Steingut" in text
    assert "Heidestraße" not in text
    assert "EUR" not in text and "24,90" not in text
    assert order_create_delivery_note(order=order, actor=None).pk == document.pk
    assert order.events.filter(kind=OrderEvent.Kind.DELIVERY_NOTE).count() == 1


def test_documents_are_refused_for_a_cancelled_order(company, order):
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.CANCELLED)

    with pytest.raises(OrderRuleError):
        order_create_delivery_note(order=order, actor=None)

    assert not Document.objects.exists()


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_anonymizing_moves_the_pdfs_to_cold_storage_and_restore_brings_them_back_unchanged(
    company, order, client, merchant
):
    order = order_create_invoice(order=order, actor=None)
    order = _correct(order, city="Bonn", postcode="53111")  # the first invoice keeps Köln
    order_create_delivery_note(order=order, actor=None)
    before = {pk: bytes(pdf) for pk, pdf in Document.objects.values_list("pk", "pdf")}
    buyers = dict(Invoice.objects.values_list("number", "buyer"))
    assert len(before) == 4

    anonymize(order)

    assert set(Document.objects.values_list("pdf", flat=True)) == {None}
    assert Document.objects.filter(size__gt=0).count() == 4  # the metadata stays
    record = cold_records_load(kind=ColdRecord.Kind.ORDER, ids=[order.pk])[order.pk]
    assert sorted(pk for pk, _data in record["d"]) == sorted(before)
    first = Invoice.objects.order_by("issued_at").first()
    assert record["b"][0] == first.pk and "bx" not in record
    assert first.buyer["billing"]["city"] == "[Anonymisiert]"
    assert first.buyer["billing"]["country"] == "DE"
    assert Invoice.objects.get(number=order.invoice_number).buyer is None
    client.force_login(merchant)
    document = Document.objects.first()
    response = client.get(reverse("documents:pdf", args=(order.pk, document.pk)), follow=True)
    assert response["Content-Type"].startswith("text/html")
    assert "verschlüsselt im Archiv" in response.text
    page = client.get(reverse("orders:detail", args=(order.pk,))).text
    assert f"Rechnung {order.invoice_number}" in page
    assert reverse("documents:pdf", args=(order.pk, document.pk)) not in page
    with pytest.raises(OrderLockedError, match="anonymisiert"):
        order_create_delivery_note(order=Order.objects.get(pk=order.pk), actor=None)
    with pytest.raises(OrderLockedError):
        order_cancel_invoice(order=Order.objects.get(pk=order.pk), actor=None)

    restore(order)

    after = {pk: bytes(pdf) for pk, pdf in Document.objects.values_list("pk", "pdf")}
    assert after == before
    assert Order.objects.get(pk=order.pk).privacy_state == PrivacyState.ACTIVE
    assert dict(Invoice.objects.values_list("number", "buyer")) == buyers


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_several_invoices_with_addresses_of_their_own_travel_as_b_and_bx(company, order):
    order = order_create_invoice(order=order, actor=None)
    order = _correct(order, city="Bonn", postcode="53111")
    order = _correct(order, city="Mainz", postcode="55116")
    buyers = dict(Invoice.objects.values_list("pk", "buyer"))
    assert sorted(b["billing"]["city"] for b in buyers.values() if b) == ["Bonn", "Köln"]

    anonymize(order)

    record = cold_records_load(kind=ColdRecord.Kind.ORDER, ids=[order.pk])[order.pk]
    travelled = [record["b"], *record["bx"]]
    assert {pk for pk, _buyer in travelled} == {pk for pk, b in buyers.items() if b}
    assert len(record["d"]) == 5  # three invoices, two cancellations
    restore(order)
    assert dict(Invoice.objects.values_list("pk", "buyer")) == buyers


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_documents_add_at_most_two_queries_to_an_anonymize_chunk_and_one_to_a_restore(
    company, order, settings
):
    settings.PRIVACY_JOB_THREADS = 1  # the chunk's queries on this connection
    orders = [order, *(OrderFactory(status=OrderStatus.PAID) for _ in range(3))]
    for each in orders:
        OrderItemFactory(order=each)
        order_create_invoice(order=each, actor=None)
        order_create_delivery_note(order=each, actor=None)

    with CaptureQueriesContext(connection) as anonymizing:
        anonymize(*orders)
    with CaptureQueriesContext(connection) as restoring:
        restore(*orders)

    def touching_documents(queries) -> int:
        return sum('"documents_document"' in query["sql"] for query in queries)

    assert touching_documents(anonymizing.captured_queries) == 2
    assert touching_documents(restoring.captured_queries) == 1
    assert Document.objects.filter(pdf__isnull=True).count() == 0


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_a_purge_deletes_the_pdfs_with_the_cold_record(company, order):
    order = order_create_invoice(order=order, actor=None)
    anonymize(order)

    purge_on = Order.objects.get(pk=order.pk).purge_on
    job = privacy_job_purge(today=purge_on, background=False)
    privacy_job_run(job_id=job.pk)

    assert Order.objects.get(pk=order.pk).privacy_state == PrivacyState.PURGED
    document = Document.objects.get(order=order)
    assert document.pdf is None
    assert not cold_records_load(kind=ColdRecord.Kind.ORDER, ids=[order.pk])


def test_the_pdf_needs_the_personal_data_permission(company, order, client, user):
    order_create_invoice(order=order, actor=None)
    document = Document.objects.get(order=order)
    from tests.conftest import permissions

    user.user_permissions.set(permissions("orders.view_order"))
    client.force_login(user)

    response = client.get(reverse("documents:pdf", args=(order.pk, document.pk)))

    assert response.status_code == 403
    assert b"%PDF" not in response.content


def test_the_order_page_shows_the_documents_and_until_when_they_are_kept(
    company, order, client, merchant
):
    order = order_create_invoice(order=order, actor=None)
    client.force_login(merchant)

    response = client.get(reverse("orders:detail", args=(order.pk,)))

    year = order.invoice_date.year + 10
    assert f"Rechnung {order.invoice_number}" in response.text
    assert f"aufbewahrt mindestens bis 31.12.{year}" in response.text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("iban", "DE89370400440532013001", "IBAN ist ungültig"),
        ("invoice_number_format", "RE-{year}", "{number}"),
        ("invoice_number_format", "RE-{nummer}-{number}", "nur die Platzhalter"),
        ("invoice_number_format", "RE-{number:05q}", "Format ist ungültig"),
        ("bic", "COBADE", "8 oder 11"),
        ("next_invoice_number", "0", ""),
    ],
)
def test_the_company_form_refuses_bad_input_and_changes_nothing(
    company, client, merchant, field, value, message
):
    client.force_login(merchant)
    data = {**_company_form(), field: value}

    response = client.post(reverse("documents:company"), data)

    assert response.status_code == 200
    assert message in response.text
    assert CompanySettings.load().version == company.version


def _company_form() -> dict:
    from tests.conftest import COMPANY

    company = CompanySettings.load()
    return {
        **COMPANY,
        "phone": "",
        "invoice_number_format": company.invoice_number_format,
        "next_invoice_number": str(company.next_invoice_number),
        "version": str(company.version),
    }


def test_the_company_form_saves_and_refuses_a_save_from_an_old_page(company, client, merchant):
    client.force_login(merchant)
    data = {**_company_form(), "iban": "de89 3704 0044 0532 0130 00", "next_invoice_number": "500"}

    response = client.post(reverse("documents:company"), data)

    assert response.status_code == 302
    saved = CompanySettings.load()
    assert saved.iban == "DE89370400440532013000" and saved.next_invoice_number == 500
    response = client.post(reverse("documents:company"), {**data, "name": "Veraltet"})
    assert "inzwischen" in response.text
    assert CompanySettings.load().name == "Muster Handel GmbH"


def test_without_the_change_permission_the_company_page_is_read_only(company, client, user):
    from tests.conftest import permissions

    user.user_permissions.set(permissions("documents.view_companysettings"))
    client.force_login(user)

    page = client.get(reverse("documents:company")).text

    assert "fehlt Ihnen die Berechtigung" in page
    assert 'name="name"' in page and "disabled" in page
    assert page.count(" disabled") >= len(CompanySettingsForm().visible_fields())
