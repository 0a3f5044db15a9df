"""Which fields hold personal data (SPEC section 3), and what replaces them once anonymized.

Everything not listed here is kept for tax and bookkeeping: countries, numbers, dates, channel,
status, items, amounts, currency, payment method type, invoice number.
"""

from django.db.models import Case, Value, When

from customers.models import ADDRESS_PERSONAL_FIELDS, ANONYMIZED

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
MESSAGE_FIELDS = ("subject", "body")
ADDRESS_FIELDS = ADDRESS_PERSONAL_FIELDS
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
ADDRESS_PLACEHOLDERS = placeholders(ADDRESS_FIELDS)
CUSTOMER_PLACEHOLDERS = {**placeholders(CUSTOMER_TEXT_FIELDS), **CUSTOMER_EMPTIED_FIELDS}
