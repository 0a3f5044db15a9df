"""Support admin for sales channels; the Amazon policy is enforced by Channel.clean() and the
database, Amazon's kind by Channel.clean() and save() (read-only here once stored)."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from channels.forms import FORCED_POLICY_REASON
from channels.models import AMAZON_FORCED_DAYS, AMAZON_FORCED_MESSAGE, Channel
from personal.admin import CardSafeSearchMixin
from personal.forms import ForgetsCardNumbersMixin


class ChannelAdminForm(ForgetsCardNumbersMixin, forms.ModelForm):
    class Meta:
        model = Channel
        fields = ["name", "kind", "auto_anonymize", "auto_anonymize_days"]

    def clean(self):
        cleaned_data = super().clean()
        # A stored Amazon channel's kind is read-only (not a form field), so model validation
        # leaves out the forced-policy constraint, which names the kind: checked here instead.
        kind_is_locked = "kind" not in self.fields and self.instance.kind == Channel.Kind.AMAZON
        kind = self.instance.kind if kind_is_locked else cleaned_data.get("kind")
        # An Amazon channel whose policy fields are left empty gets the forced policy; any value
        # given that differs from it is refused (by the constraint, or here).
        if (
            kind == Channel.Kind.AMAZON
            and not cleaned_data.get("auto_anonymize")
            and cleaned_data.get("auto_anonymize_days") is None
            and "auto_anonymize_days" not in self.errors
        ):
            cleaned_data["auto_anonymize"] = True
            cleaned_data["auto_anonymize_days"] = AMAZON_FORCED_DAYS
        if kind_is_locked and (
            cleaned_data.get("auto_anonymize") is not True
            or cleaned_data.get("auto_anonymize_days") != AMAZON_FORCED_DAYS
        ):
            raise forms.ValidationError(AMAZON_FORCED_MESSAGE)
        return cleaned_data


@admin.register(Channel)
class ChannelAdmin(CardSafeSearchMixin, admin.ModelAdmin):
    form = ChannelAdminForm
    list_display = ("name", "kind", "policy")
    list_filter = ("kind",)
    search_fields = ("name",)
    readonly_fields = ("created_at",)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.kind == Channel.Kind.AMAZON:
            return (*self.readonly_fields, "kind")
        return self.readonly_fields

    @admin.display(description=_("Automatische Anonymisierung"))
    def policy(self, obj: Channel) -> str:
        days = obj.anonymize_after_days
        if days is None:
            return str(_("aus"))
        text = ngettext(
            "automatisch anonymisieren nach %(days)d Tag",
            "automatisch anonymisieren nach %(days)d Tagen",
            days,
        ) % {"days": days}
        if obj.policy_is_forced:
            text += f" ({_('vorgegeben')}: {FORCED_POLICY_REASON})"
        return text

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        help_text = (
            FORCED_POLICY_REASON
            if obj is not None and obj.policy_is_forced
            else _(
                "Amazon-Kanäle: immer nach %(days)d Tagen; bleiben die Felder leer, wird das "
                "eingetragen."
            )
            % {"days": AMAZON_FORCED_DAYS}
        )
        for name in ("auto_anonymize", "auto_anonymize_days"):
            if name in form.base_fields:
                form.base_fields[name].help_text = help_text
        return form
