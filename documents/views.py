"""Einstellungen → Firma, and the stored documents of an order (PDF download, cancellation,
delivery note)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from config.permissions import permission_required, require
from documents.forms import CompanySettingsForm
from documents.models import CompanySettings, Document
from documents.services import (
    CompanyChangedError,
    company_settings_update,
    document_pdf,
)
from orders.models import Order, OrderLockedError
from orders.services import OrderRuleError, order_cancel_invoice, order_create_delivery_note


@permission_required("documents.view_companysettings")
@require_http_methods(["GET", "POST"])
def company(request: HttpRequest) -> HttpResponse:
    settings = CompanySettings.load()
    if request.method == "POST":
        require(request.user, "documents.change_companysettings")
        form = CompanySettingsForm(request.POST, instance=CompanySettings.load())
        if form.is_valid():
            try:
                company_settings_update(
                    version=form.cleaned_data["version"], data=form.cleaned_data, actor=request.user
                )
            except CompanyChangedError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Die Firmendaten wurden gespeichert."))
                return redirect("documents:company")
        else:
            messages.error(request, _("Bitte korrigieren Sie die markierten Eingaben."))
    else:
        form = CompanySettingsForm(instance=settings, initial={"version": settings.version})
        if not request.user.has_perm("documents.change_companysettings"):
            for field in form.fields.values():  # read only, and it looks it
                field.disabled = True
    return TemplateResponse(
        request,
        "documents/company.html",
        {"form": form, "missing": CompanySettings.load().missing_fields()},
    )


@permission_required(["orders.view_order", "customers.view_personal_data"])
def document_download(request: HttpRequest, pk: int, document_pk: int) -> HttpResponse:
    """The stored PDF as it was made (never made again). Its bytes hold the buyer's data."""
    document = get_object_or_404(
        Document.objects.select_related("order"), pk=document_pk, order_id=pk
    )
    pdf = document_pdf(document)
    if pdf is None:
        messages.error(
            request,
            _(
                "%(document)s: Die Kundendaten der Bestellung sind anonymisiert; das Dokument liegt "
                "verschlüsselt im Archiv und ist nach der Wiederherstellung wieder abrufbar."
            )
            % {"document": document},
        )
        return redirect("orders:detail", pk=pk)
    response = HttpResponse(pdf, content_type="application/pdf")
    disposition = "attachment" if request.GET.get("download") else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{document.filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _document_action(request: HttpRequest, pk: int, action, success: str) -> HttpResponse:
    order = get_object_or_404(Order, pk=pk)
    try:
        result = action(order=order, actor=request.user)
    except (OrderLockedError, OrderRuleError) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success % {"number": getattr(result, "number", "")})
    return redirect("orders:detail", pk=pk)


@permission_required("orders.issue_invoice")
@require_POST
def invoice_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    def cancel(*, order, actor):
        order_cancel_invoice(order=order, actor=actor)
        return order.documents.filter(kind=Document.Kind.CANCELLATION).last()

    return _document_action(request, pk, cancel, _("Stornorechnung %(number)s wurde erstellt."))


@permission_required("orders.ship_order")
@require_POST
def delivery_note_create(request: HttpRequest, pk: int) -> HttpResponse:
    return _document_action(
        request, pk, order_create_delivery_note, _("Lieferschein %(number)s wurde erstellt.")
    )
