"""Support admin for customers and addresses."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from customers.models import (
    Address,
    Customer,
    CustomerEmail,
    CustomerLockedError,
    CustomerPhone,
    CustomerSource,
)
from customers.services import customer_edit_refusal, customer_lock_for_edit
from customers.validators import validate_extra_fields
from personal.admin import PRIVACY_FIELDS, LockedParentInline, PersonalDataAdmin
from personal.forms import ForgetsCardNumbersMixin
from personal.state import ANONYMIZED, PrivacyState


def _locked_customer_error(exc: CustomerLockedError) -> ValidationError:
    return ValidationError(exc.message, code="locked")


class CustomerAdminForm(ForgetsCardNumbersMixin, forms.ModelForm):
    # No Meta: the admin supplies the model and its fields.

    def clean_extra_fields(self):
        value = self.cleaned_data.get("extra_fields")
        validate_extra_fields(value)
        return value

    def clean(self):
        cleaned_data = super().clean()
        if self.instance.pk is not None:
            # The admin's change view runs in a transaction: the row lock holds until commit.
            try:
                customer_lock_for_edit(customer_id=self.instance.pk)
            except CustomerLockedError as exc:
                raise _locked_customer_error(exc) from None
        return cleaned_data


class CustomerEmailInline(LockedParentInline, admin.TabularInline):
    model = CustomerEmail
    extra = 0


class CustomerPhoneInline(LockedParentInline, admin.TabularInline):
    model = CustomerPhone
    extra = 0


class CustomerSourceInline(LockedParentInline, admin.TabularInline):
    model = CustomerSource
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("channel")


class CustomerAddressInline(LockedParentInline, admin.StackedInline):
    model = Address
    extra = 0
    readonly_fields = PRIVACY_FIELDS
    show_change_link = True

    def has_delete_permission(self, request, obj=None):
        # Orders point at addresses (on_delete=PROTECT); the address admin explains refusals.
        return False


@admin.register(Customer)
class CustomerAdmin(PersonalDataAdmin):
    form = CustomerAdminForm
    list_display = ("number", "name", "company_display", "privacy_state", "created_at")
    list_filter = ("privacy_state",)
    search_fields = ("number__exact", "^last_name", "=emails__email")
    readonly_fields = (*PRIVACY_FIELDS, "created_at")
    inlines = (
        CustomerEmailInline,
        CustomerPhoneInline,
        CustomerSourceInline,
        CustomerAddressInline,
    )

    @admin.display(description=_("Name"), ordering="last_name")
    def name(self, obj: Customer) -> str:
        return obj.display_name

    @admin.display(description=_("Firma"), ordering="company")
    def company_display(self, obj: Customer) -> str:
        return ANONYMIZED if obj.is_anonymized else obj.company

    def is_locked(self, obj) -> bool:
        if obj is None:
            return False
        # Cached on the instance: the admin asks several times per request.
        if not hasattr(obj, "_admin_edit_refusal"):
            obj._admin_edit_refusal = customer_edit_refusal(obj)
        return obj._admin_edit_refusal is not None

    def lock_reason(self, obj) -> str:
        if self.is_locked(obj):
            return obj._admin_edit_refusal.message
        return super().lock_reason(obj)

    def log_repr(self, obj) -> str:
        return f"{obj._meta.verbose_name} {obj.number}"


class AddressAdminForm(ForgetsCardNumbersMixin, forms.ModelForm):
    # No Meta: the admin supplies the model and its fields.

    def clean(self):
        cleaned_data = super().clean()
        customer = cleaned_data.get("customer") or getattr(self.instance, "customer", None)
        if customer is not None and customer.pk is not None:
            try:
                customer_lock_for_edit(customer_id=customer.pk)
            except CustomerLockedError as exc:
                raise _locked_customer_error(exc) from None
        return cleaned_data


@admin.register(Address)
class AddressAdmin(PersonalDataAdmin):
    form = AddressAdminForm
    list_display = ("id", "customer_number", "name", "city_display", "country", "privacy_state")
    list_filter = ("privacy_state",)
    list_select_related = ("customer",)
    search_fields = ("customer__number__exact", "^last_name", "^postcode")
    raw_id_fields = ("customer",)
    readonly_fields = PRIVACY_FIELDS

    @admin.display(description=_("Kunde"), ordering="customer__number")
    def customer_number(self, obj: Address) -> int:
        return obj.customer.number

    @admin.display(description=_("Name"))
    def name(self, obj: Address) -> str:
        return ANONYMIZED if obj.is_anonymized else obj.full_name

    @admin.display(description=_("Ort"))
    def city_display(self, obj: Address) -> str:
        return ANONYMIZED if obj.is_anonymized else obj.city

    def is_locked(self, obj) -> bool:
        if obj is None:
            return False
        if obj.privacy_state != PrivacyState.ACTIVE:
            return True
        # Part of a customer record with an anonymized piece (SPEC 6).
        if not hasattr(obj, "_admin_edit_refusal"):
            obj._admin_edit_refusal = customer_edit_refusal(obj.customer)
        return obj._admin_edit_refusal is not None

    def lock_reason(self, obj) -> str:
        if self.is_locked(obj) and getattr(obj, "_admin_edit_refusal", None) is not None:
            return obj._admin_edit_refusal.message
        return super().lock_reason(obj)
