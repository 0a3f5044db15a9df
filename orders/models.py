"""Orders, their own addresses, items, messages, invoices and history, and the privacy jobs."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from customers.models import ADDRESS_FIELDS, Address
from customers.payment_methods import PAYMENT_METHOD_VALUES, PaymentMethod
from personal.cards import reject_card_numbers
from personal.state import ANONYMIZED, PrivacyFields, PrivacyState


class OrderStatus(models.TextChoices):
    NEW = "new", _("Neu")
    PAID = "paid", _("Bezahlt")
    INVOICED = "invoiced", _("Rechnung erstellt")
    SHIPPED = "shipped", _("Versendet")
    CANCELLED = "cancelled", _("Storniert")
    ARCHIVED = "archived", _("Archiviert")


class RestoreFailure(models.TextChoices):
    """Why an order's last restore failed; it is anonymized again, its data in cold storage."""

    MISSING = "missing", _("Cold-Storage-Eintrag fehlt")
    UNREADABLE = (
        "unreadable",
        _("Cold-Storage-Eintrag nicht lesbar (beschädigt oder falscher Schlüssel)"),
    )
    JOB_FAILED = "job_failed", _("Der Datenschutz-Vorgang ist fehlgeschlagen")


class OrderLockedError(Exception):
    """An action that needs the order's personal data was refused because it is anonymized."""

    def __init__(self, order: "Order"):
        self.order_number = order.number
        self.privacy_state = order.privacy_state
        if order.privacy_state == PrivacyState.RESTORING:
            message = _(
                "Bestellung %(number)s: Die Kundendaten werden gerade wiederhergestellt. "
                "Bitte warten Sie, bis die Wiederherstellung abgeschlossen ist."
            )
        elif order.privacy_state == PrivacyState.PURGED:
            message = _(
                "Bestellung %(number)s: Die Kundendaten wurden endgültig gelöscht; "
                "die Bestellung kann nicht mehr bearbeitet werden."
            )
        else:
            message = _(
                "Bestellung %(number)s ist anonymisiert und kann nicht bearbeitet, berechnet, "
                "versendet oder angeschrieben werden. Stellen Sie die Kundendaten zuerst wieder her."
            )
        self.message = message % {"number": order.number}
        super().__init__(self.message)


class OrderQuerySet(models.QuerySet):
    def active(self):
        return self.filter(privacy_state=PrivacyState.ACTIVE)

    def anonymized(self):
        return self.filter(privacy_state=PrivacyState.ANONYMIZED)

    def for_list(self):
        return self.select_related("channel", "customer")

    def due_for_anonymization(
        self,
        *,
        channel,
        now: datetime.datetime | None = None,
        cutoff: datetime.datetime | None = None,
    ):
        """Active orders of `channel` whose `max(order date, last restore) + X days` has passed at
        `now` (X: the channel's policy; none without one). With `cutoff` (now − X days) instead of
        `now`, `channel` may be an id: orders dated and restored at or before the cutoff.

        Written as two range conditions rather than a GREATEST() so that the index
        (privacy_state, channel, order_date) serves it.
        """
        if cutoff is None:
            days = channel.anonymize_after_days
            if days is None:
                return self.none()
            cutoff = channel.policy_cutoff(now or timezone.now(), days)
        channel_id = channel.pk if isinstance(channel, models.Model) else int(channel)
        return self.filter(
            models.Q(restored_at__isnull=True) | models.Q(restored_at__lte=cutoff),
            privacy_state=PrivacyState.ACTIVE,
            channel_id=channel_id,
            order_date__lte=cutoff,
        )


class Order(PrivacyFields):
    number = models.PositiveBigIntegerField(_("Laufende Nummer"), unique=True)
    channel = models.ForeignKey(
        "channels.Channel",
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("Kanal"),
        db_index=False,  # (channel, order_date) serves every lookup; fewer indexes, cheaper writes
    )
    external_number = models.CharField(
        _("Externe Bestellnummer"), max_length=100, blank=True, validators=[reject_card_numbers]
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("Kunde"),
    )
    # The customer's address-book entries the order's own addresses were copied from (ids only;
    # an entry is anonymized once every order that came from it is, SPEC 6). The order shows and
    # prints its own copies below, never these.
    billing_entry = models.ForeignKey(
        "customers.Address",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="billing_orders",
        verbose_name=_("Rechnungsadresse aus dem Adressbuch"),
    )
    shipping_entry = models.ForeignKey(
        "customers.Address",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="shipping_orders",
        verbose_name=_("Lieferadresse aus dem Adressbuch"),
    )
    order_date = models.DateTimeField(_("Auftragsdatum"))
    payment_date = models.DateTimeField(_("Zahldatum"), null=True, blank=True)
    invoice_date = models.DateTimeField(_("Rechnungsdatum"), null=True, blank=True)
    delivery_date = models.DateTimeField(_("Lieferdatum"), null=True, blank=True)
    status = models.CharField(
        _("Status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.NEW
    )
    total = models.DecimalField(_("Summe"), max_digits=12, decimal_places=2, default=Decimal(0))
    currency = models.CharField(_("Währung"), max_length=3, default="EUR")
    payment_method = models.CharField(
        _("Zahlungsart"), max_length=50, blank=True, choices=PaymentMethod.choices
    )
    buyer_email = models.CharField(
        _("E-Mail des Käufers"), max_length=254, blank=True, validators=[reject_card_numbers]
    )
    buyer_phone = models.CharField(
        _("Telefon des Käufers"), max_length=50, blank=True, validators=[reject_card_numbers]
    )
    notes = models.TextField(_("Interne Notizen"), blank=True, validators=[reject_card_numbers])
    invoice_number = models.CharField(
        _("Rechnungsnummer"), max_length=30, null=True, blank=True, unique=True
    )
    tracking_number = models.CharField(
        _("Sendungsnummer"), max_length=100, blank=True, validators=[reject_card_numbers]
    )
    # The last time the personal data came back from cold storage: policies count from here.
    restored_at = models.DateTimeField(_("wiederhergestellt am"), null=True, blank=True)
    # The privacy job that currently holds this order (a restore in progress).
    privacy_job = models.ForeignKey(
        "orders.PrivacyJob",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # the partial index below covers the few orders that have one
    )
    # Why the last restore of this order failed (cleared by a restore that succeeds). The data
    # is still in cold storage unless the record is missing; such an order is not offered for
    # restore until its record is back (checked again with every restore request).
    restore_failure = models.CharField(
        _("Wiederherstellung fehlgeschlagen"),
        max_length=12,
        choices=RestoreFailure.choices,
        blank=True,
        default="",
        db_default="",
    )
    restore_failed_at = models.DateTimeField(
        _("Wiederherstellung fehlgeschlagen am"), null=True, blank=True
    )
    created_at = models.DateTimeField(_("importiert am"), auto_now_add=True)
    # Counts the saves of the edit page, invoicing and shipping: a page saved from an older
    # version is refused instead of overwriting what someone else saved meanwhile.
    version = models.PositiveIntegerField(_("Version"), default=1, db_default=1)

    objects = OrderQuerySet.as_manager()

    class Meta:
        ordering = ["-number"]
        verbose_name = _("Bestellung")
        verbose_name_plural = _("Bestellungen")
        indexes = [
            models.Index(fields=["order_date", "id"]),
            models.Index(fields=["total", "id"]),
            models.Index(fields=["channel", "order_date"]),
            models.Index(fields=["status", "order_date"]),
            models.Index(fields=["payment_date"]),
            models.Index(fields=["invoice_date"]),
            models.Index(fields=["delivery_date"]),
            models.Index(fields=["external_number"]),
            # Deliberately no index touches a column that anonymizing or restoring changes
            # (personal fields, privacy_state, anonymized_at, purge_on, restored_at, privacy_job),
            # not even in a partial index's condition. Then PostgreSQL rewrites the row in place
            # (a HOT update, with the free space the table's fillfactor leaves, migration 0006)
            # instead of adding an entry to every index: 4 µs instead of 85 µs per order.
        ]
        constraints = [
            # Kept when the order is anonymized: only a code of the list, whatever path writes
            # it (the demo seed's COPY, bulk imports, raw SQL).
            models.CheckConstraint(
                condition=models.Q(payment_method__in=PAYMENT_METHOD_VALUES),
                name="order_payment_method_known",
            )
        ]
        permissions = [
            ("anonymize_order", _("Kann Bestellungen anonymisieren")),
            ("restore_order", _("Kann anonymisierte Bestellungen wiederherstellen")),
            ("export_order", _("Kann Bestellungen exportieren")),
            # Editing the details (addresses, contact, status, notes) is Django's change_order;
            # these use up an invoice number or tell the buyer the parcel is on its way.
            ("issue_invoice", _("Kann Rechnungen erstellen")),
            ("ship_order", _("Kann Bestellungen versenden (Sendungsnummer)")),
        ]

    def __str__(self) -> str:
        return str(self.number)

    def clean(self) -> None:
        super().clean()
        # Address-book entries are anonymized by the orders that came from them; the privacy
        # engine relies on an order naming entries of its own customer only.
        for field in ("billing_entry", "shipping_entry"):
            address_id = getattr(self, f"{field}_id")
            if address_id and self.customer_id:
                owner = Address.objects.filter(pk=address_id).values_list("customer_id", flat=True)
                if owner.first() != self.customer_id:
                    raise ValidationError(
                        {field: _("Die Adresse gehört nicht zum Kunden dieser Bestellung.")}
                    )

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            self._keep_invoiced_addresses(kwargs.get("update_fields"))
        super().save(*args, **kwargs)

    def _keep_invoiced_addresses(self, update_fields) -> None:
        """An issued invoice prints the order's own addresses by reference (Invoice.buyer lacks
        the role) until one changes: then the address as printed is copied into the invoice
        first, so that the invoice stays as it was issued (GoBD). Every invoice of the order
        counts, also one cancelled meanwhile: one query for an order without one, none for a
        save of other fields. The privacy engine's bulk writes of placeholders and restored
        values change order and invoice alike and do not come here."""
        roles = [
            role
            for role in ORDER_ADDRESS_ROLES
            if update_fields is None
            or any(f"{role}_{name}" in update_fields for name in ADDRESS_FIELDS)
        ]
        if not roles:
            return
        invoices = [
            invoice
            for invoice in Invoice.objects.filter(order_id=self.pk).only("pk", "buyer")
            if any(role not in (invoice.buyer or {}) for role in roles)
        ]
        if not invoices:
            return
        stored = (
            Order.objects.filter(pk=self.pk)
            .values(*(f"{role}_{name}" for role in roles for name in ADDRESS_FIELDS))
            .first()
        )
        if stored is None:
            return
        for invoice in invoices:
            buyer = dict(invoice.buyer or {})
            for role in roles:
                printed = {name: stored[f"{role}_{name}"] for name in ADDRESS_FIELDS}
                if role not in buyer and printed != OrderAddress.of(self, role).as_dict():
                    buyer[role] = printed
            if buyer != (invoice.buyer or {}):
                Invoice.objects.filter(pk=invoice.pk).update(buyer=buyer)

    def ensure_personal_data_available(self) -> None:
        """Guard for every action that needs personal data (edit, invoice, ship, documents, email)."""
        if self.privacy_state != PrivacyState.ACTIVE:
            raise OrderLockedError(self)

    @property
    def billing_address(self) -> "OrderAddress":
        return OrderAddress.of(self, "billing")

    @property
    def shipping_address(self) -> "OrderAddress":
        return OrderAddress.of(self, "shipping")

    @property
    def customer_name(self) -> str:
        if self.privacy_state != PrivacyState.ACTIVE:
            return ANONYMIZED
        return self.billing_address.full_name


ORDER_ADDRESS_ROLES = {"billing": _("Rechnungsadresse"), "shipping": _("Lieferadresse")}


# An order's own billing and shipping address are columns of the order row (billing_first_name
# … shipping_country), made from the address-book entry's field definitions. In the row rather
# than in a table of their own: anonymizing and restoring rewrite the order row anyway, so its
# addresses cost no extra statement, lock or index entry (docs/order-addresses.md).
def _order_address_field(name: str, role_label) -> models.Field:
    _name, _path, args, kwargs = Address._meta.get_field(name).deconstruct()
    kwargs["verbose_name"] = format_lazy("{} ({})", kwargs["verbose_name"], role_label)
    if name == "country":
        kwargs["default"] = ""  # for the migration; forms and the admin require a country
    return type(Address._meta.get_field(name))(*args, **kwargs)


for _role, _role_label in ORDER_ADDRESS_ROLES.items():
    for _name in ADDRESS_FIELDS:
        Order.add_to_class(f"{_role}_{_name}", _order_address_field(_name, _role_label))
del _role, _role_label, _name


@dataclass(frozen=True)
class OrderAddress:
    """One of an order's own addresses, read from its columns (templates, invoices, exports)."""

    first_name: str = ""
    last_name: str = ""
    company: str = ""
    street: str = ""
    house_number: str = ""
    line2: str = ""
    postcode: str = ""
    city: str = ""
    state: str = ""
    country: str = ""

    @classmethod
    def of(cls, order: "Order", role: str) -> "OrderAddress":
        return cls(**{name: getattr(order, f"{role}_{name}") for name in ADDRESS_FIELDS})

    @classmethod
    def from_entry(cls, entry: Address) -> "OrderAddress":
        return cls(**{name: getattr(entry, name) for name in ADDRESS_FIELDS})

    def as_dict(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in ADDRESS_FIELDS}

    def columns(self, role: str) -> dict[str, str]:
        """The values as the order's fields of `role` (for Order(**…) and updates)."""
        return {f"{role}_{name}": getattr(self, name) for name in ADDRESS_FIELDS}

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.company

    def __str__(self) -> str:
        return f"{self.full_name}, {self.postcode} {self.city} ({self.country})"


class Invoice(models.Model):
    """An issued invoice exactly as it was issued (GoBD): later edits of the order, its items or
    the customer never change it. `content` holds what it says apart from the buyer (seller,
    numbers, dates, items, totals: no personal data). The buyer is the order's own addresses by
    reference: `buyer` is NULL while the invoice prints them as they are, and holds a role's
    address as printed ({"shipping": {...}}) once the order's changed (`Order.save`). Only such
    an address moves into the order's cold record when the order is anonymized (countries stay);
    the rest is anonymized with the order's own columns (orders.invoicing)."""

    # Several per order once one is cancelled (a correction is a cancellation and a new one);
    # the order's `invoice_number` names the one in force.
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="invoices", verbose_name=_("Bestellung")
    )
    number = models.CharField(_("Rechnungsnummer"), max_length=30, unique=True)
    issued_at = models.DateTimeField(_("ausgestellt am"))
    content = models.JSONField(_("Inhalt"), default=dict)
    buyer = models.JSONField(
        _("Rechnungsempfänger, wo abweichend"), null=True, blank=True, default=None
    )

    class Meta:
        ordering = ["-issued_at", "-id"]
        indexes = [
            # The privacy engine reads the few invoices that hold an address of their own.
            models.Index(
                fields=["order"],
                condition=models.Q(buyer__isnull=False),
                name="invoice_own_buyer_idx",
            )
        ]
        verbose_name = _("Rechnung")
        verbose_name_plural = _("Rechnungen")

    def __str__(self) -> str:
        return self.number


class OrderItem(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    sku = models.CharField(_("Artikelnummer"), max_length=64, validators=[reject_card_numbers])
    title = models.CharField(_("Bezeichnung"), max_length=200, validators=[reject_card_numbers])
    quantity = models.PositiveIntegerField(_("Menge"), default=1)
    unit_price = models.DecimalField(_("Einzelpreis"), max_digits=12, decimal_places=2)
    tax_rate = models.DecimalField(_("Steuersatz %"), max_digits=5, decimal_places=2)

    class Meta:
        ordering = ["id"]
        verbose_name = _("Position")
        verbose_name_plural = _("Positionen")

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku}"

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity


class OrderMessage(models.Model):
    """A message exchanged with the buyer: personal data, anonymized with its order."""

    class Direction(models.TextChoices):
        INCOMING = "in", _("vom Käufer")
        OUTGOING = "out", _("an den Käufer")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(_("Richtung"), max_length=3, choices=Direction.choices)
    subject = models.CharField(
        _("Betreff"), max_length=200, blank=True, validators=[reject_card_numbers]
    )
    body = models.TextField(_("Nachricht"), validators=[reject_card_numbers])
    sent_at = models.DateTimeField(_("gesendet am"), default=timezone.now)

    class Meta:
        ordering = ["sent_at", "id"]
        verbose_name = _("Nachricht")
        verbose_name_plural = _("Nachrichten")

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.sent_at:%Y-%m-%d}"


class OrderEvent(models.Model):
    """Append-only history of an order. Never holds personal data."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Bestellung angelegt")
        # Read by the automation's "Bestellung importiert" trigger.
        IMPORTED = "imported", _("Bestellung importiert")
        EDITED = "edited", _("Bestellung bearbeitet")
        STATUS_CHANGED = "status_changed", _("Status geändert")
        INVOICED = "invoiced", _("Rechnung erstellt")
        INVOICE_CANCELLED = "invoice_cancelled", _("Rechnung storniert")
        DELIVERY_NOTE = "delivery_note", _("Lieferschein erstellt")
        SHIPPED = "shipped", _("Versendet")
        ANONYMIZED = "anonymized", _("Kundendaten anonymisiert")
        RESTORE_REQUESTED = "restore_requested", _("Wiederherstellung angefordert")
        RESTORED = "restored", _("Kundendaten wiederhergestellt")
        RESTORE_FAILED = "restore_failed", _("Wiederherstellung fehlgeschlagen")
        PURGED = "purged", _("Kundendaten endgültig gelöscht")
        RULE_FIRED = "rule_fired", _("Automatisierungsregel ausgeführt")

    order = models.ForeignKey(
        Order,
        on_delete=models.CASCADE,
        related_name="events",
        # On the order alone, not (order, created_at): an order has a handful of events, sorted in
        # memory, and the deduplicated index is a fifth of the size. Privacy chunks add an event
        # for thousands of scattered orders at once; the smaller index stays in the buffer cache.
    )
    kind = models.CharField(_("Ereignis"), max_length=30, choices=Kind.choices)
    created_at = models.DateTimeField(_("Zeitpunkt"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("durch"),
        # A partial index in Meta: most entries are written by the system (privacy chunks, rules).
        db_index=False,
    )
    # Who acted when it was no user: "System", "cron", "Regel 3" … (never personal data).
    actor_label = models.CharField(_("durch (System)"), max_length=100, blank=True)
    detail = models.CharField(_("Details"), max_length=200, blank=True)
    # The facts the detail is rendered from in the reader's language (orders.history): states,
    # field names, numbers, job ids, dates – never personal data. Empty on older entries.
    params = models.JSONField(
        _("Angaben"), default=dict, db_default=models.Value({}, models.JSONField()), blank=True
    )

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("Verlaufseintrag")
        verbose_name_plural = _("Verlauf")
        indexes = [
            models.Index(
                fields=["actor"], condition=models.Q(actor__isnull=False), name="order_event_actor"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def actor_display(self) -> str:
        if self.actor_id:
            return self.actor.get_username()
        return actor_label_display(self.actor_label) or str(_("System"))


#: The system actors' labels are stored as written (data, in German); shown in the reader's
#: language. A prefix and its form, then whole labels.
_ACTOR_LABEL_FORMS = (
    ("Kanalregel: ", _("Kanalregel: %(name)s")),
    ("Regel ", _("Regel %(name)s")),
)
_ACTOR_LABELS = {
    "Kommandozeile": _("Kommandozeile"),
    "Zeitplan": _("Zeitplan"),
    "Löschanfrage": _("Löschanfrage"),
}


def actor_label_display(label: str) -> str:
    """A stored system label ("Kanalregel: Amazon DE", "Regel 3", "Zeitplan") as it reads in the
    active language; unknown labels as they are."""
    if label in _ACTOR_LABELS:
        return str(_ACTOR_LABELS[label])
    for prefix, form in _ACTOR_LABEL_FORMS:
        if label.startswith(prefix):
            return form % {"name": label.removeprefix(prefix)}
    return label


class PrivacyJob(models.Model):
    """A background anonymize / restore / purge run. The source of truth for its progress."""

    class Kind(models.TextChoices):
        ANONYMIZE = "anonymize", _("Anonymisieren")
        RESTORE = "restore", _("Wiederherstellen")
        PURGE = "purge", _("Endgültig löschen")

    class State(models.TextChoices):
        QUEUED = "queued", _("wartet")
        RUNNING = "running", _("läuft")
        DONE = "done", _("fertig")
        FAILED = "failed", _("fehlgeschlagen")

    kind = models.CharField(_("Art"), max_length=12, choices=Kind.choices)
    state = models.CharField(
        _("Zustand"), max_length=10, choices=State.choices, default=State.QUEUED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("angefordert von"),
    )
    source = models.CharField(_("Quelle"), max_length=100, blank=True)
    # Ids or a filter (date field, range, channels, excluded statuses): never personal data.
    selection = models.JSONField(_("Auswahl"), default=dict)
    total = models.PositiveIntegerField(_("Gesamt"), default=0)
    done = models.PositiveIntegerField(_("erledigt"), default=0)
    summary = models.JSONField(_("Ergebnis"), default=dict)
    # The last customer whose orders are all done: jobs walk customer by customer (jobs._chunks).
    cursor = models.BigIntegerField(default=0)
    error = models.TextField(_("Fehler"), blank=True)
    lease_owner = models.CharField(max_length=64, blank=True)
    heartbeat_at = models.DateTimeField(_("letztes Lebenszeichen"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("Versuche"), default=0)
    created_at = models.DateTimeField(_("angelegt"), default=timezone.now)
    started_at = models.DateTimeField(_("gestartet"), null=True, blank=True)
    finished_at = models.DateTimeField(_("beendet"), null=True, blank=True)
    # A finished restore has handed back every order it still held (jobs.release_finished_restores).
    orders_released = models.BooleanField(default=False, db_default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("Datenschutz-Vorgang")
        verbose_name_plural = _("Datenschutz-Vorgänge")
        indexes = [models.Index(fields=["state", "heartbeat_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)

    @property
    def source_display(self) -> str:
        return actor_label_display(self.source)

    @property
    def has_failures(self) -> bool:
        """Failed, or done with orders it could not handle (reported in its summary)."""
        return self.state == self.State.FAILED or any(
            key.startswith("failed") and count for key, count in self.summary.items()
        )

    @property
    def percent(self) -> int:
        if self.is_finished:
            return 100
        if not self.total:
            return 0
        return min(100, int(self.done * 100 / self.total))


class WorkerHeartbeat(models.Model):
    """The last time a task went through the queue and ran: the probe of the worker supervisor
    ("probe") and the scheduled reconciler ("schedule"). Read by `manage.py worker_health`."""

    name = models.CharField(max_length=20, primary_key=True)
    beat_at = models.DateTimeField()

    class Meta:
        verbose_name = _("Lebenszeichen des Workers")
        verbose_name_plural = _("Lebenszeichen des Workers")

    def __str__(self) -> str:
        return f"{self.name}: {self.beat_at:%Y-%m-%d %H:%M:%S}"

    @classmethod
    def beat(cls, name: str) -> None:
        cls.objects.update_or_create(name=name, defaults={"beat_at": timezone.now()})


class NumberSequence(models.Model):
    """Gap-free counters (invoice numbers …), advanced under a row lock."""

    name = models.CharField(max_length=50, primary_key=True)
    last_value = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("Nummernkreis")
        verbose_name_plural = _("Nummernkreise")

    def __str__(self) -> str:
        return f"{self.name}: {self.last_value}"


class ImportUpload(models.Model):
    """An uploaded import file between its preview and its confirmation. It holds personal data:
    deleted on confirmation, on cancelling, and by the schedule once an hour old
    (`orders.importing.uploads.import_uploads_delete_expired`)."""

    #: What the pages name it by: random, so that an id cannot be guessed or counted.
    token = models.CharField(max_length=43, unique=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    channel = models.ForeignKey("channels.Channel", on_delete=models.CASCADE, related_name="+")
    skip_duplicates = models.BooleanField(default=True)
    content = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("Import-Datei")
        verbose_name_plural = _("Import-Dateien")

    def __str__(self) -> str:
        return f"{self.pk} ({self.created_at:%Y-%m-%d %H:%M})"


def purge_date_for(anonymized_at: datetime.datetime) -> datetime.date:
    """Kept 10 years and to the end of that calendar year: 1 January of (year + 11)."""
    local = timezone.localtime(anonymized_at)
    return datetime.date(local.year + 11, 1, 1)


def restorable_until_for(purge_on: datetime.date | None) -> datetime.date | None:
    """The last day a restore is possible (and personal data is kept): the day before the purge
    date. None without one."""
    if purge_on is None:
        return None
    return purge_on - datetime.timedelta(days=1)
