"""What an order's history entry says, rendered from its facts in the reader's language.

An entry keeps the facts it describes in `OrderEvent.params` (states, field names, numbers, job ids,
dates – never personal data) and, for older entries and readers of the raw table, the text rendered
when it was written (`OrderEvent.detail`). The page and the admin show `entry_text(event)`, in the
language of whoever looks at it.
"""

import datetime
from collections.abc import Mapping, Sequence

from django.core.exceptions import FieldDoesNotExist
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from customers.models import Address
from orders.models import Order, OrderEvent, OrderStatus, RestoreFailure

_STORED_LENGTH = OrderEvent._meta.get_field("detail").max_length


def status_change(old: str, new: str) -> dict:
    return {"status": [old, new]}


def edit(*, billing: Sequence[str], shipping: Sequence[str], order: Sequence[str]) -> dict:
    """The changed fields: of the billing and the shipping address, and the order's own."""
    changed = {"billing": list(billing), "shipping": list(shipping), "order": list(order)}
    return {"changed": {role: names for role, names in changed.items() if names}}


def invoice(number: str) -> dict:
    return {"invoice": number}


def invoice_cancelled(number: str, *, cancellation: str) -> dict:
    return {"invoice": number, "cancellation": cancellation}


def delivery_note(number: str) -> dict:
    return {"delivery_note": number}


def imported(source: str) -> dict:
    """An order made by an import: which file format it came from ("own", "shopify")."""
    return {"import": source}


def privacy(*, job_id: int | None, restorable_until: datetime.date | None = None) -> dict:
    params = {}
    if job_id is not None:
        params["job"] = job_id
    if restorable_until is not None:
        params["restorable_until"] = restorable_until.isoformat()
    return params


def entry_text(event: OrderEvent) -> str:
    """What the entry says to the reader: rendered from its facts, or, for older entries without
    any, the text stored when it was written."""
    return event_detail(event.params) or event.detail


def stored_detail(params: Mapping) -> str:
    """The text stored with a new entry (in the writer's language), for the raw table."""
    return event_detail(params)[:_STORED_LENGTH]


def event_detail(params: Mapping) -> str:
    parts = []
    if status := params.get("status"):
        old, new = status
        parts.append(
            _("Status: %(old)s → %(new)s") % {"old": _status_label(old), "new": _status_label(new)}
        )
    if changed := params.get("changed"):
        parts.append(_("Geändert: %s") % "; ".join(_change_labels(changed)))
    if number := params.get("invoice"):
        parts.append(_("Rechnung %s") % number)
    if number := params.get("cancellation"):
        parts.append(_("Stornorechnung %s") % number)
    if number := params.get("delivery_note"):
        parts.append(_("Lieferschein %s") % number)
    if source := params.get("import"):
        sources = {"own": _("aus einem OrderDesk-Export"), "shopify": _("aus einem Shopify-Export")}
        parts.append(_("Import %s") % sources.get(source, source))
    if failure := params.get("failure"):
        label = RestoreFailure(failure).label if failure in RestoreFailure.values else failure
        parts.append(_("Grund: %s") % label)
    if job := params.get("job"):
        parts.append(_("Vorgang #%(job)d") % {"job": job})
    if until := params.get("restorable_until"):
        day = date_format(datetime.date.fromisoformat(until), "SHORT_DATE_FORMAT")
        parts.append(_("wiederherstellbar bis %(date)s") % {"date": day})
    return " · ".join(parts)


def _status_label(status: str) -> str:
    return str(OrderStatus(status).label) if status in OrderStatus.values else status


def _label(model: type, name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:  # renamed since the entry was written
        return name


def _change_labels(changed: Mapping[str, Sequence[str]]) -> list[str]:
    labels = []
    for role, heading in (
        ("billing", _("Rechnungsadresse (%s)")),
        ("shipping", _("Lieferadresse (%s)")),
    ):
        if names := changed.get(role):
            labels.append(heading % ", ".join(_label(Address, name) for name in names))
    labels.extend(_label(Order, name) for name in changed.get("order", ()))
    return labels
