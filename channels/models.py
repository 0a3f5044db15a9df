"""Sales channels (shop connections) and their anonymization policy."""

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from customers.validators import reject_card_numbers

AMAZON_FORCED_DAYS = 40


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

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        # The forced policy is a property of the channel kind, not a business rule of a view.
        self.apply_forced_policy()
        super().save(*args, **kwargs)

    @property
    def policy_is_forced(self) -> bool:
        return self.kind == self.Kind.AMAZON

    def apply_forced_policy(self) -> None:
        if self.policy_is_forced:
            self.auto_anonymize = True
            self.auto_anonymize_days = AMAZON_FORCED_DAYS

    def clean(self) -> None:
        super().clean()
        if self.policy_is_forced and (
            not self.auto_anonymize or self.auto_anonymize_days != AMAZON_FORCED_DAYS
        ):
            raise ValidationError(
                _(
                    "Amazon-Kanäle werden nach den Datenschutzregeln des Marktplatzes immer "
                    "nach %(days)d Tagen anonymisiert; das lässt sich nicht ändern."
                )
                % {"days": AMAZON_FORCED_DAYS}
            )
        if self.auto_anonymize and self.auto_anonymize_days is None:
            raise ValidationError(
                {"auto_anonymize_days": _("Bitte die Anzahl der Tage angeben (0 oder mehr).")}
            )
