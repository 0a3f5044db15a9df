"""Forms for the customer page: master data plus inline formsets for emails, phones, addresses."""

from django import forms
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.utils.translation import gettext_lazy as _

from customers.models import (
    ADDRESS_PERSONAL_FIELDS,
    Address,
    Customer,
    CustomerEmail,
    CustomerPhone,
)
from customers.services import CUSTOMER_EDITABLE_FIELDS, RowEdit
from customers.validators import (
    CARD_NUMBER_CODE,
    card_number_error,
    contains_card_number,
    validate_extra_fields,
)


class ForgetsCardNumbersMixin:
    """Refuses a card number in any field of the form, and never echoes it back.

    Every submitted field is read by the card-number detector before it is cleaned, whatever the
    field (a choice, a date and a hidden field included; its own validators may not check for
    card numbers, and its own messages may quote the input, e.g. "… is not one of the available
    choices"). A refused field is emptied before it is cleaned and carries the card-data message
    alone; a number found later by a field's or the model's validators (a JSON field's escaped
    text) is dropped from the re-rendered form and from the instance alike.
    """

    def full_clean(self):
        refused = self._forget_card_numbers(self._fields_with_card_numbers())
        before = self._instance_values()
        super().full_clean()
        if not self.is_bound:
            return
        refused |= self._forget_card_numbers(
            {name for name in self._errors if name in self.fields and self._card_error(name)}
        )
        for name in refused:
            self._errors.pop(name, None)
            self.add_error(name, card_number_error())
            if self.fields[name].widget.is_hidden:
                # Pages show no errors of hidden fields: the form as a whole carries it.
                self.add_error(None, card_number_error())
            if name in before:
                setattr(self.instance, *before[name])

    def _fields_with_card_numbers(self) -> set[str]:
        if not self.is_bound:
            return set()
        found = set()
        for name, field in self.fields.items():
            if field.disabled:
                continue
            value = field.widget.value_from_datadict(self.data, self.files, self.add_prefix(name))
            texts = value if isinstance(value, list | tuple) else [value]
            if any(isinstance(text, str) and contains_card_number(text) for text in texts):
                found.add(name)
        return found

    def _card_error(self, name: str) -> bool:
        return any(error.code == CARD_NUMBER_CODE for error in self._errors[name].as_data())

    def _forget_card_numbers(self, names: set[str]) -> set[str]:
        if names:
            data = self.data.copy()
            for name in names:
                data[self.add_prefix(name)] = ""
            self.data = data
        return names

    def _instance_values(self) -> dict[str, tuple[str, object]]:
        # A model form writes the cleaned input into its instance before the model validates it:
        # the stored values are put back for refused fields (read from the instance's __dict__,
        # so that neither a relation nor a deferred field is loaded for it).
        instance = getattr(self, "instance", None)
        if instance is None:
            return {}
        values = {}
        for name in self.fields:
            try:
                attname = instance._meta.get_field(name).attname
            except (FieldDoesNotExist, AttributeError):
                continue
            if attname in instance.__dict__:
                values[name] = (attname, instance.__dict__[attname])
        return values


class CardSafeModelForm(ForgetsCardNumbersMixin, forms.ModelForm):
    """The base of forms the admin builds itself (inline rows): no card number gets through."""


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
        self.fields["extra_fields"].validators += [validate_extra_fields]
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
