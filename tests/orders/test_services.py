"""Use cases of the order edit page: order_update, order_create_invoice, order_ship."""

from decimal import Decimal

import pytest
from django.utils import timezone

from customers.models import Address, PrivacyState
from orders.forms import ADDRESS_FIELDS
from orders.models import NumberSequence, Order, OrderEvent, OrderLockedError, OrderStatus
from orders.selectors import order_invoice_totals
from orders.services import order_create_invoice, order_ship, order_update
from tests.factories import AddressFactory, CustomerFactory, OrderFactory, OrderItemFactory

pytestmark = pytest.mark.django_db


def _address_data(address: Address, **changes) -> dict:
    return {name: getattr(address, name) for name in ADDRESS_FIELDS} | changes


def _order_fields(order: Order, **changes) -> dict:
    data = {
        "buyer_email": order.buyer_email,
        "buyer_phone": order.buyer_phone,
        "status": order.status,
        "notes": order.notes,
    }
    return data | changes


def _update(order: Order, actor, *, billing=None, shipping=None, **fields) -> Order:
    return order_update(
        order=order,
        actor=actor,
        billing=_address_data(order.billing_address, **(billing or {})),
        shipping=_address_data(order.shipping_address, **(shipping or {})),
        fields=_order_fields(order, **fields),
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
    order = OrderFactory(billing_address__last_name="Altname")

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


def test_it_changes_an_address_in_place_when_only_this_order_uses_it(user):
    customer = CustomerFactory()
    order = OrderFactory(customer=customer, shipping_address=AddressFactory(customer=customer))
    billing_id = order.billing_address_id

    _update(order, user, billing={"street": "Neue Straße"})

    order.refresh_from_db()
    assert order.billing_address_id == billing_id
    assert order.billing_address.street == "Neue Straße"


def test_it_copies_an_address_that_another_order_uses(user):
    order = OrderFactory()
    other = OrderFactory(
        customer=order.customer,
        billing_address=order.billing_address,
        shipping_address=order.billing_address,
    )
    old_street = order.billing_address.street

    _update(order, user, billing={"street": "Neue Straße"}, shipping={"street": "Neue Straße"})

    order.refresh_from_db()
    other.refresh_from_db()
    assert order.billing_address_id != other.billing_address_id
    assert order.billing_address.street == "Neue Straße"
    assert order.billing_address.customer_id == order.customer_id
    assert order.shipping_address_id == order.billing_address_id
    assert other.billing_address.street == old_street


def test_it_splits_a_shared_address_when_only_billing_changes(user):
    order = OrderFactory()
    shared_id = order.billing_address_id
    old_street = order.billing_address.street

    _update(order, user, billing={"street": "Rechnungsweg"})

    order.refresh_from_db()
    assert order.shipping_address_id == shared_id
    assert order.shipping_address.street == old_street
    assert order.billing_address_id != shared_id
    assert order.billing_address.street == "Rechnungsweg"


def test_it_splits_a_shared_address_when_only_shipping_changes(user):
    order = OrderFactory()
    shared_id = order.billing_address_id

    _update(order, user, shipping={"line2": "Packstation 123"})

    order.refresh_from_db()
    assert order.billing_address_id == shared_id
    assert order.billing_address.line2 == ""
    assert order.shipping_address_id != shared_id
    assert order.shipping_address.line2 == "Packstation 123"


def test_it_keeps_one_address_when_both_change_alike(user):
    order = OrderFactory()
    shared_id = order.billing_address_id

    _update(order, user, billing={"city": "Hamburg"}, shipping={"city": "Hamburg"})

    order.refresh_from_db()
    assert order.billing_address_id == order.shipping_address_id == shared_id
    assert order.billing_address.city == "Hamburg"
    assert Address.objects.count() == 1


def test_it_numbers_invoices_sequentially(user):
    first, second = OrderFactory(), OrderFactory()
    year = timezone.localdate().year

    first = order_create_invoice(order=first, actor=user)
    second = order_create_invoice(order=second, actor=user)

    assert first.invoice_number == f"RE-{year}-00001"
    assert second.invoice_number == f"RE-{year}-00002"
    assert NumberSequence.objects.get(name=f"invoice-{year}").last_value == 2


def test_it_continues_an_existing_sequence(user):
    year = timezone.localdate().year
    NumberSequence.objects.create(name=f"invoice-{year}", last_value=41)

    order = order_create_invoice(order=OrderFactory(), actor=user)

    assert order.invoice_number == f"RE-{year}-00042"


def test_it_returns_the_existing_invoice_when_invoicing_twice(user):
    order = order_create_invoice(order=OrderFactory(), actor=user)
    number, invoiced_at = order.invoice_number, order.invoice_date

    again = order_create_invoice(order=order, actor=user)

    assert again.invoice_number == number
    assert again.invoice_date == invoiced_at
    assert NumberSequence.objects.get().last_value == 1
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
    assert not NumberSequence.objects.exists()


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
