"""The merchant's order pages: Bestellübersicht, the edit page, invoicing and shipping."""

import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from coldstorage.keys import KeyConfigurationError
from config.permissions import permission_required, require
from orders.forms import (
    OrderAddressForm,
    OrderEditForm,
    OrderFilterForm,
    OrderShipForm,
    disable_fields,
    list_filter_params,
    list_state_signature,
)
from orders.invoicing import issued_invoice, order_invoice_totals
from orders.models import (
    Invoice,
    Order,
    OrderLockedError,
    PrivacyJob,
    RestoreFailure,
    purge_date_for,
    restorable_until_for,
)
from orders.privacy.jobs import privacy_job_anonymize, privacy_job_restore, privacy_job_run
from orders.privacy.selection import Selection
from orders.selectors import (
    DEFAULT_ORDER_LIST_SORT,
    ORDER_LIST_PAGE_SIZE,
    ORDER_LIST_PAGE_SIZES,
    order_list_filter_count,
    order_list_page,
    orders_matching,
    privacy_jobs_running_for,
)
from orders.services import (
    OrderChangedError,
    OrderRuleError,
    order_create_invoice,
    order_ship,
    order_update,
)
from personal.state import VIEW_PERSONAL_DATA, PrivacyState
from personal.views import refuse_card_numbers_in_query

#: Columns the list can be sorted by, with their ascending sort key.
_SORTABLE_COLUMNS = {"number": "number", "date": "date", "total": "total"}


def _get_order(pk: int) -> Order:
    return get_object_or_404(Order.objects.select_related("channel", "customer"), pk=pk)


def _sort_links(current: str) -> dict[str, dict[str, str]]:
    """For each sortable column: the sort key its header link sets and the arrow to show."""
    links = {}
    for column, key in _SORTABLE_COLUMNS.items():
        if current == key:
            links[column] = {"sort": f"-{key}", "arrow": "▲"}
        elif current == f"-{key}":
            links[column] = {"sort": key, "arrow": "▼"}
        else:
            links[column] = {"sort": f"-{key}", "arrow": ""}
    return links


@permission_required("orders.view_order")
@require_GET
def orders_list(request: HttpRequest) -> HttpResponse:
    if refusal := refuse_card_numbers_in_query(request):
        return refusal
    form = OrderFilterForm(request.GET)
    last_page = None
    if form.is_valid():
        filters = form.cleaned_data
        orders = orders_matching(filters, personal_search=request.user.has_perm(VIEW_PERSONAL_DATA))
        page_size = filters["page_size"]
        page = order_list_page(orders=orders, page=filters["page"], page_size=page_size)
        if not page.orders and page.has_previous:
            # Past the last page (an old link, a typed number): say so and link the last one.
            # Counting stops at the pages before this one; the usual page counts nothing.
            before = order_list_filter_count(orders=orders, limit=(page.number - 1) * page_size)
            last_page = -(-before // page_size) or None  # none: nothing matches at all
        sort = filters["sort"]
    else:
        # Invalid filters show the messages and no rows, never an unfiltered list.
        page = None
        sort = DEFAULT_ORDER_LIST_SORT
        page_size = ORDER_LIST_PAGE_SIZE
    # The filter these rows are found with, as the URL says: the table carries it (signed), and
    # "all matching" and the "Mehr" actions act on it, whatever the controls show meanwhile.
    list_state = list_filter_params(request.GET)
    context = {
        "form": form,
        "page": page,
        "sort": sort,
        "sort_links": _sort_links(sort),
        "is_filtered": bool(list_state),
        "list_state": list_state,
        "list_state_signature": list_state_signature(list_state),
        "page_size": page_size,
        "page_sizes": ORDER_LIST_PAGE_SIZES,
        "last_page": last_page,
        "count_url": f"{reverse('orders:list_count')}?{urlencode(list_state)}",
    }
    template_name = "orders/list.html"
    if request.htmx and not request.htmx.history_restore_request:
        template_name += "#table"
    else:
        # The user's privacy jobs still under way, so that their progress survives a reload.
        context["running_jobs"] = privacy_jobs_running_for(request.user)
    response = TemplateResponse(request, template_name, context)
    # The same URL answers with a page or a fragment: caches must tell them apart.
    patch_vary_headers(response, ("HX-Request",))
    return response


#: The list counts its matching orders up to this many; beyond, it says "mehr als 10.000".
LIST_COUNT_LIMIT = 10_000


@permission_required("orders.view_order")
@require_GET
def orders_list_count(request: HttpRequest) -> HttpResponse:
    """The list's total ("1.234 Bestellungen"), loaded after the table so that counting a large
    search never holds the rows up; counted up to LIST_COUNT_LIMIT, never the whole table."""
    form = OrderFilterForm(request.GET)
    context: dict = {"limit": LIST_COUNT_LIMIT}
    if form.is_valid():
        orders = orders_matching(
            form.cleaned_data, personal_search=request.user.has_perm(VIEW_PERSONAL_DATA)
        )
        context["count"] = order_list_filter_count(orders=orders, limit=LIST_COUNT_LIMIT)
    return TemplateResponse(request, "orders/_list_count.html", context)


#: Saving the details form: it holds the order's personal data, so it takes seeing it as well.
EDIT_PERMISSIONS = ("orders.change_order", VIEW_PERSONAL_DATA)


@permission_required("orders.view_order")
@require_http_methods(["GET", "POST"])
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method == "POST":
        require(request.user, *EDIT_PERMISSIONS)
    order = _get_order(pk)
    tab = "history" if request.GET.get("tab") == "history" else "details"
    if request.method == "POST":
        try:
            order.ensure_personal_data_available()
        except OrderLockedError as exc:
            messages.error(request, exc.message)
            return redirect("orders:detail", pk=order.pk)
    data = request.POST if request.method == "POST" else None
    billing_form = OrderAddressForm(data, address=order.billing_address, role="billing")
    shipping_form = OrderAddressForm(data, address=order.shipping_address, role="shipping")
    order_form = OrderEditForm(data, instance=order, prefix="order")
    forms = (billing_form, shipping_form, order_form)
    if request.method == "POST":
        if all(form.is_valid() for form in forms):
            try:
                order_update(
                    order=order,
                    actor=request.user,
                    version=order_form.cleaned_data["version"],
                    billing=billing_form.cleaned_data,
                    shipping=shipping_form.cleaned_data,
                    fields=order_form.cleaned_data,
                )
            except (OrderLockedError, OrderChangedError) as exc:
                messages.error(request, exc.message)
            except OrderRuleError as exc:
                # The input stays on the page, with the reason it was not saved.
                messages.error(request, exc.message)
                order = _get_order(pk)
                return _detail_response(request, order, tab, forms)
            else:
                messages.success(request, _("Die Bestellung wurde gespeichert."))
            return redirect("orders:detail", pk=order.pk)
        messages.error(request, _("Bitte korrigieren Sie die markierten Eingaben."))
        # The order form wrote the rejected input into the instance; show the facts as stored.
        order = _get_order(pk)
    return _detail_response(request, order, tab, forms)


def _detail_response(request: HttpRequest, order: Order, tab: str, forms: tuple) -> HttpResponse:
    billing_form, shipping_form, order_form = forms
    if order.is_anonymized or not request.user.has_perms(EDIT_PERMISSIONS):
        disable_fields(*forms)
    elif order.invoice_number:
        # The issued invoice keeps its billing address (orders.services.order_update).
        disable_fields(billing_form)

    context = {
        "order": order,
        "tab": tab,
        "billing_form": billing_form,
        "shipping_form": shipping_form,
        "order_form": order_form,
        "ship_form": OrderShipForm(),
        **_privacy_context(order, request.user),
    }
    if tab == "history":
        context["events"] = order.events.select_related("actor")
        context["order_messages"] = order.messages.all()
    else:
        items = list(order.items.all())
        context["items"] = items
        context["totals"] = order_invoice_totals(items=items)
    return TemplateResponse(request, "orders/detail.html", context)


@permission_required("orders.issue_invoice")
@require_POST
def order_invoice_create(request: HttpRequest, pk: int) -> HttpResponse:
    order = _get_order(pk)
    had_invoice = bool(order.invoice_number)
    try:
        order = order_create_invoice(order=order, actor=request.user)
    except (OrderLockedError, OrderRuleError) as exc:
        messages.error(request, exc.message)
        return redirect("orders:detail", pk=order.pk)
    if not had_invoice:
        messages.success(
            request, _("Rechnung %(number)s wurde erstellt.") % {"number": order.invoice_number}
        )
    return redirect("orders:invoice", pk=order.pk)


@permission_required("orders.view_order")
@require_GET
def order_invoice(request: HttpRequest, pk: int) -> HttpResponse:
    """The invoice as it was issued. For an anonymized order it shows the placeholder where the
    buyer's data was (the bookkeeping facts stay). The invoice in force: a cancelled one is
    among the order's stored documents (PDF), with its cancellation."""
    order = _get_order(pk)
    invoice = (
        Invoice.objects.filter(order=order, number=order.invoice_number).first()
        if order.invoice_number
        else None
    )
    if invoice is None:
        if Invoice.objects.filter(order=order).exists():
            messages.warning(
                request,
                _(
                    "Die Rechnung dieser Bestellung wurde storniert. Rechnung und Stornorechnung "
                    "finden Sie unter „Dokumente“."
                ),
            )
        else:
            messages.warning(request, _("Für diese Bestellung wurde noch keine Rechnung erstellt."))
        return redirect("orders:detail", pk=order.pk)
    invoice.order = order  # it prints the order's own addresses where it holds none
    return TemplateResponse(
        request, "orders/invoice.html", {"order": order, "invoice": issued_invoice(invoice)}
    )


@permission_required("orders.ship_order")
@require_POST
def order_ship_view(request: HttpRequest, pk: int) -> HttpResponse:
    order = _get_order(pk)
    form = OrderShipForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("orders:detail", pk=order.pk)
    try:
        order_ship(
            order=order,
            actor=request.user,
            tracking_number=form.cleaned_data["tracking_number"],
            replace_tracking=form.cleaned_data["replace_tracking"],
        )
    except (OrderLockedError, OrderRuleError) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Die Bestellung wurde als versendet markiert."))
    return redirect("orders:detail", pk=order.pk)


# --- The order's privacy state: banner, anonymize and restore of this one order ---------------

#: The job's "Quelle" for actions started on the order page (shown in the history as "durch").
ORDER_PAGE_SOURCE = "Bestellung"

_ANONYMIZE_SKIPPED = {
    "skipped_already_anonymized": _lazy("Die Bestellung ist bereits anonymisiert."),
    "skipped_restoring": _lazy(
        "Die Kundendaten werden gerade wiederhergestellt; anonymisieren ist erst danach möglich."
    ),
    "skipped_purged": _lazy("Die Kundendaten dieser Bestellung wurden endgültig gelöscht."),
}
_RESTORE_SKIPPED = {
    "skipped_not_anonymized": _lazy(
        "Die Bestellung ist nicht anonymisiert; es gibt nichts wiederherzustellen."
    ),
    "skipped_restoring": _lazy("Die Wiederherstellung dieser Bestellung läuft bereits."),
    "skipped_purged": _lazy(
        "Die Aufbewahrungsfrist ist abgelaufen: Die Kundendaten werden endgültig gelöscht und "
        "können nicht mehr wiederhergestellt werden."
    ),
}


def _restorable_until(order: Order) -> datetime.date | None:
    """The last day a restore is possible (the day before the purge date), if it is still ahead."""
    if order.privacy_state != PrivacyState.ANONYMIZED or order.purge_on is None:
        return None
    if order.purge_on <= timezone.localdate():
        return None
    return restorable_until_for(order.purge_on)


def _privacy_context(order: Order, user: AbstractBaseUser | AnonymousUser) -> dict:
    restorable_until = _restorable_until(order)
    restoring = order.privacy_state == PrivacyState.RESTORING
    restore_job = order.privacy_job if restoring else None
    return {
        "restorable_until": restorable_until,
        "cold_record_missing": order.restore_failure == RestoreFailure.MISSING,
        "can_restore": restorable_until is not None
        and order.restore_failure != RestoreFailure.MISSING
        and user.has_perm("orders.restore_order"),
        "can_anonymize": order.privacy_state == PrivacyState.ACTIVE
        and user.has_perm("orders.anonymize_order"),
        # What a restore would allow if the order were anonymized today (for the confirmation).
        "restorable_until_if_anonymized": restorable_until_for(purge_date_for(timezone.now())),
        "restore_job": restore_job,
        # A failed job leaves nothing to wait for: the banner stops polling.
        "poll_restore": restoring
        and not (restore_job is not None and restore_job.state == PrivacyJob.State.FAILED),
    }


def _key_error_message(exc: KeyConfigurationError) -> str:
    return _(
        "Es wurde nichts geändert: Für den Cold Storage ist kein nutzbarer Schlüssel eingerichtet, "
        "daher können Kundendaten weder anonymisiert noch wiederhergestellt werden. Bitte wenden "
        "Sie sich an Ihren Administrator. (%(reason)s)"
    ) % {"reason": exc}


def _skip_message(job: PrivacyJob, reasons: dict) -> str | None:
    for key, message in reasons.items():
        if job.summary.get(key):
            return str(message)
    return None


@permission_required("orders.anonymize_order")
@require_POST
def order_anonymize(request: HttpRequest, pk: int) -> HttpResponse:
    """Anonymizes this one order right away: the merchant sees the locked page at once."""
    order = _get_order(pk)
    try:
        job = privacy_job_anonymize(
            selection=Selection.of_ids([order.pk]),
            requested_by=request.user,
            source=ORDER_PAGE_SOURCE,
            background=False,
        )
    except KeyConfigurationError as exc:
        messages.error(request, _key_error_message(exc))
        return redirect("orders:detail", pk=order.pk)
    # Not enqueued, so no worker can hold it: it runs here, one order in one chunk.
    job = privacy_job_run(job_id=job.pk) or job
    if job.state == PrivacyJob.State.FAILED:
        messages.error(
            request,
            _(
                "Die Anonymisierung ist fehlgeschlagen (Datenschutz-Vorgang #%(job)s). Bitte "
                "versuchen Sie es erneut oder wenden Sie sich an den Support."
            )
            % {"job": job.pk},
        )
    elif job.summary.get("anonymized"):
        messages.success(request, _("Die Kundendaten der Bestellung wurden anonymisiert."))
    else:
        messages.info(request, _skip_message(job, _ANONYMIZE_SKIPPED) or _("Nichts zu tun."))
    return redirect("orders:detail", pk=order.pk)


@permission_required("orders.restore_order")
@require_POST
def order_restore(request: HttpRequest, pk: int) -> HttpResponse:
    """Marks this order `restoring` at once and queues the restore (SPEC 4: asynchronous)."""
    order = _get_order(pk)
    try:
        job = privacy_job_restore(
            selection=Selection.of_ids([order.pk]),
            requested_by=request.user,
            source=ORDER_PAGE_SOURCE,
        )
    except KeyConfigurationError as exc:
        messages.error(request, _key_error_message(exc))
        return redirect("orders:detail", pk=order.pk)
    if job.summary.get("queued"):
        messages.success(
            request,
            _(
                "Wiederherstellung gestartet (Datenschutz-Vorgang #%(job)s). Die Seite "
                "aktualisiert sich, sobald die Kundendaten wieder da sind."
            )
            % {"job": job.pk},
        )
    else:
        messages.info(request, _skip_message(job, _RESTORE_SKIPPED) or _("Nichts zu tun."))
    return redirect("orders:detail", pk=order.pk)


@permission_required("orders.view_order")
@require_GET
def order_privacy_banner(request: HttpRequest, pk: int) -> HttpResponse:
    """The banner alone, polled by the page while a restore runs."""
    order = _get_order(pk)
    if not request.htmx:
        return redirect("orders:detail", pk=order.pk)
    if order.privacy_state != PrivacyState.RESTORING:
        # Restored (or back to anonymized): form, actions and data all change; reload the page.
        return HttpResponseClientRefresh()
    return TemplateResponse(
        request,
        "orders/detail.html#privacy_banner",
        {"order": order, **_privacy_context(order, request.user)},
    )
