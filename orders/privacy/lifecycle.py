"""The one implementation of anonymize, restore and purge, chunk by chunk (SPEC 4, 6, 12).

Every function here works on a chunk of orders with a constant number of queries. The two
databases have no common transaction, so the order of writes carries the safety:
- anonymize: cold records are written and committed first, while the order rows stay locked in
  the main database; then the main data is replaced. A crash in between leaves active orders with a
  spare cold record, which a re-run replaces.
- restore and purge: the main database is written and committed first, then the cold records are
  deleted (a restore reads and deletes them in one pass, in a cold-storage transaction that
  commits after the main one). A crash in between leaves spare cold records of active or purged
  objects, which a resumed job (`finish_restored`) or `sweep_cold_orphans` deletes.
Customers are locked (in id order) before their orders by every path, which serializes two jobs
working on different orders of the same customer.
"""

import datetime
import logging
from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction

from coldstorage.models import ColdRecord
from coldstorage.services import (
    cold_record_ids,
    cold_records_delete,
    cold_records_put_back,
    cold_records_store,
    cold_records_take,
)
from customers.models import (
    ADDRESS_PERSONAL_FIELDS,
    Address,
    Customer,
    CustomerEmail,
    CustomerPhone,
    CustomerSource,
)
from documents.privacy import put_back_documents, take_documents
from orders import history
from orders.history import Actor
from orders.invoicing import anonymized_buyer, reduced_buyer, restored_buyer
from orders.models import (
    Invoice,
    Order,
    OrderEvent,
    OrderMessage,
    RestoreFailure,
    purge_date_for,
    restorable_until_for,
)
from orders.privacy.fields import (
    ADDRESS_PLACEHOLDERS,
    CUSTOMER_FIELDS,
    CUSTOMER_PLACEHOLDERS,
    MESSAGE_FIELDS,
    MESSAGE_PLACEHOLDERS,
    ORDER_ADDRESS_PERSONAL_FIELDS,
    ORDER_FIELDS,
    ORDER_PLACEHOLDERS,
    ORDER_RECORD_LAYOUT,
    order_record_fields,
)
from orders.privacy.rows import bulk_write_rows
from orders.privacy.skips import skipped_by_reason
from personal.state import ANONYMIZED
from personal.state import PrivacyState as S

# Not personal data, so not in the cold record; an invoice's buyer is compared with them.
COUNTRY_FIELDS = ("billing_country", "shipping_country")

logger = logging.getLogger(__name__)

NOT_ANONYMIZED = (S.ACTIVE, S.RESTORING)


@dataclass
class ChunkResult:
    counts: Counter = field(default_factory=Counter)
    failed_numbers: list[int] = field(default_factory=list)


def _lock_customers(customer_ids) -> list[int]:
    customer_ids = sorted(set(customer_ids))
    if customer_ids:
        list(
            Customer.objects.filter(pk__in_ids=set(customer_ids))
            .order_by("pk")
            .select_for_update()
            .values_list("pk", flat=True)
        )
    return customer_ids


def _lock_customers_of(order_ids) -> list[int]:
    return _lock_customers(
        Order.objects.filter(pk__in_ids=set(order_ids)).values_list("customer_id", flat=True)
    )


def _lock_stray_customers(rows, locked: set[int]) -> None:
    """Locks customers the orders name that were not locked yet: an order moved to another
    customer (in the admin) after the job read its plan. Rare; out of id order, but PostgreSQL
    would detect the deadlock that only a second job on the same customer could cause."""
    if strays := {row[2] for row in rows} - locked:
        _lock_customers(strays)


def _customer_payloads(customer_ids) -> dict[int, dict]:
    payloads = {
        row[0]: {"f": dict(zip(CUSTOMER_FIELDS, row[1:], strict=True)), "e": [], "p": [], "s": []}
        for row in Customer.objects.filter(pk__in_ids=set(customer_ids)).values_list(
            "pk", *CUSTOMER_FIELDS
        )
    }
    for payload in payloads.values():
        birth = payload["f"]["birth_date"]
        payload["f"]["birth_date"] = birth.isoformat() if birth else None
    for key, model, column in (
        ("e", CustomerEmail, "email"),
        ("p", CustomerPhone, "number"),
        ("s", CustomerSource, "external_id"),
    ):
        rows = model.objects.filter(customer_id__in_ids=set(customer_ids)).values_list(
            "customer_id", "pk", column
        )
        for customer_id, pk, value in rows:
            payloads[customer_id][key].append([pk, value])
    return payloads


def anonymize_chunk(
    order_ids, *, customer_ids, now: datetime.datetime, actor: Actor
) -> ChunkResult:
    """Anonymizes the active orders among `order_ids`, and the addresses and customers that are
    left without a non-anonymized order. `customer_ids`: the orders' customers, as the job's plan
    names them (locked first). Call inside no transaction; commits itself."""
    result = ChunkResult()
    purge_on = purge_date_for(now)
    with transaction.atomic():
        locked = set(_lock_customers(customer_ids))
        rows = list(
            Order.objects.filter(pk__in_ids=set(order_ids))
            .order_by("pk")
            .select_for_update()
            .values_list(
                "pk",
                "privacy_state",
                "customer_id",
                "billing_entry_id",
                "shipping_entry_id",
                *ORDER_FIELDS,
                *COUNTRY_FIELDS,
            )
        )
        _lock_stray_customers(rows, locked)
        active = [row for row in rows if row[1] == S.ACTIVE]
        skipped = skipped_by_reason(action="anonymize", by_state=Counter(row[1] for row in rows))
        for reason, count in skipped.items():
            result.counts["skipped_" + reason] += count
        if not active:
            return result
        active_ids = [row[0] for row in active]
        order_payloads = {
            row[0]: {"l": ORDER_RECORD_LAYOUT, "v": list(row[5:-2]), "m": []} for row in active
        }
        for order_id, pk, *values in OrderMessage.objects.filter(
            order_id__in_ids=set(active_ids)
        ).values_list("order_id", "pk", *MESSAGE_FIELDS):
            order_payloads[order_id]["m"].append([pk, *values])
        # An issued invoice prints the order's own addresses, anonymized with the order's
        # columns; the few that hold an address as printed (changed since) take it along
        # (its countries stay in the invoice).
        invoices = list(
            Invoice.objects.filter(
                order_id__in_ids=set(active_ids), buyer__isnull=False
            ).values_list("order_id", "pk", "buyer")
        )
        for order_id, pk, buyer in invoices:
            # An order has several invoices once one was cancelled: the first as "b", the
            # others as "bx" (records from before hold "b" only).
            payload = order_payloads[order_id]
            if "b" in payload:
                payload.setdefault("bx", []).append([pk, buyer])
            else:
                payload["b"] = [pk, buyer]
        # The stored PDFs (documents) go into the record too: "d".
        take_documents(order_payloads)

        # An order's own addresses are order columns (ORDER_FIELDS): they go with the order.
        # Address-book entries whose every order is now anonymized go too (SPEC 6); orders of
        # this chunk count as anonymized already. Entries of a customer who becomes fully
        # anonymized go too, including ones no order came from.
        # "Other" orders are filtered out here rather than with NOT IN: PostgreSQL compares a
        # parameter array element by element (210 ms per chunk, profiled).
        # An order names entries of its own customer (Order.clean), so the customers' other
        # orders that are not anonymized tell both which customers and which entries must stay.
        chunk = set(active_ids)
        chunk_customers = {row[2] for row in active}
        busy_customers, busy_addresses = set(), set()
        for pk, customer_id, billing, shipping in Order.objects.filter(
            customer_id__in_ids=chunk_customers, privacy_state__in=NOT_ANONYMIZED
        ).values_list("pk", "customer_id", "billing_entry_id", "shipping_entry_id"):
            if pk not in chunk:
                busy_customers.add(customer_id)
                busy_addresses.update((billing, shipping))
        done_customers = list(
            Customer.objects.filter(
                pk__in_ids=chunk_customers - busy_customers, privacy_state=S.ACTIVE
            ).values_list("pk", flat=True)
        )
        order_addresses = ({row[3] for row in active} | {row[4] for row in active}) - {None}
        # Two index lookups; an OR of the two made PostgreSQL scan the whole address table.
        active_addresses = Address.objects.filter(privacy_state=S.ACTIVE)
        candidates = set(
            active_addresses.filter(pk__in_ids=order_addresses).values_list("pk", flat=True)
        ) | set(
            active_addresses.filter(customer_id__in_ids=set(done_customers)).values_list(
                "pk", flat=True
            )
        )
        address_payloads = {
            row[0]: {"f": dict(zip(ADDRESS_PERSONAL_FIELDS, row[1:], strict=True))}
            for row in Address.objects.filter(pk__in_ids=candidates - busy_addresses).values_list(
                "pk", *ADDRESS_PERSONAL_FIELDS
            )
        }
        customer_payloads = _customer_payloads(done_customers)

        # 1. Cold storage first, committed on its own database.
        cold_records_store(
            items=[
                *((ColdRecord.Kind.ORDER, pk, p) for pk, p in order_payloads.items()),
                *((ColdRecord.Kind.ADDRESS, pk, p) for pk, p in address_payloads.items()),
                *((ColdRecord.Kind.CUSTOMER, pk, p) for pk, p in customer_payloads.items()),
            ],
            anonymized_at=now,
            purge_on=purge_on,
        )
        # 2. Then the main database drops the data, still under the locks taken above.
        state = {"privacy_state": S.ANONYMIZED, "anonymized_at": now, "purge_on": purge_on}
        Order.objects.filter(pk__in_ids=set(active_ids)).update(**ORDER_PLACEHOLDERS, **state)
        OrderMessage.objects.filter(order_id__in_ids=set(active_ids)).update(**MESSAGE_PLACEHOLDERS)
        bulk_write_rows(
            Invoice, ("buyer",), [(pk, anonymized_buyer(buyer)) for _o, pk, buyer in invoices]
        )
        if address_payloads:
            Address.objects.filter(pk__in_ids=address_payloads.keys()).update(
                **ADDRESS_PLACEHOLDERS, **state
            )
        if done_customers:
            Customer.objects.filter(pk__in_ids=set(done_customers)).update(
                **CUSTOMER_PLACEHOLDERS, **state
            )
            _blank_contact_rows(done_customers)
        record_events(
            active_ids,
            kind=OrderEvent.Kind.ANONYMIZED,
            now=now,
            actor=actor,
            purge_on=purge_on,
        )
        result.counts["anonymized"] += len(active_ids)
        result.counts["addresses_anonymized"] += len(address_payloads)
        result.counts["customers_anonymized"] += len(done_customers)
    return result


def _blank_contact_rows(customer_ids) -> None:
    CustomerEmail.objects.filter(customer_id__in_ids=set(customer_ids)).update(email=ANONYMIZED)
    CustomerPhone.objects.filter(customer_id__in_ids=set(customer_ids)).update(number=ANONYMIZED)
    CustomerSource.objects.filter(customer_id__in_ids=set(customer_ids)).update(
        external_id=ANONYMIZED
    )


def record_events(orders, *, kind: str, now: datetime.datetime, actor: Actor, purge_on=None) -> int:
    """One history event per order (a queryset or ids), in one statement; no personal data."""
    params = history.privacy(
        job_id=actor.job_id,
        restorable_until=restorable_until_for(purge_on),
    )
    return history.record_for_orders(orders, kind, actor=actor, params=params, created_at=now)


def restore_chunk(
    order_ids, *, customer_ids, job_id: int, now: datetime.datetime, actor: Actor
) -> ChunkResult:
    """Writes back the personal data of this job's restoring orders among `order_ids`, with their
    anonymized addresses and customers, and takes their cold records out of cold storage.

    Call it inside `cold_transaction()` and, within that, the main database's transaction: the
    records are read and deleted in one pass, and the deletion commits after the main database
    (a crash in between leaves spare records, which `finish_restored` deletes)."""
    result = ChunkResult()
    with transaction.atomic():
        locked = set(_lock_customers(customer_ids))
        rows = list(
            Order.objects.filter(
                pk__in_ids=set(order_ids), privacy_state=S.RESTORING, privacy_job_id=job_id
            )
            .order_by("pk")
            .select_for_update()
            .values_list(
                "pk",
                "number",
                "customer_id",
                "billing_entry_id",
                "shipping_entry_id",
                *COUNTRY_FIELDS,
            )
        )
        _lock_stray_customers(rows, locked)
        if not rows:
            return result
        ids = [row[0] for row in rows]
        broken_orders, broken_addresses, broken_customers = set(), set(), set()
        taken_orders = cold_records_take(kind=ColdRecord.Kind.ORDER, ids=ids, broken=broken_orders)
        order_payloads = taken_orders.payloads
        for payload in order_payloads.values():
            payload["f"] = order_record_fields(payload)
        entry_ids = ({row[3] for row in rows} | {row[4] for row in rows}) - {None}
        address_ids = list(
            Address.objects.filter(pk__in_ids=entry_ids, privacy_state=S.ANONYMIZED).values_list(
                "pk", flat=True
            )
        )
        anonymized_customers = list(
            Customer.objects.filter(
                pk__in_ids={row[2] for row in rows}, privacy_state=S.ANONYMIZED
            ).values_list("pk", flat=True)
        )
        # A customer's addresses that no anonymized order uses (anonymized with the customer)
        # come back with the customer.
        spare_customer = dict(
            Address.objects.filter(
                customer_id__in_ids=set(anonymized_customers), privacy_state=S.ANONYMIZED
            ).values_list("pk", "customer_id")
        )
        for pair in Order.objects.filter(
            customer_id__in_ids=set(anonymized_customers),
            privacy_state__in=(S.ANONYMIZED, S.PURGED),
        ).values_list("billing_entry_id", "shipping_entry_id"):
            for address in pair:
                spare_customer.pop(address, None)
        for address in address_ids:
            spare_customer.pop(address, None)
        spare = set(spare_customer)
        taken_addresses = cold_records_take(
            kind=ColdRecord.Kind.ADDRESS, ids={*address_ids, *spare}, broken=broken_addresses
        )
        taken_customers = cold_records_take(
            kind=ColdRecord.Kind.CUSTOMER, ids=anonymized_customers, broken=broken_customers
        )
        address_payloads, customer_payloads = taken_addresses.payloads, taken_customers.payloads

        # An order whose data (or whose address's or customer's data) is not in cold storage, or
        # does not open, cannot be restored; it goes back to "anonymized" with the reason.
        missing_addresses = set(address_ids) - set(address_payloads)
        missing_customers = set(anonymized_customers) - set(customer_payloads)
        good, failed = [], {RestoreFailure.MISSING: [], RestoreFailure.UNREADABLE: []}
        for row in rows:
            if (
                row[0] in broken_orders
                or row[3] in broken_addresses
                or row[4] in broken_addresses
                or row[2] in broken_customers
            ):
                failed[RestoreFailure.UNREADABLE].append(row)
            elif (
                row[0] not in order_payloads
                or row[3] in missing_addresses
                or row[4] in missing_addresses
                or row[2] in missing_customers
            ):
                failed[RestoreFailure.MISSING].append(row)
            else:
                good.append(row)
        for reason, failed_rows in failed.items():
            if failed_rows:
                mark_restore_failed(
                    [row[0] for row in failed_rows], reason=reason, now=now, actor=actor
                )
                result.failed_numbers.extend(row[1] for row in failed_rows)
                result.counts[f"failed_cold_record_{reason}"] += len(failed_rows)
        if broken := len(broken_orders) + len(broken_addresses) + len(broken_customers):
            logger.error(
                "restore: %d cold records failed authentication (tampered or wrong key)", broken
            )
        good_ids = [row[0] for row in good]
        customers_to_restore = sorted({row[2] for row in good} & set(customer_payloads))
        restoring_customers = set(customers_to_restore)
        addresses_to_restore = sorted(
            (
                {row[3] for row in good}
                | {row[4] for row in good}
                | {pk for pk, owner in spare_customer.items() if owner in restoring_customers}
            )
            & set(address_payloads)
        )

        order_values = _restored_order_values(
            {row[0]: row for row in good}, order_payloads, address_payloads
        )
        cleared = {"privacy_state": S.ACTIVE, "anonymized_at": None, "purge_on": None}
        # Data and state in one statement per table: each row is rewritten once.
        bulk_write_rows(
            Order,
            ORDER_FIELDS,
            [(pk, *(order_values[pk][f] for f in ORDER_FIELDS)) for pk in good_ids],
            # privacy_job stays: it names the job that restored the order last.
            constants={
                **cleared,
                "restored_at": now,
                "restore_failure": "",
                "restore_failed_at": None,
            },
        )
        bulk_write_rows(
            Invoice,
            ("buyer",),
            _restored_invoice_buyers(good, order_payloads, order_values),
        )
        bulk_write_rows(
            OrderMessage,
            MESSAGE_FIELDS,
            [tuple(message) for pk in good_ids for message in order_payloads[pk]["m"]],
        )
        put_back_documents(good_ids, order_payloads)
        bulk_write_rows(
            Address,
            ADDRESS_PERSONAL_FIELDS,
            [
                (pk, *(address_payloads[pk]["f"][f] for f in ADDRESS_PERSONAL_FIELDS))
                for pk in addresses_to_restore
            ],
            constants=cleared,
        )
        bulk_write_rows(
            Customer,
            CUSTOMER_FIELDS,
            [
                (pk, *(_customer_value(customer_payloads[pk]["f"], f) for f in CUSTOMER_FIELDS))
                for pk in customers_to_restore
            ],
            constants=cleared,
        )
        for key, model, column in (
            ("e", CustomerEmail, "email"),
            ("p", CustomerPhone, "number"),
            ("s", CustomerSource, "external_id"),
        ):
            bulk_write_rows(
                model,
                (column,),
                [tuple(item) for pk in customers_to_restore for item in customer_payloads[pk][key]],
            )
        record_events(
            good_ids,
            kind=OrderEvent.Kind.RESTORED,
            now=now,
            actor=actor,
        )
        result.counts["restored"] += len(good_ids)
        result.counts["addresses_restored"] += len(addresses_to_restore)
        result.counts["customers_restored"] += len(customers_to_restore)
        # What was taken but is not restored (orders that failed, and their pieces) goes back.
        for taken, restored in (
            (taken_orders, good_ids),
            (taken_addresses, addresses_to_restore),
            (taken_customers, customers_to_restore),
        ):
            cold_records_put_back(taken=taken, ids=taken.rows.keys() - set(restored))
    return result


def mark_restore_failed(order_ids, *, reason: str, now: datetime.datetime, actor: Actor) -> int:
    """Hands orders that are being restored back to "anonymized" (their data stays in cold
    storage, so a restore can be tried again) with the reason, in the order and in its history.
    Set-based; no personal data. Orders no longer `restoring` are left alone."""
    ids = set(
        Order.objects.filter(pk__in_ids=set(order_ids), privacy_state=S.RESTORING).values_list(
            "pk", flat=True
        )
    )
    if not ids:
        return 0
    Order.objects.filter(pk__in_ids=ids).update(
        privacy_state=S.ANONYMIZED, restore_failure=reason, restore_failed_at=now
    )
    params = {**history.privacy(job_id=actor.job_id), "failure": reason}
    history.record_for_orders(
        ids, OrderEvent.Kind.RESTORE_FAILED, actor=actor, params=params, created_at=now
    )
    return len(ids)


def _written_before_own_addresses(fields: dict) -> bool:
    """An order record from before orders had addresses of their own (orders migration 0010)."""
    return ORDER_ADDRESS_PERSONAL_FIELDS[0] not in fields


def _restored_order_values(
    rows: dict[int, tuple], order_payloads: dict[int, dict], address_payloads: dict[int, dict]
) -> dict[int, dict]:
    """The values to write back per order. Records written before orders had addresses of
    their own (format of orders migration 0010) hold no addresses: such an order gets copies of
    the address-book entries it pointed to, as restored from their own records or as they are."""
    values = {pk: payload["f"] for pk, payload in order_payloads.items() if pk in rows}
    legacy = [pk for pk, fields in values.items() if _written_before_own_addresses(fields)]
    if not legacy:
        return values
    entries = {pk: payload["f"] for pk, payload in address_payloads.items()}
    wanted = {rows[pk][i] for pk in legacy for i in (3, 4)} - set(entries) - {None}
    for pk, *fields in Address.objects.filter(pk__in_ids=wanted).values_list(
        "pk", *ADDRESS_PERSONAL_FIELDS
    ):
        entries[pk] = dict(zip(ADDRESS_PERSONAL_FIELDS, fields, strict=True))
    for pk in legacy:
        fields = dict(values[pk])
        for role, entry_id in (("billing", rows[pk][3]), ("shipping", rows[pk][4])):
            entry = entries.get(entry_id, {})
            for name in ADDRESS_PERSONAL_FIELDS:
                fields[f"{role}_{name}"] = entry.get(name, "")
        values[pk] = fields
    return values


def _restored_invoice_buyers(
    rows: list[tuple], order_payloads: dict[int, dict], order_values: dict[int, dict]
) -> list[tuple]:
    """(invoice id, buyer) of the orders' invoices that hold an address of their own (`rows`:
    the restore's order rows); the others print the restored order's addresses.

    Records hold such an invoice's addresses as printed ("b": [invoice id, {role: address}]).
    Older ones say None for a role printed as the order's, or hold the whole buyer ("i"); an
    invoice frozen by orders migration 0010 of an order that was anonymized already is in
    neither and printed the addresses restored now. Each is reduced to what `Invoice.buyer`
    stores today (`reduced_buyer`): NULL where nothing differs."""
    result, legacy = [], {}
    for row in rows:
        pk, payload = row[0], order_payloads[row[0]]
        stored = payload.get("b") or payload.get("i")
        if stored or _written_before_own_addresses(payload["f"]):
            own = {**order_values[pk], **dict(zip(COUNTRY_FIELDS, row[-2:], strict=True))}
            if stored:
                for invoice_id, buyer in (stored, *payload.get("bx", ())):
                    result.append((invoice_id, reduced_buyer(buyer, own)))
            else:
                legacy[pk] = own
    if legacy:
        for invoice_id, order_id, buyer in Invoice.objects.filter(
            order_id__in_ids=set(legacy), buyer__isnull=False
        ).values_list("pk", "order_id", "buyer"):
            own = legacy[order_id]
            result.append((invoice_id, reduced_buyer(restored_buyer(buyer, own), own)))
    return result


def _customer_value(fields: dict, name: str):
    value = fields[name]
    if name == "birth_date" and value is not None:
        return datetime.date.fromisoformat(value)
    return value


def finish_restored(*, order_ids) -> int:
    """Deletes the cold records of restored orders and of their now active addresses and
    customers. Idempotent: a resumed job calls it again for the chunk it may not have finished."""
    with transaction.atomic():
        _lock_customers_of(order_ids)
        rows = list(
            Order.objects.filter(pk__in_ids=set(order_ids), privacy_state=S.ACTIVE).values_list(
                "pk", "customer_id", "billing_entry_id", "shipping_entry_id"
            )
        )
        if not rows:
            return 0
        ids = [row[0] for row in rows]
        customers = Customer.objects.filter(
            pk__in_ids={row[1] for row in rows}, privacy_state=S.ACTIVE
        ).values_list("pk", flat=True)
        # The orders' address-book entries, and the customers' other entries restored with
        # them. Orders name their own customer's entries (Order.clean), so the customers'
        # active entries include the orders' ones.
        addresses = Address.objects.filter(
            privacy_state=S.ACTIVE, customer_id__in_ids={row[1] for row in rows}
        ).values_list("pk", flat=True)
        cold_records_delete(kind=ColdRecord.Kind.ORDER, ids=ids)
        cold_records_delete(kind=ColdRecord.Kind.ADDRESS, ids=list(addresses))
        cold_records_delete(kind=ColdRecord.Kind.CUSTOMER, ids=list(customers))
    return len(ids)


def purge_chunk(
    order_ids, *, today: datetime.date, now: datetime.datetime, actor: Actor
) -> ChunkResult:
    """Anonymized orders whose purge date has come become `purged`; their cold data is deleted."""
    result = ChunkResult()
    with transaction.atomic():
        ids = list(
            Order.objects.filter(
                pk__in_ids=set(order_ids), privacy_state=S.ANONYMIZED, purge_on__lte=today
            )
            .order_by("pk")
            .select_for_update()
            .values_list("pk", flat=True)
        )
        if not ids:
            return result
        Order.objects.filter(pk__in_ids=set(ids)).update(privacy_state=S.PURGED)
        record_events(ids, kind=OrderEvent.Kind.PURGED, now=now, actor=actor)
        transaction.on_commit(lambda: cold_records_delete(kind=ColdRecord.Kind.ORDER, ids=ids))
    result.counts["purged"] += len(ids)
    return result


def purge_pieces(*, today: datetime.date, chunk_size: int) -> Counter:
    """Purges anonymized addresses and customers whose purge date has come. Commits per chunk;
    call outside a transaction."""
    counts = Counter()
    pieces = (
        (ColdRecord.Kind.ADDRESS, Address, "addresses_purged"),
        (ColdRecord.Kind.CUSTOMER, Customer, "customers_purged"),
    )
    for kind, model, key in pieces:
        while True:
            with transaction.atomic():
                ids = list(
                    model.objects.filter(privacy_state=S.ANONYMIZED, purge_on__lte=today)
                    .order_by("pk")
                    .select_for_update()
                    .values_list("pk", flat=True)[:chunk_size]
                )
                if not ids:
                    break
                model.objects.filter(pk__in_ids=set(ids)).update(privacy_state=S.PURGED)
                transaction.on_commit(
                    lambda kind=kind, ids=ids: cold_records_delete(kind=kind, ids=ids)
                )
            counts[key] += len(ids)
    return counts


_KIND_MODELS = {
    ColdRecord.Kind.ORDER: Order,
    ColdRecord.Kind.ADDRESS: Address,
    ColdRecord.Kind.CUSTOMER: Customer,
}


def sweep_cold_orphans(*, batch_size: int = 10_000) -> int:
    """Deletes cold records whose object is active, purged or gone: leftovers of an interrupted
    restore or purge. Holds the main rows locked meanwhile, so an anonymization that has written
    its cold record but not yet committed the main database is waited for, not robbed."""
    deleted = 0
    for kind, model in _KIND_MODELS.items():
        after = 0
        while True:
            ids = cold_record_ids(kind=kind, after=after, limit=batch_size)
            if not ids:
                break
            after = ids[-1]
            with transaction.atomic():
                # Lock by id whatever the state: a filter on the state would skip a row that an
                # anonymization holds locked and still shows as active.
                if model is Customer:
                    customer_ids = ids
                else:
                    customer_ids = model.objects.filter(pk__in_ids=set(ids)).values_list(
                        "customer_id", flat=True
                    )
                _lock_customers(customer_ids)
                states = dict(
                    model.objects.filter(pk__in_ids=set(ids))
                    .order_by("pk")
                    .select_for_update()
                    .values_list("pk", "privacy_state")
                )
                kept = {pk for pk, state in states.items() if state in (S.ANONYMIZED, S.RESTORING)}
                orphans = [pk for pk in ids if pk not in kept]
                if orphans:
                    deleted += cold_records_delete(kind=kind, ids=orphans)
    return deleted
