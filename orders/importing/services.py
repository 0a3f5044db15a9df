"""Use cases of the import: the preview (every row checked against the file and the database)
and the import itself (one transaction, set-based). The uploads that wait in between:
orders.importing.uploads.

The preview is computed again inside the import's transaction, under a lock: what is imported is
what a preview of that moment says, never a stale one (an order imported meanwhile is a
duplicate, an invoice number taken meanwhile refuses the file).
"""

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from channels.models import Channel
from customers.models import ADDRESS_FIELDS, Address, Customer, CustomerEmail, CustomerPhone
from orders import history
from orders.importing.formats import OWN, ImportedOrder, ParsedFile, detect_format, parse
from orders.importing.reading import read_table
from orders.models import Invoice, NumberSequence, Order, OrderEvent, OrderItem
from personal.state import PrivacyState

logger = logging.getLogger(__name__)

#: Values per IN (…) query.
_QUERY_CHUNK = 5000
#: The row that serializes imports (their running numbers and customer numbers).
_IMPORT_LOCK = "order-import"
FIRST_ORDER_NUMBER = 100001
FIRST_CUSTOMER_NUMBER = 10001


class EntryState:
    NEW = "new"
    DUPLICATE = "duplicate"
    REFUSED = "refused"


@dataclass
class PreviewEntry:
    order: ImportedOrder
    state: str
    #: For a duplicate: whether it is imported anyway (the checkbox was off).
    imported: bool

    @property
    def rows_label(self) -> str:
        rows = self.order.rows
        return str(rows[0]) if len(rows) == 1 else f"{rows[0]}–{rows[-1]}"


@dataclass
class ImportPreview:
    format: str
    rows_per: str
    row_count: int
    skip_duplicates: bool
    entries: list[PreviewEntry] = field(default_factory=list)

    def _count(self, state: str) -> int:
        return sum(1 for entry in self.entries if entry.state == state)

    @property
    def new_count(self) -> int:
        return self._count(EntryState.NEW)

    @property
    def duplicate_count(self) -> int:
        return self._count(EntryState.DUPLICATE)

    @property
    def refused_count(self) -> int:
        return self._count(EntryState.REFUSED)

    @property
    def refusals(self) -> list[tuple[int, str]]:
        """Every refused row with its reasons, in the order of the file."""
        found = [
            refusal
            for entry in self.entries
            if entry.state == EntryState.REFUSED
            for refusal in entry.order.refusals
        ]
        return sorted(found, key=lambda refusal: refusal[0])

    @property
    def refused_rows(self) -> int:
        """The rows of refused orders (a line item's row falls with its order)."""
        return sum(
            len(entry.order.rows) for entry in self.entries if entry.state == EntryState.REFUSED
        )

    @property
    def to_import(self) -> list[ImportedOrder]:
        return [entry.order for entry in self.entries if entry.imported]

    @property
    def can_import(self) -> bool:
        return self.refused_count == 0 and bool(self.to_import)


@dataclass
class ImportResult:
    imported: int
    duplicates_skipped: int
    customers_created: int
    order_ids: list[int]


class ImportRefusedError(Exception):
    """The file has refused rows (or nothing to import): nothing was imported."""

    def __init__(self, preview: ImportPreview):
        self.preview = preview
        super().__init__("import refused")


def _chunks(values: list, size: int = _QUERY_CHUNK) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def parse_file(content: bytes) -> ParsedFile:
    """The file's orders, or ImportFileError when the file as a whole cannot be read."""
    table = read_table(content, recognizes=lambda header: detect_format(header) is not None)
    return parse(table)


def import_preview(*, content: bytes, channel: Channel, skip_duplicates: bool) -> ImportPreview:
    """What an import of `content` into `channel` would do, row by row. Raises ImportFileError
    for a file that cannot be read at all."""
    parsed = parse_file(content)
    preview = ImportPreview(
        format=parsed.format,
        rows_per=parsed.rows_per,
        row_count=parsed.row_count,
        skip_duplicates=skip_duplicates,
    )
    orders = parsed.orders
    _refuse_repeats_in_file(orders)
    existing = _existing_orders(orders, channel=channel, own=parsed.format == OWN)
    taken_invoices = _taken_invoice_numbers(orders)
    for order in orders:
        match = existing.get(_duplicate_key(order, own=parsed.format == OWN))
        if match is not None and not skip_duplicates and match != PrivacyState.ACTIVE:
            order.refuse(
                order.first_row,
                _(
                    "Die Bestellung gibt es in diesem Kanal schon, anonymisiert: Ihre Daten "
                    "werden nicht noch einmal eingelesen."
                ),
            )
        will_import = match is None or not skip_duplicates
        if will_import and order.invoice_number and order.invoice_number in taken_invoices:
            order.refuse(
                order.first_row,
                _("Die Rechnungsnummer ist in dieser Installation schon vergeben."),
            )
        if order.refusals:
            state = EntryState.REFUSED
        elif match is not None:
            state = EntryState.DUPLICATE
        else:
            state = EntryState.NEW
        preview.entries.append(
            PreviewEntry(
                order=order, state=state, imported=state != EntryState.REFUSED and will_import
            )
        )
    return preview


def _duplicate_key(order: ImportedOrder, *, own: bool):
    """Duplicates are found by the external order number within the channel; a row of our own
    export without one by its running number within the channel."""
    if order.external_number:
        return ("external", order.external_number)
    if own and order.number is not None:
        return ("number", order.number)
    return None


def _refuse_repeats_in_file(orders: list[ImportedOrder]) -> None:
    seen_external: dict[str, int] = {}
    seen_invoice: dict[str, int] = {}
    for order in orders:
        if order.external_number:
            first = seen_external.setdefault(order.external_number, order.first_row)
            if first != order.first_row:
                order.refuse(
                    order.first_row,
                    _("Die externe Bestellnummer steht schon in Zeile %(row)d.") % {"row": first},
                )
        if order.invoice_number:
            first = seen_invoice.setdefault(order.invoice_number, order.first_row)
            if first != order.first_row:
                order.refuse(
                    order.first_row,
                    _("Die Rechnungsnummer steht schon in Zeile %(row)d.") % {"row": first},
                )


def _existing_orders(orders: list[ImportedOrder], *, channel: Channel, own: bool) -> dict:
    """{duplicate key: privacy state} of the channel's orders that the file's orders repeat."""
    found = {}
    externals = sorted({order.external_number for order in orders if order.external_number})
    for chunk in _chunks(externals):
        rows = Order.objects.filter(channel=channel, external_number__in=chunk).values_list(
            "external_number", "privacy_state"
        )
        for external, state in rows:
            found.setdefault(("external", external), state)
    if own:
        numbers = sorted(
            {order.number for order in orders if not order.external_number and order.number}
        )
        for chunk in _chunks(numbers):
            rows = Order.objects.filter(channel=channel, number__in=chunk).values_list(
                "number", "privacy_state"
            )
            for number, state in rows:
                found[("number", number)] = state
    return found


def _taken_invoice_numbers(orders: list[ImportedOrder]) -> set[str]:
    wanted = sorted({order.invoice_number for order in orders if order.invoice_number})
    taken = set()
    for chunk in _chunks(wanted):
        taken |= set(
            Order.objects.filter(invoice_number__in=chunk).values_list("invoice_number", flat=True)
        )
        taken |= set(Invoice.objects.filter(number__in=chunk).values_list("number", flat=True))
    return taken


# --- The import ------------------------------------------------------------------------------


@transaction.atomic
def orders_import(
    *,
    content: bytes,
    channel: Channel,
    skip_duplicates: bool,
    actor: AbstractBaseUser | None,
    actor_label: str = "",
) -> ImportResult:
    """Imports every order of the file in one transaction, or nothing: raises ImportRefusedError
    (with the preview) when a row is refused or nothing is left to import, ImportFileError when
    the file cannot be read. Orders get their own addresses, the customers (matched by e-mail
    address, else new) their address-book entries, every order a history entry "imported"."""
    NumberSequence.objects.get_or_create(name=_IMPORT_LOCK)
    NumberSequence.objects.select_for_update().get(name=_IMPORT_LOCK)
    preview = import_preview(content=content, channel=channel, skip_duplicates=skip_duplicates)
    if not preview.can_import:
        raise ImportRefusedError(preview)
    orders = preview.to_import
    customers, created = _customers_for(orders)
    entries = _address_entries(orders, customers)
    numbers = _running_numbers(orders)
    rows = []
    for imported, number in zip(orders, numbers, strict=True):
        customer_id = customers[id(imported)]
        values = {
            "number": number,
            "channel": channel,
            "external_number": imported.external_number,
            "customer_id": customer_id,
            "billing_entry_id": entries[(customer_id, _address_key(imported.billing))],
            "shipping_entry_id": entries[(customer_id, _address_key(imported.shipping))],
            "order_date": imported.order_date,
            "payment_date": imported.payment_date,
            "invoice_date": imported.invoice_date,
            "delivery_date": imported.delivery_date,
            "status": imported.status,
            "total": imported.total,
            "currency": imported.currency,
            "payment_method": imported.payment_method,
            "buyer_email": imported.buyer_email,
            "buyer_phone": imported.buyer_phone,
            "notes": imported.notes,
            "invoice_number": imported.invoice_number,
        }
        for role in ("billing", "shipping"):
            for name in ADDRESS_FIELDS:
                values[f"{role}_{name}"] = getattr(imported, role)[name]
        rows.append(Order(**values))
    created_orders = Order.objects.bulk_create(rows, batch_size=2000)
    OrderItem.objects.bulk_create(
        (
            OrderItem(
                order_id=order.pk,
                sku=item.sku,
                title=item.title,
                quantity=item.quantity,
                unit_price=item.unit_price,
                tax_rate=item.tax_rate,
            )
            for order, imported in zip(created_orders, orders, strict=True)
            for item in imported.items
        ),
        batch_size=5000,
    )
    history.record_for_orders(
        [order.pk for order in created_orders],
        OrderEvent.Kind.IMPORTED,
        actor=history.Actor.of(actor, label=actor_label),
        params=history.imported(preview.format),
    )
    # Counts and ids only: the log never carries a value of the file.
    logger.info(
        "import: %d orders into channel %s (%s, %d duplicates skipped), user id %s",
        len(created_orders),
        channel.pk,
        preview.format,
        preview.duplicate_count if skip_duplicates else 0,
        getattr(actor, "pk", None),
    )
    return ImportResult(
        imported=len(created_orders),
        duplicates_skipped=preview.duplicate_count if skip_duplicates else 0,
        customers_created=created,
        order_ids=[order.pk for order in created_orders],
    )


def _address_key(address: dict[str, str]) -> tuple[str, ...]:
    return tuple(address[name] for name in ADDRESS_FIELDS)


def _customers_for(orders: list[ImportedOrder]) -> tuple[dict[int, int], int]:
    """{id(order): customer id}: the active customer with the order's e-mail address (case
    ignored; the oldest where several have it), else a new customer made from the billing
    address – one per e-mail address of the file, one per order without an address."""
    emails = sorted({order.buyer_email.casefold() for order in orders if order.buyer_email})
    by_email: dict[str, int] = {}
    for chunk in _chunks(emails):
        rows = (
            CustomerEmail.objects.annotate(folded=Lower("email"))
            .filter(folded__in=chunk, customer__privacy_state=PrivacyState.ACTIVE)
            .order_by("customer_id")
            .values_list("folded", "customer_id")
        )
        for email, customer_id in rows:
            by_email.setdefault(email, customer_id)
    new_by_key: dict[object, Customer] = {}
    order_keys = {}
    next_number = Customer.objects.aggregate(m=Max("number"))["m"] or FIRST_CUSTOMER_NUMBER - 1
    for order in orders:
        email = order.buyer_email.casefold()
        if email and email in by_email:
            continue
        key = email or id(order)
        order_keys[id(order)] = key
        if key not in new_by_key:
            next_number += 1
            new_by_key[key] = Customer(
                number=next_number,
                first_name=order.billing["first_name"],
                last_name=order.billing["last_name"],
                company=order.billing["company"],
                payment_method=order.payment_method,
                extra_fields={},
            )
            new_by_key[key]._import_order = order
    created = Customer.objects.bulk_create(list(new_by_key.values()), batch_size=2000)
    CustomerEmail.objects.bulk_create(
        (
            CustomerEmail(customer_id=customer.pk, email=customer._import_order.buyer_email)
            for customer in created
            if customer._import_order.buyer_email
        ),
        batch_size=5000,
    )
    CustomerPhone.objects.bulk_create(
        (
            CustomerPhone(customer_id=customer.pk, number=customer._import_order.buyer_phone)
            for customer in created
            if customer._import_order.buyer_phone
        ),
        batch_size=5000,
    )
    result = {}
    for order in orders:
        email = order.buyer_email.casefold()
        if email and email in by_email:
            result[id(order)] = by_email[email]
        else:
            result[id(order)] = new_by_key[order_keys[id(order)]].pk
    return result, len(created)


def _address_entries(orders: list[ImportedOrder], customers: dict[int, int]) -> dict:
    """{(customer id, address): address-book entry id}: the customer's active entry that is the
    same address, else a new entry (the address book is filled, never changed)."""
    wanted = {
        (customers[id(order)], _address_key(getattr(order, role)))
        for order in orders
        for role in ("billing", "shipping")
    }
    customer_ids = sorted({customer_id for customer_id, _address in wanted})
    found: dict = {}
    for chunk in _chunks(customer_ids):
        rows = (
            Address.objects.filter(customer_id__in=chunk, privacy_state=PrivacyState.ACTIVE)
            .order_by("id")
            .values_list("id", "customer_id", *ADDRESS_FIELDS)
        )
        for pk, customer_id, *values in rows:
            found.setdefault((customer_id, tuple(values)), pk)
    missing = sorted(key for key in wanted if key not in found)
    created = Address.objects.bulk_create(
        (
            Address(customer_id=customer_id, **dict(zip(ADDRESS_FIELDS, values, strict=True)))
            for customer_id, values in missing
        ),
        batch_size=5000,
    )
    for key, address in zip(missing, created, strict=True):
        found[key] = address.pk
    return found


def _running_numbers(orders: list[ImportedOrder]) -> list[int]:
    """Our own export's running numbers where they are free here; the next numbers otherwise."""
    wanted = sorted({order.number for order in orders if order.number})
    taken = set()
    for chunk in _chunks(wanted):
        taken |= set(Order.objects.filter(number__in=chunk).values_list("number", flat=True))
    highest = Order.objects.aggregate(m=Max("number"))["m"] or FIRST_ORDER_NUMBER - 1
    highest = max([highest, *(number for number in wanted if number not in taken)])
    numbers = []
    used = set()
    for order in orders:
        if order.number and order.number not in taken and order.number not in used:
            numbers.append(order.number)
            used.add(order.number)
        else:
            highest += 1
            numbers.append(highest)
    return numbers
