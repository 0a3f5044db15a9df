"""Admin behaviour shared by every model holding personal data: the view_personal_data
permission on every page, read-only records once anonymized, an admin log without personal data,
and no card number in searches or inline rows."""

import json

from django.contrib import admin, messages
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext_lazy as _

from personal.forms import CardSafeModelForm
from personal.state import VIEW_PERSONAL_DATA, PrivacyState
from personal.views import refuse_card_numbers_in_query

#: Set only by the privacy services (anonymize, restore, purge), never by hand.
PRIVACY_FIELDS = ("privacy_state", "anonymized_at", "purge_on")


class CardSafeSearchMixin:
    """The changelist's search (and filters) refuse a card number like every form: it is not
    run, and the page does not show it again."""

    def changelist_view(self, request, extra_context=None):
        if refusal := refuse_card_numbers_in_query(request):
            return refusal
        return super().changelist_view(request, extra_context)


class PersonalDataAdmin(CardSafeSearchMixin, admin.ModelAdmin):
    """Admin for a model holding personal data.

    Its pages show personal data, so every one of them takes customers.view_personal_data on
    top of the model's own permission (as the merchant pages do). A record with an anonymized
    piece is read-only (view permission only), and the admin log stores ids instead of the
    records' text, so no personal data lands in change messages.
    """

    show_full_result_count = False
    list_per_page = 50

    def is_locked(self, obj) -> bool:
        return obj is not None and obj.privacy_state != PrivacyState.ACTIVE

    def lock_reason(self, obj) -> str:
        return str(
            _("Die personenbezogenen Daten sind anonymisiert und können nicht bearbeitet werden.")
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and request.method == "GET" and self.is_locked(obj):
            messages.warning(request, self.lock_reason(obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_readonly_fields(self, request, obj=None):
        readonly = [*super().get_readonly_fields(request, obj)]
        if self.is_locked(obj):
            readonly += [
                f.name
                for f in self.model._meta.get_fields()
                if f.concrete and f.editable and not f.primary_key
            ]
            readonly += [f.name for f in self.model._meta.many_to_many]
        return list(dict.fromkeys(readonly))

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(VIEW_PERSONAL_DATA) and super().has_view_permission(
            request, obj
        )

    def has_add_permission(self, request):
        return request.user.has_perm(VIEW_PERSONAL_DATA) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        if self.is_locked(obj) or not request.user.has_perm(VIEW_PERSONAL_DATA):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        # Deleting would leave cold records behind; the purge is the lifecycle's business.
        if self.is_locked(obj) or not request.user.has_perm(VIEW_PERSONAL_DATA):
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request, action_location=admin.ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location=action_location)
        # Bulk deletion cannot tell locked records apart.
        actions.pop("delete_selected", None)
        return actions

    # --- admin log without personal data -------------------------------------------------

    def log_repr(self, obj) -> str:
        return f"{obj._meta.verbose_name} #{obj.pk}"

    def log_addition(self, request, obj, message):
        return self._log(request, [obj], ADDITION, message)

    def log_change(self, request, obj, message):
        return self._log(request, [obj], CHANGE, message)

    def log_deletions(self, request, queryset):
        return self._log(request, list(queryset), DELETION, "")

    def _log(self, request, objects, action_flag, message):
        if isinstance(message, list):
            message = json.dumps(message)
        entries = [
            LogEntry(
                user_id=request.user.pk,
                content_type_id=ContentType.objects.get_for_model(obj, for_concrete_model=False).pk,
                object_id=str(obj.pk),
                object_repr=self.log_repr(obj)[:200],
                action_flag=action_flag,
                change_message=message,
            )
            for obj in objects
        ]
        if len(entries) == 1:
            entries[0].save()
            return entries[0]
        return LogEntry.objects.bulk_create(entries)

    def construct_change_message(self, request, form, formsets, add=False):
        message = super().construct_change_message(request, form, formsets, add)
        # Inline rows are named by their text (an email address …): replace it by the row id.
        reprs = iter(
            f"#{obj.pk}" if obj.pk is not None else "#–"
            for formset in formsets or ()
            for obj in [
                *formset.new_objects,
                *(changed for changed, _fields in formset.changed_objects),
                *formset.deleted_objects,
            ]
        )
        for entry in message:
            for action in entry.values():
                if isinstance(action, dict) and "object" in action:
                    action["object"] = next(reprs, "#–")
        return message


class LockedParentInline:
    """Inline rows follow their parent: read-only while the parent is locked. Their forms refuse
    card numbers like every other form, without echoing them."""

    form = CardSafeModelForm

    def _parent_locked(self, request, obj) -> bool:
        parent_admin = self.admin_site._registry.get(self.parent_model)
        return obj is not None and parent_admin is not None and parent_admin.is_locked(obj)

    def has_add_permission(self, request, obj=None):
        return not self._parent_locked(request, obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        if self._parent_locked(request, obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if self._parent_locked(request, obj):
            return False
        return super().has_delete_permission(request, obj)
