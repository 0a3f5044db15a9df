from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Benachrichtigungen")

    def ready(self) -> None:
        post_migrate.connect(_ensure_schedules, sender=self)


def _ensure_schedules(sender, using="default", **kwargs) -> None:
    if using != "default":
        return
    from notifications.schedules import ensure_schedules

    ensure_schedules()
