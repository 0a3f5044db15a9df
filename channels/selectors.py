"""Reads about channels: when the policy's run takes an order that falls due, the channel an
operator names. What is due now and the order page's note read orders: orders.privacy.channel_policy."""

import datetime

from django.conf import settings
from django.utils import timezone

from channels.models import Channel


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


def channel_by_name_or_id(value: str) -> Channel | None:
    """The channel an operator names on a command line: by its name, else by its id."""
    value = value.strip()
    channel = Channel.objects.filter(name=value).first()
    if channel is None and value.isascii() and value.isdigit() and len(value) <= 18:
        channel = Channel.objects.filter(pk=int(value)).first()
    return channel
