"""Our own export read back: both dialects, one row per order or per line item, the header in
any language of the site. The marker (Prüfzeichen) decides whether a row may come in."""

from django.utils.translation import gettext as _

from customers.models import ADDRESS_FIELDS
from customers.payment_methods import PaymentMethod, payment_method_for
from orders.export import COLUMN_LABELS, PRIVACY_LABELS, export_marker_state
from orders.importing.reading import CsvTable
from orders.importing.rows import (
    OWN,
    ImportedItem,
    ImportedOrder,
    ParsedFile,
    check_length,
    choice_labels,
    column_index,
    midnight,
    missing_columns,
    parse_amount,
    parse_country,
    parse_currency,
    parse_day,
    parse_quantity,
    parse_rate,
    scan_row,
    unescaped,
    variants,
)
from orders.models import Order, OrderItem, OrderStatus


def own_columns() -> dict[str, str]:
    return {name: key for key, label in COLUMN_LABELS.items() for name in variants(label)}


_OWN_REQUIRED = tuple(
    key
    for key in COLUMN_LABELS
    if key not in ("sku", "title", "quantity", "unit_price", "tax_rate")
)
_ITEM_KEYS = ("sku", "title", "quantity", "unit_price", "tax_rate")


# --- Our own export --------------------------------------------------------------------------


def parse_own(table: CsvTable) -> ParsedFile:
    labels = own_columns()
    index = column_index(table.header, labels)
    missing = [key for key in _OWN_REQUIRED if key not in index]
    items = [key for key in _ITEM_KEYS if key in index]
    if items and len(items) < len(_ITEM_KEYS):
        missing += [key for key in _ITEM_KEYS if key not in index]
    if missing:
        raise missing_columns(str(COLUMN_LABELS[key]) for key in missing)
    per_item = bool(items)
    decimal_comma = table.delimiter == ";"
    statuses = choice_labels(OrderStatus.choices)
    payments = choice_labels(PaymentMethod.choices, [("", "")])
    active = variants(PRIVACY_LABELS["active"])
    skip = {index["marker"]}
    order_keys = [key for key in index if key not in _ITEM_KEYS]
    column = {key: table.header[position].strip() for key, position in index.items()}

    orders: list[ImportedOrder] = []
    by_number: dict[str, tuple[ImportedOrder, tuple]] = {}
    for row, cells in table.rows:
        probe = ImportedOrder(rows=[row])
        if not scan_row(probe, row, table.header, cells, skip):
            orders.append(probe)
            continue
        value = {key: cells[position] for key, position in index.items()}
        number_text = value["number"].strip()
        signature = tuple(value[key] for key in order_keys)
        known = by_number.get(number_text) if number_text else None
        if known is not None:
            order, first_signature = known
            order.rows.append(row)
            order.refusals.extend(probe.refusals)
            if not per_item:
                order.refuse(
                    row,
                    _("Die Bestellnummer steht schon in Zeile %(row)d.") % {"row": order.first_row},
                )
            elif signature != first_signature:
                order.refuse(
                    row,
                    _(
                        "Die Angaben der Bestellung weichen von Zeile %(row)d ab (dieselbe "
                        "Bestellnummer, andere Werte)."
                    )
                    % {"row": order.first_row},
                )
            if per_item:
                _own_item(order, row, value, column, decimal_comma)
            continue
        order = probe
        orders.append(order)
        if number_text:
            by_number[number_text] = (order, signature)
        _own_order(order, row, value, column, decimal_comma, statuses, payments, active)
        if per_item:
            _own_item(order, row, value, column, decimal_comma)
    return ParsedFile(
        format=OWN,
        rows_per="item" if per_item else "order",
        orders=orders,
        row_count=len(table.rows),
    )


def _own_order(order, row, value, column, decimal_comma, statuses, payments, active) -> None:
    number_text = value["number"].strip()
    if number_text.isascii() and number_text.isdigit() and len(number_text) <= 18:
        order.number = int(number_text)
    else:
        order.refuse(
            row, _("„%(column)s“ fehlt oder ist keine Zahl.") % {"column": column["number"]}
        )
    state = export_marker_state(number_text, value["marker"])
    if state == "anonymized":
        order.refuse(
            row,
            _(
                "Laut Prüfzeichen stammt die Zeile aus einer anonymisierten Bestellung; "
                "anonymisierte Bestellungen werden nicht importiert, auch nicht mit geänderten "
                "Angaben."
            ),
        )
    elif state is None:
        order.refuse(
            row,
            _(
                "Das Prüfzeichen fehlt oder passt nicht zur Bestellnummer: Die Zeile stammt nicht "
                "unverändert aus einem Export dieser Installation."
            ),
        )
    if value["privacy"].strip().casefold() not in active:
        order.refuse(
            row,
            _("„%(column)s“ ist nicht „Aktiv“: Die Bestellung war beim Export anonymisiert.")
            % {"column": column["privacy"]},
        )
    order.external_number = unescaped(value["external_number"].strip())
    check_length(
        order, row, Order, "external_number", order.external_number, column["external_number"]
    )
    for name in ("order_date", "invoice_date", "delivery_date"):
        text = value[name].strip()
        if not text and name != "order_date":
            continue
        day = parse_day(text)
        if day is None:
            order.refuse(
                row,
                _("„%(column)s“ ist kein Datum (TT.MM.JJJJ oder JJJJ-MM-TT).")
                % {"column": column[name]},
            )
        else:
            setattr(order, name, midnight(day))
    status = statuses.get(value["status"].strip().casefold())
    if status is None:
        order.refuse(row, _("„%(column)s“ ist unbekannt.") % {"column": column["status"]})
    else:
        order.status = status
    payment = value["payment_method"].strip()
    order.payment_method = payments.get(payment.casefold()) or payment_method_for(payment)
    invoice_number = unescaped(value["invoice_number"].strip())
    order.invoice_number = invoice_number or None
    check_length(order, row, Order, "invoice_number", invoice_number, column["invoice_number"])
    order.buyer_email = unescaped(value["buyer_email"].strip())
    check_length(order, row, Order, "buyer_email", order.buyer_email, column["buyer_email"])
    for role in ("billing", "shipping"):
        address = {name: "" for name in ADDRESS_FIELDS}
        for name in ADDRESS_FIELDS:
            key = f"{role}_{name}"
            if key in value and name != "country":
                address[name] = unescaped(value[key].strip())
                check_length(order, row, Order, key, address[name], column[key])
        address["country"] = parse_country(
            order, row, value[f"{role}_country"], column[f"{role}_country"]
        )
        setattr(order, role, address)
    total = parse_amount(value["total"], decimal_comma=decimal_comma)
    if total is None:
        order.refuse(row, _("„%(column)s“ ist kein Betrag.") % {"column": column["total"]})
    else:
        order.total = total
    order.currency = parse_currency(order, row, value["currency"], column["currency"])


def _own_item(order: ImportedOrder, row: int, value, column, decimal_comma: bool) -> None:
    cells = [value[key].strip() for key in _ITEM_KEYS]
    if not any(cells):
        return  # an order without items: its one row has the item columns empty
    sku, title = unescaped(cells[0]), unescaped(cells[1])
    check_length(order, row, OrderItem, "sku", sku, column["sku"])
    check_length(order, row, OrderItem, "title", title, column["title"])
    quantity = parse_quantity(order, row, cells[2], column["quantity"])
    price = parse_amount(cells[3], decimal_comma=decimal_comma)
    if price is None:
        order.refuse(row, _("„%(column)s“ ist kein Betrag.") % {"column": column["unit_price"]})
    rate = parse_rate(order, row, cells[4], column["tax_rate"], decimal_comma)
    if quantity is not None and price is not None and rate is not None:
        order.items.append(ImportedItem(sku, title, quantity, price, rate))
