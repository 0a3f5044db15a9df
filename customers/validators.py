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
