"""Sales channels (shop connections) and their anonymization policy."""

import datetime

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from personal.cards import reject_card_numbers

AMAZON_FORCED_DAYS = 40
# The longest policy: ten years. Beyond it the legal retention has run out anyway, and huge values
# overflowed the date arithmetic of the policy run and the pages (issue 10).
MAX_POLICY_DAYS = 3650
# Who anonymized, as the privacy jobs and the order history record it: "Kanalregel: Amazon DE".
# Stored data, not UI text, so it is not translated; channel names are not personal data.
POLICY_ACTOR_PREFIX = "Kanalregel"
# Translated when shown; formatted before Django's constraint check adds its own %(name)s.
AMAZON_FORCED_MESSAGE = lazy(
    lambda: (
        gettext(
            "Amazon-Kanäle werden nach den Datenschutzregeln des Marktplatzes immer "
            "nach %(days)d Tagen anonymisiert; das lässt sich nicht ändern."
        )
        % {"days": AMAZON_FORCED_DAYS}
    ),
    str,
)()
AMAZON_KIND_LOCKED_MESSAGE = _(
    "Ein Amazon-Kanal bleibt ein Amazon-Kanal: Seine Art lässt sich nicht ändern, weil der "
    "Marktplatz die Anonymisierung nach 40 Tagen vorschreibt. Legen Sie für einen anderen "
    "Marktplatz einen neuen Kanal an."
)
POLICY_DAYS_MESSAGE = _("Bitte eine Anzahl Tage von 0 bis %(limit_value)s (10 Jahre) angeben.")
# The same text for the database constraint, formatted before Django's check adds %(name)s.
POLICY_DAYS_BOUNDS_MESSAGE = lazy(
    lambda: (
        gettext("Bitte eine Anzahl Tage von 0 bis %(limit_value)s (10 Jahre) angeben.")
        % {"limit_value": MAX_POLICY_DAYS}
    ),
    str,
)()


class Channel(models.Model):
    class Kind(models.TextChoices):
        AMAZON = "amazon", "Amazon"
        EBAY = "ebay", "eBay"
        SHOPIFY = "shopify", "Shopify"
        WOOCOMMERCE = "woocommerce", "WooCommerce"
        SHOP = "shop", _("Eigener Shop")
        MANUAL = "manual", _("Manuelle Erfassung")

    name = models.CharField(
        _("Name"), max_length=100, unique=True, validators=[reject_card_numbers]
    )
    kind = models.CharField(_("Art"), max_length=20, choices=Kind.choices)
    auto_anonymize = models.BooleanField(_("Kundendaten automatisch anonymisieren"), default=False)
    auto_anonymize_days = models.PositiveIntegerField(
        _("nach Tagen"),
        null=True,
        blank=True,
        validators=[
            MinValueValidator(0, message=POLICY_DAYS_MESSAGE),
            MaxValueValidator(MAX_POLICY_DAYS, message=POLICY_DAYS_MESSAGE),
        ],
    )
    created_at = models.DateTimeField(_("angelegt"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("Kanal")
        verbose_name_plural = _("Kanäle")
        constraints = [
            # The database refuses other Amazon values too (bulk updates, raw SQL); Model.full_clean
            # checks it with this message (forms, the admin).
            models.CheckConstraint(
                condition=~models.Q(kind="amazon")
                | models.Q(auto_anonymize=True, auto_anonymize_days=AMAZON_FORCED_DAYS),
                name="channel_amazon_policy_forced",
                violation_error_message=AMAZON_FORCED_MESSAGE,
            ),
            models.CheckConstraint(
                condition=models.Q(auto_anonymize_days__isnull=True)
                | models.Q(auto_anonymize_days__gte=0, auto_anonymize_days__lte=MAX_POLICY_DAYS),
                name="channel_policy_days_bounds",
                violation_error_message=POLICY_DAYS_BOUNDS_MESSAGE,
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        # The forced policy is a property of the channel kind, not a business rule of a view; so is
        # Amazon's kind staying Amazon (every path that saves a channel ends here).
        if self.leaves_amazon():
            raise ValidationError({"kind": AMAZON_KIND_LOCKED_MESSAGE}, code="amazon_kind_locked")
        self.apply_forced_policy()
        super().save(*args, **kwargs)

    def leaves_amazon(self) -> bool:
        """True when this unsaved change turns a stored Amazon channel into another kind (which
        would drop its forced policy). One query, asked only when a channel is saved."""
        if self.pk is None or self.kind == self.Kind.AMAZON:
            return False
        return Channel.objects.filter(pk=self.pk, kind=self.Kind.AMAZON).exists()

    @property
    def policy_is_forced(self) -> bool:
        return self.kind == self.Kind.AMAZON

    @property
    def anonymize_after_days(self) -> int | None:
        """The policy in effect: anonymize X days after the order date or the last restore; None
        when off. Amazon: always 40 days (the check constraint keeps the stored values so too)."""
        if self.policy_is_forced:
            return AMAZON_FORCED_DAYS
        if self.auto_anonymize and self.auto_anonymize_days is not None:
            return self.auto_anonymize_days
        return None

    @property
    def policy_actor_label(self) -> str:
        return f"{POLICY_ACTOR_PREFIX}: {self.name}"[:100]

    def policy_cutoff(self, now: datetime.datetime, days: int | None = None) -> datetime.datetime:
        """now − X days (X: the policy in effect, or `days`; there must be one): orders dated and
        restored at or before it are due. A cutoff before year 1 (the constraint keeps X from
        it, but a page never answers 500 for it) is the earliest moment."""
        days = self.anonymize_after_days if days is None else days
        if days is None:
            raise ValueError(f"channel {self.pk} has no anonymization policy")
        try:
            return now - datetime.timedelta(days=days)
        except OverflowError:
            return datetime.datetime.min.replace(tzinfo=datetime.UTC)

    def anonymization_due_at(self, order) -> datetime.datetime | None:
        """When the policy makes `order` (one of this channel's) due: max(order date, last
        restore) + X days. None without a policy, or when that lies beyond year 9999."""
        days = self.anonymize_after_days
        if days is None:
            return None
        start = max(filter(None, (order.order_date, order.restored_at)))
        try:
            return start + datetime.timedelta(days=days)
        except OverflowError:
            return None

    def apply_forced_policy(self) -> None:
        if self.policy_is_forced:
            self.auto_anonymize = True
            self.auto_anonymize_days = AMAZON_FORCED_DAYS

    def clean(self) -> None:
        # Amazon's forced policy is the check constraint in Meta, validated by full_clean().
        super().clean()
        if self.leaves_amazon():
            raise ValidationError({"kind": AMAZON_KIND_LOCKED_MESSAGE}, code="amazon_kind_locked")
        if self.auto_anonymize and self.auto_anonymize_days is None:
            raise ValidationError(
                {
                    "auto_anonymize_days": _("Bitte die Anzahl der Tage angeben (0 bis %(max)d).")
                    % {"max": MAX_POLICY_DAYS}
                }
            )
