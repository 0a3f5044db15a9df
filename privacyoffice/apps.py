from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyOfficeConfig(AppConfig):
    name = "privacyoffice"
    verbose_name = _("Datenschutz")
