from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


def _unicode_lower_for_sqlite(sender, connection, **kwargs) -> None:
    """SQLite's LOWER() lower-cases ASCII only ("ÖZDEMIR" stays "Özdemir"): the search
    (customers.search) lower-cases with Python's rules there, as PostgreSQL does."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "LOWER",
            1,
            lambda text: text.lower() if isinstance(text, str) else text,
            deterministic=True,
        )


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Kunden")

    def ready(self) -> None:
        connection_created.connect(_unicode_lower_for_sqlite, dispatch_uid="customers.sqlite_lower")
