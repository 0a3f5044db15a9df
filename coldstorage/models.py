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


class KeyCheckValue(models.Model):
    """The fingerprint of the key behind each key id (never the key): HMAC-SHA256 of a fixed label
    under the key (coldstorage.keys.check_value). Recorded on a key id's first use; a configured
    key whose check value differs is refused (coldstorage.services.cold_keyring)."""

    key_id = models.CharField(_("Schlüssel"), max_length=32, unique=True)
    check_value = models.CharField(_("Prüfwert"), max_length=64)
    recorded_at = models.DateTimeField(_("erfasst am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Schlüssel-Prüfwert")
        verbose_name_plural = _("Schlüssel-Prüfwerte")

    def __str__(self) -> str:
        return self.key_id
