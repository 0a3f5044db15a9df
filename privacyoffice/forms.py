"""The forms of the privacy office: finding a person, recording a Löschanfrage."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from privacyoffice.models import ErasureRequest


class ErasureRequestForm(forms.Form):
    received_on = forms.DateField(
        label=_("eingegangen am"),
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    received_via = forms.ChoiceField(
        label=_("eingegangen per"),
        choices=ErasureRequest.ReceivedVia.choices,
        # Django's message repeats the value sent; a forged one is not shown back.
        error_messages={"invalid_choice": _("Bitte einen Eingangsweg aus der Liste wählen.")},
    )

    def clean_received_on(self):
        day = self.cleaned_data["received_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("Das Eingangsdatum liegt in der Zukunft."))
        return day
