"""The Auskunft page shows the report's JSON values (ISO dates, codes) as a reader expects them."""

import datetime

from django import template
from django.utils import formats, timezone

from customers.payment_methods import PaymentMethod

register = template.Library()


@register.filter
def iso_local(value):
    """An ISO date or date-time of the report in the reader's format ("04.12.2026 05:39");
    anything else as it is."""
    if not isinstance(value, str) or not value:
        return value
    try:
        if len(value) == 10:
            return formats.date_format(datetime.date.fromisoformat(value), "SHORT_DATE_FORMAT")
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        return value
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return formats.date_format(moment, "SHORT_DATETIME_FORMAT")


@register.filter
def payment_label(code):
    """A payment method's code ("paypal") as its label ("PayPal")."""
    try:
        return PaymentMethod(code).label
    except ValueError:
        return code
