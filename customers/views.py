"""Kundenübersicht and the customer page (view and edit); the reads are in customers.selectors."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from config.permissions import permission_required, require
from customers.forms import AddressFormSet, CustomerForm, EmailFormSet, PhoneFormSet, row_edits
from customers.models import Customer, CustomerLockedError
from customers.selectors import (
    customer_locking_orders,
    customer_orders,
    customer_overview_page,
    customer_restorable_order_ids,
    customer_sources,
)
from customers.services import (
    CUSTOMER_EDITABLE_FIELDS,
    CustomerChangedError,
    customer_edit_refusal,
    customer_update,
)
from personal.state import ANONYMIZED, VIEW_PERSONAL_DATA
from personal.views import refuse_card_numbers_in_query

# The lock banner names at most this many of the orders that lock the customer.
LOCKED_ORDER_LIMIT = 20
#: The banner's restore button takes at most this many orders (their ids travel in the URL).
RESTORE_LINK_LIMIT = 200
# The customer page lists this many orders; the order list has the rest.
DETAIL_ORDER_LIMIT = 100
#: A customer record is personal data through and through: its pages need seeing that.
VIEW_PERMISSIONS = ("customers.view_customer", VIEW_PERSONAL_DATA)


#: As in the order list: nobody pages deeper instead of searching (and OFFSET must stay a bigint).
MAX_PAGE = 2000


def _page_number(request: HttpRequest) -> int:
    try:
        return min(max(1, int(request.GET.get("page", 1))), MAX_PAGE)
    except ValueError:
        return 1


def _master_data_facts(customer: Customer) -> list[tuple[str, object, bool]]:
    """(label, value, masked) rows for the read-only customer page."""
    facts = []
    for name in CUSTOMER_EDITABLE_FIELDS:
        field = Customer._meta.get_field(name)
        value = getattr(customer, name)
        if name == "extra_fields":
            # Stored before they were checked, extra fields may be something else than an object.
            if isinstance(value, dict):
                value = ", ".join(f"{key}: {item}" for key, item in value.items())
            else:
                value = "" if value in (None, []) else str(value)
        elif name == "payment_method":
            value = customer.get_payment_method_display()
        # The payment method type is kept for bookkeeping; everything else is personal.
        masked = customer.is_anonymized and name != "payment_method"
        facts.append((field.verbose_name, value, masked))
    return facts


@permission_required(VIEW_PERMISSIONS)
def customers_list(request: HttpRequest) -> HttpResponse:
    if refusal := refuse_card_numbers_in_query(request):
        return refusal
    q = request.GET.get("q", "").strip()
    page = _page_number(request)
    customers, has_next = customer_overview_page(q=q, page=page)
    template_name = "customers/list.html"
    if request.htmx and not request.htmx.history_restore_request:
        template_name += "#table"
    response = TemplateResponse(
        request,
        template_name,
        {
            "customers": customers,
            "q": q,
            "page": page,
            "has_next": has_next,
            "ANONYMIZED": ANONYMIZED,
        },
    )
    # The same URL answers with a page or a fragment: caches must tell them apart.
    patch_vary_headers(response, ("HX-Request",))
    return response


@permission_required(VIEW_PERMISSIONS)
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=pk)
    refusal = customer_edit_refusal(customer)
    may_edit = request.user.has_perm("customers.change_customer")
    editable = may_edit and refusal is None

    form = email_formset = phone_formset = address_formset = None
    if request.method == "POST":
        require(request.user, "customers.change_customer")
        if refusal is not None:
            messages.error(request, refusal.message)
            return redirect("customers:detail", pk=customer.pk)
        form = CustomerForm(request.POST, instance=customer)
        email_formset = EmailFormSet(request.POST, instance=customer)
        phone_formset = PhoneFormSet(request.POST, instance=customer)
        address_formset = AddressFormSet(request.POST, instance=customer)
        formsets = (email_formset, phone_formset, address_formset)
        if form.is_valid() and all([fs.is_valid() for fs in formsets]):
            try:
                customer_update(
                    customer=customer,
                    actor=request.user,
                    fields=form.edited_fields(),
                    version=form.cleaned_data["version"],
                    emails=row_edits(email_formset),
                    phones=row_edits(phone_formset),
                    addresses=row_edits(address_formset),
                )
            except (CustomerLockedError, CustomerChangedError) as exc:
                messages.error(request, exc.message)
                return redirect("customers:detail", pk=customer.pk)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Die Kundendaten wurden gespeichert."))
                return redirect("customers:detail", pk=customer.pk)
        # Validation filled the instance with the submitted values; show the stored ones.
        customer = Customer.objects.get(pk=customer.pk)
    elif editable:
        form = CustomerForm(instance=customer)
        email_formset = EmailFormSet(instance=customer)
        phone_formset = PhoneFormSet(instance=customer)
        address_formset = AddressFormSet(instance=customer)

    orders = customer_orders(customer, limit=DETAIL_ORDER_LIMIT + 1)
    locked_orders = []
    if refusal is not None:
        locked_orders = customer_locking_orders(customer, limit=LOCKED_ORDER_LIMIT + 1)
    restore_query = ""
    if refusal is not None and request.user.has_perm("orders.restore_order"):
        # The restore dialog for the customer's anonymized orders: it confirms and counts them
        # (and says which it skips) before anything runs. Ids only, as few as fit in a URL.
        restore_ids = customer_restorable_order_ids(customer, limit=RESTORE_LINK_LIMIT)
        restore_query = urlencode([("ids", pk) for pk in restore_ids])
    context = {
        "customer": customer,
        "refusal": refusal,
        "facts": _master_data_facts(customer),
        "may_edit": may_edit,
        "editable": editable,
        "form": form,
        "email_formset": email_formset,
        "phone_formset": phone_formset,
        "address_formset": address_formset,
        "emails": customer.emails.all(),
        "phones": customer.phones.all(),
        "addresses": customer.addresses.all(),
        "sources": customer_sources(customer),
        "orders": orders[:DETAIL_ORDER_LIMIT],
        "more_orders": len(orders) > DETAIL_ORDER_LIMIT,
        "locked_orders": locked_orders[:LOCKED_ORDER_LIMIT],
        "more_locked_orders": len(locked_orders) > LOCKED_ORDER_LIMIT,
        "restore_query": restore_query,
        "ANONYMIZED": ANONYMIZED,
    }
    return TemplateResponse(request, "customers/detail.html", context)
