"""The channel policies' reads about orders: what is due now (and the last run), when the next
scheduled run is, and what the order page says about the policy."""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from channels.models import POLICY_ACTOR_PREFIX, Channel
from channels.selectors import anonymized_on
from orders.models import Order, OrderEvent, PrivacyJob
from orders.schedules import AUTO_ANONYMIZE, next_run_of
from personal.state import PrivacyState


@dataclass(frozen=True)
class ChannelPolicyStatus:
    days: int
    # Orders dated (and restored) at or before the cutoff are due now.
    cutoff: datetime.datetime
    due_count: int
    next_run: datetime.datetime | None
    # The day an order imported now would be anonymized.
    new_order_date: datetime.date
    last_job: PrivacyJob | None


def _new_order_date(now: datetime.datetime, days: int, next_run) -> datetime.date:
    try:
        due = now + datetime.timedelta(days=days)
    except OverflowError:
        return datetime.date.max
    return anonymized_on(due, next_run)


def policy_next_run() -> datetime.datetime | None:
    """When the scheduled channel-policy run starts next."""
    return next_run_of(AUTO_ANONYMIZE)


def channel_policy_status(
    *, channel: Channel, days: int | None = None, now: datetime.datetime | None = None
) -> ChannelPolicyStatus | None:
    """The policy of a saved channel as of `now`: `days` previews another X than the stored one.
    None without a policy. Counting is one index range count on (privacy_state, channel,
    order_date), so it stays cheap on a million orders."""
    days = channel.anonymize_after_days if days is None else days
    if days is None or channel.pk is None:
        return None
    now = now or timezone.now()
    cutoff = channel.policy_cutoff(now, days)
    due_count = Order.objects.due_for_anonymization(channel=channel.pk, cutoff=cutoff).count()
    last_job = (
        PrivacyJob.objects.filter(
            kind=PrivacyJob.Kind.ANONYMIZE, selection__due__channel=channel.pk
        )
        .order_by("-created_at", "-pk")
        .first()
    )
    next_run = policy_next_run()
    return ChannelPolicyStatus(
        days=days,
        cutoff=cutoff,
        due_count=due_count,
        next_run=next_run,
        new_order_date=_new_order_date(now, days, next_run),
        last_job=last_job,
    )


@dataclass(frozen=True)
class OrderPolicyNote:
    """What the order page says about the channel policy."""

    kind: str  # "planned", "overdue" (due, waiting for the next run) or "anonymized"
    date: datetime.date
    days: int | None = None


def order_policy_note(
    order: Order, *, now: datetime.datetime | None = None
) -> OrderPolicyNote | None:
    """For the order page: when the channel policy will anonymize the order (active orders), or
    when it did (the last anonymization was the policy's). Uses `order.channel`; one query for
    anonymized orders."""
    if order.privacy_state == PrivacyState.ACTIVE:
        due_at = order.channel.anonymization_due_at(order)
        if due_at is None:
            return None
        now = now or timezone.now()
        if due_at <= now:  # "Fällig seit …": the day it fell due
            kind, date = "overdue", timezone.localdate(due_at)
        else:  # "voraussichtlich am …": the day of the run that takes it
            kind, date = "planned", anonymized_on(due_at, policy_next_run())
        return OrderPolicyNote(kind=kind, date=date, days=order.channel.anonymize_after_days)
    if order.privacy_state == PrivacyState.ANONYMIZED:
        last = (
            OrderEvent.objects.filter(order=order, kind=OrderEvent.Kind.ANONYMIZED)
            .order_by("-created_at", "-pk")
            .values_list("created_at", "actor_label")
            .first()
        )
        if last and last[1].startswith(POLICY_ACTOR_PREFIX):
            return OrderPolicyNote(kind="anonymized", date=timezone.localdate(last[0]))
    return None
