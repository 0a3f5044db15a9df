"""Reads for data subject requests: finding the person, and everything held about them (Art. 15).

The report reads cold storage through coldstorage.services.cold_records_load, the reading
counterpart of what a restore takes, and decodes the payloads with the privacy engine's own
field lists (orders.privacy.fields): decrypted in memory for this report only, never stored.
"""

import datetime
from collections.abc import Iterable

from django.utils import timezone
from django.utils.translation import gettext as _

from coldstorage.models import ColdRecord
from coldstorage.services import cold_records_load
from customers.models import (
    ADDRESS_PERSONAL_FIELDS,
    Address,
    Customer,
    CustomerEmail,
    CustomerPhone,
    CustomerSource,
)
from customers.search import customer_ids_with_email, search_terms
from customers.selectors import customers_matching as search_customers
from documents.models import Document
from orders.models import Invoice, Order, OrderMessage
from orders.privacy.fields import CUSTOMER_FIELDS, ORDER_FIELDS, order_record_fields
from personal.state import PrivacyState as S

#: Orders, customers: bigints.
_MAX_NUMBER = 2**63 - 1
MATCH_LIMIT = 50
#: How many characters of the payment provider's token the report shows.
TOKEN_VISIBLE = 4
#: The report's format: a reader of an older file can tell.
REPORT_VERSION = 1


def mask_token(token: str) -> str:
    """The token's last 4 characters, the rest as asterisks ("****5678"); "" stays ""."""
    if not token:
        return ""
    visible = token[-TOKEN_VISIBLE:] if len(token) > TOKEN_VISIBLE else ""
    return "****" + visible


def _number(term: str) -> int | None:
    if term.isascii() and term.isdigit() and len(term) <= 19 and int(term) <= _MAX_NUMBER:
        return int(term)
    return None


def customers_matching(q: str) -> list[Customer]:
    """The customers a search names: by customer number, by the running or external number of
    any order of theirs, by e-mail address (whole address: of the customer or as given on an
    order), or by name, company, postcode and city as the Kundenübersicht searches.

    Anonymized data is in cold storage, which no search reads: an anonymized customer is found
    by customer or order number only."""
    q = q.strip()
    if not q:
        return []
    ids: set[int] = set()
    terms = search_terms(q)
    if len(terms) == 1:
        term = terms[0]
        if (number := _number(term)) is not None:
            ids.update(Customer.objects.filter(number=number).values_list("pk", flat=True))
            ids.update(Order.objects.filter(number=number).values_list("customer_id", flat=True))
        ids.update(
            Order.objects.filter(external_number=q)
            .order_by()
            .values_list("customer_id", flat=True)[:MATCH_LIMIT]
        )
        if "@" in term:
            ids.update(
                CustomerEmail.objects.filter(email__iexact=term)
                .order_by()
                .values_list("customer_id", flat=True)[:MATCH_LIMIT]
            )
            ids.update(customer_ids_with_email(term, limit=MATCH_LIMIT))
            ids.update(
                Order.objects.filter(buyer_email__iexact=term, privacy_state=S.ACTIVE)
                .order_by()
                .values_list("customer_id", flat=True)[:MATCH_LIMIT]
            )
    found = list(search_customers(Customer.objects.all(), q).order_by("-number")[:MATCH_LIMIT])
    found_ids = {c.pk for c in found}
    extra = Customer.objects.filter(pk__in=ids - found_ids).order_by("-number")
    return sorted([*found, *extra], key=lambda c: -c.number)[:MATCH_LIMIT]


# --- where it is kept, and why -------------------------------------------------------------


def _date(value: datetime.date | datetime.datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    return value.isoformat()


def _main_database() -> dict:
    return {"place": "main_database", "label": _("Hauptdatenbank (OrderDesk)")}


def _cold_storage(purge_on: datetime.date | None) -> dict:
    return {
        "place": "cold_storage",
        "label": _("Cold Storage (verschlüsselt, AES-256-GCM)"),
        "purge_on": _date(purge_on),
    }


def _purged() -> dict:
    return {"place": "purged", "label": _("endgültig gelöscht – nichts mehr gespeichert")}


def _kept_in(obj) -> dict:
    if obj.privacy_state == S.ACTIVE:
        return _main_database()
    if obj.privacy_state == S.PURGED:
        return _purged()
    return _cold_storage(obj.purge_on)


def _tax_retention_until(order: Order) -> datetime.date:
    """§ 147 AO, § 257 HGB: ten years, counted from the end of the year of the invoice (or of
    the order, while none is issued)."""
    moment = order.invoice_date or order.order_date
    return datetime.date(timezone.localtime(moment).year + 10, 12, 31)


def _order_purpose(order: Order) -> dict:
    if order.privacy_state == S.ACTIVE:
        return {
            "code": "order_processing",
            "label": _(
                "Abwicklung der Bestellung (Art. 6 Abs. 1 lit. b DSGVO); danach steuerliche "
                "Aufbewahrung (Art. 6 Abs. 1 lit. c DSGVO, § 147 AO, § 257 HGB)"
            ),
            "retention_until": _date(_tax_retention_until(order)),
        }
    if order.privacy_state == S.PURGED:
        return {"code": "none", "label": _("keiner – die Daten sind gelöscht")}
    return {
        "code": "tax_retention",
        "label": _(
            "Steuerliche Aufbewahrung (Art. 17 Abs. 3 lit. b DSGVO, § 147 AO, § 257 HGB); "
            "verschlüsselt, nur für eine Wiederherstellung lesbar"
        ),
        "retention_until": _date(order.purge_on - datetime.timedelta(days=1))
        if order.purge_on
        else None,
    }


def _customer_purpose(piece: Customer | Address) -> dict:
    """Why the customer record (and its address book) is kept."""
    if piece.privacy_state == S.ACTIVE:
        return {
            "code": "order_processing",
            "label": _("Kundenkonto und Abwicklung der Bestellungen (Art. 6 Abs. 1 lit. b DSGVO)"),
        }
    return {
        "code": "tax_retention",
        "label": _("Aufbewahrung mit den Bestellungen (Art. 17 Abs. 3 lit. b DSGVO)"),
    }


# --- the report ----------------------------------------------------------------------------


def _load(kind: str, ids: Iterable[int]) -> tuple[dict[int, dict], set[int]]:
    """Decrypted payloads by id; unreadable records are reported, not guessed at."""
    broken: set[int] = set()
    return cold_records_load(kind=kind, ids=set(ids), broken=broken), broken


def _cold_pieces(objects, kind: str) -> tuple[dict[int, dict], set[int]]:
    ids = [obj.pk for obj in objects if obj.privacy_state in (S.ANONYMIZED, S.RESTORING)]
    return _load(kind, ids)


def _unavailable(obj, payloads: dict, broken: set) -> str | None:
    """Why the cold data of an anonymized object is not in the report, if it is not."""
    if obj.privacy_state not in (S.ANONYMIZED, S.RESTORING) or obj.pk in payloads:
        return None
    if obj.pk in broken:
        return "cold_record_unreadable"
    return "cold_record_missing"


def _customer_section(customer: Customer, payloads: dict, broken: set) -> dict:
    values = {name: getattr(customer, name) for name in CUSTOMER_FIELDS}
    emails = list(CustomerEmail.objects.filter(customer=customer).values_list("pk", "email"))
    phones = list(CustomerPhone.objects.filter(customer=customer).values_list("pk", "number"))
    sources = list(
        CustomerSource.objects.filter(customer=customer).values_list(
            "pk", "channel__name", "external_id"
        )
    )
    if customer.pk in payloads:
        payload = payloads[customer.pk]
        values = dict(payload["f"])
        cold_emails, cold_phones = dict(payload["e"]), dict(payload["p"])
        cold_sources = dict(payload["s"])
        emails = [(pk, cold_emails.get(pk, value)) for pk, value in emails]
        phones = [(pk, cold_phones.get(pk, value)) for pk, value in phones]
        sources = [(pk, channel, cold_sources.get(pk, value)) for pk, channel, value in sources]
    elif customer.privacy_state != S.ACTIVE:
        values = {}
        emails, phones, sources = [], [], []
    birth = values.get("birth_date")
    token = values.pop("psp_token", "") or ""
    kept = _kept_in(customer)
    return {
        "number": customer.number,
        "privacy_state": customer.privacy_state,
        "privacy_state_label": customer.get_privacy_state_display(),
        "created_at": _date(customer.created_at),
        "payment_method": customer.payment_method,
        "kept_in": kept,
        "purpose": _customer_purpose(customer),
        "unavailable": _unavailable(customer, payloads, broken),
        "data": {
            **values,
            "birth_date": birth.isoformat() if isinstance(birth, datetime.date) else birth,
        },
        "emails": [{"email": value, "kept_in": kept} for _pk, value in emails],
        "phones": [{"number": value, "kept_in": kept} for _pk, value in phones],
        "channel_ids": [
            {"channel": channel, "external_id": value, "kept_in": kept}
            for _pk, channel, value in sources
        ],
        "payment_token": {
            "token": mask_token(token),
            "kept_in": {
                "place": "payment_provider",
                "label": _(
                    "beim Zahlungsanbieter; hier nur das Token (Schlüssel für künftige Zahlungen), "
                    "gekürzt auf die letzten 4 Zeichen"
                ),
            },
        }
        if token
        else None,
    }


def _address_section(addresses: list[Address], payloads: dict, broken: set) -> list[dict]:
    section = []
    for address in addresses:
        if address.pk in payloads:
            fields = dict(payloads[address.pk]["f"])
        elif address.privacy_state == S.ACTIVE:
            fields = {name: getattr(address, name) for name in ADDRESS_PERSONAL_FIELDS}
        else:
            fields = {}
        section.append(
            {
                "id": address.pk,
                **fields,
                "country": address.country,
                "privacy_state": address.privacy_state,
                "kept_in": _kept_in(address),
                "purpose": _customer_purpose(address),
                "unavailable": _unavailable(address, payloads, broken),
            }
        )
    return section


def _split_address(fields: dict, role: str) -> dict:
    return {name: fields.get(f"{role}_{name}", "") for name in ADDRESS_PERSONAL_FIELDS}


def _order_section(orders: list[Order], payloads: dict, broken: set) -> list[dict]:
    order_ids = [o.pk for o in orders]
    messages: dict[int, list] = {}
    for message in OrderMessage.objects.filter(order_id__in=order_ids).order_by("sent_at", "pk"):
        messages.setdefault(message.order_id, []).append(message)
    invoices: dict[int, list] = {}
    for invoice in Invoice.objects.filter(order_id__in=order_ids).order_by("issued_at", "pk"):
        invoices.setdefault(invoice.order_id, []).append(invoice)
    documents: dict[int, list] = {}
    for document in Document.objects.filter(order_id__in=order_ids).order_by("issued_at", "pk"):
        documents.setdefault(document.order_id, []).append(document)
    items: dict[int, list] = {}
    for order in orders:
        items[order.pk] = [
            {
                "sku": item.sku,
                "title": item.title,
                "quantity": item.quantity,
                "unit_price": str(item.unit_price),
                "tax_rate": str(item.tax_rate),
            }
            for item in order.items.all()
        ]

    section = []
    for order in orders:
        payload = payloads.get(order.pk)
        kept = _kept_in(order)
        if payload is not None:
            fields = order_record_fields(payload)
            cold_messages = {row[0]: row[1:] for row in payload.get("m", ())}
            pairs = [payload["b"], *payload.get("bx", ())] if "b" in payload else []
            buyers = {pk: buyer for pk, buyer in pairs}
            cold_documents = {pk for pk, _data in payload.get("d", ())}
        elif order.privacy_state == S.ACTIVE:
            fields = {name: getattr(order, name) for name in ORDER_FIELDS}
            cold_messages, cold_documents = {}, set()
            buyers = {i.pk: i.buyer for i in invoices.get(order.pk, ()) if i.buyer}
        else:
            fields, cold_messages, buyers, cold_documents = {}, {}, {}, set()
        readable = order.privacy_state == S.ACTIVE or payload is not None
        order_messages = []
        for message in messages.get(order.pk, ()):
            subject, body = cold_messages.get(message.pk, (message.subject, message.body))
            order_messages.append(
                {
                    "direction": message.direction,
                    "sent_at": _date(message.sent_at),
                    "subject": subject if readable else None,
                    "body": body if readable else None,
                    "kept_in": kept,
                }
            )
        section.append(
            {
                "number": order.number,
                "external_number": order.external_number,
                "channel": order.channel.name,
                "order_date": _date(order.order_date),
                "status": order.status,
                "status_label": order.get_status_display(),
                "total": str(order.total),
                "currency": order.currency,
                "payment_method": order.payment_method,
                "invoice_number": order.invoice_number,
                "privacy_state": order.privacy_state,
                "privacy_state_label": order.get_privacy_state_display(),
                "kept_in": kept,
                "purpose": _order_purpose(order),
                "unavailable": _unavailable(order, payloads, broken),
                "contact": {
                    "buyer_email": fields.get("buyer_email"),
                    "buyer_phone": fields.get("buyer_phone"),
                    "tracking_number": fields.get("tracking_number"),
                }
                if readable
                else None,
                "notes": fields.get("notes") if readable else None,
                "billing_address": {
                    **_split_address(fields, "billing"),
                    "country": order.billing_country,
                }
                if readable
                else {"country": order.billing_country},
                "shipping_address": {
                    **_split_address(fields, "shipping"),
                    "country": order.shipping_country,
                }
                if readable
                else {"country": order.shipping_country},
                "messages": order_messages,
                "invoices": [
                    {
                        "number": invoice.number,
                        "issued_at": _date(invoice.issued_at),
                        "buyer_as_printed": buyers.get(invoice.pk),
                    }
                    for invoice in invoices.get(order.pk, ())
                ],
                "documents": [
                    {
                        "kind": document.kind,
                        "number": document.number,
                        "issued_at": _date(document.issued_at),
                        "kept_in": _cold_storage(order.purge_on)
                        if document.pk in cold_documents
                        else _main_database()
                        if document.pdf is not None
                        else _purged(),
                    }
                    for document in documents.get(order.pk, ())
                ],
                "items": items[order.pk],
            }
        )
    return section


def subject_report(*, customer: Customer) -> dict:
    """Everything held about the customer, as a JSON-ready dict; reads, writes nothing (the
    audit row is privacyoffice.services.subject_report_create's)."""
    customer = Customer.objects.get(pk=customer.pk)
    addresses = list(Address.objects.filter(customer=customer).order_by("pk"))
    orders = list(
        Order.objects.filter(customer=customer)
        .select_related("channel")
        .prefetch_related("items")
        .order_by("number")
    )
    customer_payloads, customer_broken = _cold_pieces([customer], ColdRecord.Kind.CUSTOMER)
    address_payloads, address_broken = _cold_pieces(addresses, ColdRecord.Kind.ADDRESS)
    order_payloads, order_broken = _cold_pieces(orders, ColdRecord.Kind.ORDER)
    purge_dates = sorted({o.purge_on for o in orders if o.purge_on})
    return {
        "report": {
            "version": REPORT_VERSION,
            "generated_at": _date(timezone.now()),
            "legal_basis": _("Auskunft nach Art. 15 DSGVO"),
            "note": _(
                "Anonymisierte Daten sind bis zu ihrem Löschdatum verschlüsselt im Cold Storage "
                "aufbewahrt (Art. 17 Abs. 3 lit. b DSGVO) und wurden nur für diese Auskunft "
                "entschlüsselt."
            ),
            "last_purge_on": _date(purge_dates[-1]) if purge_dates else None,
        },
        "customer": _customer_section(customer, customer_payloads, customer_broken),
        "addresses": _address_section(addresses, address_payloads, address_broken),
        "orders": _order_section(orders, order_payloads, order_broken),
    }


def customer_by_number(number) -> Customer | None:
    """The customer with this number, or None for anything that is not one (forged input)."""
    try:
        value = int(str(number).strip())
    except (TypeError, ValueError):
        return None
    if not 0 < value <= _MAX_NUMBER:
        return None
    return Customer.objects.filter(number=value).first()


def open_erasure_requests():
    from privacyoffice.models import ErasureRequest

    return (
        ErasureRequest.objects.filter(state=ErasureRequest.State.OPEN)
        .select_related("customer")
        .order_by("deadline", "pk")
    )
