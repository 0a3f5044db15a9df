"""Einstellungen → Import (also "Mehr" → Importieren … in the order list): upload a CSV file,
look at the preview, confirm or discard it.

A file with refused rows is shown and forgotten at once: only a file that can be imported is
kept (ImportUpload) until it is confirmed, discarded or an hour old. The upload is read in memory
only, never into a temporary file (config.uploads), and is never logged.
"""

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from config.permissions import permission_required
from orders.forms import OrderImportForm
from orders.importing.reading import ImportFileError, too_large_message
from orders.importing.services import ImportRefusedError, import_preview
from orders.importing.uploads import (
    import_upload_confirm,
    import_upload_create,
    import_upload_delete,
    import_upload_for,
)

IMPORT_PERMISSION = "orders.add_order"
#: How many accepted orders the preview lists (every refused row is listed).
PREVIEW_LIST_LIMIT = 500
#: Room for the form's other fields and the multipart framing around the file.
_FORM_OVERHEAD = 64 * 1024


def _preview_context(preview) -> dict:
    entries = [entry for entry in preview.entries if entry.state != "refused"]
    return {
        "preview": preview,
        "entries": entries[:PREVIEW_LIST_LIMIT],
        "more_entries": max(0, len(entries) - PREVIEW_LIST_LIMIT),
    }


@permission_required(IMPORT_PERMISSION)
@require_http_methods(["GET", "POST"])
def order_import(request: HttpRequest) -> HttpResponse:
    """The upload form; its POST checks the file and shows the preview (a file that can be
    imported is kept and its preview page follows)."""
    if request.method == "POST":
        return _order_import_post(request)
    form = OrderImportForm()
    return TemplateResponse(request, "orders/import/upload.html", {"form": form})


def _order_import_post(request: HttpRequest) -> HttpResponse:
    context: dict = {}
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.IMPORT_MAX_BYTES + _FORM_OVERHEAD:
        context["file_error"] = too_large_message()
        form = OrderImportForm()
        return TemplateResponse(
            request, "orders/import/upload.html", {"form": form, **context}, status=400
        )
    form = OrderImportForm(request.POST, request.FILES)
    if getattr(request, "upload_too_large", False):  # config.uploads
        context["file_error"] = too_large_message()
    elif form.is_valid():
        content = form.cleaned_data["file"].read()
        channel = form.cleaned_data["channel"]
        skip_duplicates = form.cleaned_data["skip_duplicates"]
        try:
            preview = import_preview(
                content=content, channel=channel, skip_duplicates=skip_duplicates
            )
        except ImportFileError as exc:
            context["file_error"] = exc.message
        else:
            if preview.can_import:
                upload = import_upload_create(
                    owner=request.user,
                    channel=channel,
                    skip_duplicates=skip_duplicates,
                    content=content,
                )
                return redirect("orders:import_preview", token=upload.token)
            context |= _preview_context(preview)
            context["channel"] = channel
    status = 400 if context.get("file_error") or form.errors else 200
    return TemplateResponse(
        request, "orders/import/upload.html", {"form": form, **context}, status=status
    )


@permission_required(IMPORT_PERMISSION)
@require_http_methods(["GET"])
def order_import_preview(request: HttpRequest, token: str) -> HttpResponse:
    """The preview of a kept upload, computed afresh (an order imported meanwhile now counts as a
    duplicate), with the button that imports it."""
    upload = import_upload_for(token=token, owner=request.user)
    if upload is None:
        raise Http404
    context = {"upload": upload, "channel": upload.channel}
    try:
        preview = import_preview(
            content=bytes(upload.content),
            channel=upload.channel,
            skip_duplicates=upload.skip_duplicates,
        )
    except ImportFileError as exc:  # cannot happen for a kept upload, unless the code changed
        context["file_error"] = exc.message
    else:
        context |= _preview_context(preview)
    return TemplateResponse(request, "orders/import/preview.html", context)


_GONE = gettext_lazy(
    "Dieser Import ist nicht mehr vorhanden: Er wurde bereits ausgeführt oder verworfen, oder "
    "die Datei ist nach einer Stunde verfallen. Laden Sie sie gegebenenfalls erneut hoch."
)


@permission_required(IMPORT_PERMISSION)
@require_POST
def order_import_confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        result = import_upload_confirm(token=token, owner=request.user)
    except ImportRefusedError as exc:
        upload = import_upload_for(token=token, owner=request.user)
        messages.error(
            request,
            _(
                "Die Datei kann nicht mehr importiert werden: Seit der Vorschau hat sich etwas "
                "geändert. Es wurde nichts importiert."
            ),
        )
        context = {"upload": upload, "channel": upload.channel if upload else None}
        context |= _preview_context(exc.preview)
        return TemplateResponse(request, "orders/import/preview.html", context, status=409)
    except ImportFileError as exc:
        messages.error(request, exc.message)
        return redirect("orders:import")
    if result is None:
        messages.error(request, str(_GONE))
        return redirect("orders:import")
    text = ngettext(
        "%(count)d Bestellung wurde importiert.",
        "%(count)d Bestellungen wurden importiert.",
        result.imported,
    ) % {"count": result.imported}
    if result.duplicates_skipped:
        text += " " + ngettext(
            "%(count)d doppelte Bestellung wurde übersprungen.",
            "%(count)d doppelte Bestellungen wurden übersprungen.",
            result.duplicates_skipped,
        ) % {"count": result.duplicates_skipped}
    messages.success(request, text)
    if request.user.has_perm("orders.view_order"):
        return redirect(reverse("orders:list") + "?sort=-number")
    return redirect("orders:import")


@permission_required(IMPORT_PERMISSION)
@require_POST
def order_import_discard(request: HttpRequest, token: str) -> HttpResponse:
    upload = import_upload_for(token=token, owner=request.user)
    if upload is not None:
        import_upload_delete(upload_ids=[upload.pk])
        messages.info(request, _("Die Datei wurde verworfen; es wurde nichts importiert."))
    return redirect("orders:import")
