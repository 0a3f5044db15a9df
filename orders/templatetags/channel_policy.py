"""Template access to channel-policy reads that need an argument (the order page's note)."""

from django import template

from orders.privacy.channel_policy import OrderPolicyNote, order_policy_note

register = template.Library()


@register.simple_tag
def policy_note_for(order) -> OrderPolicyNote | None:
    """`{% policy_note_for order as note %}`: see orders.privacy.channel_policy.order_policy_note."""
    return order_policy_note(order)
