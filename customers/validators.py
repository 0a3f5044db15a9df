"""Refuses card numbers in free text: the product never accepts or stores card data."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# A maximal run of digits, optionally split by single spaces or dashes, not glued to letters
# (so an IBAN such as NO93 8601 1117 947 is not read as a card number).
_DIGIT_RUN = re.compile(r"(?<![A-Za-z0-9])\d(?:[ -]?\d)*(?![A-Za-z0-9])")
# How card numbers are printed when grouped: 4-4-4-4(-3), 4-4-4-1..4, Amex 4-6-5, Diners 4-6-4.
_CARD_GROUPINGS = re.compile(
    r"\d{4}([ -])\d{4}\1\d{4}\1\d{1,4}(?:\1\d{3})?|\d{4}([ -])\d{6}\2\d{4,5}"
)


def _luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _is_card_number(run: str) -> bool:
    digits = re.sub(r"[ -]", "", run)
    if not 13 <= len(digits) <= 19:
        return False
    # Issuers' numbers start with 2–6 (Mastercard, Amex/JCB/Diners, Visa, Mastercard, Discover).
    if digits[0] not in "23456":
        return False
    if digits != run and not _CARD_GROUPINGS.fullmatch(run):
        # Grouped otherwise (e.g. Amazon's 028-1234567-1234567): an order number, not a card.
        return False
    return _luhn_ok(digits)


def contains_card_number(text: str) -> bool:
    if not text:
        return False
    return any(_is_card_number(match.group()) for match in _DIGIT_RUN.finditer(str(text)))


def reject_card_numbers(value) -> None:
    if isinstance(value, str) and contains_card_number(value):
        raise ValidationError(
            _(
                "Kartendaten werden nicht angenommen: Der Text enthält eine Kartennummer. "
                "Bitte entfernen Sie sie; gespeichert wird nur das Token des Zahlungsanbieters."
            ),
            code="card_number",
        )


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
