"""Reads for the merchant's order pages: the list page and its privacy actions."""

import datetime
from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from channels.models import Channel
from customers.models import Address
from customers.search import (
    ADDRESS_LIMIT,
    active_addresses_matching,
    customer_ids_with_email,
    looks_like_email,
    matches_terms,
    search_terms,
    search_text,
    searches_personal_data,
)
from orders.models import Order, OrderStatus, PrivacyJob
from orders.privacy.selection import MAX_PRIVACY_SELECTION, Selection, SelectionError
from orders.privacy.skips import restorable, skipped_by_reason
from personal.state import PrivacyState

#: Sort keys offered in the list, mapped to their ORDER BY (always unique, so pages are stable).
ORDER_LIST_SORTS: dict[str, tuple[str, ...]] = {
    "number": ("number",),
    "-number": ("-number",),
    "date": ("order_date", "id"),
    "-date": ("-order_date", "-id"),
    "total": ("total", "id"),
    "-total": ("-total", "-id"),
}
DEFAULT_ORDER_LIST_SORT = "-date"
#: Deep offsets get slow on a million rows; nobody pages this far instead of filtering.
MAX_ORDER_LIST_PAGE = 2000
#: Rows per page the list offers, and the default.
ORDER_LIST_PAGE_SIZES = (25, 50, 100, 200)
ORDER_LIST_PAGE_SIZE = 50


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


#: How many orders one search may find: enough for any real lookup, bounded for a common name.
SEARCH_LIMIT = 10_000


def _search(orders: QuerySet[Order], q: str, *, personal_search: bool) -> QuerySet[Order]:
    """Case-insensitive, by word prefix, several words together (customers.search).

    The numbers are looked up on their own indexes first and found by id. People are found
    through the address book: its trigram index names the few entries that match, and the list
    takes the active orders that came from them (a BitmapOr over the two entry indexes) whose
    own address matches too. No OR reaches across unindexed columns – that makes PostgreSQL scan
    the orders table (300 ms on a million orders, measured) – except for words so common that
    the list's own index, newest first, meets a page of matches within a few hundred rows.

    Without `personal_search` only the order's numbers are searched: finding an order by a
    name or an e-mail address would tell who bought it to someone who may not see that."""
    terms = search_terms(q)
    if not terms:
        return orders
    found = Order.objects.order_by()
    ids: set[int] = set()
    if len(terms) == 1:
        term = terms[0]
        ids.update(
            found.alias(external_lower=Lower("external_number"))
            .filter(external_lower__startswith=term)
            .values_list("pk", flat=True)[:SEARCH_LIMIT]
        )
        if term.isascii() and term.isdigit() and len(term) <= 18:
            ids.update(found.filter(number=int(term)).values_list("pk", flat=True))
    condition = Q(pk__in_ids=ids) if ids else None
    if personal_search and searches_personal_data(terms):
        people = _people_condition(terms)
        if people is not None:
            condition = people if condition is None else condition | people
            orders = orders.alias(
                billing_text=search_text("billing_"), shipping_text=search_text("shipping_")
            )
    return orders.none() if condition is None else orders.filter(condition)


def _people_condition(terms: list[str]) -> Q | None:
    """Active orders whose own billing or shipping address matches every term, or whose
    customer has an e-mail address that begins with the single term (one with "@" or "."):
    None when nobody matches. An anonymized (restoring, purged) order is never found: its
    columns hold placeholders and its data is in cold storage, which no search reads."""
    own_address = matches_terms("billing_text", terms) | matches_terms("shipping_text", terms)
    # Unordered: the first entries the trigram index finds (sorting all matches of a common
    # word would read them all, 230 ms for "Berlin" on a million orders, measured).
    address_ids = list(
        active_addresses_matching(Address.objects.all(), terms)
        .order_by()
        .values_list("id", flat=True)[: ADDRESS_LIMIT + 1]
    )
    if len(address_ids) > ADDRESS_LIMIT:
        # A common word (a big city, the commonest names): tested as the list walks its index.
        return Q(privacy_state=PrivacyState.ACTIVE) & own_address
    matches = []
    if address_ids:
        # A set: Django walks a list element by element looking for expressions (config.lookups).
        address_ids = set(address_ids)
        # The order's own address may have been edited since it was copied from the entry: it
        # must match as well.
        matches.append(
            (Q(billing_entry_id__in_ids=address_ids) | Q(shipping_entry_id__in_ids=address_ids))
            & own_address
        )
    if len(terms) == 1 and looks_like_email(terms[0]):
        customer_ids = customer_ids_with_email(terms[0])
        if customer_ids:
            matches.append(Q(customer_id__in_ids=set(customer_ids)))
    if not matches:
        return None
    either = matches[0] if len(matches) == 1 else matches[0] | matches[1]
    return Q(privacy_state=PrivacyState.ACTIVE) & either


def orders_matching(filters: Mapping, *, personal_search: bool) -> QuerySet[Order]:
    """The order list's rows for the cleaned data of a valid OrderFilterForm; `personal_search`:
    whether the search may look at names and e-mail addresses (customers.view_personal_data)."""
    return order_list_queryset(
        channel=filters.get("channel"),
        status=filters.get("status") or "",
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
        q=filters.get("q") or "",
        privacy_state=filters.get("privacy") or "",
        sort=filters.get("sort") or DEFAULT_ORDER_LIST_SORT,
        personal_search=personal_search,
    )


def order_list_queryset(
    *,
    channel: Channel | None = None,
    status: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    q: str = "",
    privacy_state: str = "",
    sort: str = DEFAULT_ORDER_LIST_SORT,
    personal_search: bool = False,
) -> QuerySet[Order]:
    """The filtered, sorted orders of the list, without their related rows (see order_list_page)."""
    orders = Order.objects.all()
    if channel is not None:
        orders = orders.filter(channel=channel)
    if status:
        orders = orders.filter(status=status)
    if privacy_state:
        orders = orders.filter(privacy_state=privacy_state)
    if date_from:
        orders = orders.filter(order_date__gte=_start_of_day(date_from))
    if date_to:
        # Inclusive: everything before the start of the following day.
        orders = orders.filter(order_date__lt=_start_of_day(date_to + datetime.timedelta(days=1)))
    if q:
        orders = _search(orders, q, personal_search=personal_search)
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
    loaded = Order.objects.select_related("channel").in_bulk(ids)
    rows = [loaded[pk] for pk in ids if pk in loaded]
    return OrderListPage(orders=rows, number=page, has_next=has_next)


# --- Privacy actions of the list ("Mehr" → Anonymisieren / Wiederherstellen) -----------------


@dataclass(frozen=True)
class PrivacyPreview:
    """What an action would do to the selected orders, before it runs.

    `skipped` counts by the reasons the job's summary uses: already_anonymized, restoring,
    purged, not_anonymized.
    """

    action: str
    affected: int
    skipped: dict[str, int]

    @property
    def selected(self) -> int:
        return self.affected + sum(self.skipped.values())

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())


def privacy_action_preview(
    *, action: str, selection: Selection, today: datetime.date | None = None
) -> PrivacyPreview:
    """Counts, in one query, the orders `action` ("anonymize" or "restore") would touch and skip,
    by the jobs' own rules (orders.privacy.skips)."""
    today = today or timezone.localdate()
    counts = selection.filter(Order.objects.all()).aggregate(
        restorable=Count("pk", filter=restorable(today)),
        **{state: Count("pk", filter=Q(privacy_state=state)) for state in PrivacyState.values},
    )
    restorable_count = counts.pop("restorable")
    if action == "anonymize":
        affected = counts[PrivacyState.ACTIVE]
        skipped = skipped_by_reason(action=action, by_state=counts)
    else:
        affected = restorable_count
        past_purge = counts[PrivacyState.ANONYMIZED] - restorable_count
        skipped = skipped_by_reason(action=action, by_state=counts, past_purge=past_purge)
    return PrivacyPreview(action=action, affected=affected, skipped=skipped)


def order_list_filter_count(*, orders: QuerySet[Order], limit: int = MAX_PRIVACY_SELECTION) -> int:
    """How many orders match the list's filter, counted up to `limit` + 1 (never the whole table)."""
    return orders.order_by()[: limit + 1].count()


def order_list_filter_selection(
    *, filters: dict, personal_search: bool, limit: int = MAX_PRIVACY_SELECTION
) -> Selection:
    """ "All orders matching the list's filter" as a job's selection (raises SelectionError).

    A filter that is an order-date range with at most a channel and a status is the date-range
    selection itself; any other filter (search, privacy state, open-ended dates) is resolved into
    the matching ids, at most `limit` of them. Ids are no personal data.
    """
    channel = filters.get("channel")
    status = filters.get("status")
    if (
        filters.get("date_from")
        and filters.get("date_to")
        and not filters.get("q")
        and not filters.get("privacy")
    ):
        return Selection(
            date_field="order_date",
            date_from=filters["date_from"],
            date_to=filters["date_to"],
            channel_ids=(channel.pk,) if channel is not None else None,
            exclude_statuses=tuple(s for s in OrderStatus.values if s != status) if status else (),
        )
    orders = orders_matching(filters, personal_search=personal_search)
    ids = list(orders.order_by().values_list("pk", flat=True)[: limit + 1])
    if len(ids) > limit:
        raise SelectionError(
            _(
                "Zu den Filtern passen mehr als %(max)s Bestellungen. Bitte schränken Sie die "
                "Filter ein oder verwenden Sie ohne Auswahl den Zeitraum-Dialog."
            )
            % {"max": number_format(limit, force_grouping=True)}
        )
    if not ids:
        raise SelectionError(_("Zu den Filtern passen keine Bestellungen."))
    return Selection.of_ids(ids)


def privacy_jobs_running_for(user, *, limit: int = 3) -> list[PrivacyJob]:
    """The user's anonymize and restore jobs that have not finished yet, newest first."""
    return list(
        PrivacyJob.objects.filter(
            requested_by=user,
            state__in=(PrivacyJob.State.QUEUED, PrivacyJob.State.RUNNING),
        ).order_by("-created_at", "-id")[:limit]
    )


#: Whose privacy jobs a user sees besides their own: a job of a kind they may start. Purges are
#: the end of anonymizations (cold storage past the retention), so they go with anonymizing.
_JOB_KIND_PERMISSIONS = {
    PrivacyJob.Kind.ANONYMIZE: "orders.anonymize_order",
    PrivacyJob.Kind.RESTORE: "orders.restore_order",
    PrivacyJob.Kind.PURGE: "orders.anonymize_order",
}


def job_kind_permission(kind: str) -> str:
    """The permission that lets a user start – and so follow – jobs of this kind."""
    return _JOB_KIND_PERMISSIONS[kind]


def privacy_jobs_visible_to(user) -> QuerySet[PrivacyJob]:
    """The privacy jobs ("Vorgänge") a user may follow: their own, and every job of a kind they
    may start themselves (a merchant sees the channel policies' and the cron's jobs too)."""
    kinds = [kind for kind, perm in _JOB_KIND_PERMISSIONS.items() if user.has_perm(perm)]
    return PrivacyJob.objects.filter(Q(requested_by=user) | Q(kind__in=kinds)).order_by(
        "-created_at", "-id"
    )
