"""Use cases of the order edit page: edit, invoice, ship. Each runs in one transaction and logs."""

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from customers.models import ADDRESS_FIELDS
from orders import history
from orders.invoicing import InvoiceLine, order_invoice_content
from orders.models import Invoice, Order, OrderEvent, OrderStatus

#: The order's own fields the edit page saves (besides its two addresses).
ORDER_EDIT_FIELDS = ("buyer_email", "buyer_phone", "status", "notes")

#: Invoicing moves an order forward only from these states; a shipped order stays shipped.
_INVOICE_ADVANCES_FROM = (OrderStatus.NEW, OrderStatus.PAID)


class OrderRuleError(Exception):
    """An action was refused by the order's state (cancelled, invoiced, shipped …); nothing
    was changed. `code` tells the view which question to ask, if any."""

    def __init__(self, message: str, *, code: str = "refused"):
        self.message = message
        self.code = code
        super().__init__(message)


class OrderChangedError(Exception):
    """The page was saved from an older version of the order; nothing was changed."""

    def __init__(self, order: Order):
        last = order.events.exclude(actor=None, actor_label="").order_by("-created_at", "-id")
        event = last.select_related("actor").first()
        if event is not None:
            self.message = _(
                "Die Bestellung %(number)s wurde inzwischen von %(who)s geändert (%(when)s). "
                "Ihre Eingaben wurden nicht gespeichert: Bitte laden Sie die Seite neu und "
                "tragen Sie Ihre Änderungen erneut ein."
            ) % {
                "number": order.number,
                "who": event.actor_display,
                "when": date_format(timezone.localtime(event.created_at), "SHORT_DATETIME_FORMAT"),
            }
        else:
            self.message = _(
                "Die Bestellung %(number)s wurde inzwischen geändert. Ihre Eingaben wurden nicht "
                "gespeichert: Bitte laden Sie die Seite neu und tragen Sie Ihre Änderungen "
                "erneut ein."
            ) % {"number": order.number}
        super().__init__(self.message)


def _lock_order(order: Order, *, version: int | None = None) -> Order:
    locked = Order.objects.select_for_update().get(pk=order.pk)
    locked.ensure_personal_data_available()
    if version is not None and locked.version != version:
        raise OrderChangedError(locked)
    return locked


def _event(
    *, order: Order, actor: AbstractBaseUser | None, kind: str, params: dict | None = None
) -> None:
    # The facts name what changed (fields, numbers, states), never the values a person typed.
    history.record(order, kind, actor=history.Actor.of(actor), params=params)


def _set_status(*, order: Order, actor: AbstractBaseUser | None, status: str) -> None:
    if order.status == status:
        return
    params = history.status_change(order.status, status)
    order.status = status
    _event(order=order, actor=actor, kind=OrderEvent.Kind.STATUS_CHANGED, params=params)


def _save(order: Order, fields: list[str]) -> None:
    """Saves the fields and counts the version up (the row is locked: `_lock_order`)."""
    order.version += 1
    order.save(update_fields=[*fields, "version"])


@transaction.atomic
def order_update(
    *,
    order: Order,
    actor: AbstractBaseUser | None,
    version: int,
    billing: Mapping[str, Any],
    shipping: Mapping[str, Any],
    fields: Mapping[str, Any],
) -> Order:
    """Saves the edit page: the order's own billing and shipping address, contact, status and
    notes. `billing` and `shipping` hold ADDRESS_FIELDS, `fields` ORDER_EDIT_FIELDS, all
    of them validated; `version` is the order's version the page was made from.

    The addresses are the order's own copies: no other order and no address-book entry changes.
    An issued invoice keeps what it says, so an invoiced order's billing address stays as it
    was invoiced (a correction takes a cancellation invoice and a new one).
    """
    order = _lock_order(order, version=version)
    changes = {
        role: [name for name in ADDRESS_FIELDS if getattr(order, f"{role}_{name}") != data[name]]
        for role, data in (("billing", billing), ("shipping", shipping))
    }
    if changes["billing"] and order.invoice_number:
        raise OrderRuleError(
            _(
                "Die Rechnungsadresse von Bestellung %(number)s kann nicht mehr geändert werden: "
                "Rechnung %(invoice)s ist ausgestellt und bleibt, wie sie ausgestellt wurde. "
                "Eine Korrektur erfordert eine Stornorechnung und eine neue Rechnung."
            )
            % {"number": order.number, "invoice": order.invoice_number},
            code="invoiced",
        )
    written = []
    for role, data in (("billing", billing), ("shipping", shipping)):
        for name in changes[role]:
            setattr(order, f"{role}_{name}", data[name])
            written.append(f"{role}_{name}")
    own_changes = [
        name
        for name in ORDER_EDIT_FIELDS
        if name != "status" and getattr(order, name) != fields[name]
    ]
    for name in own_changes:
        setattr(order, name, fields[name])
    status_before = order.status
    _set_status(order=order, actor=actor, status=fields["status"])
    if order.status != status_before:
        written.append("status")
    written += own_changes
    if not written:
        return order
    _save(order, written)
    if changes["billing"] or changes["shipping"] or own_changes:
        _event(
            order=order,
            actor=actor,
            kind=OrderEvent.Kind.EDITED,
            params=history.edit(
                billing=changes["billing"], shipping=changes["shipping"], order=own_changes
            ),
        )
    return order


def _refuse_if_cancelled(order: Order, action: str) -> None:
    if order.status == OrderStatus.CANCELLED:
        raise OrderRuleError(
            _(
                "Bestellung %(number)s ist storniert und kann nicht %(action)s werden. Setzen Sie "
                "zuerst einen anderen Status, falls die Stornierung ein Versehen war."
            )
            % {"number": order.number, "action": action},
            code="cancelled",
        )


def _invoice_lines(order: Order) -> list[InvoiceLine]:
    return [
        InvoiceLine(item.sku, item.title, item.quantity, item.unit_price, item.tax_rate)
        for item in order.items.all()
    ]


@transaction.atomic
def order_create_invoice(*, order: Order, actor: AbstractBaseUser | None) -> Order:
    """Issues the invoice: the next number of the company settings, the invoice frozen as it
    reads now with the seller from the settings (orders.invoicing), and its PDF made once and
    stored (documents). An invoiced order keeps the invoice it has."""
    from documents.services import (
        company_for_documents,
        company_take_invoice_number,
        document_store,
    )

    order = _lock_order(order)
    if order.invoice_number:
        return order
    _refuse_if_cancelled(order, _("berechnet"))
    company = company_for_documents()
    now = timezone.now()
    order.invoice_number = company_take_invoice_number(company, year=timezone.localtime(now).year)
    order.invoice_date = now
    content = order_invoice_content(order, _invoice_lines(order), seller=company.seller())
    invoice = Invoice.objects.create(
        order=order, number=order.invoice_number, issued_at=now, content=content
    )
    document_store(
        order=order, invoice=invoice, kind="invoice", number=invoice.number, issued_at=now
    )
    _event(
        order=order,
        actor=actor,
        kind=OrderEvent.Kind.INVOICED,
        params=history.invoice(order.invoice_number),
    )
    if order.status in _INVOICE_ADVANCES_FROM:
        _set_status(order=order, actor=actor, status=OrderStatus.INVOICED)
    _save(order, ["invoice_number", "invoice_date", "status"])
    return order


@transaction.atomic
def order_cancel_invoice(*, order: Order, actor: AbstractBaseUser | None) -> Order:
    """Cancels the invoice in force with a cancellation invoice (Stornorechnung: its own number,
    every amount negated, the cancelled invoice named). The invoice itself stays as issued; the
    order has no invoice in force afterwards, so its billing address may be corrected and a new
    invoice issued."""
    from documents.services import (
        company_for_documents,
        company_take_invoice_number,
        current_invoice,
        document_store,
    )

    order = _lock_order(order)
    invoice = current_invoice(order)
    if invoice is None:
        raise OrderRuleError(
            _("Bestellung %(number)s hat keine Rechnung, die storniert werden könnte.")
            % {"number": order.number},
            code="no_invoice",
        )
    company = company_for_documents()
    now = timezone.now()
    number = company_take_invoice_number(company, year=timezone.localtime(now).year)
    document_store(
        order=order,
        invoice=invoice,
        kind="cancellation",
        number=number,
        issued_at=now,
        cancelled=invoice.number,
    )
    _event(
        order=order,
        actor=actor,
        kind=OrderEvent.Kind.INVOICE_CANCELLED,
        params=history.invoice_cancelled(invoice.number, cancellation=number),
    )
    order.invoice_number = None
    order.invoice_date = None
    if order.status == OrderStatus.INVOICED:
        back = OrderStatus.PAID if order.payment_date else OrderStatus.NEW
        _set_status(order=order, actor=actor, status=back)
    _save(order, ["invoice_number", "invoice_date", "status"])
    return order


@transaction.atomic
def order_create_delivery_note(*, order: Order, actor: AbstractBaseUser | None):
    """The delivery note (Lieferschein): shipping address and items, no prices; made once."""
    from documents.models import Document
    from documents.services import company_for_documents, delivery_note_number, document_store

    order = _lock_order(order)
    existing = order.documents.filter(kind=Document.Kind.DELIVERY_NOTE).first()
    if existing is not None:
        return existing
    _refuse_if_cancelled(order, _("versendet"))
    company = company_for_documents()
    now = timezone.now()
    content = order_invoice_content(order, _invoice_lines(order), seller=company.seller())
    number = delivery_note_number(order)
    # Printed from an unsaved invoice-shaped record (the order's addresses by reference): a
    # delivery note is no invoice.
    sheet = Invoice(order=order, number=number, issued_at=now, content=content)
    document = document_store(
        order=order, invoice=None, kind="delivery_note", number=number, issued_at=now, sheet=sheet
    )
    _event(
        order=order,
        actor=actor,
        kind=OrderEvent.Kind.DELIVERY_NOTE,
        params=history.delivery_note(number),
    )
    _save(order, [])
    return document


@transaction.atomic
def order_ship(
    *,
    order: Order,
    actor: AbstractBaseUser | None,
    tracking_number: str,
    replace_tracking: bool = False,
) -> Order:
    """Records the shipment. An order shipped before keeps its tracking number unless the
    caller confirmed replacing it (`replace_tracking`). The tracking number is personal data:
    it stays out of the history."""
    order = _lock_order(order)
    _refuse_if_cancelled(order, _("versendet"))
    if order.tracking_number and not replace_tracking:
        raise OrderRuleError(
            _(
                "Bestellung %(number)s wurde bereits am %(date)s versendet. Soll die bisherige "
                "Sendungsnummer ersetzt werden? Bitte bestätigen Sie das Ersetzen."
            )
            % {
                "number": order.number,
                "date": date_format(
                    timezone.localtime(order.delivery_date or timezone.now()), "SHORT_DATE_FORMAT"
                ),
            },
            code="confirm_replace",
        )
    order.tracking_number = tracking_number
    order.delivery_date = timezone.now()
    _event(order=order, actor=actor, kind=OrderEvent.Kind.SHIPPED)
    _set_status(order=order, actor=actor, status=OrderStatus.SHIPPED)
    _save(order, ["tracking_number", "delivery_date", "status"])
    return order


@transaction.atomic
def order_admin_save(
    *, order: Order, actor: AbstractBaseUser | None, changed: Sequence[str], created: bool
) -> Order:
    """Saves an order from the support admin with its history: created, or the status change
    and the names of the other changed fields (never their values), as the edit page does."""
    if created:
        order.save()
        _event(order=order, actor=actor, kind=OrderEvent.Kind.CREATED)
        return order
    stored = Order.objects.select_for_update().only("status", "version").get(pk=order.pk)
    names = {field.name for field in Order._meta.concrete_fields}
    fields = [name for name in changed if name in names]
    if not fields:
        order.save()
        return order
    order.version = stored.version + 1
    order.save()
    if "status" in fields and stored.status != order.status:
        _event(
            order=order,
            actor=actor,
            kind=OrderEvent.Kind.STATUS_CHANGED,
            params=history.status_change(stored.status, order.status),
        )
    roles = {"billing": [], "shipping": [], "order": []}
    for name in fields:
        if name == "status":
            continue
        role, _sep, rest = name.partition("_")
        if role in ("billing", "shipping") and rest in ADDRESS_FIELDS:
            roles[role].append(rest)
        else:
            roles["order"].append(name)
    if any(roles.values()):
        _event(order=order, actor=actor, kind=OrderEvent.Kind.EDITED, params=history.edit(**roles))
    return order


@transaction.atomic
def orders_set_status(
    *, order_ids: Collection[int], status: str, actor: "history.Actor"
) -> list[int]:
    """Sets the status of many orders at once (an automation rule's "Bestellstatus setzen"):
    one UPDATE and one history statement per previous status, the rows locked in id order.
    Orders that have the status already are left alone. Returns the ids that changed."""
    if status not in OrderStatus.values:
        raise ValueError(f"unknown status {status!r}")
    rows = list(
        Order.objects.filter(pk__in_ids=set(order_ids))
        .exclude(status=status)
        .order_by("pk")
        .select_for_update()
        .values_list("pk", "status")
    )
    by_status: dict[str, list[int]] = {}
    for pk, old in rows:
        by_status.setdefault(old, []).append(pk)
    for old, ids in by_status.items():
        Order.objects.filter(pk__in_ids=set(ids)).update(status=status, version=F("version") + 1)
        history.record_for_orders(
            ids,
            OrderEvent.Kind.STATUS_CHANGED,
            actor=actor,
            params=history.status_change(old, status),
        )
    return [pk for pk, _old in rows]
