"""Sales channels (shop connections) and their anonymization policy."""

import datetime

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from customers.validators import reject_card_numbers

AMAZON_FORCED_DAYS = 40
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
        _("nach Tagen"), null=True, blank=True, validators=[MinValueValidator(0)]
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
            )
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        # The forced policy is a property of the channel kind, not a business rule of a view.
        self.apply_forced_policy()
        super().save(*args, **kwargs)

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

    def anonymization_due_at(self, order) -> datetime.datetime | None:
        """When the policy makes `order` (one of this channel's) due: max(order date, last
        restore) + X days. None without a policy."""
        days = self.anonymize_after_days
        if days is None:
            return None
        start = max(filter(None, (order.order_date, order.restored_at)))
        return start + datetime.timedelta(days=days)

    def apply_forced_policy(self) -> None:
        if self.policy_is_forced:
            self.auto_anonymize = True
            self.auto_anonymize_days = AMAZON_FORCED_DAYS

    def clean(self) -> None:
        # Amazon's forced policy is the check constraint in Meta, validated by full_clean().
        super().clean()
        if self.auto_anonymize and self.auto_anonymize_days is None:
            raise ValidationError(
                {"auto_anonymize_days": _("Bitte die Anzahl der Tage angeben (0 oder mehr).")}
            )
