from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ColdstorageConfig(AppConfig):
    name = "coldstorage"
    verbose_name = _("Cold Storage")
