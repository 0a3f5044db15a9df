"""Use cases of the order edit page: order_update, order_create_invoice, order_ship."""

from decimal import Decimal

import pytest
from django.utils import timezone

from customers.models import ADDRESS_FIELDS, Address
from documents.models import CompanySettings
from orders.invoicing import issued_invoice, order_invoice_totals
from orders.models import Invoice, Order, OrderAddress, OrderEvent, OrderLockedError, OrderStatus
from orders.services import (
    OrderChangedError,
    OrderRuleError,
    order_create_invoice,
    order_ship,
    order_update,
)
from personal.state import PrivacyState
from tests.factories import OrderFactory, OrderItemFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("company")]


def _address_data(address: OrderAddress, **changes) -> dict:
    return {name: getattr(address, name) for name in ADDRESS_FIELDS} | changes


def _order_fields(order: Order, **changes) -> dict:
    data = {
        "buyer_email": order.buyer_email,
        "buyer_phone": order.buyer_phone,
        "status": order.status,
        "notes": order.notes,
    }
    return data | changes


def _update(order: Order, actor, *, billing=None, shipping=None, version=None, **fields) -> Order:
    current = Order.objects.get(pk=order.pk)
    return order_update(
        order=order,
        actor=actor,
        version=current.version if version is None else version,
        billing=_address_data(current.billing_address, **(billing or {})),
        shipping=_address_data(current.shipping_address, **(shipping or {})),
        fields=_order_fields(current, **fields),
    )


def test_it_updates_contact_and_notes(user):
    order = OrderFactory()

    _update(order, user, buyer_email="neu@example.de", notes="Hintereingang")

    order.refresh_from_db()
    assert order.buyer_email == "neu@example.de"
    assert order.notes == "Hintereingang"
    event = order.events.get()
    assert event.kind == OrderEvent.Kind.EDITED
    assert event.actor == user
    assert "E-Mail des Käufers" in event.detail
    assert "Interne Notizen" in event.detail


def test_its_history_holds_no_personal_data(user):
    order = OrderFactory(billing_entry__last_name="Altname")

    _update(
        order,
        user,
        billing={"last_name": "Neuname", "city": "Kleinstadt"},
        buyer_email="geheim@example.de",
        buyer_phone="+49 170 999999",
    )

    details = " ".join(order.events.values_list("detail", flat=True))
    for secret in ("Neuname", "Altname", "Kleinstadt", "geheim@example.de", "999999"):
        assert secret not in details
    assert "Rechnungsadresse (Nachname, Ort)" in details


def test_it_writes_no_event_when_nothing_changed(user):
    order = OrderFactory()

    _update(order, user)

    assert not order.events.exists()


def test_it_logs_a_status_change(user):
    order = OrderFactory(status=OrderStatus.PAID)

    _update(order, user, status=OrderStatus.SHIPPED)

    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    event = order.events.get()
    assert event.kind == OrderEvent.Kind.STATUS_CHANGED
    assert event.detail == "Status: Bezahlt → Versendet"


def test_it_changes_the_orders_own_address_only(user):
    order = OrderFactory()
    other = OrderFactory(
        customer=order.customer,
        billing_entry=order.billing_entry,
        shipping_entry=order.billing_entry,
    )
    entry_street = order.billing_entry.street

    _update(order, user, billing={"street": "Rechnungsweg"}, shipping={"line2": "Packstation 1"})

    order.refresh_from_db()
    other.refresh_from_db()
    assert order.billing_street == "Rechnungsweg"
    assert order.shipping_line2 == "Packstation 1"
    assert order.shipping_street == entry_street
    # Neither the address book nor the other order changed, and no entry was added.
    assert Address.objects.get(pk=order.billing_entry_id).street == entry_street
    assert other.billing_street == entry_street
    assert Address.objects.count() == 1
    event = order.events.get(kind=OrderEvent.Kind.EDITED)
    assert event.params["changed"] == {"billing": ["street"], "shipping": ["line2"]}


def test_it_refuses_a_save_from_an_older_version(user, django_user_model):
    order = OrderFactory()
    other = django_user_model.objects.create_user("kollegin", password="x")
    version = order.version
    _update(order, other, billing={"street": "Neue Straße"}, version=version)

    with pytest.raises(OrderChangedError) as exc_info:
        _update(order, user, notes="Von der alten Seite", version=version)

    assert "kollegin" in exc_info.value.message
    order.refresh_from_db()
    assert order.billing_street == "Neue Straße"
    assert order.notes == "Bitte klingeln"
    assert order.version == version + 1


def test_an_issued_invoice_never_changes(user):
    order = OrderFactory(billing_city="Mainz", status=OrderStatus.PAID)
    OrderItemFactory(order=order, quantity=1, unit_price=Decimal("10.00"))
    order_create_invoice(order=order, actor=user)
    before = Invoice.objects.get(order=order)
    assert before.buyer is None  # it prints the order's own addresses
    shipped_to = order.shipping_city

    with pytest.raises(OrderRuleError) as exc_info:
        _update(order, user, billing={"city": "Wiesbaden"})
    assert exc_info.value.code == "invoiced"
    _update(order, user, shipping={"city": "Wiesbaden"})
    assert Invoice.objects.get(order=order).buyer["shipping"]["city"] == shipped_to
    _update(order, user, shipping={"city": "Bonn"})
    order.items.update(unit_price=Decimal("99.00"))
    order_ship(order=order, actor=user, tracking_number="TRACK-1")

    invoice = issued_invoice(Invoice.objects.get(order=order))
    assert invoice.billing.city == "Mainz"
    assert invoice.shipping.city == shipped_to != "Wiesbaden"
    assert invoice.delivery_date is None
    assert invoice.gross == Decimal("10.00")
    assert Invoice.objects.get(order=order).content == before.content


def test_a_cancelled_order_is_neither_invoiced_nor_shipped(user):
    order = OrderFactory(status=OrderStatus.CANCELLED)

    with pytest.raises(OrderRuleError):
        order_create_invoice(order=order, actor=user)
    with pytest.raises(OrderRuleError):
        order_ship(order=order, actor=user, tracking_number="TRACK-1")

    order.refresh_from_db()
    assert order.invoice_number is None
    assert order.tracking_number == ""
    assert not Invoice.objects.exists()
    assert CompanySettings.load().next_invoice_number == 1  # no number taken


def test_shipping_again_asks_before_it_replaces_the_tracking_number(user):
    order = OrderFactory(status=OrderStatus.INVOICED)
    order_ship(order=order, actor=user, tracking_number="TRACK-1")

    with pytest.raises(OrderRuleError) as exc_info:
        order_ship(order=order, actor=user, tracking_number="TRACK-2")
    assert exc_info.value.code == "confirm_replace"
    order.refresh_from_db()
    assert order.tracking_number == "TRACK-1"

    order_ship(order=order, actor=user, tracking_number="TRACK-2", replace_tracking=True)
    order.refresh_from_db()
    assert order.tracking_number == "TRACK-2"


def test_it_numbers_invoices_sequentially(user):
    first, second = OrderFactory(), OrderFactory()
    year = timezone.localdate().year

    first = order_create_invoice(order=first, actor=user)
    second = order_create_invoice(order=second, actor=user)

    assert first.invoice_number == f"RE-{year}-00001"
    assert second.invoice_number == f"RE-{year}-00002"
    assert CompanySettings.load().next_invoice_number == 3


def test_it_continues_with_the_next_number_of_the_company_settings(user):
    year = timezone.localdate().year
    CompanySettings.objects.filter(pk=1).update(
        next_invoice_number=42, invoice_number_format="{year}/{number}"
    )

    order = order_create_invoice(order=OrderFactory(), actor=user)

    assert order.invoice_number == f"{year}/42"
    assert CompanySettings.load().next_invoice_number == 43


def test_it_refuses_a_next_number_that_was_issued_before_and_takes_none(user):
    year = timezone.localdate().year
    order_create_invoice(order=OrderFactory(), actor=user)
    CompanySettings.objects.filter(pk=1).update(next_invoice_number=1)
    order = OrderFactory()

    with pytest.raises(OrderRuleError, match=f"RE-{year}-00001 ist bereits vergeben"):
        order_create_invoice(order=order, actor=user)

    assert Order.objects.get(pk=order.pk).invoice_number is None
    assert CompanySettings.load().next_invoice_number == 1


def test_it_returns_the_existing_invoice_when_invoicing_twice(user):
    order = order_create_invoice(order=OrderFactory(), actor=user)
    number, invoiced_at = order.invoice_number, order.invoice_date

    again = order_create_invoice(order=order, actor=user)

    assert again.invoice_number == number
    assert again.invoice_date == invoiced_at
    assert CompanySettings.load().next_invoice_number == 2
    assert order.events.filter(kind=OrderEvent.Kind.INVOICED).count() == 1


def test_invoicing_advances_a_paid_order(user):
    order = order_create_invoice(order=OrderFactory(status=OrderStatus.PAID), actor=user)

    order.refresh_from_db()
    assert order.status == OrderStatus.INVOICED
    assert order.invoice_date is not None
    kinds = list(order.events.values_list("kind", "detail"))
    assert (OrderEvent.Kind.INVOICED, f"Rechnung {order.invoice_number}") in kinds
    assert (OrderEvent.Kind.STATUS_CHANGED, "Status: Bezahlt → Rechnung erstellt") in kinds


def test_invoicing_keeps_a_shipped_order_shipped(user):
    order = order_create_invoice(order=OrderFactory(status=OrderStatus.SHIPPED), actor=user)

    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    assert order.invoice_number
    assert not order.events.filter(kind=OrderEvent.Kind.STATUS_CHANGED).exists()


def test_it_ships_an_order(user):
    order = OrderFactory(status=OrderStatus.INVOICED)

    order_ship(order=order, actor=user, tracking_number="00340434161234567890")

    order.refresh_from_db()
    assert order.tracking_number == "00340434161234567890"
    assert order.status == OrderStatus.SHIPPED
    assert order.delivery_date is not None
    assert order.events.filter(kind=OrderEvent.Kind.SHIPPED, actor=user).exists()
    assert "00340434161234567890" not in " ".join(order.events.values_list("detail", flat=True))


@pytest.mark.parametrize(
    "state", [PrivacyState.ANONYMIZED, PrivacyState.RESTORING, PrivacyState.PURGED]
)
@pytest.mark.parametrize(
    "action",
    [
        lambda order, user: _update(order, user, notes="neu"),
        lambda order, user: order_create_invoice(order=order, actor=user),
        lambda order, user: order_ship(order=order, actor=user, tracking_number="TRACK-1"),
    ],
    ids=["update", "invoice", "ship"],
)
def test_it_refuses_actions_on_orders_without_personal_data(user, state, action):
    order = OrderFactory(status=OrderStatus.PAID)
    Order.objects.filter(pk=order.pk).update(privacy_state=state)

    with pytest.raises(OrderLockedError) as exc_info:
        # The stale instance still says "active": the service must check the locked row.
        action(order, user)

    assert str(order.number) in exc_info.value.message
    order.refresh_from_db()
    assert order.notes == "Bitte klingeln"
    assert order.invoice_number is None
    assert order.tracking_number == ""
    assert order.status == OrderStatus.PAID
    assert not order.events.exists()
    assert CompanySettings.load().next_invoice_number == 1  # no number taken


def test_it_sums_net_tax_and_gross_per_tax_rate():
    order = OrderFactory()
    items = [
        OrderItemFactory(order=order, quantity=2, unit_price=Decimal("11.90"), tax_rate=19),
        OrderItemFactory(order=order, quantity=1, unit_price=Decimal("10.70"), tax_rate=7),
        OrderItemFactory(order=order, quantity=1, unit_price=Decimal("5.95"), tax_rate=19),
    ]

    totals = order_invoice_totals(items=items)

    assert [(line.rate, line.net, line.tax, line.gross) for line in totals.tax_lines] == [
        (Decimal(19), Decimal("25.00"), Decimal("4.75"), Decimal("29.75")),
        (Decimal(7), Decimal("10.00"), Decimal("0.70"), Decimal("10.70")),
    ]
    assert totals.gross == Decimal("40.45")
    assert totals.net + totals.tax == totals.gross
