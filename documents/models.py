"""The merchant's company settings (Einstellungen → Firma) and the stored PDF documents of orders."""

import datetime
import string

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError as StdnumError

from orders.models import Invoice, Order, purge_date_for, restorable_until_for

#: What an invoice number format may name: the year of issue and the running number.
NUMBER_FORMAT_FIELDS = {"year", "number"}


def validate_iban(value: str) -> None:
    if not value:
        return
    try:
        stdnum_iban.validate(value)
    except StdnumError as exc:
        raise ValidationError(
            _("Die IBAN ist ungültig (Prüfziffer oder Länge stimmen nicht)."), code="iban"
        ) from exc


def validate_number_format(value: str) -> None:
    """A format like "RE-{year}-{number:05d}": it must name {number}, may name {year}, and
    nothing else."""
    try:
        names = {name for _text, name, _spec, _conv in string.Formatter().parse(value) if name}
        if "number" not in names:
            raise ValidationError(
                _("Das Format muss die laufende Nummer {number} enthalten."), code="no_number"
            )
        if names - NUMBER_FORMAT_FIELDS:
            raise ValidationError(
                _("Erlaubt sind nur die Platzhalter {year} und {number}."), code="unknown"
            )
        format_invoice_number(value, year=2026, number=1)
    except (ValueError, IndexError, KeyError, TypeError) as exc:
        raise ValidationError(
            _("Das Format ist ungültig. Beispiel: RE-{year}-{number:05d} ergibt RE-2026-00001."),
            code="invalid",
        ) from exc


def format_invoice_number(number_format: str, *, year: int, number: int) -> str:
    return number_format.format(year=year, number=number)


class CompanySettings(models.Model):
    """The merchant's own data as documents print it. One row (pk 1); `version` counts saves,
    so a save from an out-of-date page is refused."""

    name = models.CharField(_("Firmenname"), max_length=200, blank=True)
    street = models.CharField(_("Straße und Hausnummer"), max_length=200, blank=True)
    postcode = models.CharField(_("PLZ"), max_length=20, blank=True)
    city = models.CharField(_("Ort"), max_length=100, blank=True)
    country = CountryField(_("Land"), default="DE")
    email = models.EmailField(_("E-Mail"), blank=True)
    phone = models.CharField(_("Telefon"), max_length=50, blank=True)
    vat_id = models.CharField(_("USt-IdNr."), max_length=20, blank=True)
    tax_number = models.CharField(_("Steuernummer"), max_length=30, blank=True)
    bank_name = models.CharField(_("Bank"), max_length=100, blank=True)
    iban = models.CharField(_("IBAN"), max_length=42, blank=True, validators=[validate_iban])
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    invoice_number_format = models.CharField(
        _("Format der Rechnungsnummer"),
        max_length=40,
        default="RE-{year}-{number:05d}",
        validators=[validate_number_format],
        help_text=_("{year}: Jahr der Ausstellung, {number}: laufende Nummer."),
    )
    next_invoice_number = models.PositiveIntegerField(_("Nächste Rechnungsnummer"), default=1)
    footer = models.TextField(_("Fußzeile der Dokumente"), max_length=1000, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(_("geändert am"), auto_now=True)

    class Meta:
        verbose_name = _("Firmendaten")
        verbose_name_plural = _("Firmendaten")
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="company_settings_single_row"),
            models.CheckConstraint(
                condition=models.Q(next_invoice_number__gte=1),
                name="company_settings_next_number_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name or str(_("Firmendaten"))

    @classmethod
    def load(cls, *, for_update: bool = False) -> "CompanySettings":
        cls.objects.get_or_create(pk=1)
        queryset = cls.objects.select_for_update() if for_update else cls.objects
        return queryset.get(pk=1)

    def missing_fields(self) -> list[str]:
        """Labels of what documents need but is empty: the seller's name and address and a VAT
        ID or tax number (§ 14 UStG)."""
        missing = [
            str(self._meta.get_field(name).verbose_name)
            for name in ("name", "street", "postcode", "city")
            if not getattr(self, name).strip()
        ]
        if not self.vat_id.strip() and not self.tax_number.strip():
            missing.append(str(_("USt-IdNr. oder Steuernummer")))
        return missing

    def seller(self) -> dict:
        """The seller as an invoice freezes it (plain values, no personal data of a buyer)."""
        lines = [f"{self.street} · {self.postcode} {self.city}"]
        if self.vat_id:
            lines.append(f"{_('USt-IdNr.')} {self.vat_id}")
        elif self.tax_number:
            lines.append(f"{_('Steuernummer')} {self.tax_number}")
        return {
            "name": self.name,
            "lines": " · ".join(lines),
            "street": self.street,
            "postcode": self.postcode,
            "city": self.city,
            "country": str(self.country),
            "email": self.email,
            "phone": self.phone,
            "vat_id": self.vat_id,
            "tax_number": self.tax_number,
            "bank_name": self.bank_name,
            "iban": stdnum_iban.format(self.iban) if self.iban else "",
            "bic": self.bic,
            "footer": self.footer,
        }


class Document(models.Model):
    """A PDF made once when it was issued and served as stored. The bytes hold the buyer's data:
    they move into the order's cold record when the order is anonymized (`pdf` is then empty)
    and come back on restore (documents.privacy)."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("Rechnung")
        CANCELLATION = "cancellation", _("Stornorechnung")
        DELIVERY_NOTE = "delivery_note", _("Lieferschein")

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="documents", verbose_name=_("Bestellung")
    )
    #: The invoice the document is (kind invoice) or cancels (kind cancellation).
    invoice = models.ForeignKey(
        Invoice,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name=_("Rechnung"),
    )
    kind = models.CharField(_("Art"), max_length=20, choices=Kind.choices)
    number = models.CharField(_("Nummer"), max_length=40, unique=True)
    issued_at = models.DateTimeField(_("ausgestellt am"))
    pdf = models.BinaryField(_("PDF"), null=True, editable=False)
    size = models.PositiveIntegerField(_("Größe (Bytes)"), default=0)

    class Meta:
        ordering = ["issued_at", "id"]
        verbose_name = _("Dokument")
        verbose_name_plural = _("Dokumente")
        constraints = [
            # An invoice is cancelled at most once, and has one PDF of its own.
            models.UniqueConstraint(fields=["invoice", "kind"], name="document_one_per_invoice"),
            models.UniqueConstraint(
                fields=["order"],
                condition=models.Q(kind="delivery_note"),
                name="document_one_delivery_note_per_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"

    @property
    def filename(self) -> str:
        return f"{self.get_kind_display()}-{self.number}.pdf".replace(" ", "-")

    def kept_until(self, order: Order | None = None) -> tuple[datetime.date, bool]:
        """The last day the document's personal data is kept, and whether that date is final:
        an anonymized order's purge date is; an active order's data is kept at least until the
        end of the tenth calendar year after issue (GoBD), and ten years after anonymization."""
        order = order or self.order
        if order.purge_on is not None:
            return restorable_until_for(order.purge_on), True
        return restorable_until_for(purge_date_for(self.issued_at)), False
