"""The channel settings form: name, kind and the anonymization policy."""

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from channels.models import (
    AMAZON_FORCED_DAYS,
    AMAZON_KIND_LOCKED_MESSAGE,
    MAX_POLICY_DAYS,
    POLICY_DAYS_MESSAGE,
    Channel,
)
from personal.forms import ForgetsCardNumbersMixin

FORCED_POLICY_REASON = _(
    "Amazon verlangt die Anonymisierung nach 40 Tagen (Datenschutzregeln des Marktplatzes)"
)
ZERO_DAYS_WARNING = _(
    "Achtung: Bei 0 Tagen ist jede Bestellung sofort fällig; ihre Kundendaten werden beim "
    "nächsten täglichen Lauf nach dem Import anonymisiert. Bestellungen dieses Kanals können "
    "danach nicht mehr bearbeitet oder versendet werden."
)
POLICY_FIELDS = ("auto_anonymize", "auto_anonymize_days")
# What CheckboxInput reads as unchecked.
_UNCHECKED = ("false", "0", "off", "no")


class ChannelForm(ForgetsCardNumbersMixin, forms.ModelForm):
    class Meta:
        model = Channel
        fields = ["name", "kind", "auto_anonymize", "auto_anonymize_days"]
        widgets = {
            "auto_anonymize_days": forms.NumberInput(attrs={"min": 0, "max": MAX_POLICY_DAYS})
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # One message for a number out of range, the model's, instead of Django's generic
        # "Dieser Wert muss größer oder gleich 0 sein." beside it.
        days_message = POLICY_DAYS_MESSAGE % {"limit_value": MAX_POLICY_DAYS}
        self.fields["auto_anonymize_days"].validators = [
            MinValueValidator(0, message=days_message),
            MaxValueValidator(MAX_POLICY_DAYS, message=days_message),
        ]
        # A stored Amazon channel stays Amazon: its kind is shown but not submitted.
        self.kind_is_locked = (
            self.instance.pk is not None and self.instance.kind == Channel.Kind.AMAZON
        )
        if self.kind_is_locked:
            # Also in the live preview, whose initial values are what the browser sent.
            self.initial["kind"] = Channel.Kind.AMAZON
            self.fields["kind"].disabled = True
            self.fields["kind"].help_text = AMAZON_KIND_LOCKED_MESSAGE
        self.policy_is_forced = self._chosen_kind() == Channel.Kind.AMAZON
        if self.policy_is_forced:
            # Disabled fields are not submitted by the browser; their value is the forced one.
            self.initial.update({"auto_anonymize": True, "auto_anonymize_days": AMAZON_FORCED_DAYS})
            for name in POLICY_FIELDS:
                self.fields[name].disabled = True
                self.fields[name].help_text = FORCED_POLICY_REASON

    def _chosen_kind(self) -> str:
        if self.kind_is_locked:
            return Channel.Kind.AMAZON
        if self.is_bound:
            return self.data.get(self.add_prefix("kind"), "")
        return self.initial.get("kind") or self.instance.kind

    def clean(self):
        cleaned_data = super().clean()
        if self.kind_is_locked:
            kind = self.data.get(self.add_prefix("kind"))
            if kind is not None and kind != Channel.Kind.AMAZON:
                self.add_error("kind", AMAZON_KIND_LOCKED_MESSAGE)
        if self.policy_is_forced:
            self._refuse_other_forced_values()
        return cleaned_data

    def _post_clean(self):
        # A number the field refused leaves the model without one, and Channel.clean would add
        # "Bitte die Anzahl der Tage angeben" to the same field: one message per field is enough.
        refused = bool(self._errors.get("auto_anonymize_days"))
        super()._post_clean()
        if refused:
            del self._errors["auto_anonymize_days"][1:]

    def _refuse_other_forced_values(self) -> None:
        # Values a client sends for the disabled fields anyway are refused, not silently dropped.
        days = self.data.get(self.add_prefix("auto_anonymize_days"), "")
        if str(days).strip() not in ("", str(AMAZON_FORCED_DAYS)):
            self.add_error("auto_anonymize_days", FORCED_POLICY_REASON)
        enabled = self.data.get(self.add_prefix("auto_anonymize"))
        if enabled is not None and str(enabled).lower() in _UNCHECKED:
            self.add_error("auto_anonymize", FORCED_POLICY_REASON)

    @property
    def shows_zero_days_warning(self) -> bool:
        if self.policy_is_forced:
            return False
        enabled, days = self._policy_values()
        return bool(enabled) and str(days).strip() == "0"

    def policy_days(self) -> int | None:
        """X of the policy the form shows (stored, previewed or submitted); None when off or
        not a valid number."""
        if self.policy_is_forced:
            return AMAZON_FORCED_DAYS
        enabled, days = self._policy_values()
        if self.is_bound:
            enabled = enabled is not None and str(enabled).lower() not in _UNCHECKED
        if not enabled:
            return None
        try:
            days = int(str(days).strip())
        except ValueError:
            return None
        return days if 0 <= days <= MAX_POLICY_DAYS else None

    def _policy_values(self) -> tuple[object, object]:
        if self.is_bound:
            return (
                self.data.get(self.add_prefix("auto_anonymize")),
                self.data.get(self.add_prefix("auto_anonymize_days"), ""),
            )
        return (
            self.initial.get("auto_anonymize", self.instance.auto_anonymize),
            self.initial.get("auto_anonymize_days", self.instance.auto_anonymize_days),
        )
