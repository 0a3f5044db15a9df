"""Forms of Einstellungen → Benachrichtigungstexte and → E-Mail-Versand."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from notifications.models import NotificationText, SmtpServer

# A host name or an IP address (v4, or v6 in brackets is not needed by smtplib: plain).
_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.:-]{0,251}[A-Za-z0-9])?$")


class NotificationTextForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, required=False)

    class Meta:
        model = NotificationText
        fields = ["name", "subject", "body_text", "body_html"]
        widgets = {
            "body_text": forms.Textarea(attrs={"rows": 12}),
            "body_html": forms.Textarea(attrs={"rows": 8}),
        }


class SmtpServerForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, required=False)
    password = forms.CharField(
        label=_("Passwort"),
        required=False,
        max_length=500,
        strip=False,
        # Never sent back to the browser: an empty field keeps the stored password.
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    forget_password = forms.BooleanField(label=_("Gespeichertes Passwort löschen"), required=False)

    class Meta:
        model = SmtpServer
        fields = ["name", "sender", "host", "port", "security", "username", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.has_password:
            self.fields["password"].help_text = _(
                "Ein Passwort ist gespeichert (verschlüsselt). Leer lassen, um es zu behalten."
            )
        else:
            self.fields["password"].help_text = _(
                "Leer lassen, wenn der Server keine Anmeldung verlangt."
            )
            del self.fields["forget_password"]

    def clean_host(self) -> str:
        host = self.cleaned_data["host"].strip()
        if not _HOST.match(host):
            raise forms.ValidationError(
                _(
                    "Bitte nur den Namen oder die IP-Adresse des Servers angeben, z. B. smtp.example.de."
                )
            )
        return host

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("forget_password") and cleaned.get("password"):
            self.add_error(
                "password",
                _("Entweder ein neues Passwort eingeben oder das gespeicherte löschen."),
            )
        return cleaned


class TestMailForm(forms.Form):
    to = forms.EmailField(label=_("Empfänger der Test-E-Mail"))


class PreviewForm(forms.Form):
    """The preview's inputs: the text as typed in the editor and the order's number."""

    order = forms.IntegerField(label=_("Bestellnummer"), min_value=1, required=False)
    subject = forms.CharField(required=False, max_length=200)
    body_text = forms.CharField(required=False, max_length=20_000, strip=False)
    body_html = forms.CharField(required=False, max_length=50_000, strip=False)
