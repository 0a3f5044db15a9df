"""Forms for the customer page: master data plus inline formsets for emails, phones, addresses."""

import json

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from customers.models import (
    ADDRESS_PERSONAL_FIELDS,
    Address,
    Customer,
    CustomerEmail,
    CustomerPhone,
)
from customers.services import CUSTOMER_EDITABLE_FIELDS, RowEdit
from customers.validators import reject_card_numbers, validate_extra_fields


def reject_card_numbers_in_json(value) -> None:
    # The model's JSONField has no text validator; its values are free text all the same.
    if value not in (None, "", {}, []):
        reject_card_numbers(json.dumps(value, ensure_ascii=False))


class ForgetsCardNumbersMixin:
    """A refused card number is not echoed back into the re-rendered form."""

    def full_clean(self):
        super().full_clean()
        if not self.is_bound or not self._errors:
            return
        refused = [
            name
            for name in self._errors
            if name in self.fields and self.has_error(name, "card_number")
        ]
        if refused:
            data = self.data.copy()
            for name in refused:
                data[self.add_prefix(name)] = ""
            self.data = data


class CustomerForm(ForgetsCardNumbersMixin, forms.ModelForm):
    # The version the page was made from (customers.services.customer_update: no lost updates).
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    class Meta:
        model = Customer
        fields = CUSTOMER_EDITABLE_FIELDS
        widgets = {
            "birth_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "extra_fields": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["extra_fields"].validators += [
            validate_extra_fields,
            reject_card_numbers_in_json,
        ]
        self.initial.setdefault("version", self.instance.version)

    def edited_fields(self) -> dict:
        """The customer's own fields the page changed (the version is not one of them)."""
        return {name: self.cleaned_data[name] for name in self.changed_data if name != "version"}


class CustomerEmailForm(ForgetsCardNumbersMixin, forms.ModelForm):
    class Meta:
        model = CustomerEmail
        fields = ["email"]
        field_classes = {"email": forms.EmailField}


class CustomerPhoneForm(ForgetsCardNumbersMixin, forms.ModelForm):
    class Meta:
        model = CustomerPhone
        fields = ["number"]


class AddressForm(ForgetsCardNumbersMixin, forms.ModelForm):
    class Meta:
        model = Address
        fields = [*ADDRESS_PERSONAL_FIELDS, "country"]
        widgets = {"country": forms.TextInput(attrs={"size": 2, "maxlength": 2})}

    def clean_country(self) -> str:
        country = self.cleaned_data["country"].strip().upper()
        if len(country) != 2 or not country.isalpha():
            raise ValidationError(_("Bitte den Ländercode nach ISO 3166 angeben, z. B. DE."))
        return country


EmailFormSet = forms.inlineformset_factory(
    Customer, CustomerEmail, form=CustomerEmailForm, extra=1, can_delete=True
)
PhoneFormSet = forms.inlineformset_factory(
    Customer, CustomerPhone, form=CustomerPhoneForm, extra=1, can_delete=True
)
# Orders point at their addresses, so addresses are added and changed, never deleted here.
AddressFormSet = forms.inlineformset_factory(
    Customer, Address, form=AddressForm, extra=1, can_delete=False
)


def row_edits(formset: forms.BaseInlineFormSet) -> list[RowEdit]:
    """What a valid formset asks for, as rows for `customer_update`."""
    edits = []
    for form in formset.forms:
        pk = form.instance.pk
        if formset.can_delete and formset._should_delete_form(form):
            if pk is not None:
                edits.append(RowEdit(pk=pk, delete=True))
            continue
        if not form.has_changed():
            continue
        values = {name: form.cleaned_data[name] for name in form._meta.fields}
        edits.append(RowEdit(pk=pk, values=values))
    return edits
