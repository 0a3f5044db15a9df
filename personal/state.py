"""The privacy state that orders, customers and addresses share, and what stands in for data that
has been anonymized."""

from django.db import models
from django.utils.translation import gettext_lazy as _

#: What personal data is replaced with in the main database once it sits in cold storage.
ANONYMIZED = "[Anonymisiert]"
#: Reading names, addresses, e-mail addresses, phones (of customers and of orders) needs this
#: (declared in customers.Customer's Meta.permissions).
VIEW_PERSONAL_DATA = "customers.view_personal_data"


class PrivacyState(models.TextChoices):
    ACTIVE = "active", _("aktiv")
    ANONYMIZED = "anonymized", _("anonymisiert")
    RESTORING = "restoring", _("Wiederherstellung läuft")
    PURGED = "purged", _("endgültig gelöscht")


class PrivacyFields(models.Model):
    """State shared by everything that can be anonymized (orders, addresses, customers)."""

    privacy_state = models.CharField(
        _("Datenschutzstatus"),
        max_length=12,
        choices=PrivacyState.choices,
        default=PrivacyState.ACTIVE,
    )
    anonymized_at = models.DateTimeField(_("anonymisiert am"), null=True, blank=True)
    purge_on = models.DateField(_("endgültige Löschung am"), null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_anonymized(self) -> bool:
        return self.privacy_state != PrivacyState.ACTIVE
