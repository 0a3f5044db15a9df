"""Encrypted personal data of anonymized orders, addresses and customers (database `coldstorage`)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ColdRecord(models.Model):
    class Kind(models.TextChoices):
        ORDER = "order", _("Bestellung")
        ADDRESS = "address", _("Adresse")
        CUSTOMER = "customer", _("Kunde")

    # What the payload belongs to, by id: no foreign keys cross databases.
    kind = models.CharField(_("Art"), max_length=10, choices=Kind.choices)
    object_id = models.BigIntegerField(_("ID"))
    anonymized_at = models.DateTimeField(_("anonymisiert am"))
    purge_on = models.DateField(_("endgültige Löschung am"))
    format_version = models.PositiveSmallIntegerField(_("Format"), default=1)
    key_id = models.CharField(_("Schlüssel"), max_length=32)
    size = models.PositiveIntegerField(_("Größe (Bytes)"))
    nonce = models.BinaryField(max_length=12)
    ciphertext = models.BinaryField()

    class Meta:
        verbose_name = _("Cold-Storage-Eintrag")
        verbose_name_plural = _("Cold-Storage-Einträge")
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="coldrecord_unique_object")
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id}"
