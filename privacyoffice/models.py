"""Data subject requests (GDPR Art. 15 and 17): the audit of every Auskunft, and Löschanfragen.

Both tables hold ids, dates and codes only, never personal data: the report itself is never
stored, and an erasure request names the customer by id.
"""

import calendar
import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

#: Seeing everything the product holds about a person (the Auskunft, Art. 15).
VIEW_SUBJECT_REPORT = "privacyoffice.view_subject_report"
#: Recording and running a Löschanfrage (Art. 17).
HANDLE_ERASURE_REQUEST = "privacyoffice.handle_erasure_request"
VIEW_ERASURE_REQUEST = "privacyoffice.view_erasurerequest"


def one_month_after(day: datetime.date) -> datetime.date:
    """Art. 12(3): one month; the same day of the next month, or its last day (31.1. → 28.2.)."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class SubjectReport(models.Model):
    """The audit row of one Auskunft: who made it, when, for which customer, by which path."""

    class Via(models.TextChoices):
        PAGE = "page", _("Seite")
        JSON = "json", _("JSON-Datei")
        COMMAND = "command", _("Kommandozeile")

    # An id, not a foreign key: the audit outlives whatever happens to the record.
    customer_id = models.BigIntegerField(_("Kunden-ID"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("erstellt von"),
    )
    via = models.CharField(_("Weg"), max_length=10, choices=Via.choices)
    created_at = models.DateTimeField(_("erstellt am"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("Datenschutz-Auskunft")
        verbose_name_plural = _("Datenschutz-Auskünfte")
        indexes = [models.Index(fields=["customer_id", "created_at"])]
        permissions = [
            (
                "view_subject_report",
                _("Kann Datenschutz-Auskünfte erstellen (Art. 15 DSGVO)"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} ({self.created_at:%Y-%m-%d %H:%M})"


class ErasureRequest(models.Model):
    """A Löschanfrage: received when and how, due one month later; open until every order of
    the customer is anonymized (the privacy engine's jobs do that)."""

    class ReceivedVia(models.TextChoices):
        EMAIL = "email", _("E-Mail")
        LETTER = "letter", _("Brief")
        PHONE = "phone", _("Telefon")
        FORM = "form", _("Kontaktformular")
        CHANNEL = "channel", _("über den Verkaufskanal")
        IN_PERSON = "in_person", _("persönlich")
        OTHER = "other", _("anders")

    class State(models.TextChoices):
        OPEN = "open", _("offen")
        DONE = "done", _("erledigt")

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("Kunde"),
    )
    received_on = models.DateField(_("eingegangen am"))
    received_via = models.CharField(
        _("eingegangen per"), max_length=10, choices=ReceivedVia.choices
    )
    deadline = models.DateField(_("Frist"))
    state = models.CharField(_("Zustand"), max_length=5, choices=State.choices, default=State.OPEN)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("erfasst von"),
    )
    created_at = models.DateTimeField(_("erfasst am"), default=timezone.now)
    last_run_at = models.DateTimeField(_("zuletzt ausgeführt"), null=True, blank=True)
    closed_at = models.DateTimeField(_("erledigt am"), null=True, blank=True)
    # The anonymize job of the last run (ids only, like every job).
    last_job = models.ForeignKey(
        "orders.PrivacyJob",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("letzter Vorgang"),
    )
    # What the last run could not anonymize yet: [{"order": id, "reason": code}, …].
    blocked = models.JSONField(_("noch nicht anonymisierbar"), default=list, blank=True)

    class Meta:
        ordering = ["deadline", "id"]
        verbose_name = _("Löschanfrage")
        verbose_name_plural = _("Löschanfragen")
        indexes = [models.Index(fields=["state", "deadline"])]
        permissions = [
            (
                "handle_erasure_request",
                _("Kann Löschanfragen erfassen und ausführen (Art. 17 DSGVO)"),
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} ({self.received_on:%Y-%m-%d})"

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        return self.is_open and (today or timezone.localdate()) > self.deadline
