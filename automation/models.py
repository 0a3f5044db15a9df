"""Automation rules (SPEC 9): a trigger, conditions, actions, and a firing per rule and event.

The rules read the order history (orders.history) as their one stream of changes; the evaluator
(automation.evaluator) keeps its place in it with `StreamCursor` and records a `Firing`, unique
per (rule, event), before a rule acts, so every trigger fires exactly once.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orders.models import OrderStatus


class Trigger(models.TextChoices):
    IMPORTED = "imported", _("Bestellung importiert")
    STATUS_CHANGED = "status_changed", _("Bestellstatus geändert")
    RESTORED = "restored", _("Kundendaten wiederhergestellt")
    ANONYMIZED = "anonymized", _("Bestellung anonymisiert")
    SCHEDULED = "scheduled", _("Zeitgesteuert")


class Match(models.TextChoices):
    ALL = "all", _("UND (alle Bedingungen)")
    ANY = "any", _("ODER (mindestens eine Bedingung)")


class Rule(models.Model):
    name = models.CharField(_("Name"), max_length=100)
    active = models.BooleanField(_("aktiv"), default=True)
    trigger = models.CharField(_("Auslöser"), max_length=20, choices=Trigger.choices)
    # "Bestellstatus geändert": to this status (empty: to any).
    target_status = models.CharField(
        _("auf Status"), max_length=20, blank=True, choices=OrderStatus.choices
    )
    # "Zeitgesteuert": weekdays (0 = Monday) × hours (0–23), in the merchant's time zone.
    weekdays = models.JSONField(_("Wochentage"), default=list, blank=True)
    hours = models.JSONField(_("Uhrzeiten"), default=list, blank=True)
    match = models.CharField(
        _("Bedingungen verknüpfen mit"), max_length=3, choices=Match.choices, default=Match.ALL
    )
    position = models.PositiveIntegerField(_("Reihenfolge"), default=0)
    repeatable = models.BooleanField(
        _("kann mehrfach ausgeführt werden"),
        default=False,
        help_text=_("Sonst wird die Regel für jede Bestellung höchstens einmal ausgeführt."),
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    last_run_at = models.DateTimeField(_("zuletzt ausgeführt"), null=True, blank=True)
    last_run_count = models.PositiveIntegerField(_("zuletzt Bestellungen"), default=0)
    # The last failure: the error's class and the action, never a value of an order.
    last_error = models.CharField(_("letzter Fehler"), max_length=300, blank=True)
    last_error_at = models.DateTimeField(_("Fehler am"), null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("Automatisierungsregel")
        verbose_name_plural = _("Automatisierungsregeln")

    def __str__(self) -> str:
        return self.name

    @property
    def actor_label(self) -> str:
        """Who acted, in the history and on the privacy jobs: "Regel 3" (stored, not translated)."""
        return f"Regel {self.pk}"


class Condition(models.Model):
    class Kind(models.TextChoices):
        CHANNEL = "channel", _("Shop ist")
        STATUS = "status", _("Bestellstatus ist")
        TOTAL = "total", _("Auftragssumme")
        SHIPPING_COUNTRY = "shipping_country", _("Land der Lieferadresse")
        BILLING_COUNTRY = "billing_country", _("Land der Rechnungsadresse")
        AGE_DAYS = "age_days", _("Alter der Bestellung in Tagen")
        ANONYMIZED = "anonymized", _("anonymisiert")

    class Operator(models.TextChoices):
        IS = "is", _("ist")
        IS_NOT = "is_not", _("ist nicht")
        GTE = "gte", "≥"
        LTE = "lte", "≤"

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="conditions")
    kind = models.CharField(_("Bedingung"), max_length=20, choices=Kind.choices)
    operator = models.CharField(_("Vergleich"), max_length=6, choices=Operator.choices)
    value = models.CharField(_("Wert"), max_length=100, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("Bedingung")
        verbose_name_plural = _("Bedingungen")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.get_operator_display()} {self.value}"


class Action(models.Model):
    # The kinds are automation.actions.ACTIONS (a registry); mail actions are added there.
    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(_("Aktion"), max_length=30)
    params = models.JSONField(_("Angaben"), default=dict, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("Aktion")
        verbose_name_plural = _("Aktionen")

    def __str__(self) -> str:
        return self.kind


class Firing(models.Model):
    """A rule's run on one order for one history event (or one time slot, or a run by hand).
    Inserted before the rule acts; the unique constraints make a second insert a no-op, so the
    evaluator acts only on the firings it inserted itself."""

    class State(models.TextChoices):
        PENDING = "pending", _("läuft")
        DONE = "done", _("ausgeführt")
        REFUSED = "refused", _("abgelehnt")
        FAILED = "failed", _("fehlgeschlagen")

    # No index of its own: the (rule, order) and (rule, event) indexes begin with it. No
    # constraint in the database for this and `order` (docs/automation.md, "Speed"): a firing is
    # only written by an INSERT … SELECT from rows that exist, and Django's CASCADE removes it;
    # the checks locked every order row once more per firing (40 % of a mail rule's run).
    rule = models.ForeignKey(
        Rule, on_delete=models.CASCADE, related_name="firings", db_index=False, db_constraint=False
    )
    # The OrderEvent it fired for (no foreign key: history rows are never deleted on their own,
    # and the firing must not slow down the privacy chunks' inserts).
    event_id = models.BigIntegerField(null=True, blank=True)
    # "Zeitgesteuert": the hour it fired for.
    slot = models.DateTimeField(null=True, blank=True)
    order = models.ForeignKey(
        "orders.Order", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    # Codes and error classes only, never personal data.
    detail = models.CharField(_("Details"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("Regelausführung")
        verbose_name_plural = _("Regelausführungen")
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "event_id"],
                condition=models.Q(event_id__isnull=False),
                name="firing_once_per_rule_event",
            ),
            models.UniqueConstraint(
                fields=["rule", "slot", "order"],
                condition=models.Q(slot__isnull=False),
                name="firing_once_per_rule_slot_order",
            ),
        ]
        indexes = [models.Index(fields=["rule", "order"], name="firing_rule_order_idx")]

    def __str__(self) -> str:
        return f"{self.rule_id}/{self.event_id or self.slot}: {self.state}"


class StreamCursor(models.Model):
    """How far the evaluator has read the order history: the last event id it processed, and
    the trailing gaps behind it it reads again (events commit out of id order)."""

    name = models.CharField(max_length=20, primary_key=True)
    last_event_id = models.BigIntegerField(default=0)
    # Id ranges at or below last_event_id without a visible event when last read, as
    # [first, last, noted at (ISO)]: read again by the next runs (automation.evaluator).
    gaps = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("Lesezeichen der Automatisierung")
        verbose_name_plural = _("Lesezeichen der Automatisierung")

    def __str__(self) -> str:
        return f"{self.name}: {self.last_event_id}"
