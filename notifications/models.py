"""Notification texts, the merchant's SMTP servers and the outbox of e-mails (docs/notifications.md)."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from notifications.placeholders import unknown_placeholders


def validate_placeholders(value: str) -> None:
    unknown = unknown_placeholders(value)
    if unknown:
        raise ValidationError(
            _(
                "Unbekannter Platzhalter: %(names)s. Erlaubt sind die Platzhalter der Liste; "
                "geschweifte Klammern als Text schreiben Sie doppelt: {{ und }}."
            )
            % {"names": ", ".join(f"{{{name}}}" for name in unknown)},
            code="unknown_placeholder",
        )


class NotificationText(models.Model):
    """An e-mail template of the merchant's. `version` counts saves (no lost update)."""

    name = models.CharField(_("Name"), max_length=100, unique=True)
    subject = models.CharField(_("Betreff"), max_length=200, validators=[validate_placeholders])
    body_text = models.TextField(
        _("Text (ohne Formatierung)"), max_length=20_000, validators=[validate_placeholders]
    )
    body_html = models.TextField(
        _("HTML-Text (optional)"),
        max_length=50_000,
        blank=True,
        validators=[validate_placeholders],
        help_text=_("Wird zusätzlich zum Text gesendet; eingesetzte Werte werden maskiert."),
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)
    updated_at = models.DateTimeField(_("geändert am"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("Benachrichtigungstext")
        verbose_name_plural = _("Benachrichtigungstexte")

    def __str__(self) -> str:
        return self.name


class SmtpSecurity(models.TextChoices):
    TLS = "tls", _("TLS (SSL, meist Port 465)")
    STARTTLS = "starttls", _("STARTTLS (meist Port 587)")
    NONE = "none", _("keine Verschlüsselung")


class SmtpServer(models.Model):
    """One of the merchant's outgoing mail servers. The password is sealed with the cold
    storage's key ring (notifications.secrets) and never leaves the send path in clear."""

    name = models.CharField(_("Anzeigename"), max_length=100)
    sender = models.EmailField(_("Absenderadresse"))
    host = models.CharField(_("Server (Host)"), max_length=253)
    port = models.PositiveIntegerField(
        _("Port"), default=587, validators=[MinValueValidator(1), MaxValueValidator(65535)]
    )
    security = models.CharField(
        _("Verschlüsselung"), max_length=10, choices=SmtpSecurity.choices, default="starttls"
    )
    username = models.CharField(_("Benutzername"), max_length=254, blank=True)
    password_key_id = models.CharField(max_length=32, blank=True, editable=False)
    password_nonce = models.BinaryField(null=True, editable=False)
    password_ciphertext = models.BinaryField(null=True, editable=False)
    is_active = models.BooleanField(_("aktiv"), default=True)
    consecutive_failures = models.PositiveIntegerField(
        _("Fehler in Folge"), default=0, editable=False
    )
    disabled_at = models.DateTimeField(_("automatisch abgeschaltet am"), null=True, editable=False)
    disabled_reason = models.CharField(
        _("Grund der Abschaltung"), max_length=500, blank=True, editable=False
    )
    last_success_at = models.DateTimeField(_("zuletzt erfolgreich"), null=True, editable=False)
    last_error = models.CharField(_("letzter Fehler"), max_length=500, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("SMTP-Server")
        verbose_name_plural = _("SMTP-Server")

    def __str__(self) -> str:
        return self.name

    @property
    def has_password(self) -> bool:
        return self.password_ciphertext is not None


class RecipientKind(models.TextChoices):
    BUYER = "buyer", _("Käufer")
    MERCHANT = "merchant", _("Händler (Sie)")


class MailState(models.TextChoices):
    QUEUED = "queued", _("wartet")
    SENDING = "sending", _("wird gesendet")
    SENT = "sent", _("gesendet")
    FAILED = "failed", _("fehlgeschlagen")
    REFUSED = "refused", _("nicht gesendet")


class Refusal(models.TextChoices):
    ANONYMIZED = "anonymized", _("Die Kundendaten der Bestellung sind anonymisiert.")
    NO_ADDRESS = "no_address", _("Die Bestellung hat keine E-Mail-Adresse des Käufers.")
    NO_MERCHANT_ADDRESS = (
        "no_merchant_address",
        _("Keine Händler-Adresse: Bitte tragen Sie unter Einstellungen → Firma eine E-Mail ein."),
    )
    NO_ORDER = "no_order", _("Die Bestellung gibt es nicht mehr.")
    NO_TEXT = "no_text", _("Der Benachrichtigungstext wurde gelöscht.")


class OutgoingMail(models.Model):
    """One e-mail in the outbox. It holds no personal data: no address, subject or body (they
    are made from the live order when it is sent), errors only as the server's answer."""

    # No constraints in the database for `order` and `text` (docs/notifications.md, "Speed"):
    # the outbox is written only by INSERT … SELECT from orders that exist, and Django's SET_NULL
    # clears them; the checks locked every order row once more per mail.
    order = models.ForeignKey(
        "orders.Order",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="outgoing_mails",
        verbose_name=_("Bestellung"),
        db_constraint=False,
    )
    text = models.ForeignKey(
        NotificationText,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("Benachrichtigungstext"),
        db_constraint=False,
    )
    #: The text's name when queued: the log stays readable after the text is deleted.
    text_name = models.CharField(_("Text"), max_length=100)
    recipient = models.CharField(_("Empfänger"), max_length=10, choices=RecipientKind.choices)
    state = models.CharField(
        _("Status"), max_length=10, choices=MailState.choices, default=MailState.QUEUED
    )
    refusal = models.CharField(
        _("Grund"), max_length=24, choices=Refusal.choices, blank=True, default=""
    )
    server = models.ForeignKey(
        SmtpServer,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("Server"),
        db_index=False,  # a partial index in Meta: queued rows have none
    )
    #: The server's name when the last attempt was made ("" = the default mail settings).
    server_name = models.CharField(_("Versand über"), max_length=100, blank=True)
    attempts = models.PositiveSmallIntegerField(_("Versuche"), default=0)
    last_error = models.CharField(_("letzter Fehler"), max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(_("nächster Versuch"), null=True, blank=True)
    #: While `sending`: when the claim expires (a worker killed mid-send is taken over).
    claimed_until = models.DateTimeField(null=True, blank=True)
    #: Unique (a constraint in Meta: `unique=True` would add a second, LIKE index on PostgreSQL).
    dedupe_key = models.CharField(max_length=200, null=True, blank=True)
    created_at = models.DateTimeField(_("erstellt am"), auto_now_add=True, db_index=False)
    sent_at = models.DateTimeField(_("gesendet am"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("ausgehende E-Mail")
        verbose_name_plural = _("ausgehende E-Mails")
        indexes = [
            # The sender's sweep: the few rows waiting or in flight.
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=models.Q(state__in=["queued", "sending"]),
                name="outgoing_mail_pending",
            ),
            # Deleting a server clears its name from the sent mails (on_delete SET_NULL).
            models.Index(
                fields=["server"],
                condition=models.Q(server__isnull=False),
                name="outgoing_mail_server",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["dedupe_key"], name="outgoing_mail_dedupe_key"),
        ]

    def __str__(self) -> str:
        return f"{self.text_name} #{self.pk}"

    @property
    def reason(self) -> str:
        """Why it was not sent (yet): the refusal, or the last error of the server."""
        if self.refusal:
            return self.get_refusal_display()
        return self.last_error
