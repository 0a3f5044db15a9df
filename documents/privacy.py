"""The documents' part of anonymize and restore: their PDF bytes travel in the order's cold
record (key "d"), so they are encrypted, bound to the order, re-keyed and purged with it.

Each function is one step of a chunk in orders.privacy.lifecycle, with a constant number of
queries per chunk."""

import base64

from django.db import connection

from documents.models import Document


def take_documents(order_payloads: dict[int, dict]) -> None:
    """Moves the stored PDFs of the chunk's orders into their payloads and empties them in the
    main database (two queries). Call inside the chunk's main transaction, before the cold
    records are stored: a crash before the main commit leaves the bytes where they were."""
    rows = list(
        Document.objects.filter(order_id__in_ids=set(order_payloads), pdf__isnull=False)
        .order_by("pk")
        .values_list("order_id", "pk", "pdf")
    )
    for order_id, pk, pdf in rows:
        order_payloads[order_id].setdefault("d", []).append(
            [pk, base64.b64encode(bytes(pdf)).decode("ascii")]
        )
    if rows:
        Document.objects.filter(pk__in_ids={row[1] for row in rows}).update(pdf=None)


def put_back_documents(order_ids, order_payloads: dict[int, dict]) -> None:
    """Writes the restored orders' PDFs back, byte for byte (one statement)."""
    rows = [
        (pk, base64.b64decode(data))
        for order_id in order_ids
        for pk, data in order_payloads[order_id].get("d", ())
    ]
    if not rows:
        return
    table = connection.ops.quote_name(Document._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {table} SET pdf = v.pdf FROM unnest(%s::int8[], %s::bytea[]) AS v(id, pdf)"
                f" WHERE {table}.id = v.id",
                [[pk for pk, _pdf in rows], [pdf for _pk, pdf in rows]],
            )
        else:
            cursor.executemany(
                f"UPDATE {table} SET pdf = %s WHERE id = %s", [(pdf, pk) for pk, pdf in rows]
            )
