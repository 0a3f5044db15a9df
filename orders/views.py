"""The merchant's order pages: Bestellübersicht, the edit page, invoicing and shipping."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from orders.forms import (
    DEFAULT_ORDER_LIST_SORT,
    AddressForm,
    OrderEditForm,
    OrderFilterForm,
    OrderShipForm,
    disable_fields,
)
from orders.models import Order, OrderLockedError
from orders.selectors import order_invoice_totals, order_list_page, order_list_queryset
from orders.services import order_create_invoice, order_ship, order_update

#: Columns the list can be sorted by, with their ascending sort key.
_SORTABLE_COLUMNS = {"number": "number", "date": "date", "total": "total"}


def _get_order(pk: int) -> Order:
    return get_object_or_404(
        Order.objects.select_related("channel", "customer", "billing_address", "shipping_address"),
        pk=pk,
    )


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


@require_GET
def orders_list(request: HttpRequest) -> HttpResponse:
    form = OrderFilterForm(request.GET)
    if form.is_valid():
        filters = form.cleaned_data
        page = order_list_page(
            orders=order_list_queryset(
                channel=filters["channel"],
                status=filters["status"],
                date_from=filters["date_from"],
                date_to=filters["date_to"],
                q=filters["q"],
                sort=filters["sort"],
            ),
            page=filters["page"],
        )
        sort = filters["sort"]
    else:
        # Invalid filters show the messages and no rows, never an unfiltered list.
        page = None
        sort = DEFAULT_ORDER_LIST_SORT
    template_name = "orders/list.html"
    if request.htmx and not request.htmx.history_restore_request:
        template_name += "#table"
    response = TemplateResponse(
        request,
        template_name,
        {
            "form": form,
            "page": page,
            "sort": sort,
            "sort_links": _sort_links(sort),
            "is_filtered": any(
                request.GET.get(name) for name in ("q", "channel", "status", "date_from", "date_to")
            ),
        },
    )
    # The same URL answers with a page or a fragment: caches must tell them apart.
    patch_vary_headers(response, ("HX-Request",))
    return response


@require_http_methods(["GET", "POST"])
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = _get_order(pk)
    tab = "history" if request.GET.get("tab") == "history" else "details"
    if request.method == "POST":
        try:
            order.ensure_personal_data_available()
        except OrderLockedError as exc:
            messages.error(request, exc.message)
            return redirect("orders:detail", pk=order.pk)
    data = request.POST if request.method == "POST" else None
    billing_form = AddressForm(data, instance=order.billing_address, prefix="billing")
    shipping_form = AddressForm(data, instance=order.shipping_address, prefix="shipping")
    order_form = OrderEditForm(data, instance=order, prefix="order")
    forms = (billing_form, shipping_form, order_form)
    if request.method == "POST":
        if all(form.is_valid() for form in forms):
            try:
                order_update(
                    order=order,
                    actor=request.user,
                    billing=billing_form.cleaned_data,
                    shipping=shipping_form.cleaned_data,
                    fields=order_form.cleaned_data,
                )
            except OrderLockedError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Die Bestellung wurde gespeichert."))
            return redirect("orders:detail", pk=order.pk)
        messages.error(request, _("Bitte korrigieren Sie die markierten Eingaben."))
        # The forms wrote the rejected input into the instances; show the facts as stored.
        order = _get_order(pk)
    if order.is_anonymized:
        disable_fields(*forms)

    context = {
        "order": order,
        "tab": tab,
        "billing_form": billing_form,
        "shipping_form": shipping_form,
        "order_form": order_form,
        "ship_form": OrderShipForm(),
    }
    if tab == "history":
        context["events"] = order.events.select_related("actor")
        context["order_messages"] = order.messages.all()
    else:
        items = list(order.items.all())
        context["items"] = items
        context["totals"] = order_invoice_totals(items=items)
    return TemplateResponse(request, "orders/detail.html", context)


@require_POST
def order_invoice_create(request: HttpRequest, pk: int) -> HttpResponse:
    order = _get_order(pk)
    had_invoice = bool(order.invoice_number)
    try:
        order = order_create_invoice(order=order, actor=request.user)
    except OrderLockedError as exc:
        messages.error(request, exc.message)
        return redirect("orders:detail", pk=order.pk)
    if not had_invoice:
        messages.success(
            request, _("Rechnung %(number)s wurde erstellt.") % {"number": order.invoice_number}
        )
    return redirect("orders:invoice", pk=order.pk)


@require_GET
def order_invoice(request: HttpRequest, pk: int) -> HttpResponse:
    order = _get_order(pk)
    try:
        # An anonymized order has no invoice document: it would print "[Anonymisiert]".
        order.ensure_personal_data_available()
    except OrderLockedError as exc:
        messages.error(request, exc.message)
        return redirect("orders:detail", pk=order.pk)
    if not order.invoice_number:
        messages.warning(request, _("Für diese Bestellung wurde noch keine Rechnung erstellt."))
        return redirect("orders:detail", pk=order.pk)
    items = list(order.items.all())
    return TemplateResponse(
        request,
        "orders/invoice.html",
        {"order": order, "items": items, "totals": order_invoice_totals(items=items)},
    )


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
            order=order, actor=request.user, tracking_number=form.cleaned_data["tracking_number"]
        )
    except OrderLockedError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Die Bestellung wurde als versendet markiert."))
    return redirect("orders:detail", pk=order.pk)
