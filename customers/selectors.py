"""Reads about customers: the Kundenübersicht's search and pages, and what the customer page
lists. The customer's orders are read through the relation behind `customer.orders`: orders
builds on customers, so customers never imports orders."""

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

from customers.models import Address, Customer, CustomerEmail, CustomerSource
from customers.search import (
    ADDRESS_LIMIT,
    active_addresses_matching,
    customer_ids_with_email,
    looks_like_email,
    search_terms,
    searches_personal_data,
)
from personal.state import PrivacyState

PAGE_SIZE = 50
_MAX_CUSTOMER_NUMBER = 2**63 - 1


def customers_matching(customers: QuerySet[Customer], q: str) -> QuerySet[Customer]:
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


def customer_overview_page(*, q: str, page: int) -> tuple[list[Customer], bool]:
    """One page of customers plus whether another follows: LIMIT n+1 instead of a COUNT."""
    # Through the relation behind customer.orders: orders builds on customers, not the reverse.
    order_model = Customer.orders.field.model
    order_count = (
        order_model.objects.filter(customer=OuterRef("pk"))
        .order_by()
        .values("customer")
        .annotate(n=Count("pk"))
        .values("n")
    )
    newest_address = Address.objects.filter(customer=OuterRef("pk")).order_by("-pk").values("pk")
    customers = (
        customers_matching(Customer.objects.all(), q)
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


def customer_orders(customer: Customer, *, limit: int) -> list:
    """The customer's newest orders (with their channels) for the customer page."""
    return list(customer.orders.select_related("channel").order_by("-number")[:limit])


def customer_locking_orders(customer: Customer, *, limit: int) -> list:
    """The orders whose anonymization locks the record: restoring them unlocks it."""
    return list(
        customer.orders.exclude(privacy_state=PrivacyState.ACTIVE)
        .order_by("-number")
        .only("pk", "number", "privacy_state", "purge_on")[:limit]
    )


def customer_restorable_order_ids(customer: Customer, *, limit: int) -> list[int]:
    """Ids of the customer's anonymized orders, newest first."""
    return list(
        customer.orders.filter(privacy_state=PrivacyState.ANONYMIZED)
        .order_by("-number")
        .values_list("pk", flat=True)[:limit]
    )


def customer_sources(customer: Customer) -> QuerySet[CustomerSource]:
    """The channels the customer came from."""
    return CustomerSource.objects.filter(customer=customer).select_related("channel")
