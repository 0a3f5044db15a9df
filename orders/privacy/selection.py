"""What a privacy action applies to: order ids, a date range with shops and excluded statuses, or
the orders a channel's policy makes due as of a cutoff.

A selection is stored on the job as JSON; it holds ids, dates and codes only, never personal data.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

DATE_FIELDS = {
    "order_date": _("Auftragsdatum"),
    "payment_date": _("Zahldatum"),
    "invoice_date": _("Rechnungsdatum"),
    "delivery_date": _("Lieferdatum"),
}


#: The dates a selection or filter may name. Outside them a day's bounds cannot be computed in
#: the merchant's time zone (datetime ends at year 1 and 9999); no order is dated there anyway.
EARLIEST_DATE = datetime.date(1900, 1, 1)
LATEST_DATE = datetime.date(2999, 12, 31)
#: Order ids are PostgreSQL bigints.
MAX_ORDER_ID = 2**63 - 1
#: More ids than this are not resolved into a job: a date range serves such amounts better.
MAX_PRIVACY_SELECTION = 200_000


class SelectionError(ValueError):
    """The selection cannot be used; the message says why (for the user)."""


def date_out_of_range_message(day: datetime.date) -> str:
    return _(
        "Das Datum %(date)s liegt außerhalb des unterstützten Bereichs "
        "(%(earliest)s bis %(latest)s)."
    ) % {
        "date": day.strftime("%d.%m.%Y") if day.year >= 1000 else day.isoformat(),
        "earliest": EARLIEST_DATE.strftime("%d.%m.%Y"),
        "latest": LATEST_DATE.strftime("%d.%m.%Y"),
    }


def check_date_in_range(day: datetime.date) -> None:
    """Raises SelectionError for a day outside EARLIEST_DATE … LATEST_DATE."""
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise SelectionError(date_out_of_range_message(day))


def check_order_ids(ids) -> tuple[int, ...]:
    """The ids as sorted unique ints; raises SelectionError for anything not a valid order id."""
    try:
        values = {int(i) for i in ids}
    except (TypeError, ValueError):
        raise SelectionError(_("Die Auswahl enthält ungültige Bestellnummern.")) from None
    if any(not 0 < value <= MAX_ORDER_ID for value in values):
        raise SelectionError(_("Die Auswahl enthält ungültige Bestellnummern."))
    return tuple(sorted(values))


@dataclass(frozen=True)
class Selection:
    ids: tuple[int, ...] | None = None
    date_field: str = "order_date"
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    channel_ids: tuple[int, ...] | None = None  # None: every channel
    exclude_statuses: tuple[str, ...] = field(default_factory=tuple)
    # The due variant (channel policy): active orders of this channel dated and restored at or
    # before the cutoff (now − X days), fixed when the job is created.
    due_channel_id: int | None = None
    due_cutoff: datetime.datetime | None = None

    def __post_init__(self):
        if self.ids is not None:
            # Sorted and unique: jobs walk the ids in order from their cursor.
            object.__setattr__(self, "ids", check_order_ids(self.ids))
        if self.due_channel_id is not None or self.due_cutoff is not None:
            if self.due_channel_id is None or self.due_cutoff is None or self.ids is not None:
                raise SelectionError(
                    _("Fällige Bestellungen brauchen einen Kanal und einen Stichtag.")
                )
            if timezone.is_naive(self.due_cutoff):
                raise SelectionError(_("Der Stichtag braucht eine Zeitzone."))
        elif self.ids is None:
            if self.date_from is None or self.date_to is None:
                raise SelectionError(_("Bitte Bestellungen auswählen oder einen Zeitraum angeben."))
            check_date_in_range(self.date_from)
            check_date_in_range(self.date_to)
            if self.date_from > self.date_to:
                raise SelectionError(_("Das Von-Datum liegt nach dem Bis-Datum."))
            if self.date_field not in DATE_FIELDS:
                raise SelectionError(_("Unbekanntes Datumsfeld."))
            if self.channel_ids is not None and not self.channel_ids:
                raise SelectionError(_("Bitte mindestens einen Shop auswählen."))
        elif not self.ids:
            raise SelectionError(_("Es sind keine Bestellungen ausgewählt."))

    @classmethod
    def of_ids(cls, ids) -> "Selection":
        return cls(ids=check_order_ids(ids))

    @classmethod
    def due(cls, *, channel_id: int, cutoff: datetime.datetime) -> "Selection":
        return cls(due_channel_id=int(channel_id), due_cutoff=cutoff)

    @property
    def is_due(self) -> bool:
        return self.due_channel_id is not None

    @classmethod
    def from_json(cls, data: dict) -> "Selection":
        if "due" in data:
            return cls.due(
                channel_id=data["due"]["channel"],
                cutoff=datetime.datetime.fromisoformat(data["due"]["cutoff"]),
            )
        if "ids" in data:
            return cls(ids=tuple(data["ids"]))
        return cls(
            date_field=data.get("date_field", "order_date"),
            date_from=datetime.date.fromisoformat(data["from"]),
            date_to=datetime.date.fromisoformat(data["to"]),
            channel_ids=tuple(data["channels"]) if data.get("channels") is not None else None,
            exclude_statuses=tuple(data.get("exclude_statuses", ())),
        )

    def to_json(self) -> dict:
        if self.is_due:
            return {"due": {"channel": self.due_channel_id, "cutoff": self.due_cutoff.isoformat()}}
        if self.ids is not None:
            return {"ids": list(self.ids)}
        return {
            "date_field": self.date_field,
            "from": self.date_from.isoformat(),
            "to": self.date_to.isoformat(),
            "channels": list(self.channel_ids) if self.channel_ids is not None else None,
            "exclude_statuses": list(self.exclude_statuses),
        }

    def filter(self, queryset: QuerySet) -> QuerySet:
        if self.is_due:
            return queryset.due_for_anonymization(
                channel=self.due_channel_id, cutoff=self.due_cutoff
            )
        if self.ids is not None:
            return queryset.filter(pk__in_ids=self.ids)
        # Both ends inclusive, in the merchant's time zone; half-open bounds keep indexes usable.
        start = timezone.make_aware(datetime.datetime.combine(self.date_from, datetime.time.min))
        end = timezone.make_aware(
            datetime.datetime.combine(self.date_to + datetime.timedelta(days=1), datetime.time.min)
        )
        condition = Q(**{f"{self.date_field}__gte": start, f"{self.date_field}__lt": end})
        if self.channel_ids is not None:
            condition &= Q(channel_id__in=self.channel_ids)
        queryset = queryset.filter(condition)
        if self.exclude_statuses:
            queryset = queryset.exclude(status__in=self.exclude_statuses)
        return queryset

    def describe(self) -> str:
        if self.is_due:
            return _(
                "nach Kanalregel fällig: Auftragsdatum und letzte Wiederherstellung bis %(cutoff)s"
            ) % {"cutoff": timezone.localtime(self.due_cutoff).strftime("%d.%m.%Y %H:%M")}
        if self.ids is not None:
            return ngettext(
                "%(count)s ausgewählte Bestellung",
                "%(count)s ausgewählte Bestellungen",
                len(self.ids),
            ) % {"count": number_format(len(self.ids), force_grouping=True)}
        return _("%(field)s %(start)s bis %(end)s") % {
            "field": DATE_FIELDS[self.date_field],
            "start": self.date_from.strftime("%d.%m.%Y"),
            "end": self.date_to.strftime("%d.%m.%Y"),
        }
