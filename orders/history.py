"""The order history: its one writer (`record`, `record_for_orders`) and what an entry says,
rendered from its facts in the reader's language.

Every OrderEvent row is created here and nowhere else: the services, the import, the privacy
engine's chunks, the admin and the automation rules call `record` for one order or
`record_for_orders` for a set (one INSERT … SELECT, however many orders). The history is the one
stream of changes the automation reads (automation.evaluator), so nothing may bypass it.

An entry keeps the facts it describes in `OrderEvent.params` (states, field names, numbers, job ids,
dates – never personal data) and, for older entries and readers of the raw table, the text rendered
when it was written (`OrderEvent.detail`). The page and the admin show `entry_text(event)`, in the
language of whoever looks at it.
"""

import datetime
import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet, FieldDoesNotExist
from django.db import connection, models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from config.lookups import id_array_literal
from customers.models import Address
from orders.models import Order, OrderEvent, OrderStatus, RestoreFailure

_STORED_LENGTH = OrderEvent._meta.get_field("detail").max_length
_LABEL_LENGTH = OrderEvent._meta.get_field("actor_label").max_length


@dataclass(frozen=True)
class Actor:
    """Who wrote an entry: a user (`user_id`), or a system label when no user acted ("Regel 3",
    "Kanalrichtlinie …", "cron"; never personal data). `job_id` names the privacy job
    (Vorgang) the change was made by, if any; it goes into the entry's facts."""

    user_id: int | None = None
    label: str = ""
    job_id: int | None = None

    @classmethod
    def of(cls, user, *, label: str = "") -> "Actor":
        """The actor for a user object (None or an anonymous user: the label alone)."""
        return cls(user_id=getattr(user, "pk", None), label=label)

    @classmethod
    def system(cls, label: str) -> "Actor":
        return cls(label=label)


def record(
    order: Order | int,
    kind: str,
    *,
    actor: Actor,
    params: Mapping | None = None,
    created_at: datetime.datetime | None = None,
) -> OrderEvent:
    """One history entry. `params` are the facts (never personal data); the stored text is
    rendered from them."""
    params = dict(params or {})
    return OrderEvent.objects.create(
        order_id=order if isinstance(order, int) else order.pk,
        kind=kind,
        created_at=created_at or timezone.now(),
        actor_id=actor.user_id,
        actor_label=actor.label[:_LABEL_LENGTH],
        params=params,
        detail=stored_detail(params),
    )


#: A history row's columns in the order of `event_row`.
EVENT_COLUMNS = ("order_id", "kind", "created_at", "actor_id", "actor_label", "detail", "params")


def event_row(
    order_id: int,
    kind: str,
    *,
    actor: Actor,
    params: Mapping | None = None,
    created_at: datetime.datetime,
) -> tuple:
    """One history entry as a row of EVENT_COLUMNS, with the same facts `record` writes, for a
    bulk load that cannot go through `record` (the demo's COPY of a million orders)."""
    params = dict(params or {})
    label = actor.label[:_LABEL_LENGTH]
    return (order_id, kind, created_at, actor.user_id, label, stored_detail(params), params)


def record_for_orders(
    orders: models.QuerySet | Collection[int],
    kind: str,
    *,
    actor: Actor,
    params: Mapping | None = None,
    created_at: datetime.datetime | None = None,
) -> int:
    """One history entry per order (a queryset of orders, or order ids), written by the database
    in one statement: INSERT … SELECT from the queryset or from `unnest(ids)`. Returns how many
    were written. The privacy chunks rely on it being one statement per chunk."""
    params = dict(params or {})
    quote = connection.ops.quote_name
    pk = quote(Order._meta.pk.column)
    if isinstance(orders, models.QuerySet):
        try:
            compiled = orders.order_by().values("pk").query.get_compiler(connection=connection)
            inner_sql, inner_params = compiled.as_sql()
        except EmptyResultSet:
            return 0
        source = f"{quote(Order._meta.db_table)} o WHERE o.{pk} IN ({inner_sql})"
    elif not orders:
        return 0
    elif connection.vendor == "postgresql":
        # Straight from the ids: no join back to the orders (the foreign key checks them anyway).
        source, inner_params = "unnest(%s::bigint[]) AS o(" + pk + ")", [id_array_literal(orders)]
    else:
        return record_for_orders(
            Order.objects.filter(pk__in_ids=orders),
            kind,
            actor=actor,
            params=params,
            created_at=created_at,
        )
    meta = OrderEvent._meta
    columns = ["order_id", "kind", "created_at", "actor_id", "actor_label", "detail", "params"]
    created = meta.get_field("created_at").get_db_prep_value(
        created_at or timezone.now(), connection
    )
    as_json = "%s::jsonb" if connection.vendor == "postgresql" else "%s"
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(c) for c in columns)}) "
        f"SELECT o.{pk}, %s, %s, %s, %s, %s, {as_json} FROM {source}"
    )
    values = [
        kind,
        created,
        actor.user_id,
        actor.label[:_LABEL_LENGTH],
        stored_detail(params),
        json.dumps(params),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, *inner_params])
        return cursor.rowcount


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


def rule_fired(
    *, rule_id: int, rule_name: str, outcome: str, actions: Sequence[str] = (), reason: str = ""
) -> dict:
    """An automation rule's run on the order: which rule, what it did (action codes such as
    "set_status:shipped", "anonymize") or why it refused or failed (a code or an error class)."""
    params = {"rule": rule_id, "rule_name": rule_name, "outcome": outcome}
    if actions:
        params["actions"] = list(actions)
    if reason:
        params["reason"] = reason
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
    if rule := params.get("rule"):
        parts.append(_rule_text(rule, params))
    if failure := params.get("failure"):
        label = RestoreFailure(failure).label if failure in RestoreFailure.values else failure
        parts.append(_("Grund: %s") % label)
    if job := params.get("job"):
        parts.append(_("Vorgang #%(job)d") % {"job": job})
    if until := params.get("restorable_until"):
        day = date_format(datetime.date.fromisoformat(until), "SHORT_DATE_FORMAT")
        parts.append(_("wiederherstellbar bis %(date)s") % {"date": day})
    return " · ".join(parts)


def _rule_text(rule: int, params: Mapping) -> str:
    outcome = params.get("outcome", "done")
    name = params.get("rule_name", "")
    actions = []
    for code in params.get("actions", ()):
        kind, _sep, arg = code.partition(":")
        if kind == "set_status":
            actions.append(_("Status gesetzt: %s") % _status_label(arg))
        elif kind == "anonymize":
            actions.append(_("Anonymisierung gestartet"))
        elif kind == "mail_buyer":
            actions.append(_("Nachricht an den Käufer eingereiht"))
        elif kind == "mail_merchant":
            actions.append(_("E-Mail an Sie eingereiht"))
        else:
            actions.append(kind)
    head = _("Regel „%(name)s“ (#%(rule)d)") % {"name": name, "rule": rule}
    if outcome == "refused":
        return _("%(head)s abgelehnt: %(reason)s") % {
            "head": head,
            "reason": str(_REFUSALS.get(params.get("reason", ""), params.get("reason", ""))),
        }
    if outcome == "failed":
        return _("%(head)s fehlgeschlagen: %(reason)s") % {
            "head": head,
            "reason": params.get("reason", ""),
        }
    if not actions:
        return _("%(head)s: nichts zu tun") % {"head": head}
    return f"{head}: {', '.join(actions)}"


_REFUSALS = {
    "already_run": gettext_lazy("für diese Bestellung bereits ausgeführt"),
    "anonymized": gettext_lazy("die Bestellung ist anonymisiert"),
}


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
