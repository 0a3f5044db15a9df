"""Kundenübersicht and the customer page (view and edit)."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from config.permissions import permission_required, require
from customers.forms import AddressFormSet, CustomerForm, EmailFormSet, PhoneFormSet, row_edits
from customers.models import (
    ANONYMIZED,
    VIEW_PERSONAL_DATA,
    Address,
    Customer,
    CustomerEmail,
    CustomerSource,
    PrivacyState,
)
from customers.search import (
    ADDRESS_LIMIT,
    active_addresses_matching,
    customer_ids_with_email,
    looks_like_email,
    search_terms,
    searches_personal_data,
)
from customers.services import (
    CUSTOMER_EDITABLE_FIELDS,
    CustomerChangedError,
    CustomerLockedError,
    customer_edit_refusal,
    customer_update,
)
from customers.validators import CARD_NUMBER_MESSAGE, contains_card_number
from orders.models import Order

PAGE_SIZE = 50
# The lock banner names at most this many of the orders that lock the customer.
LOCKED_ORDER_LIMIT = 20
#: The banner's restore button takes at most this many orders (their ids travel in the URL).
RESTORE_LINK_LIMIT = 200
# The customer page lists this many orders; the order list has the rest.
DETAIL_ORDER_LIMIT = 100
_MAX_CUSTOMER_NUMBER = 2**63 - 1
#: A customer record is personal data through and through: its pages need seeing that.
VIEW_PERMISSIONS = ("customers.view_customer", VIEW_PERSONAL_DATA)


#: As in the order list: nobody pages deeper instead of searching (and OFFSET must stay a bigint).
MAX_PAGE = 2000


def _page_number(request: HttpRequest) -> int:
    try:
        return min(max(1, int(request.GET.get("page", 1))), MAX_PAGE)
    except ValueError:
        return 1


def _search(customers: QuerySet[Customer], q: str) -> QuerySet[Customer]:
    """By customer number (exact), e-mail prefix, or names, company, postcode and city by word
    prefix, several words together (customers.search); case-insensitive. Anonymized data is
    never searched: only active addresses and customers count."""
    terms = search_terms(q)
    if not terms:
        return customers
    ids: set[int] = set()
    if len(terms) == 1 and terms[0].isascii() and terms[0].isdigit():
        term = terms[0]
        # Longer than any bigint: no customer has that number (and int() refuses > 4,300 digits).
        if len(term) <= len(str(_MAX_CUSTOMER_NUMBER)) and int(term) <= _MAX_CUSTOMER_NUMBER:
            ids.update(Customer.objects.filter(number=int(term)).values_list("pk", flat=True))
    if searches_personal_data(terms):
        addresses = active_addresses_matching(Address.objects.all(), terms).filter(
            customer__privacy_state=PrivacyState.ACTIVE
        )
        customer_ids = list(
            addresses.order_by().values_list("customer_id", flat=True)[: ADDRESS_LIMIT + 1]
        )
        if len(terms) == 1 and looks_like_email(terms[0]):
            ids.update(customer_ids_with_email(terms[0]))
        if len(customer_ids) > ADDRESS_LIMIT:
            # A common word: the list's own order (newest customer first) meets a page of
            # matches at once, testing each customer's addresses as it goes.
            return customers.filter(
                Q(pk__in_ids=ids) | Exists(addresses.order_by().filter(customer=OuterRef("pk")))
            )
        ids.update(customer_ids)
    return customers.filter(pk__in_ids=ids) if ids else customers.none()


def _overview_rows(q: str, page: int) -> tuple[list[Customer], bool]:
    """One page of customers plus whether another follows: LIMIT n+1 instead of a COUNT."""
    order_count = (
        Order.objects.filter(customer=OuterRef("pk"))
        .order_by()
        .values("customer")
        .annotate(n=Count("pk"))
        .values("n")
    )
    newest_address = Address.objects.filter(customer=OuterRef("pk")).order_by("-pk").values("pk")
    customers = (
        _search(Customer.objects.all(), q)
        .annotate(
            order_count=Coalesce(Subquery(order_count, output_field=IntegerField()), 0),
            newest_address_id=Subquery(newest_address[:1]),
            # An anonymized address locks an otherwise active customer (SPEC 6).
            has_anonymized_address=Exists(
                Address.objects.filter(customer=OuterRef("pk")).exclude(
                    privacy_state=PrivacyState.ACTIVE
                )
            ),
        )
        .prefetch_related(Prefetch("emails", queryset=CustomerEmail.objects.order_by("pk")))
        .order_by("-number")
    )
    offset = (page - 1) * PAGE_SIZE
    rows = list(customers[offset : offset + PAGE_SIZE + 1])
    has_next = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    addresses = Address.objects.in_bulk([c.newest_address_id for c in rows if c.newest_address_id])
    for customer in rows:
        customer.newest_address = addresses.get(customer.newest_address_id)
    return rows, has_next


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


def refuse_card_numbers_in_query(request: HttpRequest) -> HttpResponse | None:
    """A search (GET parameters) is no way in for card data either: one holding a card number is
    not run, and the page comes back without it – its search box, links and language switch
    would repeat the URL – with the card-data message. None when there is none."""
    refused = [
        name
        for name, values in request.GET.lists()
        if any(contains_card_number(value) for value in values)
    ]
    if not refused:
        return None
    messages.error(request, CARD_NUMBER_MESSAGE)
    params = request.GET.copy()
    for name in refused:
        del params[name]
    url = f"{request.path}?{params.urlencode()}" if params else request.path
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)  # the whole page, with the message
    return redirect(url)


@permission_required(VIEW_PERMISSIONS)
def customers_list(request: HttpRequest) -> HttpResponse:
    if refusal := refuse_card_numbers_in_query(request):
        return refusal
    q = request.GET.get("q", "").strip()
    page = _page_number(request)
    customers, has_next = _overview_rows(q, page)
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

    orders = list(
        customer.orders.select_related("channel").order_by("-number")[: DETAIL_ORDER_LIMIT + 1]
    )
    locked_orders = []
    if refusal is not None:
        # The orders whose anonymization locks the record: restoring them unlocks it.
        locked_orders = list(
            customer.orders.exclude(privacy_state=PrivacyState.ACTIVE)
            .order_by("-number")
            .only("pk", "number", "privacy_state", "purge_on")[: LOCKED_ORDER_LIMIT + 1]
        )
    restore_query = ""
    if refusal is not None and request.user.has_perm("orders.restore_order"):
        # The restore dialog for the customer's anonymized orders: it confirms and counts them
        # (and says which it skips) before anything runs. Ids only, as few as fit in a URL.
        restore_ids = list(
            customer.orders.filter(privacy_state=PrivacyState.ANONYMIZED)
            .order_by("-number")
            .values_list("pk", flat=True)[:RESTORE_LINK_LIMIT]
        )
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
        "sources": CustomerSource.objects.filter(customer=customer).select_related("channel"),
        "orders": orders[:DETAIL_ORDER_LIMIT],
        "more_orders": len(orders) > DETAIL_ORDER_LIMIT,
        "locked_orders": locked_orders[:LOCKED_ORDER_LIMIT],
        "more_locked_orders": len(locked_orders) > LOCKED_ORDER_LIMIT,
        "restore_query": restore_query,
        "ANONYMIZED": ANONYMIZED,
    }
    return TemplateResponse(request, "customers/detail.html", context)
