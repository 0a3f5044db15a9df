"""What a rule can do: a small registry of action kinds, each run on a set of order ids at once.

An action kind is an `ActionKind`: a code (stored on `Action.kind`), a label, the triggers it is
offered for, the parameters it takes (cleaned by `clean`) and `run(rule, params, order_ids)`,
which acts on all the orders in a few statements and returns an `Outcome`: the code of what it
did ("set_status:shipped") and the orders it refused, by reason code. An exception means the
action failed; the evaluator rolls it back to its savepoint, records it on the firings and the
rule, and carries on.

Adding an action is a few lines: a function, a `clean` for its parameters, and `register`
(the two mail actions at the end of this module are examples).
"""

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from automation.models import Rule, Trigger
from notifications.models import NotificationText
from notifications.services import queue_mails
from orders.history import Actor
from orders.models import Order, OrderStatus
from orders.privacy.jobs import privacy_job_anonymize
from orders.privacy.selection import Selection
from orders.services import orders_set_status
from personal.state import PrivacyState


class ActionError(ValueError):
    """An action's parameters cannot be used; the message says why (for the merchant)."""


@dataclass
class Outcome:
    code: str
    refused: dict[str, list[int]] = field(default_factory=dict)
    job_id: int | None = None


@dataclass(frozen=True)
class ActionKind:
    code: str
    label: str
    run: Callable[[Rule, dict, list[int]], Outcome]
    #: The parameters the editor asks for.
    params: Sequence[str] = ()
    clean: Callable[[dict], dict] = lambda params: {}
    #: The triggers it is offered for (None: all).
    triggers: Collection[str] | None = None


ACTIONS: dict[str, ActionKind] = {}


def register(kind: ActionKind) -> ActionKind:
    ACTIONS[kind.code] = kind
    return kind


def actions_for(trigger: str) -> list[ActionKind]:
    return [a for a in ACTIONS.values() if a.triggers is None or trigger in a.triggers]


def _anonymize(rule: Rule, params: dict, order_ids: list[int]) -> Outcome:
    # The privacy engine's own job: the one implementation of anonymizing (STYLE 3).
    job = privacy_job_anonymize(selection=Selection.of_ids(order_ids), source=rule.actor_label)
    return Outcome(code="anonymize", job_id=job.pk)


def _set_status(rule: Rule, params: dict, order_ids: list[int]) -> Outcome:
    orders_set_status(
        order_ids=order_ids, status=params["status"], actor=Actor.system(rule.actor_label)
    )
    return Outcome(code=f"set_status:{params['status']}")


def _clean_status(params: dict) -> dict:
    status = (params.get("status") or "").strip()
    if status not in OrderStatus.values:
        raise ActionError(gettext("Bitte den Status wählen, der gesetzt werden soll."))
    return {"status": status}


register(
    ActionKind(
        "anonymize",
        _("Die Bestellung anonymisieren"),
        _anonymize,
        # Anonymizing what was just anonymized, or just restored by hand, is not offered.
        triggers=(Trigger.IMPORTED, Trigger.STATUS_CHANGED, Trigger.SCHEDULED),
    )
)
register(
    ActionKind(
        "set_status",
        _("Bestellstatus setzen"),
        _set_status,
        params=("status",),
        clean=_clean_status,
    )
)


def _mail(recipient: str):
    """The mail actions: one outbox row per order (notifications.services.queue_mails), sent by
    the outbox task after commit. Once per order and rule, unless the rule may run repeatedly
    (each firing is once per event anyway)."""

    def run(rule: Rule, params: dict, order_ids: list[int]) -> Outcome:
        text = NotificationText.objects.filter(pk=params.get("text")).first()
        if text is None:
            raise ActionError(gettext("Den Benachrichtigungstext gibt es nicht mehr."))
        refused: dict[str, list[int]] = {}
        targets = order_ids
        if recipient == "buyer":
            # Nothing to write to: the buyer's address is in cold storage (SPEC 9). Not queued as
            # refused either: its dedupe key would block the message once the order is restored.
            anonymized = set(
                Order.objects.filter(pk__in_ids=order_ids)
                .exclude(privacy_state=PrivacyState.ACTIVE)
                .values_list("pk", flat=True)
            )
            targets = [pk for pk in order_ids if pk not in anonymized]
            if anonymized:
                refused["anonymized"] = sorted(anonymized)
        if targets:
            queue_mails(
                text=text,
                order_ids=targets,
                recipient=recipient,
                dedupe_prefix=None if rule.repeatable else f"rule:{rule.pk}",
            )
        return Outcome(code=f"mail_{recipient}:{text.pk}", refused=refused)

    return run


def _clean_text(params: dict) -> dict:
    text = str(params.get("text") or "").strip()
    if not text.isdigit() or not NotificationText.objects.filter(pk=int(text)).exists():
        raise ActionError(gettext("Bitte den Benachrichtigungstext wählen, der gesendet wird."))
    return {"text": int(text)}


register(
    ActionKind(
        "mail_buyer",
        _("Nachricht an Käufer senden"),
        _mail("buyer"),
        params=("text",),
        clean=_clean_text,
        # Just anonymized: no buyer address left to write to.
        triggers=(Trigger.IMPORTED, Trigger.STATUS_CHANGED, Trigger.RESTORED, Trigger.SCHEDULED),
    )
)
register(
    ActionKind(
        "mail_merchant",
        _("E-Mail an mich senden"),
        _mail("merchant"),
        params=("text",),
        clean=_clean_text,
    )
)
