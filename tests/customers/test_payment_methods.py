"""Payment methods ("Zahlungsart") are a choice list on customers and orders: shown by their
label, refused as free text by the forms and the database, and older free text is mapped."""

import datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer
from customers.payment_methods import PaymentMethod, payment_method_for
from orders.models import Invoice, Order
from tests.customers.edit_form import customer_with_data, edit_payload
from tests.factories import CustomerFactory, OrderFactory


@pytest.mark.parametrize(
    ("text", "method"),
    [
        ("PayPal", PaymentMethod.PAYPAL),
        ("  paypal ", PaymentMethod.PAYPAL),
        ("Rechnung", PaymentMethod.INVOICE),
        ("Kauf auf Rechnung", PaymentMethod.INVOICE),
        ("Vorkasse", PaymentMethod.PREPAYMENT),
        ("vorkasse/überweisung", PaymentMethod.PREPAYMENT),
        ("Kreditkarte", PaymentMethod.CREDIT_CARD),
        ("VISA", PaymentMethod.CREDIT_CARD),
        ("SEPA-Lastschrift", PaymentMethod.DIRECT_DEBIT),
        ("Amazon Payments", PaymentMethod.AMAZON_PAY),
        ("eBay Zahlungsabwicklung", PaymentMethod.EBAY),
        ("KLARNA", PaymentMethod.KLARNA),
        ("Nachnahme", PaymentMethod.CASH_ON_DELIVERY),
        ("Barzahlung", PaymentMethod.CASH),
        ("credit_card", PaymentMethod.CREDIT_CARD),
        ("Gutschein vom Nachbarn", PaymentMethod.OTHER),
        ("Visa 4111 1111 1111 1111", PaymentMethod.OTHER),
        ("4111111111111111", PaymentMethod.OTHER),
        ("", ""),
        (None, ""),
    ],
)
def test_free_text_maps_to_a_payment_method(text, method):
    assert payment_method_for(text) == method


@pytest.mark.django_db
@pytest.mark.parametrize("factory", [CustomerFactory, OrderFactory])
def test_the_database_refuses_anything_but_a_code(factory):
    record = factory()
    with pytest.raises(IntegrityError), transaction.atomic():
        type(record).objects.filter(pk=record.pk).update(payment_method="Visa 4111 1111 1111 1111")
    with pytest.raises(IntegrityError), transaction.atomic():
        type(record).objects.filter(pk=record.pk).update(payment_method="PayPal")


@pytest.mark.django_db
def test_the_customer_page_offers_the_list_and_saves_a_choice(merchant_client):
    customer = customer_with_data()

    page = merchant_client.get(f"/customers/{customer.pk}/")
    assert '<select name="payment_method"' in page.text
    assert '<option value="prepayment">Vorkasse/Überweisung</option>' in page.text

    response = merchant_client.post(
        f"/customers/{customer.pk}/", edit_payload(customer, payment_method="klarna")
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.payment_method == PaymentMethod.KLARNA


@pytest.mark.django_db
def test_the_customer_page_refuses_free_text(merchant_client):
    customer = customer_with_data()

    response = merchant_client.post(
        f"/customers/{customer.pk}/", edit_payload(customer, payment_method="Überweisung")
    )

    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.payment_method == PaymentMethod.PAYPAL


@pytest.mark.django_db
def test_the_order_page_and_the_invoice_show_the_label(logged_in, company):
    order = OrderFactory(payment_method=PaymentMethod.PREPAYMENT)

    page = logged_in.get(reverse("orders:detail", args=[order.pk]))
    assert "Vorkasse/Überweisung" in page.text

    invoice = logged_in.post(reverse("orders:invoice_create", args=[order.pk]), follow=True)
    assert "Zahlungsart: Vorkasse/Überweisung" in invoice.text
    assert Invoice.objects.get(order=order).content["payment_method"] == "prepayment"


@pytest.mark.django_db
def test_an_invoice_issued_before_the_list_prints_its_own_text(logged_in, company):
    order = OrderFactory()
    logged_in.post(reverse("orders:invoice_create", args=[order.pk]))
    invoice = Invoice.objects.get(order=order)
    invoice.content["payment_method"] = "Kauf auf Rechnung"
    invoice.save()

    page = logged_in.get(reverse("orders:invoice", args=[order.pk]))

    assert "Zahlungsart: Kauf auf Rechnung" in page.text


# --- the data migrations (customers 0004, orders 0013) ----------------------------------------

BEFORE = [("customers", "0003_customer_version"), ("orders", "0012_restore_failures")]
TEXTS = {
    "PayPal": "paypal",
    "vorkasse": "prepayment",
    "Amazon Payments": "amazon_pay",
    "Visa 4111 1111 1111 1111": "other",
    "Bar bei Abholung, Karte 5500 0055 5555 5559": "other",
    "Tauschgeschäft": "other",
    "": "",
}


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_the_migrations_map_free_text_and_never_keep_a_card_number():
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    _migrate(BEFORE)
    try:
        apps = MigrationExecutor(connection).loader.project_state(BEFORE).apps
        channel = apps.get_model("channels", "Channel").objects.create(name="Shop", kind="shop")
        OldCustomer = apps.get_model("customers", "Customer")
        OldOrder = apps.get_model("orders", "Order")
        OldInvoice = apps.get_model("orders", "Invoice")
        now = timezone.now()
        for number, text in enumerate(TEXTS, start=1):
            customer = OldCustomer.objects.create(number=number, payment_method=text)
            order = OldOrder.objects.create(
                number=number,
                channel=channel,
                customer=customer,
                order_date=now - datetime.timedelta(days=number),
                payment_method=text,
            )
            OldInvoice.objects.create(
                order=order,
                number=f"RE-{number}",
                issued_at=now,
                content={"payment_method": text, "order_number": number},
            )
    finally:
        _migrate(leaves)

    for number, code in enumerate(TEXTS.values(), start=1):
        assert Customer.objects.get(number=number).payment_method == code
        assert Order.objects.get(number=number).payment_method == code
    printed = dict(Invoice.objects.values_list("number", "content__payment_method"))
    # Issued invoices keep what they printed (GoBD) – but never a card number.
    assert printed == {
        "RE-1": "PayPal",
        "RE-2": "vorkasse",
        "RE-3": "Amazon Payments",
        "RE-4": "other",
        "RE-5": "other",
        "RE-6": "Tauschgeschäft",
        "RE-7": "",
    }


@pytest.mark.django_db
def test_the_read_only_customer_page_shows_the_label(logged_in):
    customer = customer_with_data(payment_method=PaymentMethod.PREPAYMENT)

    page = logged_in.get(f"/customers/{customer.pk}/")

    assert page.status_code == 200
    assert "Vorkasse/Überweisung" in page.text
    assert "prepayment" not in page.text
