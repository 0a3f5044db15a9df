"""Support admin for automation rules: read-only (rules are edited on their page, with versions
and the editor's checks; firings are written by the evaluator alone)."""

from django.contrib import admin

from automation.models import Action, Condition, Firing, Rule, StreamCursor


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ConditionInline(admin.TabularInline):
    model = Condition
    extra = 0
    fields = ("position", "kind", "operator", "value")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class ActionInline(admin.TabularInline):
    model = Action
    extra = 0
    fields = ("position", "kind", "params")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Rule)
class RuleAdmin(ReadOnlyAdmin):
    list_display = ("position", "name", "trigger", "active", "last_run_at", "last_error")
    inlines = (ConditionInline, ActionInline)


@admin.register(Firing)
class FiringAdmin(ReadOnlyAdmin):
    list_display = ("id", "rule", "event_id", "slot", "order_id", "state", "detail", "created_at")
    list_filter = ("state", "rule")
    list_select_related = ("rule",)
    raw_id_fields = ("order",)


@admin.register(StreamCursor)
class StreamCursorAdmin(ReadOnlyAdmin):
    list_display = ("name", "last_event_id", "updated_at")
