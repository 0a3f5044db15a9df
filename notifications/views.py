"""Einstellungen → Benachrichtigungstexte (with a preview) and → E-Mail-Versand (SMTP servers
with a test mail)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from coldstorage.keys import KeyConfigurationError
from config.permissions import permission_required
from notifications.forms import NotificationTextForm, PreviewForm, SmtpServerForm, TestMailForm
from notifications.models import NotificationText, SmtpServer
from notifications.placeholders import PLACEHOLDERS, UnknownPlaceholderError
from notifications.services import (
    ChangedMeanwhileError,
    active_server,
    mail_render,
    notification_text_delete,
    notification_text_save,
    smtp_server_delete,
    smtp_server_save,
    smtp_server_send_test,
)
from orders.models import Order
from personal.state import VIEW_PERSONAL_DATA

# --- Notification texts -----------------------------------------------------------------------


@permission_required("notifications.view_notificationtext")
@require_GET
def texts_list(request: HttpRequest) -> TemplateResponse:
    return TemplateResponse(
        request, "notifications/texts.html", {"texts": NotificationText.objects.order_by("name")}
    )


@permission_required("notifications.add_notificationtext")
@require_http_methods(["GET", "POST"])
def text_create(request: HttpRequest) -> HttpResponse:
    return _text_form_page(request, NotificationText())


@permission_required("notifications.change_notificationtext")
@require_http_methods(["GET", "POST"])
def text_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _text_form_page(request, get_object_or_404(NotificationText, pk=pk))


def _text_form_page(request: HttpRequest, text: NotificationText) -> HttpResponse:
    is_new = text.pk is None
    stored_name = text.name
    if request.method == "POST":
        form = NotificationTextForm(request.POST, instance=text)
        if form.is_valid():
            try:
                saved = notification_text_save(
                    text=text, data=form.cleaned_data, version=form.cleaned_data["version"]
                )
            except ChangedMeanwhileError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(
                    request, _("Der Text „%(name)s“ wurde gespeichert.") % {"name": saved.name}
                )
                return redirect("notifications:texts")
        else:
            messages.error(request, _("Bitte korrigieren Sie die markierten Eingaben."))
    else:
        form = NotificationTextForm(instance=text, initial={"version": text.version})
    return TemplateResponse(
        request,
        "notifications/text_form.html",
        {
            "form": form,
            "text": text,
            "is_new": is_new,
            "stored_name": stored_name,
            "placeholders": PLACEHOLDERS.values(),
            "recent_orders": Order.objects.order_by("-number").values_list("number", flat=True)[:10]
            if request.user.has_perm("orders.view_order")
            else [],
        },
    )


@permission_required("notifications.delete_notificationtext")
@require_POST
def text_delete(request: HttpRequest, pk: int) -> HttpResponse:
    text = get_object_or_404(NotificationText, pk=pk)
    notification_text_delete(text=text)
    messages.success(request, _("Der Text „%(name)s“ wurde gelöscht.") % {"name": text.name})
    return redirect("notifications:texts")


@permission_required(["notifications.view_notificationtext", "orders.view_order"])
@require_GET
def text_preview(request: HttpRequest) -> TemplateResponse:
    """The text as typed, for one order, rendered here on the server. Personal placeholders show
    [Anonymisiert] for an anonymized order and are hidden from users who may not see personal
    data."""
    form = PreviewForm(request.GET)
    context: dict = {"form": form}
    if not form.is_valid():
        context["error"] = _("Die Eingaben für die Vorschau sind ungültig.")
    elif not form.cleaned_data["order"]:
        context["error"] = _("Bitte geben Sie die Nummer einer Bestellung ein.")
    else:
        order = (
            Order.objects.select_related("channel")
            .filter(number=form.cleaned_data["order"])
            .first()
        )
        if order is None:
            context["error"] = _("Eine Bestellung mit der Nummer %(number)s gibt es nicht.") % {
                "number": form.cleaned_data["order"]
            }
        else:
            data = form.cleaned_data
            try:
                context["rendered"] = mail_render(
                    subject=data["subject"],
                    body_text=data["body_text"],
                    body_html=data["body_html"],
                    order=order,
                    show_personal=request.user.has_perm(VIEW_PERSONAL_DATA),
                )
            except UnknownPlaceholderError as exc:
                context["error"] = _("Unbekannter Platzhalter: %(names)s.") % {
                    "names": ", ".join(f"{{{name}}}" for name in exc.names)
                }
            context["order"] = order
    return TemplateResponse(request, "notifications/_preview.html", context)


# --- SMTP servers -----------------------------------------------------------------------------


@permission_required("notifications.view_smtpserver")
@require_GET
def servers_list(request: HttpRequest) -> TemplateResponse:
    return TemplateResponse(
        request,
        "notifications/servers.html",
        {"servers": SmtpServer.objects.order_by("id"), "active": active_server()},
    )


@permission_required("notifications.add_smtpserver")
@require_http_methods(["GET", "POST"])
def server_create(request: HttpRequest) -> HttpResponse:
    return _server_form_page(request, SmtpServer())


@permission_required("notifications.change_smtpserver")
@require_http_methods(["GET", "POST"])
def server_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _server_form_page(request, get_object_or_404(SmtpServer, pk=pk))


def _server_form_page(request: HttpRequest, server: SmtpServer) -> HttpResponse:
    is_new = server.pk is None
    stored = SmtpServer.objects.filter(pk=server.pk).first() if not is_new else None
    if request.method == "POST":
        form = SmtpServerForm(request.POST, instance=server)
        if form.is_valid():
            try:
                saved = smtp_server_save(
                    server=server,
                    data=form.cleaned_data,
                    version=form.cleaned_data["version"],
                    password=form.cleaned_data["password"],
                    forget_password=form.cleaned_data.get("forget_password", False),
                )
            except ChangedMeanwhileError as exc:
                messages.error(request, exc.message)
            except KeyConfigurationError as exc:
                # Without a usable key the password cannot be stored encrypted: nothing saved.
                messages.error(
                    request,
                    _("Der Server wurde nicht gespeichert: %(reason)s") % {"reason": exc},
                )
            else:
                messages.success(
                    request, _("Der Server „%(name)s“ wurde gespeichert.") % {"name": saved.name}
                )
                return redirect("notifications:server_edit", pk=saved.pk)
        else:
            messages.error(request, _("Bitte korrigieren Sie die markierten Eingaben."))
    else:
        form = SmtpServerForm(instance=server, initial={"version": server.version})
    return TemplateResponse(
        request,
        "notifications/server_form.html",
        {
            "form": form,
            "server": stored,
            "is_new": is_new,
            "test_form": TestMailForm(),
        },
    )


@permission_required("notifications.delete_smtpserver")
@require_POST
def server_delete(request: HttpRequest, pk: int) -> HttpResponse:
    server = get_object_or_404(SmtpServer, pk=pk)
    smtp_server_delete(server=server)
    messages.success(request, _("Der Server „%(name)s“ wurde gelöscht.") % {"name": server.name})
    return redirect("notifications:servers")


@permission_required("notifications.change_smtpserver")
@require_POST
def server_test(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Test-E-Mail senden": sends now and shows the server's answer (never the password)."""
    server = get_object_or_404(SmtpServer, pk=pk)
    form = TestMailForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Bitte geben Sie eine gültige E-Mail-Adresse ein."))
        return redirect("notifications:server_edit", pk=server.pk)
    result = smtp_server_send_test(server=server, to=form.cleaned_data["to"])
    if result.ok:
        messages.success(
            request,
            _("Die Test-E-Mail wurde gesendet. Antwort des Servers: %(answer)s")
            % {"answer": result.answer},
        )
    else:
        messages.error(
            request,
            _("Die Test-E-Mail konnte nicht gesendet werden. Antwort des Servers: %(answer)s")
            % {"answer": result.answer},
        )
    return redirect("notifications:server_edit", pk=server.pk)
