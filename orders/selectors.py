"""Reads for the merchant's order pages: the list page and the invoice figures."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q, QuerySet
from django.utils import timezone

from channels.models import Channel
from customers.models import Address, CustomerEmail
from orders.forms import DEFAULT_ORDER_LIST_SORT, ORDER_LIST_SORTS
from orders.models import Order, OrderItem

ORDER_LIST_PAGE_SIZE = 50
CENT = Decimal("0.01")


@dataclass(frozen=True)
class OrderListPage:
    orders: list[Order]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1


def _start_of_day(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _search_condition(q: str) -> Q:
    """Exact matches only, each backed by an index, so that PostgreSQL can OR bitmap scans."""
    condition = Q(external_number=q) | Q(buyer_email=q)
    if q.isdigit() and len(q) <= 18:
        condition |= Q(number=int(q))
    # The related ids are resolved first (a handful of rows): an IN (subquery) inside the OR
    # would force a sequential scan of the orders table.
    if "@" in q:
        customer_ids = list(
            CustomerEmail.objects.filter(email=q).values_list("customer_id", flat=True)[:1000]
        )
        if customer_ids:
            condition |= Q(customer_id__in=customer_ids)
    elif not any(char.isdigit() for char in q):
        # Names carry no digits; numbers and order ids need not look through the addresses.
        address_ids = list(Address.objects.filter(last_name=q).values_list("id", flat=True)[:5000])
        if address_ids:
            condition |= Q(billing_address_id__in=address_ids)
    return condition


def order_list_queryset(
    *,
    channel: Channel | None = None,
    status: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    q: str = "",
    sort: str = DEFAULT_ORDER_LIST_SORT,
) -> QuerySet[Order]:
    """The filtered, sorted orders of the list, without their related rows (see order_list_page)."""
    orders = Order.objects.all()
    if channel is not None:
        orders = orders.filter(channel=channel)
    if status:
        orders = orders.filter(status=status)
    if date_from:
        orders = orders.filter(order_date__gte=_start_of_day(date_from))
    if date_to:
        # Inclusive: everything before the start of the following day.
        orders = orders.filter(order_date__lt=_start_of_day(date_to + datetime.timedelta(days=1)))
    if q:
        orders = orders.filter(_search_condition(q))
    return orders.order_by(*ORDER_LIST_SORTS.get(sort, ORDER_LIST_SORTS[DEFAULT_ORDER_LIST_SORT]))


def order_list_page(
    *, orders: QuerySet[Order], page: int, page_size: int = ORDER_LIST_PAGE_SIZE
) -> OrderListPage:
    """One page without COUNT(*): fetching one row more tells whether a next page exists.

    The page's ids come first, from the orders table alone (an index-only scan for the usual
    sorts, however deep the offset); only those rows are then loaded with their channel and
    billing address.
    """
    offset = (page - 1) * page_size
    ids = list(orders.values_list("pk", flat=True)[offset : offset + page_size + 1])
    has_next = len(ids) > page_size
    ids = ids[:page_size]
    loaded = Order.objects.select_related("channel", "billing_address").in_bulk(ids)
    rows = [loaded[pk] for pk in ids if pk in loaded]
    return OrderListPage(orders=rows, number=page, has_next=has_next)


@dataclass(frozen=True)
class TaxLine:
    rate: Decimal
    net: Decimal
    tax: Decimal
    gross: Decimal


@dataclass(frozen=True)
class InvoiceTotals:
    tax_lines: list[TaxLine]
    net: Decimal
    tax: Decimal
    gross: Decimal


def order_invoice_totals(*, items: Iterable[OrderItem]) -> InvoiceTotals:
    """Net, tax and gross per tax rate. Item prices are gross prices, as the channels send them."""
    gross_by_rate: dict[Decimal, Decimal] = {}
    for item in items:
        gross_by_rate[item.tax_rate] = gross_by_rate.get(item.tax_rate, Decimal(0)) + (
            item.line_total
        )
    tax_lines = []
    for rate in sorted(gross_by_rate, reverse=True):
        gross = gross_by_rate[rate].quantize(CENT, ROUND_HALF_UP)
        tax = (gross * rate / (100 + rate)).quantize(CENT, ROUND_HALF_UP)
        tax_lines.append(TaxLine(rate=rate, net=gross - tax, tax=tax, gross=gross))
    return InvoiceTotals(
        tax_lines=tax_lines,
        net=sum((line.net for line in tax_lines), Decimal(0)),
        tax=sum((line.tax for line in tax_lines), Decimal(0)),
        gross=sum((line.gross for line in tax_lines), Decimal(0)),
    )
