"""Template filters for showing an order's privacy state (badges, tooltips)."""

import datetime

from django import template

from orders.models import restorable_until_for
from orders.privacy.selection import Selection, SelectionError

register = template.Library()


@register.filter
def restorable_until(order) -> datetime.date | None:
    """The last day a restore is possible: the day before the purge date."""
    return restorable_until_for(order.purge_on)


@register.filter
def job_selection(job) -> str:
    """What a privacy job works on, in words (ids count or date range)."""
    try:
        return str(Selection.from_json(job.selection).describe())
    except (KeyError, ValueError, SelectionError):
        return ""
