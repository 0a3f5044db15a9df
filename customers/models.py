"""Customers, their addresses and contact data."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from customers.payment_methods import PAYMENT_METHOD_VALUES, PaymentMethod
from customers.validators import validate_extra_fields
from personal.cards import reject_card_numbers, reject_card_numbers_in_json
from personal.state import ANONYMIZED, PrivacyFields, PrivacyState


class CustomerLockedError(Exception):
    """Editing was refused because a piece of the customer's data is anonymized (SPEC 6)."""

    def __init__(self, customer: "Customer", *, reason: str):
        self.customer_number = customer.number
        self.reason = reason
        if reason == PrivacyState.RESTORING:
            message = _(
                "Kunde %(number)s: Die Kundendaten werden gerade wiederhergestellt. "
                "Bearbeiten ist erst danach möglich."
            )
        elif reason == "address":
            message = _(
                "Kunde %(number)s kann nicht bearbeitet werden, weil mindestens eine Adresse "
                "anonymisiert ist. Stellen Sie zuerst die zugehörigen Bestellungen wieder her."
            )
        else:
            message = _(
                "Kunde %(number)s ist anonymisiert und kann nicht bearbeitet werden. "
                "Stellen Sie zuerst die Kundendaten wieder her."
            )
        self.message = message % {"number": customer.number}
        super().__init__(self.message)


class Customer(PrivacyFields):
    number = models.PositiveBigIntegerField(_("Kundennummer"), unique=True)
    first_name = models.CharField(
        _("Vorname"), max_length=100, blank=True, validators=[reject_card_numbers]
    )
    last_name = models.CharField(
        _("Nachname"), max_length=100, blank=True, validators=[reject_card_numbers]
    )
    company = models.CharField(
        _("Firma"), max_length=200, blank=True, validators=[reject_card_numbers]
    )
    vat_id = models.CharField(
        _("USt-IdNr."), max_length=30, blank=True, validators=[reject_card_numbers]
    )
    birth_date = models.DateField(_("Geburtsdatum"), null=True, blank=True)
    extra_fields = models.JSONField(
        _("Zusatzfelder"),
        default=dict,
        blank=True,
        help_text=_("z. B. Affiliate-Code, Kostenstelle"),
        validators=[reject_card_numbers_in_json],
    )
    payment_method = models.CharField(
        _("Zahlungsart"), max_length=50, blank=True, choices=PaymentMethod.choices
    )
    psp_token = models.CharField(
        _("Zahlungs-Token (PSP)"),
        max_length=200,
        blank=True,
        help_text=_("Schlüssel des Zahlungsanbieters für künftige Zahlungen; niemals Kartendaten."),
        validators=[reject_card_numbers],
    )
    created_at = models.DateTimeField(_("angelegt"), auto_now_add=True)
    # Counts the saves of the customer page: a page saved from an older version is refused
    # instead of overwriting what `modified_by` saved meanwhile.
    version = models.PositiveIntegerField(_("Version"), default=1, db_default=1)
    modified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("zuletzt geändert von"),
    )

    class Meta:
        ordering = ["-number"]
        verbose_name = _("Kunde")
        verbose_name_plural = _("Kunden")
        indexes = [
            models.Index(fields=["last_name", "first_name"]),
            models.Index(fields=["privacy_state"]),
        ]
        # Personal data is read on the order pages as much as on the customer's: one permission
        # for both, so that a role can work orders without seeing whom they belong to.
        permissions = [
            (
                "view_personal_data",
                _("Kann personenbezogene Daten sehen (Namen, Anschriften, E-Mail, Telefon)"),
            ),
        ]
        constraints = [
            # The payment method is kept when the customer is anonymized: only a code of the
            # list, whatever path writes it (bulk imports, raw SQL).
            models.CheckConstraint(
                condition=models.Q(payment_method__in=PAYMENT_METHOD_VALUES),
                name="customer_payment_method_known",
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.display_name}".strip()

    def clean(self) -> None:
        # Not a field validator: that would change the field's definition (and need a migration).
        try:
            validate_extra_fields(self.extra_fields)
        except ValidationError as exc:
            raise ValidationError({"extra_fields": exc}) from None

    @property
    def display_name(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        if self.privacy_state != PrivacyState.ACTIVE:
            return ANONYMIZED
        return name or self.company


class CustomerEmail(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="emails")
    email = models.CharField(_("E-Mail"), max_length=254, validators=[reject_card_numbers])

    class Meta:
        ordering = ["id"]
        verbose_name = _("E-Mail-Adresse")
        verbose_name_plural = _("E-Mail-Adressen")
        indexes = [models.Index(fields=["email"])]

    def __str__(self) -> str:
        return self.email


class CustomerPhone(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="phones")
    number = models.CharField(_("Telefon"), max_length=50, validators=[reject_card_numbers])

    class Meta:
        ordering = ["id"]
        verbose_name = _("Telefonnummer")
        verbose_name_plural = _("Telefonnummern")

    def __str__(self) -> str:
        return self.number


class CustomerSource(models.Model):
    """Which channel (and which customer id there) a customer came from."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="sources")
    channel = models.ForeignKey("channels.Channel", on_delete=models.PROTECT, related_name="+")
    external_id = models.CharField(
        _("Kunden-ID im Kanal"), max_length=100, validators=[reject_card_numbers]
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("Herkunft")
        verbose_name_plural = _("Herkünfte")

    def __str__(self) -> str:
        return f"{self.channel_id}:{self.external_id}"


#: An address's personal fields; its country is kept when it is anonymized.
ADDRESS_PERSONAL_FIELDS = (
    "first_name",
    "last_name",
    "company",
    "street",
    "house_number",
    "line2",
    "postcode",
    "city",
    "state",
)
#: An address's fields: the personal ones and the country. An order's own billing and shipping
#: address have the same, as columns of the order row.
ADDRESS_FIELDS = (*ADDRESS_PERSONAL_FIELDS, "country")


class Address(PrivacyFields):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="addresses")
    first_name = models.CharField(
        _("Vorname"), max_length=100, blank=True, validators=[reject_card_numbers]
    )
    last_name = models.CharField(
        _("Nachname"), max_length=100, blank=True, validators=[reject_card_numbers]
    )
    company = models.CharField(
        _("Firma"), max_length=200, blank=True, validators=[reject_card_numbers]
    )
    street = models.CharField(
        _("Straße"), max_length=200, blank=True, validators=[reject_card_numbers]
    )
    house_number = models.CharField(
        _("Hausnummer"), max_length=20, blank=True, validators=[reject_card_numbers]
    )
    line2 = models.CharField(
        _("Adresszusatz"), max_length=200, blank=True, validators=[reject_card_numbers]
    )
    postcode = models.CharField(
        _("PLZ"), max_length=20, blank=True, validators=[reject_card_numbers]
    )
    city = models.CharField(_("Ort"), max_length=100, blank=True, validators=[reject_card_numbers])
    state = models.CharField(
        _("Bundesland/Region"), max_length=100, blank=True, validators=[reject_card_numbers]
    )
    country = models.CharField(_("Land (ISO)"), max_length=2)

    class Meta:
        ordering = ["id"]
        verbose_name = _("Adresse")
        verbose_name_plural = _("Adressen")
        indexes = [models.Index(fields=["last_name"])]

    def __str__(self) -> str:
        if self.privacy_state != PrivacyState.ACTIVE:
            return f"{ANONYMIZED} ({self.country})"
        return f"{self.full_name}, {self.postcode} {self.city} ({self.country})"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.company
