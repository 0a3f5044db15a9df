"""Support admin: the outbox and the servers, read-only; no password, address or mail body."""

from django.contrib import admin

from notifications.models import NotificationText, OutgoingMail, SmtpServer


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OutgoingMail)
class OutgoingMailAdmin(ReadOnlyAdmin):
    # The outbox stores no address, subject or body: there is nothing personal to leave out.
    list_display = ("id", "order", "text_name", "recipient", "state", "attempts", "server_name")
    list_filter = ("state", "recipient")
    list_select_related = ("order",)
    search_fields = ("=id", "=order__number", "text_name")
    fields = (
        "order",
        "text_name",
        "recipient",
        "state",
        "refusal",
        "server_name",
        "attempts",
        "last_error",
        "next_attempt_at",
        "created_at",
        "sent_at",
        "dedupe_key",
    )
    readonly_fields = fields
    raw_id_fields = ("order",)


@admin.register(SmtpServer)
class SmtpServerAdmin(ReadOnlyAdmin):
    # The sealed password is not among the fields, not even encrypted.
    list_display = ("name", "host", "port", "security", "is_active", "consecutive_failures")
    fields = (
        "name",
        "sender",
        "host",
        "port",
        "security",
        "username",
        "is_active",
        "consecutive_failures",
        "disabled_at",
        "disabled_reason",
        "last_success_at",
        "last_error",
    )
    readonly_fields = fields


@admin.register(NotificationText)
class NotificationTextAdmin(ReadOnlyAdmin):
    list_display = ("name", "subject", "updated_at")
    fields = ("name", "subject", "body_text", "body_html", "updated_at")
    readonly_fields = fields
