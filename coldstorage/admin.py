"""Cold-storage metadata for support staff: read-only, and never the (encrypted) payload."""

from django.contrib import admin

from coldstorage.models import ColdRecord, KeyCheckValue

METADATA_FIELDS = (
    "kind",
    "object_id",
    "anonymized_at",
    "purge_on",
    "key_id",
    "size",
    "format_version",
)


@admin.register(ColdRecord)
class ColdRecordAdmin(admin.ModelAdmin):
    list_display = METADATA_FIELDS
    list_filter = ("kind", "key_id")
    search_fields = ("object_id__exact",)
    fields = METADATA_FIELDS
    readonly_fields = METADATA_FIELDS
    exclude = ("nonce", "ciphertext")
    show_full_result_count = False
    list_per_page = 100
    actions = None

    def get_queryset(self, request):
        # The ciphertext is not even loaded: nothing here can decrypt or show it.
        return super().get_queryset(request).only(*METADATA_FIELDS)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(KeyCheckValue)
class KeyCheckValueAdmin(admin.ModelAdmin):
    """Which key ids cold storage knows and since when; the check value is a fingerprint that
    identifies a key without revealing it."""

    list_display = ("key_id", "recorded_at", "check_value")
    fields = list_display
    readonly_fields = list_display
    actions = None

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
