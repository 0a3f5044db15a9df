"""The order page's "E-Mails" section: what went out when, through which server, or why not."""

from django import template

from notifications.models import OutgoingMail

register = template.Library()


@register.inclusion_tag("notifications/_order_mails.html")
def order_mail_log(order) -> dict:
    mails = OutgoingMail.objects.filter(order=order).order_by("-id")[:100]
    return {"mails": list(mails)}
