"""Support admin: company settings, and the documents' metadata with their retention (never the
bytes: they hold personal data and are served by the order page)."""

from django.contrib import admin
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from documents.models import CompanySettings, Document


@admin.register(CompanySettings)
class CompanySettingsAdmin(admin.ModelAdmin):
    list_display = ("name", "city", "vat_id", "next_invoice_number", "updated_at")
    readonly_fields = ("version", "updated_at")

    def has_add_permission(self, request) -> bool:
        return not CompanySettings.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ("number", "kind", "order", "issued_at", "size", "stored", "kept_until")
    list_filter = ("kind",)
    search_fields = ("number",)
    list_select_related = ("order",)
    fields = ("number", "kind", "order", "invoice", "issued_at", "size", "stored", "kept_until")
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(boolean=True, description=_("PDF vorhanden"))
    def stored(self, obj: Document) -> bool:
        return obj.size > 0 and obj.order.purge_on is None

    @admin.display(description=_("aufbewahrt bis"))
    def kept_until(self, obj: Document) -> str:
        day, final = obj.kept_until()
        text = date_format(day, "SHORT_DATE_FORMAT")
        return text if final else _("mindestens %(date)s") % {"date": text}
