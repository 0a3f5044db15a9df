"""Support admin: the audit of reports and the Löschanfragen, read-only (ids and dates only)."""

from django.contrib import admin

from privacyoffice.models import ErasureRequest, SubjectReport


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SubjectReport)
class SubjectReportAdmin(_ReadOnly):
    list_display = ("created_at", "customer_id", "requested_by", "via")
    list_filter = ("via",)
    date_hierarchy = "created_at"


@admin.register(ErasureRequest)
class ErasureRequestAdmin(_ReadOnly):
    list_display = ("pk", "customer_id", "received_on", "received_via", "deadline", "state")
    list_filter = ("state", "received_via")
    date_hierarchy = "received_on"
