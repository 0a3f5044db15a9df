"""Template filters for showing an order's privacy state (badges, tooltips)."""

import datetime

from django import template

register = template.Library()


@register.filter
def restorable_until(order) -> datetime.date | None:
    """The last day a restore is possible: the day before the purge date."""
    if order.purge_on is None:
        return None
    return order.purge_on - datetime.timedelta(days=1)


@register.filter
def job_selection(job) -> str:
    """What a privacy job works on, in words (ids count or date range)."""
    from orders.privacy.selection import Selection, SelectionError

    try:
        return str(Selection.from_json(job.selection).describe())
    except (KeyError, ValueError, SelectionError):
        return ""
