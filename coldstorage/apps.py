from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ColdstorageConfig(AppConfig):
    name = "coldstorage"
    verbose_name = _("Cold Storage")

    def ready(self) -> None:
        import config.lookups  # noqa: F401  (registers the __in_ids lookup for every app)
