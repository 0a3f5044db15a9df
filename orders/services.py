"""Use cases of the order edit page: edit, invoice, ship. Each runs in one transaction and logs."""

import copy
from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from customers.models import Address
from orders import history
from orders.forms import ADDRESS_FIELDS, ORDER_EDIT_FIELDS
from orders.models import NumberSequence, Order, OrderEvent, OrderStatus

#: Invoicing moves an order forward only from these states; a shipped order stays shipped.
_INVOICE_ADVANCES_FROM = (OrderStatus.NEW, OrderStatus.PAID)


def _lock_order(order: Order) -> Order:
    locked = Order.objects.select_for_update().get(pk=order.pk)
    locked.ensure_personal_data_available()
    return locked


def _event(
    *, order: Order, actor: AbstractBaseUser | None, kind: str, params: dict | None = None
) -> None:
    # The facts name what changed (fields, numbers, states), never the values a person typed.
    params = params or {}
    OrderEvent.objects.create(
        order=order,
        kind=kind,
        actor=actor,
        params=params,
        detail=history.stored_detail(params),
    )


def _set_status(*, order: Order, actor: AbstractBaseUser | None, status: str) -> None:
    if order.status == status:
        return
    params = history.status_change(order.status, status)
    order.status = status
    _event(order=order, actor=actor, kind=OrderEvent.Kind.STATUS_CHANGED, params=params)


def _changed_address_fields(address: Address, data: Mapping[str, Any]) -> list[str]:
    return [name for name in ADDRESS_FIELDS if getattr(address, name) != data[name]]


def _used_by_other_orders(*, order: Order, address: Address) -> bool:
    return (
        Order.objects.filter(Q(billing_address=address) | Q(shipping_address=address))
        .exclude(pk=order.pk)
        .exists()
    )


def _write_address(
    *, address: Address, data: Mapping[str, Any], changed: list[str], as_copy: bool
) -> Address:
    for name in changed:
        setattr(address, name, data[name])
    if as_copy:
        address.pk = None
        address._state.adding = True
        address.save(force_insert=True)
    else:
        address.save(update_fields=changed)
    return address


@transaction.atomic
def order_update(
    *,
    order: Order,
    actor: AbstractBaseUser | None,
    billing: Mapping[str, Any],
    shipping: Mapping[str, Any],
    fields: Mapping[str, Any],
) -> Order:
    """Saves the edit page: billing and shipping address, contact, status and notes.

    `billing` and `shipping` hold the address fields (forms.ADDRESS_FIELDS), `fields` the
    order's own (forms.ORDER_EDIT_FIELDS); all of them, already validated.

    An address row belongs to the customer and may be printed on other orders and their
    invoices: a changed address that another order (or the other role of this order) still
    uses is written as a new address of the customer instead of being changed in place.
    """
    order = _lock_order(order)
    billing_row = Address.objects.select_for_update().get(pk=order.billing_address_id)
    shared = order.shipping_address_id == order.billing_address_id
    shipping_row = (
        copy.copy(billing_row)
        if shared
        else Address.objects.select_for_update().get(pk=order.shipping_address_id)
    )
    billing_changes = _changed_address_fields(billing_row, billing)
    shipping_changes = _changed_address_fields(shipping_row, shipping)

    if shared and all(billing[name] == shipping[name] for name in ADDRESS_FIELDS):
        # Still one address for both roles.
        if billing_changes:
            billing_row = _write_address(
                address=billing_row,
                data=billing,
                changed=billing_changes,
                as_copy=_used_by_other_orders(order=order, address=billing_row),
            )
        shipping_row = billing_row
    else:
        if billing_changes:
            # When the two part ways, the role that keeps the old values keeps the row.
            billing_row = _write_address(
                address=billing_row,
                data=billing,
                changed=billing_changes,
                as_copy=(shared and not shipping_changes)
                or _used_by_other_orders(order=order, address=billing_row),
            )
        if shipping_changes:
            shipping_row = _write_address(
                address=shipping_row,
                data=shipping,
                changed=shipping_changes,
                as_copy=shared or _used_by_other_orders(order=order, address=shipping_row),
            )
    order.billing_address = billing_row
    order.shipping_address = shipping_row

    own_fields = [name for name in ORDER_EDIT_FIELDS if name != "status"]
    own_changes = [name for name in own_fields if getattr(order, name) != fields[name]]
    for name in own_changes:
        setattr(order, name, fields[name])
    _set_status(order=order, actor=actor, status=fields["status"])
    order.save()

    if billing_changes or shipping_changes or own_changes:
        _event(
            order=order,
            actor=actor,
            kind=OrderEvent.Kind.EDITED,
            params=history.edit(
                billing=billing_changes, shipping=shipping_changes, order=own_changes
            ),
        )
    return order


def _next_invoice_number(year: int) -> str:
    sequence, _created = NumberSequence.objects.select_for_update().get_or_create(
        name=f"invoice-{year}"
    )
    sequence.last_value += 1
    sequence.save(update_fields=["last_value"])
    return f"RE-{year}-{sequence.last_value:05d}"


@transaction.atomic
def order_create_invoice(*, order: Order, actor: AbstractBaseUser | None) -> Order:
    """Gives the order the next invoice number; an invoiced order keeps the one it has."""
    order = _lock_order(order)
    if order.invoice_number:
        return order
    now = timezone.now()
    order.invoice_number = _next_invoice_number(timezone.localtime(now).year)
    order.invoice_date = now
    _event(
        order=order,
        actor=actor,
        kind=OrderEvent.Kind.INVOICED,
        params=history.invoice(order.invoice_number),
    )
    if order.status in _INVOICE_ADVANCES_FROM:
        _set_status(order=order, actor=actor, status=OrderStatus.INVOICED)
    order.save(update_fields=["invoice_number", "invoice_date", "status"])
    return order


@transaction.atomic
def order_ship(*, order: Order, actor: AbstractBaseUser | None, tracking_number: str) -> Order:
    """Records the shipment. The tracking number is personal data: it stays out of the history."""
    order = _lock_order(order)
    order.tracking_number = tracking_number
    order.delivery_date = timezone.now()
    _event(order=order, actor=actor, kind=OrderEvent.Kind.SHIPPED)
    _set_status(order=order, actor=actor, status=OrderStatus.SHIPPED)
    order.save(update_fields=["tracking_number", "delivery_date", "status"])
    return order
