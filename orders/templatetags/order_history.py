"""Template filter for an order's history: what an entry says, in the reader's language."""

from django import template

from orders import history

register = template.Library()


@register.filter
def event_detail(event) -> str:
    return history.entry_text(event)
