"""Einstellungen → Kanäle: list, create and edit sales channels and their anonymization policy."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from channels.forms import FORCED_POLICY_REASON, ZERO_DAYS_WARNING, ChannelForm
from channels.models import Channel


def channels_list(request: HttpRequest) -> TemplateResponse:
    return TemplateResponse(
        request,
        "channels/list.html",
        {"channels": Channel.objects.order_by("name"), "forced_reason": FORCED_POLICY_REASON},
    )


@permission_required("channels.add_channel", raise_exception=True)
def channel_create(request: HttpRequest) -> HttpResponse:
    return _channel_form_page(request, Channel())


@permission_required("channels.change_channel", raise_exception=True)
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
            if channel.auto_anonymize and channel.auto_anonymize_days == 0:
                messages.warning(request, ZERO_DAYS_WARNING)
            return redirect("channels:list")
    elif request.htmx and "kind" in request.GET:
        # Live preview while the form is filled in: forced policy and the 0-days warning.
        form = ChannelForm(initial=_preview_initial(request.GET), instance=channel)
    else:
        form = ChannelForm(instance=channel)

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
        },
    )
