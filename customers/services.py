"""Use cases that write customers: editing master data, emails, phones and addresses."""

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from customers.models import Address, Customer, CustomerEmail, CustomerLockedError, CustomerPhone
from personal.state import PrivacyState

logger = logging.getLogger(__name__)

#: The customer's own fields that staff may edit (the number identifies the record and stays).
CUSTOMER_EDITABLE_FIELDS = (
    "first_name",
    "last_name",
    "company",
    "vat_id",
    "birth_date",
    "extra_fields",
    "payment_method",
    "psp_token",
)


class CustomerChangedError(Exception):
    """The page was saved from an older version of the customer; nothing was changed."""

    def __init__(self, customer: Customer):
        who = customer.modified_by.get_username() if customer.modified_by_id else None
        if who:
            message = _(
                "Kunde %(number)s wurde inzwischen von %(who)s geändert. Ihre Eingaben wurden "
                "nicht gespeichert: Bitte laden Sie die Seite neu und tragen Sie Ihre Änderungen "
                "erneut ein."
            )
        else:
            message = _(
                "Kunde %(number)s wurde inzwischen geändert. Ihre Eingaben wurden nicht "
                "gespeichert: Bitte laden Sie die Seite neu und tragen Sie Ihre Änderungen "
                "erneut ein."
            )
        self.message = message % {"number": customer.number, "who": who}
        super().__init__(self.message)


@dataclass(frozen=True)
class RowEdit:
    """One submitted row of a customer's emails, phones or addresses.

    `pk` None adds a row; `delete` removes the row with that pk; otherwise `values` are set on it.
    """

    pk: int | None
    values: Mapping[str, Any] = field(default_factory=dict)
    delete: bool = False


def customer_edit_refusal(customer: Customer) -> CustomerLockedError | None:
    """Why this customer cannot be edited right now, or None when it can."""
    if customer.privacy_state != PrivacyState.ACTIVE:
        return CustomerLockedError(customer, reason=customer.privacy_state)
    if customer.addresses.exclude(privacy_state=PrivacyState.ACTIVE).exists():
        return CustomerLockedError(customer, reason="address")
    return None


def customer_lock_for_edit(*, customer_id: int) -> Customer:
    """Locks the customer row for the running transaction and refuses when it is not editable.

    Anonymize and restore lock the customer too, so the check cannot go stale before commit.
    """
    customer = Customer.objects.select_for_update().get(pk=customer_id)
    refusal = customer_edit_refusal(customer)
    if refusal is not None:
        raise refusal
    return customer


@transaction.atomic
def customer_update(
    *,
    customer: Customer,
    actor,
    fields: Mapping[str, Any],
    version: int | None = None,
    emails: Sequence[RowEdit] = (),
    phones: Sequence[RowEdit] = (),
    addresses: Sequence[RowEdit] = (),
) -> Customer:
    """Saves the customer's own fields and its emails, phones and addresses in one transaction.
    `version`: the customer's version the page was made from (the customer page passes it).

    Raises CustomerLockedError when any piece is anonymized, CustomerChangedError when someone
    saved the customer after `version`, ValidationError for invalid values (card numbers
    included); in every case nothing is written.
    """
    locked = customer_lock_for_edit(customer_id=customer.pk)
    if version is not None and locked.version != version:
        raise CustomerChangedError(locked)
    unknown = set(fields) - set(CUSTOMER_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    if fields:
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.full_clean()

    _save_rows(locked, CustomerEmail, emails, protected=False)
    _save_rows(locked, CustomerPhone, phones, protected=False)
    _save_rows(locked, Address, addresses, protected=True)
    if fields or emails or phones or addresses:
        locked.version += 1  # the row is locked (customer_lock_for_edit)
        locked.modified_by = actor if getattr(actor, "pk", None) else None
        locked.save(update_fields=[*fields, "version", "modified_by"])

    # Ids only: the log never carries personal data.
    logger.info("customer %s edited by user %s", locked.pk, getattr(actor, "pk", None) or "system")
    return locked


def _save_rows(
    customer: Customer,
    model: type[models.Model],
    rows: Sequence[RowEdit],
    *,
    protected: bool,
) -> None:
    existing = {
        row.pk: row
        for row in model._default_manager.filter(
            customer=customer, pk__in=[r.pk for r in rows if r.pk is not None]
        )
    }
    for row in rows:
        if row.pk is not None and row.pk not in existing:
            raise ValidationError(_("Ein Eintrag gehört nicht zu diesem Kunden."))
        if row.delete:
            if row.pk is None:
                continue
            if protected:
                # Orders keep pointing at their addresses (billing/shipping history).
                raise ValidationError(_("Adressen können nicht gelöscht werden."))
            existing[row.pk].delete()
            continue
        instance = existing[row.pk] if row.pk is not None else model(customer=customer)
        for name, value in row.values.items():
            if name in ("id", "customer", "customer_id", "privacy_state"):
                continue
            setattr(instance, name, value)
        instance.full_clean(exclude=["customer"])
        instance.save()
