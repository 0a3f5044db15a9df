"""The list's privacy actions: "Mehr" → Anonymisieren / Wiederherstellen, live count, job progress.

Every endpoint works as a page of its own (no JavaScript) and answers htmx with a fragment. The
work itself is the privacy engine's: these views only turn the merchant's choice into a Selection
and start a job with it.
"""

import dataclasses

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from coldstorage.keys import KeyConfigurationError
from config.permissions import MissingPermission, permission_required, require
from orders.forms import (
    LIST_STATE_PARAM,
    OrderFilterForm,
    PrivacyIdsForm,
    PrivacyRangeForm,
    list_filter_params,
    list_state_is_valid,
)
from orders.models import PrivacyJob
from orders.privacy.jobs import privacy_job_anonymize, privacy_job_restore
from orders.privacy.selection import MAX_PRIVACY_SELECTION, Selection, SelectionError
from orders.privacy.summary import summary_items
from orders.selectors import (
    job_kind_permission,
    order_list_filter_count,
    order_list_filter_selection,
    orders_matching,
    privacy_action_preview,
    privacy_jobs_visible_to,
)
from personal.state import VIEW_PERSONAL_DATA

#: The job's source, as shown in the order history and the admin.
SOURCE = "Bestellübersicht"

#: The list's privacy actions: the job kinds a user starts from the dialog.
_ACTIONS = (PrivacyJob.Kind.ANONYMIZE, PrivacyJob.Kind.RESTORE)
#: Jobs shown per page of "Vorgänge".
JOBS_PER_PAGE = 50


def _check_permission(request: HttpRequest, action: str) -> None:
    if action not in _ACTIONS:
        raise Http404
    require(request.user, job_kind_permission(action))


def _get_job_for_user(request: HttpRequest, pk: int) -> PrivacyJob:
    job = get_object_or_404(PrivacyJob, pk=pk)
    if not privacy_jobs_visible_to(request.user).filter(pk=pk).exists():
        # Someone else's job, of a kind this user may not start.
        raise MissingPermission([job_kind_permission(job.kind)])
    return job


def _range_initial(data) -> dict:
    """Prefills the date-range dialog from the list's filter (order date range, channel)."""
    filters = OrderFilterForm(data)
    if not filters.is_valid():
        return {}
    initial = {}
    if filters.cleaned_data["date_from"]:
        initial["date_from"] = filters.cleaned_data["date_from"]
    if filters.cleaned_data["date_to"]:
        initial["date_to"] = filters.cleaned_data["date_to"]
    if filters.cleaned_data["channel"] is not None:
        initial["channels"] = [filters.cleaned_data["channel"].pk]
    return initial


def _start_job(action: str, selection: Selection, request: HttpRequest) -> PrivacyJob:
    start = privacy_job_anonymize if action == "anonymize" else privacy_job_restore
    return start(selection=selection, requested_by=request.user, source=SOURCE)


@require_http_methods(["GET", "POST"])
def privacy_action(request: HttpRequest, action: str) -> HttpResponse:
    """The "Mehr" menu's dialog: confirms the ticked (or all matching) orders, or asks for a date
    range when nothing is ticked; POST starts the job."""
    _check_permission(request, action)
    data = request.POST if request.method == "POST" else request.GET
    context: dict = {"action": action, "errors": []}
    selection = None

    if data.get("matching"):
        context["mode"] = "matching"
        filters = OrderFilterForm(data)
        context["filter_params"] = list_filter_params(data)
        context["list_state"] = data.get(LIST_STATE_PARAM, "")
        if not list_state_is_valid(data):
            # Only a filter a table was rendered with: never one the list did not show.
            context["errors"].append(
                _(
                    "Die Auswahl passt nicht zu den Filtern der angezeigten Liste. Bitte laden Sie "
                    "die Bestellübersicht neu und wählen Sie die Bestellungen erneut aus."
                )
            )
        elif filters.is_valid():
            try:
                selection = order_list_filter_selection(
                    filters=filters.cleaned_data,
                    personal_search=request.user.has_perm(VIEW_PERSONAL_DATA),
                    limit=MAX_PRIVACY_SELECTION,
                )
            except SelectionError as exc:
                context["errors"].append(str(exc))
        else:
            context["errors"].append(
                _(
                    "Die Filter der Bestellübersicht sind ungültig. Bitte korrigieren Sie sie zuerst."
                )
            )
    elif "ids" in data:
        context["mode"] = "ids"
        form = PrivacyIdsForm(data)
        if form.is_valid():
            selection = Selection.of_ids(form.cleaned_data["ids"])
            context["ids"] = form.cleaned_data["ids"]
        else:
            context["errors"].extend(form.errors["ids"])
    else:
        context["mode"] = "range"
        bound = request.method == "POST" or "range-date_field" in data
        form = PrivacyRangeForm(data if bound else None, initial=_range_initial(request.GET))
        context["form"] = form
        if bound and form.is_valid():
            try:
                selection = form.selection()
            except SelectionError as exc:
                form.add_error(None, str(exc))

    if selection is not None:
        context["preview"] = preview = _preview(action, selection, mode=context["mode"])
        if request.method == "POST" and not data.get("preview") and not preview.affected:
            # No empty job: nothing is started, and the dialog says why.
            context["errors"].append(
                _("Keine dieser Bestellungen kann anonymisiert werden. Es wurde nichts gestartet.")
                if action == "anonymize"
                else _(
                    "Keine dieser Bestellungen kann wiederhergestellt werden. Es wurde nichts "
                    "gestartet."
                )
            )
        elif request.method == "POST" and not data.get("preview"):
            try:
                job = _start_job(action, selection, request)
            except KeyConfigurationError as exc:
                context["key_error"] = str(exc)
            else:
                return _job_started(request, job)
    return _render_dialog(request, context)


def _preview(action: str, selection: Selection, *, mode: str):
    """The dialog's preview. A date range naturally holds active orders: restoring by range does
    not list them as "skipped" (they were never meant); a selection that ticked them does."""
    preview = privacy_action_preview(action=action, selection=selection)
    if mode == "range" and action == "restore" and "not_anonymized" in preview.skipped:
        skipped = {k: n for k, n in preview.skipped.items() if k != "not_anonymized"}
        preview = dataclasses.replace(preview, skipped=skipped)
    return preview


def _render_dialog(request: HttpRequest, context: dict) -> HttpResponse:
    action = context["action"]
    context["action_url"] = reverse(f"orders:privacy_{action}")
    context["count_url"] = reverse(f"orders:privacy_{action}_count")
    if context["mode"] == "ids":
        context["count"] = len(context.get("ids", ()))
    elif "preview" in context:
        context["count"] = context["preview"].selected
    if request.htmx:
        context["modal"] = True
        response = TemplateResponse(request, "orders/privacy/_dialog.html", context)
        # Errors after a POST replace the dialog, wherever the form meant to put a job panel.
        response["HX-Retarget"] = "#privacy-dialog-slot"
        response["HX-Reswap"] = "innerHTML"
    else:
        response = TemplateResponse(request, "orders/privacy/dialog.html", context)
    patch_vary_headers(response, ("HX-Request",))
    return response


def _job_started(request: HttpRequest, job: PrivacyJob) -> HttpResponse:
    if not request.htmx:
        return redirect("orders:privacy_job", pk=job.pk)
    response = TemplateResponse(
        request,
        "orders/privacy/_job.html",
        {"job": job, "summary": summary_items(job), "close_dialog": True},
    )
    response["HX-Retarget"] = "#privacy-jobs"
    response["HX-Reswap"] = "afterbegin"
    # A restore marks its orders ⏳ at once: the list shows that without a reload.
    response["HX-Trigger"] = "orders-changed"
    return response


@require_GET
def privacy_count(request: HttpRequest, action: str) -> HttpResponse:
    """The date-range dialog's live count: how many orders the action would touch and skip."""
    _check_permission(request, action)
    form = PrivacyRangeForm(request.GET)
    context: dict = {"action": action, "form": form}
    if form.is_valid():
        try:
            context["preview"] = _preview(action, form.selection(), mode="range")
        except SelectionError as exc:
            form.add_error(None, str(exc))
    if form.errors and (form.data.get("range-date_from") or form.data.get("range-date_to")):
        context["count_errors"] = [error for errors in form.errors.values() for error in errors]
    elif form.errors:
        # Nothing entered yet: the dates' "required" would only nag; other problems are shown.
        context["count_errors"] = [
            error
            for name, errors in form.errors.items()
            if name not in ("date_from", "date_to")
            for error in errors
        ]
    return TemplateResponse(request, "orders/privacy/_count.html", context)


@require_GET
def privacy_job_status(request: HttpRequest, pk: int) -> HttpResponse:
    """A job's progress and result: a page, or the self-polling panel for htmx."""
    job = _get_job_for_user(request, pk)
    context = {"job": job, "summary": summary_items(job)}
    if not request.htmx:
        response = TemplateResponse(request, "orders/privacy/job.html", context | {"on_page": True})
    else:
        context["on_page"] = request.GET.get("on_page") == "1"
        response = TemplateResponse(request, "orders/privacy/_job.html", context)
        if job.is_finished:
            response["HX-Trigger"] = "orders-changed"
        elif request.GET.get("seen") != str(job.done):
            # A chunk was done since the last poll: the list may show its new badges.
            response["HX-Trigger"] = "orders-progress"
    patch_vary_headers(response, ("HX-Request",))
    return response


@permission_required("orders.view_order")
@require_GET
def order_select_matching(request: HttpRequest) -> HttpResponse:
    """The "select all N matching orders" bar shown when a whole page is ticked."""
    form = OrderFilterForm(request.GET)
    context: dict = {"selected": request.GET.get("select") == "1", "limit": MAX_PRIVACY_SELECTION}
    if form.is_valid():
        filters = form.cleaned_data
        context["count"] = order_list_filter_count(
            limit=MAX_PRIVACY_SELECTION,
            orders=orders_matching(
                filters, personal_search=request.user.has_perm(VIEW_PERSONAL_DATA)
            ),
        )
    else:
        context["invalid"] = True
    return TemplateResponse(request, "orders/privacy/_select_matching.html", context)


@permission_required("orders.view_order")
@require_GET
def privacy_jobs(request: HttpRequest) -> HttpResponse:
    """ "Vorgänge": the anonymize, restore and purge jobs the user may follow, newest first, with
    state, counts, who started them and the summary. Holds no personal data."""
    paginator = Paginator(
        privacy_jobs_visible_to(request.user).select_related("requested_by"), JOBS_PER_PAGE
    )
    raw_page = request.GET.get("page", "1")
    context: dict = {"paginator": paginator}
    try:
        page = paginator.page(raw_page)
    except PageNotAnInteger:
        page = paginator.page(1)
    except EmptyPage:
        page = None
        context["missing_page"] = raw_page
    context["page"] = page
    context["jobs"] = (
        [(job, summary_items(job)) for job in page.object_list] if page is not None else []
    )
    return TemplateResponse(request, "orders/privacy/jobs.html", context)
