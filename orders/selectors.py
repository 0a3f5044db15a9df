"""Reads for the merchant's order pages: the list page and its privacy actions."""

import datetime
from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from channels.models import Channel
from customers.models import Address, CustomerEmail, PrivacyState
from orders.forms import DEFAULT_ORDER_LIST_SORT, MAX_PRIVACY_SELECTION, ORDER_LIST_SORTS
from orders.models import Order, OrderStatus, PrivacyJob
from orders.privacy.selection import Selection, SelectionError

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


def _search_condition(q: str, *, personal_search: bool) -> Q:
    """Exact matches only. Each kind of match is looked up on its own index first and the list
    then filters by the ids found: an OR across columns (or a partial index inside an OR) makes
    PostgreSQL scan the orders table instead (300 ms on a million orders, measured).

    Without `personal_search` only the order's numbers are searched: finding an order by a
    name or an e-mail address would tell who bought it to someone who may not see that."""
    orders = Order.objects.order_by()
    ids = set(orders.filter(external_number=q).values_list("pk", flat=True)[:SEARCH_LIMIT])
    if q.isascii() and q.isdigit() and len(q) <= 18:
        ids.update(orders.filter(number=int(q)).values_list("pk", flat=True))
    if personal_search and "@" in q:
        # E-mail addresses are found among the customers' addresses. The orders' buyer_email
        # has no index on purpose: anonymizing must not touch an indexed column (Order.Meta).
        customer_ids = list(
            CustomerEmail.objects.filter(email=q).values_list("customer_id", flat=True)[:1000]
        )
        if customer_ids:
            ids.update(
                orders.filter(customer_id__in_ids=customer_ids).values_list("pk", flat=True)[
                    :SEARCH_LIMIT
                ]
            )
    elif personal_search and not any(char.isdigit() for char in q):
        # Names carry no digits; numbers and order ids need not look through the addresses.
        # The newest addresses first: the list shows the newest orders first.
        address_ids = list(
            Address.objects.filter(last_name=q).order_by("-id").values_list("id", flat=True)[:5000]
        )
        if address_ids:
            ids.update(
                orders.filter(
                    billing_entry_id__in_ids=address_ids, billing_last_name=q
                ).values_list("pk", flat=True)[:SEARCH_LIMIT]
            )
    return Q(pk__in_ids=ids) if ids else Q(pk__in=[])


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
        orders = orders.filter(_search_condition(q, personal_search=personal_search))
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


def _selected_orders(selection: Selection) -> QuerySet[Order]:
    if selection.ids is not None:
        # One array parameter instead of up to MAX_PRIVACY_SELECTION placeholders.
        return Order.objects.filter(pk__in_ids=selection.ids)
    return selection.filter(Order.objects.all())


def privacy_action_preview(
    *, action: str, selection: Selection, today: datetime.date | None = None
) -> PrivacyPreview:
    """Counts, in one query, the orders `action` ("anonymize" or "restore") would touch and skip.

    Mirrors the jobs: anonymize touches active orders; restore touches anonymized orders whose
    purge date has not come (the daily purge may not have run yet on the others).
    """
    today = today or timezone.localdate()
    counts = _selected_orders(selection).aggregate(
        active=Count("pk", filter=Q(privacy_state=PrivacyState.ACTIVE)),
        restorable=Count("pk", filter=Q(privacy_state=PrivacyState.ANONYMIZED, purge_on__gt=today)),
        past_purge=Count(
            "pk",
            filter=Q(privacy_state=PrivacyState.ANONYMIZED)
            & (Q(purge_on__lte=today) | Q(purge_on__isnull=True)),
        ),
        restoring=Count("pk", filter=Q(privacy_state=PrivacyState.RESTORING)),
        purged=Count("pk", filter=Q(privacy_state=PrivacyState.PURGED)),
    )
    if action == "anonymize":
        affected = counts["active"]
        skipped = {
            "already_anonymized": counts["restorable"] + counts["past_purge"],
            "restoring": counts["restoring"],
            "purged": counts["purged"],
        }
    else:
        affected = counts["restorable"]
        skipped = {
            "not_anonymized": counts["active"],
            "restoring": counts["restoring"],
            "purged": counts["purged"] + counts["past_purge"],
        }
    return PrivacyPreview(
        action=action,
        affected=affected,
        skipped={reason: count for reason, count in skipped.items() if count},
    )


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


def privacy_jobs_visible_to(user) -> QuerySet[PrivacyJob]:
    """The privacy jobs ("Vorgänge") a user may follow: their own, and every job of a kind they
    may start themselves (a merchant sees the channel policies' and the cron's jobs too)."""
    kinds = [kind for kind, perm in _JOB_KIND_PERMISSIONS.items() if user.has_perm(perm)]
    return PrivacyJob.objects.filter(Q(requested_by=user) | Q(kind__in=kinds)).order_by(
        "-created_at", "-id"
    )
