"""Support admin for sales channels; the Amazon policy is enforced by Channel.clean()."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from channels.forms import FORCED_POLICY_REASON
from channels.models import Channel


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "policy")
    list_filter = ("kind",)
    search_fields = ("name",)
    readonly_fields = ("created_at",)

    @admin.display(description=_("Automatische Anonymisierung"))
    def policy(self, obj: Channel) -> str:
        if not obj.auto_anonymize:
            return str(_("aus"))
        text = ngettext(
            "automatisch anonymisieren nach %(days)d Tag",
            "automatisch anonymisieren nach %(days)d Tagen",
            obj.auto_anonymize_days or 0,
        ) % {"days": obj.auto_anonymize_days or 0}
        if obj.policy_is_forced:
            text += f" ({_('vorgegeben')}: {FORCED_POLICY_REASON})"
        return text

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if obj is not None and obj.policy_is_forced:
            for name in ("auto_anonymize", "auto_anonymize_days"):
                if name in form.base_fields:
                    form.base_fields[name].help_text = FORCED_POLICY_REASON
        return form
