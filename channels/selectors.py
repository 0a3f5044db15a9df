"""Reads about channel policies: what is due now, when the next run is, when an order goes."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from channels.models import POLICY_ACTOR_PREFIX, Channel
from customers.models import PrivacyState
from orders.models import Order, OrderEvent, PrivacyJob
from orders.schedules import AUTO_ANONYMIZE, next_run_of


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


def anonymized_on(due: datetime.datetime, next_run: datetime.datetime | None) -> datetime.date:
    """The day the channel policy anonymizes an order that falls due at `due`: the first daily
    run at or after it (a run at 02:30 takes an order due at 14:00 the next day, not the day it
    falls due), and never before the next scheduled run. `next_run` is the schedule's (its time
    of day is the run's); without one, AUTO_ANONYMIZE_TIME."""
    if next_run is not None:
        run = timezone.localtime(next_run)
        hour, minute = run.hour, run.minute
    else:
        hour, minute = (int(part) for part in settings.AUTO_ANONYMIZE_TIME.split(":"))
    try:
        local_due = timezone.localtime(due)
        first = local_due.replace(hour=hour, minute=minute, second=0, microsecond=0)
        if first < local_due:
            first += datetime.timedelta(days=1)
    except OverflowError:  # beyond year 9999: not storable, but never a 500
        return datetime.date.max
    if next_run is not None and first < next_run:
        first = timezone.localtime(next_run)
    return first.date()


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


def channel_by_name_or_id(value: str) -> Channel | None:
    """The channel an operator names on a command line: by its name, else by its id."""
    value = value.strip()
    channel = Channel.objects.filter(name=value).first()
    if channel is None and value.isascii() and value.isdigit() and len(value) <= 18:
        channel = Channel.objects.filter(pk=int(value)).first()
    return channel
