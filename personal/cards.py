"""Refuses card numbers in free text: the product never accepts or stores card data.

One detector for every input path (forms, the admin and its inline rows, JSON fields, commands).
It reads text as a person would see it: Unicode digits of any width (NFKC: full-width digits),
invisible characters removed, and any separators between the digits (spaces, non-breaking
spaces, tabs, newlines, dots, dashes, slashes, underscores, mixed and repeated). A card number may
be glued to letters ("Karte4111…") and surrounded by other numbers ("4111… 12/28"): every run of
13–19 digits that starts and ends where a group of digits does is looked at.

What is a card number: 13–19 digits, a first digit 2–6 (Mastercard, Amex/JCB/Diners, Visa,
Mastercard, Discover/UnionPay/Maestro), a valid Luhn checksum, and – when split into groups – a
first group of four digits, as every card is printed (4-4-4-4, 4-6-5, 4-6-4, 4-4-4-4-3) and as
people type it ("4111 111111111111"). That keeps ordinary data out, which is Luhn-valid one time
in ten: Amazon order numbers (3-7-7), phone numbers (after "+": at most 15 digits, E.164),
postcodes, dates, parcel codes (a capital letter or three glued to 17 digits or more: Hermes,
DHL), and valid IBANs and EAN-13 product codes, which are recognised by their own checksums and
never read as card numbers.
"""

import re
import unicodedata
from collections.abc import Iterator

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import ean, iban, luhn

CARD_NUMBER_MESSAGE = _(
    "Kartendaten werden nicht angenommen: Der Text enthält eine Kartennummer. "
    "Bitte entfernen Sie sie; gespeichert wird nur das Token des Zahlungsanbieters."
)
CARD_NUMBER_CODE = "card_number"

MIN_DIGITS, MAX_DIGITS = 13, 19
#: Longest international phone number (ITU-T E.164), written after a "+".
_E164_MAX_DIGITS = 15

# What people put between the digits of a card number: any whitespace (non-breaking spaces,
# tabs, newlines included), dots, underscores, slashes, backslashes, dashes of every kind.
_SEPARATOR = r"[\s._/\\\-\u2010-\u2015\u2212]"
_DIGIT_RUN = re.compile(rf"[0-9]+(?:{_SEPARATOR}+[0-9]+)*")
_DIGIT_GROUP = re.compile(r"[0-9]+")
# One to three capitals glued to a number of 17 digits or more make a parcel code (Hermes: H + 19
# digits, DHL: JJD + 18 digits), not a card number. Glued to other letters ("Karte4111…"), or
# with 16 digits or fewer ("VISA4111…", "H4111…"), a card number is refused all the same.
_CODE_PREFIX = re.compile(r"(?<![A-Za-z0-9])[A-Z]{1,3}\Z")
_IBAN_START = re.compile(r"(?<![A-Z0-9])[A-Z]{2}[0-9]{2}")
_IBAN_LENGTHS = range(34, 14, -1)  # the longest IBAN first; no country has fewer than 15


def _normalized(text: str) -> str:
    """The text as it reads: compatibility forms folded (NFKC: full-width digits, NBSP), every
    decimal digit as an ASCII digit, invisible format characters (zero-width space …) gone."""
    if text.isascii():
        return text
    chars = []
    for char in unicodedata.normalize("NFKC", text):
        if char.isdecimal():
            chars.append(str(unicodedata.decimal(char)))
        elif unicodedata.category(char) != "Cf":
            chars.append(char)
    return "".join(chars)


def _without_ibans(text: str) -> str:
    """`text` with every valid IBAN (ISO 13616 checksum) blanked out: an account number is not a
    card number, and its 18–30 digits would otherwise hold Luhn-valid stretches."""
    upper = text.upper()
    spans = []
    for match in _IBAN_START.finditer(upper):
        if spans and match.start() < spans[-1][1]:
            continue
        chars: list[str] = []
        ends: list[int] = []
        for position in range(match.start(), len(upper)):
            char = upper[position]
            if char.isascii() and char.isalnum():
                chars.append(char)
                ends.append(position + 1)
                if len(chars) == _IBAN_LENGTHS.start:
                    break
            elif char != " ":
                break
        for length in _IBAN_LENGTHS:
            if length <= len(chars) and iban.is_valid("".join(chars[:length])):
                spans.append((match.start(), ends[length - 1]))
                break
    for start, end in reversed(spans):
        text = f"{text[:start]}{'#' * (end - start)}{text[end:]}"
    return text


def _candidates(text: str) -> Iterator[str]:
    """The digits of every stretch that could be a card number (13–19 digits, starting and ending
    with a group of digits; a split one starting with a group of four that does not follow
    another group of four)."""
    for run in _DIGIT_RUN.finditer(text):
        groups = _DIGIT_GROUP.findall(run.group())
        after_plus = run.start() > 0 and text[run.start() - 1] == "+"
        if after_plus and sum(map(len, groups)) <= _E164_MAX_DIGITS:
            continue  # an international phone number
        parcel_code = len(groups[0]) >= 17 and _CODE_PREFIX.search(
            text, max(0, run.start() - 4), run.start()
        )
        for first in range(1 if parcel_code else 0, len(groups)):
            digits = ""
            for last in range(first, len(groups)):
                digits += groups[last]
                if len(digits) > MAX_DIGITS:
                    break
                if len(digits) < MIN_DIGITS:
                    continue
                if last == first:
                    yield digits
                elif len(groups[first]) == 4 and (first == 0 or len(groups[first - 1]) != 4):
                    # Not from the middle of a longer number printed in fours (USPS 9400 …).
                    yield digits


def _is_card_number(digits: str) -> bool:
    if digits[0] not in "23456" or not luhn.is_valid(digits):
        return False
    # A 13-digit product code (EAN/GTIN-13, German ones start with 4) has its own check digit.
    return not (len(digits) == MIN_DIGITS and ean.is_valid(digits))


def contains_card_number(text) -> bool:
    """Whether `text` holds a card number anywhere (see the module's docstring)."""
    if not text:
        return False
    text = _without_ibans(_normalized(str(text)))
    return any(_is_card_number(digits) for digits in _candidates(text))


def card_number_error() -> ValidationError:
    # The message never quotes the input: it must not carry the number anywhere.
    return ValidationError(CARD_NUMBER_MESSAGE, code=CARD_NUMBER_CODE)


def reject_card_numbers(value) -> None:
    if isinstance(value, str) and contains_card_number(value):
        raise card_number_error()


def _json_texts(value) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _json_texts(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _json_texts(item)
    elif value is not None and not isinstance(value, bool):
        yield str(value)


def reject_card_numbers_in_json(value) -> None:
    """The same for a JSON value: every key and value on its own and all of them in a row (a
    number split over several list items)."""
    if value in (None, "", {}, []):
        return
    texts = list(_json_texts(value))
    if any(contains_card_number(text) for text in [*texts, " ".join(texts)]):
        raise card_number_error()
