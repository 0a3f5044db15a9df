"""Validators of the customer's extra fields (a few labelled values, no card numbers)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from personal.cards import reject_card_numbers

#: Extra customer fields are a few labelled values (affiliate code, cost centre), not documents.
EXTRA_FIELDS_MAX_ENTRIES = 20
EXTRA_FIELDS_MAX_KEY_LENGTH = 50
EXTRA_FIELDS_MAX_VALUE_LENGTH = 500


def validate_extra_fields(value) -> None:
    """A JSON object of plain values: {"Kostenstelle": "KST-1", "Rabatt": 5}; no lists, no nesting,
    no NUL characters (PostgreSQL cannot store them), no card numbers."""
    if value in (None, ""):
        return
    if not isinstance(value, dict):
        raise ValidationError(
            _(
                "Zusatzfelder müssen ein JSON-Objekt aus Name und Wert sein, z. B. "
                '{"Kostenstelle": "KST-1"}.'
            ),
            code="extra_fields_not_object",
        )
    if len(value) > EXTRA_FIELDS_MAX_ENTRIES:
        raise ValidationError(
            _("Höchstens %(max)d Zusatzfelder sind möglich."),
            code="extra_fields_too_many",
            params={"max": EXTRA_FIELDS_MAX_ENTRIES},
        )
    for key, item in value.items():
        if item is not None and not isinstance(item, str | int | float | bool):
            raise ValidationError(
                _(
                    "Der Wert eines Zusatzfelds muss Text, eine Zahl, wahr/falsch oder leer sein "
                    "(keine Liste und kein Objekt)."
                ),
                code="extra_fields_not_plain",
            )
        text = item if isinstance(item, str) else ""
        if "\x00" in key or "\x00" in text:
            raise ValidationError(
                _("Zusatzfelder dürfen kein Nullzeichen (\\u0000) enthalten."),
                code="null_characters_not_allowed",
            )
        if not key.strip() or len(key) > EXTRA_FIELDS_MAX_KEY_LENGTH:
            raise ValidationError(
                _("Der Name eines Zusatzfelds muss 1 bis %(max)d Zeichen lang sein."),
                code="extra_fields_key_length",
                params={"max": EXTRA_FIELDS_MAX_KEY_LENGTH},
            )
        if len(text) > EXTRA_FIELDS_MAX_VALUE_LENGTH:
            raise ValidationError(
                _("Der Wert eines Zusatzfelds darf höchstens %(max)d Zeichen lang sein."),
                code="extra_fields_value_length",
                params={"max": EXTRA_FIELDS_MAX_VALUE_LENGTH},
            )
        reject_card_numbers(key)
        reject_card_numbers(text)
