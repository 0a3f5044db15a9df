"""Forms for the customer page: master data plus inline formsets for emails, phones, addresses."""

import json

from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from customers.models import (
    ADDRESS_FIELDS,
    Address,
    Customer,
    CustomerEmail,
    CustomerPhone,
)
from customers.services import CUSTOMER_EDITABLE_FIELDS, RowEdit
from customers.validators import (
    EXTRA_FIELDS_MAX_ENTRIES,
    EXTRA_FIELDS_MAX_KEY_LENGTH,
    EXTRA_FIELDS_MAX_VALUE_LENGTH,
    validate_extra_fields,
)
from personal.forms import ForgetsCardNumbersMixin


class ExtraFieldsWidget(forms.Widget):
    """The extra fields as rows of name and value (the stored ones plus empty rows to fill in),
    not as JSON. A post without the rows (an old client, a script) may still send JSON."""

    blank_rows = 3
    max_rows = EXTRA_FIELDS_MAX_ENTRIES + 10

    def render(self, name, value, attrs=None, renderer=None):
        pairs = [pair for pair in self._pairs(value) if pair != ("", "")]
        pairs += [("", "")] * self.blank_rows
        rows = format_html_join(
            "\n",
            '<tr><td><input type="text" name="{0}-name-{1}" value="{2}" maxlength="{4}" '
            'aria-label="{5}"></td><td><input type="text" name="{0}-value-{1}" value="{3}" '
            'maxlength="{6}" aria-label="{7}"></td></tr>',
            (
                (
                    name,
                    index,
                    key,
                    item,
                    EXTRA_FIELDS_MAX_KEY_LENGTH,
                    _("Name (Zeile %(row)d)") % {"row": index + 1},
                    EXTRA_FIELDS_MAX_VALUE_LENGTH,
                    _("Wert (Zeile %(row)d)") % {"row": index + 1},
                )
                for index, (key, item) in enumerate(pairs)
            ),
        )
        return format_html(
            '<table class="extra-fields" id="{}"><thead><tr><th>{}</th><th>{}</th></tr></thead>'
            '<tbody>{}</tbody></table><input type="hidden" name="{}-rows" value="{}">',
            (attrs or {}).get("id", f"id_{name}"),
            _("Name"),
            _("Wert"),
            rows,
            name,
            len(pairs),
        )

    @staticmethod
    def _pairs(value) -> list[tuple[str, str]]:
        if isinstance(value, list) and all(isinstance(row, tuple) for row in value):
            return [(str(key), str(item)) for key, item in value]  # rows as posted
        if isinstance(value, list):  # stored before extra fields were checked: shown as JSON
            return [("", json.dumps(value, ensure_ascii=False))]
        if isinstance(value, str):
            try:
                value = json.loads(value) if value.strip() else {}
            except ValueError:
                return [("", value)]
        if isinstance(value, dict):
            return [(str(key), _plain(item)) for key, item in value.items()]
        return []

    def value_from_datadict(self, data, files, name):
        try:
            count = min(int(data.get(f"{name}-rows", "")), self.max_rows)
        except ValueError:
            return data.get(name)
        return [
            (str(data.get(f"{name}-name-{i}", "")).strip(), str(data.get(f"{name}-value-{i}", "")))
            for i in range(count)
        ]

    def value_omitted_from_data(self, data, files, name):
        return f"{name}-rows" not in data and name not in data

    def forget_in(self, data, name) -> None:
        """Drops every row (a refused value is never shown again)."""
        for key in [key for key in data if key.startswith(f"{name}-")]:
            del data[key]
        data[name] = ""


def _plain(item) -> str:
    if item is None:
        return ""
    if isinstance(item, bool):
        return "true" if item else "false"
    return str(item)


class ExtraFieldsField(forms.Field):
    """Name/value rows (or a JSON object) into a dict; empty rows are dropped."""

    widget = ExtraFieldsWidget

    def to_python(self, value) -> dict:
        if value in (None, ""):
            return {}
        if isinstance(value, dict):
            return value
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise ValidationError(
                    _("Zusatzfelder müssen ein JSON-Objekt aus Name und Wert sein."),
                    code="extra_fields_not_object",
                ) from None
        fields: dict = {}
        for row, (key, item) in enumerate(value, start=1):
            if not key and not item:
                continue
            if not key:
                raise ValidationError(
                    _("Zeile %(row)d der Zusatzfelder hat einen Wert, aber keinen Namen."),
                    code="extra_fields_key_missing",
                    params={"row": row},
                )
            if key in fields:
                raise ValidationError(
                    _("Zeile %(row)d: Diesen Namen hat schon eine Zeile darüber."),
                    code="extra_fields_key_twice",
                    params={"row": row},
                )
            fields[key] = item
        return fields

    def has_changed(self, initial, data) -> bool:
        try:
            return self.to_python(data) != (initial or {})
        except ValidationError:
            return True


class CustomerForm(ForgetsCardNumbersMixin, forms.ModelForm):
    # The version the page was made from (customers.services.customer_update: no lost updates).
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    extra_fields = ExtraFieldsField(
        label=_("Zusatzfelder"),
        required=False,
        help_text=_("z. B. Affiliate-Code, Kostenstelle; leere Zeilen werden ignoriert."),
    )

    class Meta:
        model = Customer
        fields = CUSTOMER_EDITABLE_FIELDS
        widgets = {
            "birth_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
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


class AddressBookEntryForm(ForgetsCardNumbersMixin, forms.ModelForm):
    class Meta:
        model = Address
        fields = ADDRESS_FIELDS
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
    Customer, Address, form=AddressBookEntryForm, extra=1, can_delete=False
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
