"""Which fields hold personal data (SPEC section 3), and what replaces them once anonymized.

Everything not listed here is kept for tax and bookkeeping: countries, numbers, dates, channel,
status, items, amounts, currency, payment method type, invoice number.
"""

from django.db.models import Case, Value, When

from customers.models import ADDRESS_PERSONAL_FIELDS
from personal.state import ANONYMIZED

#: An order's own billing and shipping address, but for their countries.
ORDER_ADDRESS_PERSONAL_FIELDS = tuple(
    f"{role}_{name}" for role in ("billing", "shipping") for name in ADDRESS_PERSONAL_FIELDS
)
ORDER_FIELDS = (
    "buyer_email",
    "buyer_phone",
    "notes",
    "tracking_number",
    *ORDER_ADDRESS_PERSONAL_FIELDS,
)
#: The order fields whose values an order's cold record lists ("v"), by the record's layout
#: number ("l"): values without their names make the record half as long (less to encrypt, store
#: and take out again). A layout once written never changes; a changed ORDER_FIELDS gets a new
#: number (tests/privacy/test_roundtrip.py checks). Records of orders migration 0010's time hold
#: the fields by name ("f").
ORDER_RECORD_LAYOUTS = {1: ORDER_FIELDS}
ORDER_RECORD_LAYOUT = 1
MESSAGE_FIELDS = ("subject", "body")
CUSTOMER_TEXT_FIELDS = ("first_name", "last_name", "company", "vat_id", "psp_token")
# Dates and structured values are emptied rather than overwritten with the placeholder.
CUSTOMER_EMPTIED_FIELDS = {"birth_date": None, "extra_fields": {}}
CUSTOMER_FIELDS = CUSTOMER_TEXT_FIELDS + tuple(CUSTOMER_EMPTIED_FIELDS)


def placeholders(fields: tuple[str, ...]) -> dict:
    """Set-based replacements: the placeholder for every field that held something; an empty
    field stays empty (there was nothing to hide, and "[Anonymisiert]" would only clutter)."""
    return {
        field: Case(When(**{field: ""}, then=Value("")), default=Value(ANONYMIZED))
        for field in fields
    }


def placeholder_for(value: str) -> str:
    """The same rule as `placeholders`, for one value in Python (JSON documents)."""
    return ANONYMIZED if value else ""


ORDER_PLACEHOLDERS = placeholders(ORDER_FIELDS)
MESSAGE_PLACEHOLDERS = placeholders(MESSAGE_FIELDS)
ADDRESS_PLACEHOLDERS = placeholders(ADDRESS_PERSONAL_FIELDS)
CUSTOMER_PLACEHOLDERS = {**placeholders(CUSTOMER_TEXT_FIELDS), **CUSTOMER_EMPTIED_FIELDS}


def order_record_fields(payload: dict) -> dict:
    """An order cold record's personal fields by name, whatever its layout."""
    if "v" in payload:
        return dict(zip(ORDER_RECORD_LAYOUTS[payload["l"]], payload["v"], strict=True))
    return payload["f"]
