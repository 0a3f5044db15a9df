"""A rule's conditions as one QuerySet filter over orders, evaluated set-based by the database.

Each condition kind turns (operator, value) into a `Q`; a rule combines them with UND (`&`) or
ODER (`|`). Countries are kept on anonymized orders, so the country conditions work for them too.
"""

import datetime
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from automation.models import Condition, Match, Rule
from channels.models import Channel
from orders.models import Order, OrderStatus
from personal.state import PrivacyState

K = Condition.Kind
Op = Condition.Operator

#: The operators each kind offers (the editor's choices; anything else is refused).
OPERATORS = {
    K.CHANNEL: (Op.IS, Op.IS_NOT),
    K.STATUS: (Op.IS, Op.IS_NOT),
    K.TOTAL: (Op.GTE, Op.LTE),
    K.SHIPPING_COUNTRY: (Op.IS, Op.IS_NOT),
    K.BILLING_COUNTRY: (Op.IS, Op.IS_NOT),
    K.AGE_DAYS: (Op.GTE, Op.LTE),
    K.ANONYMIZED: (Op.IS, Op.IS_NOT),
}

#: Anonymized in the sense of the rules: no personal data in the main database right now.
_ANONYMIZED_STATES = (PrivacyState.ANONYMIZED, PrivacyState.RESTORING, PrivacyState.PURGED)


class ConditionError(ValueError):
    """A condition cannot be used; the message says why (for the merchant)."""


def clean_value(kind: str, operator: str, value: str) -> str:
    """The value in its stored form; raises ConditionError with a message for the merchant."""
    if kind not in OPERATORS:
        raise ConditionError(_("Unbekannte Bedingung."))
    if operator not in OPERATORS[kind]:
        raise ConditionError(_("Dieser Vergleich passt nicht zur Bedingung."))
    value = (value or "").strip()
    if kind == K.CHANNEL:
        if (
            not value.isdigit()
            or len(value) > 18
            or not Channel.objects.filter(pk=int(value)).exists()
        ):
            raise ConditionError(_("Bitte einen Shop wählen."))
    elif kind == K.STATUS:
        if value not in OrderStatus.values:
            raise ConditionError(_("Bitte einen Bestellstatus wählen."))
    elif kind == K.TOTAL:
        try:
            amount = Decimal(value.replace(",", "."))
        except InvalidOperation:
            raise ConditionError(_("Bitte einen Betrag angeben, z. B. 49,90.")) from None
        if not amount.is_finite() or not 0 <= amount < 10**10:
            raise ConditionError(_("Bitte einen Betrag angeben, z. B. 49,90."))
        value = str(amount)
    elif kind in (K.SHIPPING_COUNTRY, K.BILLING_COUNTRY):
        value = value.upper()
        if len(value) != 2 or not value.isalpha() or not value.isascii():
            raise ConditionError(_("Bitte ein Land als zweistelligen Code angeben, z. B. DE."))
    elif kind == K.AGE_DAYS:
        if not value.isdigit() or int(value) > 36500:
            raise ConditionError(_("Bitte eine Anzahl Tage von 0 bis 36500 angeben."))
        value = str(int(value))
    elif kind == K.ANONYMIZED:
        value = ""
    return value


def condition_q(kind: str, operator: str, value: str, *, now: datetime.datetime) -> Q:
    """One condition as a filter on orders."""
    if kind == K.CHANNEL:
        q = Q(channel_id=int(value))
    elif kind == K.STATUS:
        q = Q(status=value)
    elif kind == K.TOTAL:
        return Q(**{f"total__{operator}": Decimal(value)})
    elif kind == K.SHIPPING_COUNTRY:
        q = Q(shipping_country__iexact=value)
    elif kind == K.BILLING_COUNTRY:
        q = Q(billing_country__iexact=value)
    elif kind == K.AGE_DAYS:
        cutoff = now - datetime.timedelta(days=int(value))
        # Older than N days: ordered on or before the cutoff.
        return Q(order_date__lte=cutoff) if operator == Op.GTE else Q(order_date__gte=cutoff)
    elif kind == K.ANONYMIZED:
        q = Q(privacy_state__in=_ANONYMIZED_STATES)
    else:
        raise ConditionError(kind)
    return ~q if operator == Op.IS_NOT else q


def conditions_q(
    conditions: Iterable[Condition], *, match: str, now: datetime.datetime | None = None
) -> Q:
    """The conditions combined with UND or ODER; no conditions match every order."""
    now = now or timezone.now()
    parts = [condition_q(c.kind, c.operator, c.value, now=now) for c in conditions]
    if not parts:
        return Q()
    combined = parts[0]
    for part in parts[1:]:
        combined = combined | part if match == Match.ANY else combined & part
    return combined


def matching_orders(rule: Rule, *, now: datetime.datetime | None = None) -> QuerySet:
    """The orders the rule's conditions match, as a queryset (not evaluated)."""
    return Order.objects.filter(conditions_q(rule.conditions.all(), match=rule.match, now=now))
