"""The list's export: "Mehr" → Exportieren … (the dialog) and the CSV download it submits to.

Which orders: the ticked ones (`ids`), or all that match the list's filter (the list's own
selectors, so the file holds exactly what the list finds). The file streams as it is written: a
large export shows as a running download in the browser (docs/export.md says why no job).
"""

from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from config.permissions import permission_required
from orders.export import ExportOptions, export_filename, order_export_lines
from orders.forms import OrderExportForm, OrderFilterForm, PrivacyIdsForm, list_filter_params
from orders.models import Order
from orders.privacy.selection import MAX_PRIVACY_SELECTION
from orders.selectors import order_list_filter_count, orders_matching
from personal.state import VIEW_PERSONAL_DATA

#: Exporting reads the orders: it takes seeing them as well.
EXPORT_PERMISSIONS = ("orders.view_order", "orders.export_order")


@dataclass
class ExportSource:
    """The orders an export request names, or why it names none."""

    mode: str  # "ids" or "matching"
    orders: QuerySet[Order] | None = None
    ids: list[int] = field(default_factory=list)
    filter_params: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _export_source(request: HttpRequest, data) -> ExportSource:
    if "ids" in data and not data.get("matching"):
        form = PrivacyIdsForm(data)
        if not form.is_valid():
            return ExportSource(mode="ids", errors=list(form.errors["ids"]))
        ids = form.cleaned_data["ids"]
        # A set: one array parameter (config.lookups).
        return ExportSource(mode="ids", orders=Order.objects.filter(pk__in_ids=set(ids)), ids=ids)
    filters = OrderFilterForm(data)
    source = ExportSource(
        mode="matching",
        filter_params=list_filter_params(data),
    )
    if not filters.is_valid():
        # Neither the values nor the field's own messages are repeated: they may quote the input.
        source.filter_params = []
        source.errors.append(
            _("Die Filter der Bestellübersicht sind ungültig. Bitte korrigieren Sie sie zuerst.")
        )
        source.errors.extend(str(error) for errors in filters.errors.values() for error in errors)
        return source
    source.orders = orders_matching(
        filters.cleaned_data, personal_search=request.user.has_perm(VIEW_PERSONAL_DATA)
    )
    return source


def _bad_request(request: HttpRequest, errors: list[str]) -> HttpResponse:
    reason = " ".join(dict.fromkeys(errors))
    return HttpResponse(render_to_string("400.html", {"reason": reason}, request), status=400)


@permission_required(EXPORT_PERMISSIONS)
@require_http_methods(["GET", "POST"])
def orders_export(request: HttpRequest) -> HttpResponse:
    """The CSV file: GET with the list's filters, or POST with the ticked `ids`; `format`
    (excel, plain), `rows` (order, item), `skip_anonymized`. Invalid parameters get a 400 page
    that says why, before anything is written."""
    data = request.POST if request.method == "POST" else request.GET
    source = _export_source(request, data)
    form = OrderExportForm(data)
    errors = list(source.errors)
    if not form.is_valid():
        errors += [str(error) for errors in form.errors.values() for error in errors]
    if errors:
        return _bad_request(request, errors)
    options = ExportOptions(
        dialect=form.cleaned_data["format"],
        per_item=form.cleaned_data["rows"] == "item",
        skip_anonymized=form.cleaned_data["skip_anonymized"],
        personal_data=request.user.has_perm(VIEW_PERSONAL_DATA),
    )
    response = StreamingHttpResponse(
        order_export_lines(source.orders, options=options, user_id=request.user.pk),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{export_filename()}"'
    # It holds personal data: no cache keeps a copy.
    response["Cache-Control"] = "no-store"
    return response


@permission_required(EXPORT_PERMISSIONS)
@require_GET
def orders_export_dialog(request: HttpRequest) -> HttpResponse:
    """The "Mehr" menu's export dialog: which orders (the ticked ones or all matching the filter),
    the format and the rows; its form downloads the file from orders_export."""
    source = _export_source(request, request.GET)
    context = {
        "source": source,
        "form": OrderExportForm(initial={"format": "excel", "rows": "order"}),
        "personal_data": request.user.has_perm(VIEW_PERSONAL_DATA),
        "limit": MAX_PRIVACY_SELECTION,
    }
    if source.orders is not None:
        context["count"] = (
            len(source.ids)
            if source.mode == "ids"
            else order_list_filter_count(orders=source.orders, limit=MAX_PRIVACY_SELECTION)
        )
    if request.htmx:
        context["modal"] = True
        response = TemplateResponse(request, "orders/export/_dialog.html", context)
    else:
        response = TemplateResponse(request, "orders/export/dialog.html", context)
    patch_vary_headers(response, ("HX-Request",))
    return response
