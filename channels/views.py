"""Einstellungen → Kanäle: list, create and edit sales channels and their anonymization policy."""

import logging

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from channels.forms import FORCED_POLICY_REASON, ZERO_DAYS_WARNING, ChannelForm
from channels.models import Channel
from coldstorage.keys import KeyConfigurationError
from config.permissions import permission_required
from orders.privacy.channel_policy import (
    ChannelPolicyStatus,
    channel_policy_status,
    policy_next_run,
)
from orders.privacy.jobs import privacy_job_anonymize_due

logger = logging.getLogger(__name__)


@permission_required("channels.view_channel")
def channels_list(request: HttpRequest) -> TemplateResponse:
    return TemplateResponse(
        request,
        "channels/list.html",
        {
            "channels": Channel.objects.order_by("name"),
            "forced_reason": FORCED_POLICY_REASON,
            "next_run": policy_next_run(),
        },
    )


@permission_required("channels.add_channel")
def channel_create(request: HttpRequest) -> HttpResponse:
    return _channel_form_page(request, Channel())


@permission_required("channels.change_channel")
def channel_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _channel_form_page(request, get_object_or_404(Channel, pk=pk))


def _preview_initial(data: QueryDict) -> dict:
    # An unchecked checkbox is simply missing from the submitted values.
    return {
        "name": data.get("name", ""),
        "kind": data.get("kind", ""),
        "auto_anonymize": "auto_anonymize" in data,
        "auto_anonymize_days": data.get("auto_anonymize_days", ""),
    }


def _channel_form_page(request: HttpRequest, channel: Channel) -> HttpResponse:
    is_new = channel.pk is None
    # Validation writes the submitted values onto the instance; the heading keeps the stored name.
    stored_name = channel.name
    if request.method == "POST":
        form = ChannelForm(request.POST, instance=channel)
        if form.is_valid():
            channel = form.save()
            if is_new:
                messages.success(request, _("Kanal „%s“ wurde angelegt.") % channel.name)
            else:
                messages.success(request, _("Kanal „%s“ wurde gespeichert.") % channel.name)
            status = channel_policy_status(channel=channel)
            if status is not None:
                messages.info(request, _due_message(status))
            if channel.anonymize_after_days == 0:
                messages.warning(request, ZERO_DAYS_WARNING)
            return redirect("channels:list")
    elif request.htmx and "kind" in request.GET:
        # Live preview while the form is filled in: forced policy and the 0-days warning.
        form = ChannelForm(initial=_preview_initial(request.GET), instance=channel)
    else:
        form = ChannelForm(instance=channel)

    # What the policy shown in the form means for this channel's orders right now.
    policy = None
    if request.method == "GET" and not is_new:
        days = form.policy_days()
        if days is not None:
            policy = channel_policy_status(channel=channel, days=days)

    template_name = "channels/form.html"
    if request.htmx and request.method == "GET":
        template_name += "#form"
    return TemplateResponse(
        request,
        template_name,
        {
            "form": form,
            "channel": channel,
            "stored_name": stored_name,
            "is_new": is_new,
            "forced_reason": FORCED_POLICY_REASON,
            "zero_days_warning": ZERO_DAYS_WARNING,
            "policy": policy,
        },
    )


def _due_message(status: ChannelPolicyStatus) -> str:
    if status.next_run is None:
        when = _("beim nächsten Lauf")
    else:
        when = _("beim nächsten Lauf am %(time)s") % {
            "time": formats.date_format(
                timezone.localtime(status.next_run), "SHORT_DATETIME_FORMAT"
            )
        }
    if not status.due_count:
        return _("Derzeit ist keine Bestellung dieses Kanals fällig.")
    return ngettext(
        "%(count)d Bestellung dieses Kanals ist jetzt fällig und wird %(when)s anonymisiert.",
        "%(count)d Bestellungen dieses Kanals sind jetzt fällig und werden %(when)s anonymisiert.",
        status.due_count,
    ) % {"count": status.due_count, "when": when}


@permission_required(("channels.view_channel", "orders.anonymize_order"))
@require_POST
def channel_run_policy(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Jetzt ausführen": the channel's policy run now, for this channel only, as a background
    job the merchant follows on its page. Refused – nothing started – when the channel has no
    policy, when its days are no longer those the page showed (`days`: changed meanwhile), or
    when no order is due (no empty job)."""
    channel = get_object_or_404(Channel, pk=pk)
    status = channel_policy_status(channel=channel)
    edit_url = reverse("channels:edit", args=[channel.pk])
    if status is None:
        messages.error(request, _("Dieser Kanal anonymisiert Kundendaten nicht automatisch."))
        return redirect(edit_url)
    if request.POST.get("days") != str(status.days):
        messages.error(
            request,
            _(
                "Die Regel dieses Kanals wurde inzwischen geändert. Bitte prüfen Sie die Vorschau "
                "und starten Sie erneut."
            ),
        )
        return redirect(edit_url)
    if not status.due_count:
        messages.info(request, _("Derzeit ist keine Bestellung dieses Kanals fällig."))
        return redirect(edit_url)
    try:
        run = privacy_job_anonymize_due(
            requested_by=request.user, background=True, channel_ids=[channel.pk]
        )
    except KeyConfigurationError:
        logger.exception("channel policy run refused: channel id %s", channel.pk)
        messages.error(
            request,
            _(
                "Der Lauf konnte nicht gestartet werden: der Cold-Storage-Schlüssel fehlt. Bitte "
                "wenden Sie sich an den Support."
            ),
        )
        return redirect(edit_url)
    if not run.jobs:
        messages.error(request, _("Der Lauf konnte nicht gestartet werden (siehe Protokoll)."))
        return redirect(edit_url)
    job = run.jobs[0]
    messages.success(
        request,
        ngettext(
            "Vorgang #%(job)d gestartet: %(count)s fällige Bestellung wird anonymisiert.",
            "Vorgang #%(job)d gestartet: %(count)s fällige Bestellungen werden anonymisiert.",
            job.total,
        )
        % {"job": job.pk, "count": formats.number_format(job.total, force_grouping=True)},
    )
    return redirect("orders:privacy_job", pk=job.pk)
