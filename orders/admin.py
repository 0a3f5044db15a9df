"""Support admin for orders, their history, privacy jobs and number sequences."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from customers.admin import PRIVACY_FIELDS, LockedParentInline, PersonalDataAdmin
from customers.forms import ForgetsCardNumbersMixin
from orders.models import (
    NumberSequence,
    Order,
    OrderEvent,
    OrderItem,
    OrderLockedError,
    OrderMessage,
    PrivacyJob,
)


class ReadOnlyAdminMixin:
    """Records written only by the application (history, jobs): support staff look, never touch."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OrderAdminForm(ForgetsCardNumbersMixin, forms.ModelForm):
    # No Meta: the admin supplies the model and its fields.

    def clean(self):
        cleaned_data = super().clean()
        if self.instance.pk is not None:
            # Locked until the admin's transaction commits; anonymize takes the same lock.
            order = Order.objects.select_for_update().get(pk=self.instance.pk)
            try:
                order.ensure_personal_data_available()
            except OrderLockedError as exc:
                raise ValidationError(exc.message, code="locked") from None
        return cleaned_data


class OrderItemInline(LockedParentInline, admin.TabularInline):
    model = OrderItem
    extra = 0


class OrderMessageInline(LockedParentInline, admin.StackedInline):
    model = OrderMessage
    extra = 0


class OrderEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = OrderEvent
    extra = 0
    fields = ("created_at", "kind", "actor", "actor_label", "detail")
    readonly_fields = fields
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


@admin.register(Order)
class OrderAdmin(PersonalDataAdmin):
    form = OrderAdminForm
    list_display = ("number", "order_date", "channel", "status", "privacy_state", "total_display")
    list_filter = ("channel", "status", "privacy_state")
    list_select_related = ("channel",)
    search_fields = ("number__exact", "external_number__exact")
    date_hierarchy = "order_date"
    raw_id_fields = ("customer", "billing_address", "shipping_address", "privacy_job")
    readonly_fields = (*PRIVACY_FIELDS, "restored_at", "privacy_job", "created_at")
    inlines = (OrderItemInline, OrderMessageInline, OrderEventInline)

    @admin.display(description=_("Summe"), ordering="total")
    def total_display(self, obj: Order) -> str:
        return f"{obj.total} {obj.currency}"

    def lock_reason(self, obj) -> str:
        return OrderLockedError(obj).message

    def log_repr(self, obj) -> str:
        return f"{obj._meta.verbose_name} {obj.number}"


@admin.register(OrderEvent)
class OrderEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "order", "kind", "actor_display", "detail")
    list_filter = ("kind",)
    list_select_related = ("order", "actor")
    search_fields = ("order__number__exact",)
    raw_id_fields = ("order", "actor")
    show_full_result_count = False
    list_per_page = 100

    @admin.display(description=_("durch"))
    def actor_display(self, obj: OrderEvent) -> str:
        return obj.actor_display


@admin.register(PrivacyJob)
class PrivacyJobAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "kind",
        "state",
        "progress",
        "requested_by",
        "created_at",
        "finished_at",
        "error_short",
    )
    list_filter = ("kind", "state")
    list_select_related = ("requested_by",)
    show_full_result_count = False

    @admin.display(description=_("erledigt/gesamt"))
    def progress(self, obj: PrivacyJob) -> str:
        return f"{obj.done}/{obj.total}"

    @admin.display(description=_("Fehler"))
    def error_short(self, obj: PrivacyJob) -> str:
        return Truncator(obj.error).chars(80)


@admin.register(NumberSequence)
class NumberSequenceAdmin(admin.ModelAdmin):
    list_display = ("name", "last_value")

    def get_readonly_fields(self, request, obj=None):
        # A sequence's name is its key; only its counter may be corrected.
        return ("name",) if obj is not None else ()

    def has_delete_permission(self, request, obj=None):
        return False
