"""The company settings form (Einstellungen → Firma)."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from documents.models import CompanySettings, format_invoice_number, validate_number_format
from documents.services import COMPANY_FIELDS
from orders.models import Invoice


class CompanySettingsForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    class Meta:
        model = CompanySettings
        fields = COMPANY_FIELDS
        widgets = {"footer": forms.Textarea(attrs={"rows": 3})}

    def clean_iban(self) -> str:
        return "".join(self.cleaned_data["iban"].split()).upper()

    def clean_vat_id(self) -> str:
        return "".join(self.cleaned_data["vat_id"].split()).upper()

    def clean_bic(self) -> str:
        value = self.cleaned_data["bic"].strip().upper()
        if value and len(value) not in (8, 11):
            raise forms.ValidationError(_("Eine BIC hat 8 oder 11 Zeichen."))
        return value

    def clean(self):
        cleaned = super().clean()
        number_format = cleaned.get("invoice_number_format")
        number = cleaned.get("next_invoice_number")
        if number_format and number:
            try:
                validate_number_format(number_format)
            except forms.ValidationError:
                return cleaned  # the field's own validation says why
            example = format_invoice_number(
                number_format, year=timezone.localdate().year, number=number
            )
            if len(example) > 30:
                self.add_error(
                    "invoice_number_format", _("Eine Rechnungsnummer hat höchstens 30 Zeichen.")
                )
            elif Invoice.objects.filter(number=example).exists():
                self.add_error(
                    "next_invoice_number",
                    _("Die Rechnungsnummer %(number)s ist bereits vergeben.") % {"number": example},
                )
        return cleaned
