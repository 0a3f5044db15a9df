"""Kunden → a customer → Datenschutz: the Auskunft (page and JSON file) and Löschanfragen."""

import json
import logging

from django.contrib import messages
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from coldstorage.keys import KeyConfigurationError
from config.permissions import permission_required
from customers.models import Customer
from orders.models import Order
from personal.views import refuse_card_numbers_in_query
from privacyoffice.forms import ErasureRequestForm
from privacyoffice.models import (
    HANDLE_ERASURE_REQUEST,
    VIEW_ERASURE_REQUEST,
    VIEW_SUBJECT_REPORT,
    ErasureRequest,
    SubjectReport,
)
from privacyoffice.selectors import customers_matching, open_erasure_requests
from privacyoffice.services import (
    BLOCK_REASONS,
    ErasureRequestError,
    erasure_purge_date,
    erasure_request_create,
    erasure_request_run,
    subject_report_create,
)

logger = logging.getLogger(__name__)

#: A broken key stops the report: it would otherwise be silently incomplete.
KEY_MESSAGE = _(
    "Der Cold Storage kann nicht gelesen werden (Schlüssel fehlt oder passt nicht); "
    "die Auskunft ist erst vollständig möglich, wenn das behoben ist."
)


def _customer(request: HttpRequest, pk: int) -> Customer | None:
    """The customer, or None with a message for the search page (an old link, a forged id)."""
    customer = Customer.objects.filter(pk=pk).first()
    if customer is None:
        messages.error(request, _("Diesen Kunden gibt es nicht."))
    return customer


def _to_search() -> HttpResponse:
    return redirect("privacyoffice:search")


@require_GET
@permission_required(VIEW_SUBJECT_REPORT)
def subject_search(request: HttpRequest) -> HttpResponse:
    if refusal := refuse_card_numbers_in_query(request):
        return refusal
    q = request.GET.get("q", "").strip()[:200]
    found = customers_matching(q) if q else []
    return TemplateResponse(
        request, "privacyoffice/search.html", {"q": q, "customers": found, "searched": bool(q)}
    )


@require_GET
@permission_required(VIEW_SUBJECT_REPORT)
def customer_privacy(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer(request, pk)
    if customer is None:
        return _to_search()
    requests = ErasureRequest.objects.filter(customer=customer).order_by("-created_at", "-pk")
    return TemplateResponse(
        request,
        "privacyoffice/customer.html",
        {
            "customer": customer,
            "erasure_requests": requests,
            "form": ErasureRequestForm(),
            "may_erase": request.user.has_perm(HANDLE_ERASURE_REQUEST),
            "reports": SubjectReport.objects.filter(customer_id=customer.pk)[:10],
        },
    )


def _report(request: HttpRequest, customer: Customer, via: str) -> dict | None:
    try:
        return subject_report_create(customer=customer, requested_by=request.user, via=via)
    except KeyConfigurationError:
        logger.error("subject report for customer id %s: cold storage key unusable", customer.pk)
        messages.error(request, KEY_MESSAGE)
        return None


@require_GET
@permission_required(VIEW_SUBJECT_REPORT)
def subject_report_page(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer(request, pk)
    if customer is None:
        return _to_search()
    report = _report(request, customer, SubjectReport.Via.PAGE)
    if report is None:
        return redirect("privacyoffice:customer", pk=customer.pk)
    response = TemplateResponse(
        request, "privacyoffice/report.html", {"customer": customer, "report": report}
    )
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@permission_required(VIEW_SUBJECT_REPORT)
def subject_report_json(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer(request, pk)
    if customer is None:
        return _to_search()
    report = _report(request, customer, SubjectReport.Via.JSON)
    if report is None:
        return redirect("privacyoffice:customer", pk=customer.pk)
    # Built in memory and sent: the file is never written on the server.
    body = json.dumps(report, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    name = f"auskunft-{customer.number}-{timezone.localdate().isoformat()}.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@permission_required(HANDLE_ERASURE_REQUEST)
def erasure_create(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer(request, pk)
    if customer is None:
        return _to_search()
    form = ErasureRequestForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("privacyoffice:customer", pk=customer.pk)
    try:
        erasure = erasure_request_create(
            customer=customer,
            received_on=form.cleaned_data["received_on"],
            received_via=form.cleaned_data["received_via"],
            recorded_by=request.user,
        )
    except (ErasureRequestError, KeyConfigurationError) as exc:
        messages.error(request, str(exc) if isinstance(exc, ErasureRequestError) else KEY_MESSAGE)
        return redirect("privacyoffice:customer", pk=customer.pk)
    messages.success(request, _("Die Löschanfrage wurde erfasst und ausgeführt."))
    return redirect("privacyoffice:erasure_detail", pk=erasure.pk)


def _erasure(request: HttpRequest, pk: int) -> ErasureRequest | None:
    erasure = ErasureRequest.objects.select_related("customer", "last_job").filter(pk=pk).first()
    if erasure is None:
        messages.error(request, _("Diese Löschanfrage gibt es nicht."))
    return erasure


@require_GET
@permission_required(VIEW_ERASURE_REQUEST)
def erasure_detail(request: HttpRequest, pk: int) -> HttpResponse:
    erasure = _erasure(request, pk)
    if erasure is None:
        return redirect("privacyoffice:erasure_list")
    orders = {
        o.pk: o
        for o in Order.objects.filter(
            pk__in=[i["order"] for i in erasure.blocked if i["order"]]
        ).only("pk", "number", "status", "privacy_state")
    }
    blocked = []
    for item in erasure.blocked:
        order = orders.get(item["order"])
        reason = BLOCK_REASONS.get(item["reason"], "")
        if order is not None:
            reason = reason % {"status": order.get_status_display()}
        elif item["order"] is not None:
            continue  # the order is gone meanwhile
        blocked.append({"order": order, "reason": reason})
    return TemplateResponse(
        request,
        "privacyoffice/erasure_detail.html",
        {
            "erasure": erasure,
            "customer": erasure.customer,
            "blocked": blocked,
            "purge_on": erasure_purge_date(erasure),
            "overdue": erasure.is_overdue(),
            "may_erase": request.user.has_perm(HANDLE_ERASURE_REQUEST),
        },
    )


@require_POST
@permission_required(HANDLE_ERASURE_REQUEST)
def erasure_rerun(request: HttpRequest, pk: int) -> HttpResponse:
    erasure = _erasure(request, pk)
    if erasure is None:
        return redirect("privacyoffice:erasure_list")
    if not erasure.is_open:
        messages.info(request, _("Diese Löschanfrage ist bereits erledigt."))
        return redirect("privacyoffice:erasure_detail", pk=erasure.pk)
    try:
        erasure = erasure_request_run(request=erasure, requested_by=request.user)
    except KeyConfigurationError:
        messages.error(request, KEY_MESSAGE)
        return redirect("privacyoffice:erasure_detail", pk=erasure.pk)
    if erasure.is_open:
        messages.warning(
            request, _("Einige Bestellungen können noch nicht anonymisiert werden (siehe unten).")
        )
    else:
        messages.success(request, _("Die Löschanfrage ist erledigt."))
    return redirect("privacyoffice:erasure_detail", pk=erasure.pk)


@require_GET
@permission_required(VIEW_ERASURE_REQUEST)
def erasure_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    return TemplateResponse(
        request,
        "privacyoffice/erasure_list.html",
        {"erasure_requests": list(open_erasure_requests()[:500]), "today": today},
    )
