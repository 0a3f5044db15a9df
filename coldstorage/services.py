"""The only way into cold storage: store, load, delete and re-key encrypted payloads in bulk."""

import datetime
import hmac
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import IntegrityError, connections, router, transaction
from django.db.models import Q

from coldstorage import crypto, keys
from coldstorage.models import ColdRecord, KeyCheckValue
from config.lookups import id_array_literal

logger = logging.getLogger(__name__)

Item = tuple[str, int, dict]  # (kind, object_id, payload)


def _db() -> str:
    return router.db_for_write(ColdRecord)


def cold_keyring() -> keys.Keyring:
    """The configured keys, each checked against cold storage; raises KeyConfigurationError
    (fail closed) when there are none or one is unusable, KeyMismatchError when a key is not the
    one its id's records were written with. Every anonymization, restore and rotation asks here
    first; after the first call a process asks the database nothing more."""
    ring = keys.keyring()
    _check_keys(ring)
    return ring


# How many of a key id's records a key without a recorded check value is tried on: one that
# opens proves the key (AES-GCM authenticates); a few spare tries let one damaged record not
# block a right key.
_KEY_TRIAL_RECORDS = 3


def _check_keys(ring: keys.Keyring) -> None:
    db = _db()
    values = {key_id: keys.check_value(key) for key_id, key in ring.keys.items()}
    unchecked = {k: v for k, v in values.items() if not keys.is_checked(db, k, v)}
    if not unchecked:
        return
    stored = dict(
        KeyCheckValue.objects.using(db)
        .filter(key_id__in=unchecked)
        .values_list("key_id", "check_value")
    )
    for key_id, value in unchecked.items():
        if key_id not in stored:
            # First use of this key id (or a database from before check values): its records,
            # if any, must open with it before its check value is recorded.
            _try_key_on_records(db, ring, key_id)
            stored[key_id] = _record_check_value(db, key_id, value)
        if not hmac.compare_digest(stored[key_id], value):
            logger.error(
                "cold storage: the configured key %r does not match its check value", key_id
            )
            raise keys.KeyMismatchError(key_id)
        keys.mark_checked(db, key_id, value)


def _try_key_on_records(db: str, ring: keys.Keyring, key_id: str) -> None:
    rows = list(
        ColdRecord.objects.using(db)
        .filter(key_id=key_id)
        .values_list("object_id", "key_id", "nonce", "ciphertext", "format_version", "kind")[
            :_KEY_TRIAL_RECORDS
        ]
    )
    for row in rows:
        try:
            _open_row(ring, row[5], row)
        except crypto.TamperedRecordError:
            continue
        return
    if rows:
        logger.error("cold storage: the configured key %r opens none of its records", key_id)
        raise keys.KeyMismatchError(key_id)


def _record_check_value(db: str, key_id: str, value: str) -> str:
    """Records the check value unless another process was first; returns the stored one."""
    KeyCheckValue.objects.using(db).bulk_create(
        [KeyCheckValue(key_id=key_id, check_value=value)], ignore_conflicts=True
    )
    return (
        KeyCheckValue.objects.using(db)
        .filter(key_id=key_id)
        .values_list("check_value", flat=True)
        .get()
    )


def cold_records_store(
    *, items: Iterable[Item], anonymized_at: datetime.datetime, purge_on: datetime.date
) -> int:
    """Encrypts and stores payloads, replacing any earlier record of the same object, and commits.

    Replacing makes a re-run of an interrupted chunk harmless.
    """
    ring = cold_keyring()
    items = list(items)
    rows = []
    for (kind, object_id, payload), fresh_nonce in zip(
        items, crypto.nonces(len(items)), strict=True
    ):
        key_id, nonce, ciphertext = crypto.seal(ring, kind, object_id, payload, fresh_nonce)
        rows.append(
            (
                kind,
                object_id,
                anonymized_at,
                purge_on,
                crypto.FORMAT_VERSION,
                key_id,
                len(ciphertext),
                nonce,
                ciphertext,
            )
        )
    if not rows:
        return 0
    db = _db()
    with transaction.atomic(using=db):
        by_kind: dict[str, list[int]] = {}
        for row in rows:
            by_kind.setdefault(row[0], []).append(row[1])
        connection = connections[db]
        if connection.vendor == "postgresql":
            # Usually nothing is there to replace: try the plain COPY first and fall back to
            # delete-then-copy only on a conflict (a re-run after a crash), saving 2000 index
            # probes per kind and chunk.
            try:
                with transaction.atomic(using=db):
                    _copy_rows(connection, rows)
            except (IntegrityError, connection.Database.IntegrityError):
                _delete(db, by_kind)
                _copy_rows(connection, rows)
        else:
            _delete(db, by_kind)
            ColdRecord.objects.using(db).bulk_create(_records(rows), batch_size=500)
    return len(rows)


def _records(rows: list[tuple]) -> list[ColdRecord]:
    return [
        ColdRecord(
            kind=r[0],
            object_id=r[1],
            anonymized_at=r[2],
            purge_on=r[3],
            format_version=r[4],
            key_id=r[5],
            size=r[6],
            nonce=r[7],
            ciphertext=r[8],
        )
        for r in rows
    ]


def _copy_rows(connection, rows: list[tuple]) -> None:
    # Binary COPY: ~196k rows/s here against ~15k for bulk_create (STACK-NOTES).
    table = ColdRecord._meta.db_table
    columns = (
        "kind, object_id, anonymized_at, purge_on, format_version, key_id, size, nonce, ciphertext"
    )
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(
                ["text", "int8", "timestamptz", "date", "int2", "text", "int4", "bytea", "bytea"]
            )
            for row in rows:
                copy.write_row(row)


def _delete(db: str, by_kind: dict[str, list[int]]) -> int:
    deleted = 0
    for kind, ids in by_kind.items():
        if ids:
            deleted += (
                ColdRecord.objects.using(db)
                .filter(kind=kind, object_id__in_ids=set(ids))
                ._raw_delete(db)
            )
    return deleted


def cold_records_load(
    *, kind: str, ids: Iterable[int], broken: set[int] | None = None
) -> dict[int, dict]:
    """Decrypted payloads by object id.

    A record that fails authentication raises TamperedRecordError, or, when a `broken` set is
    given, is left out and its id added to that set. It is never returned half-read.
    """
    ring = cold_keyring()
    ids = list(ids)
    if not ids:
        return {}
    rows = (
        ColdRecord.objects.using(_db())
        .filter(kind=kind, object_id__in_ids=set(ids))
        .values_list("object_id", "key_id", "nonce", "ciphertext", "format_version")
    )
    payloads = {}
    for row in rows:
        try:
            payloads[row[0]] = _open_row(ring, kind, row)
        except (crypto.TamperedRecordError, keys.KeyConfigurationError):
            if broken is None:
                raise
            broken.add(row[0])
    return payloads


def _open_row(ring: keys.Keyring, kind: str, row: tuple) -> dict:
    """Decrypts a row that starts with (object_id, key_id, nonce, ciphertext, format_version)."""
    object_id, key_id, nonce, ciphertext, version = row[:5]
    return crypto.open_sealed(
        ring,
        kind=kind,
        object_id=object_id,
        key_id=key_id,
        nonce=nonce,
        ciphertext=ciphertext,
        version=version,
    )


def cold_transaction():
    """A transaction on the cold-storage database, for `cold_records_take`. Open it around the main
    database's transaction, so that the main database commits first (SPEC 12: the main database is
    restored before the cold record is deleted)."""
    return transaction.atomic(using=_db())


_TAKE_COLUMNS = (
    "object_id, key_id, nonce, ciphertext, format_version, anonymized_at, purge_on, size, kind"
)


@dataclass
class TakenRecords:
    """Records deleted by `cold_records_take` (not yet committed): payloads by object id, and the
    stored rows, to put back what is not restored after all."""

    payloads: dict[int, dict] = field(default_factory=dict)
    rows: dict[int, tuple] = field(default_factory=dict)


def cold_records_take(*, kind: str, ids: Iterable[int], broken: set[int]) -> TakenRecords:
    """Deletes the records of `kind` for `ids` and returns their decrypted payloads, in one pass
    over the table (one DELETE … RETURNING on PostgreSQL).

    Call it inside `cold_transaction()`: the deletion commits with it, after the main database.
    A record that fails authentication is put back at once, unchanged, and its id added to
    `broken`; what the caller does not restore after all it returns with `cold_records_put_back`.
    """
    ring = cold_keyring()
    taken = TakenRecords()
    ids = set(ids)
    if not ids:
        return taken
    db = _db()
    connection = connections[db]
    if not connection.in_atomic_block:
        raise RuntimeError("cold_records_take() deletes: call it inside cold_transaction()")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {ColdRecord._meta.db_table} "
                "WHERE kind = %s AND object_id = ANY(%s::bigint[]) "
                f"RETURNING {_TAKE_COLUMNS}",
                [kind, id_array_literal(ids)],
            )
            rows = cursor.fetchall()
    else:
        records = ColdRecord.objects.using(db).filter(kind=kind, object_id__in_ids=ids)
        rows = list(records.values_list(*(c.strip() for c in _TAKE_COLUMNS.split(","))))
        records._raw_delete(db)
    for row in rows:
        try:
            taken.payloads[row[0]] = _open_row(ring, kind, row)
            taken.rows[row[0]] = row
        except (crypto.TamperedRecordError, keys.KeyConfigurationError):
            broken.add(row[0])
            _put_back(connection, [row])
    return taken


def cold_records_put_back(*, taken: TakenRecords, ids: Iterable[int]) -> int:
    """Puts records taken by `cold_records_take` back unchanged (same key, nonce and ciphertext)."""
    rows = [taken.rows[pk] for pk in ids if pk in taken.rows]
    if rows:
        _put_back(connections[_db()], rows)
    return len(rows)


def _put_back(connection, rows: list[tuple]) -> None:
    # Back into the column order of a stored row (see _copy_rows).
    stored = [(r[8], r[0], r[5], r[6], r[4], r[1], r[7], bytes(r[2]), bytes(r[3])) for r in rows]
    if connection.vendor == "postgresql":
        _copy_rows(connection, stored)
    else:
        ColdRecord.objects.using(connection.alias).bulk_create(_records(stored))


def cold_records_delete(*, kind: str, ids: Iterable[int]) -> int:
    ids = list(ids)
    db = _db()
    with transaction.atomic(using=db):
        return _delete(db, {kind: ids})


def cold_statistics_refresh() -> bool:
    """ANALYZEs the cold-storage table when it has changed by more than a tenth since its last
    statistics (autovacuum's own rule), and says whether it did.

    Restores and purges look records up by a few thousand ids per chunk. Right after a large
    anonymization – before autovacuum came round, or where it is off – the planner still
    believes the table as small as it was and scans every record of a kind per chunk instead of
    probing the unique index: 62 ms instead of a few per chunk of 2,000 (measured), about 8 s of
    a 100,000-order restore. Call it before such a job's chunks; it costs one catalogue read.
    """
    db = _db()
    connection = connections[db]
    if connection.vendor != "postgresql":
        return False
    table = ColdRecord._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.n_mod_since_analyze, greatest(c.reltuples, 0) FROM pg_stat_user_tables s "
            "JOIN pg_class c ON c.oid = s.relid WHERE s.relname = %s",
            [table],
        )
        row = cursor.fetchone()
        if row is None or row[0] <= 50 + 0.1 * row[1]:
            return False
        cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
    return True


def cold_records_existing(*, kind: str, ids: Iterable[int]) -> set[int]:
    ids = list(ids)
    if not ids:
        return set()
    return set(
        ColdRecord.objects.using(_db())
        .filter(kind=kind, object_id__in_ids=set(ids))
        .values_list("object_id", flat=True)
    )


def cold_record_ids(*, kind: str, after: int = 0, limit: int = 10_000) -> list[int]:
    return list(
        ColdRecord.objects.using(_db())
        .filter(kind=kind, object_id__gt=after)
        .order_by("object_id")
        .values_list("object_id", flat=True)[:limit]
    )


def cold_records_count(*, kind: str | None = None) -> int:
    qs = ColdRecord.objects.using(_db())
    return (qs.filter(kind=kind) if kind else qs).count()


def cold_records_rotate(
    *, chunk_size: int = 2000, progress: Callable[[int, int], None] | None = None
) -> int:
    """Re-encrypts every record not yet under the current key, chunk by chunk (resumable).

    Each chunk is its own transaction, so an interrupted run keeps what it did and the next run
    picks up the rest (records already under the current key are not touched).
    """
    ring = cold_keyring()
    db = _db()
    pending = ColdRecord.objects.using(db).filter(~Q(key_id=ring.current_id))
    total = pending.count()
    done = 0
    while True:
        with transaction.atomic(using=db):
            batch = list(
                pending.order_by("id")
                .select_for_update()
                .values_list(
                    "object_id", "key_id", "nonce", "ciphertext", "format_version", "id", "kind"
                )[:chunk_size]
            )
            if not batch:
                break
            updated = []
            for row in batch:
                object_id, pk, kind = row[0], row[5], row[6]
                payload = _open_row(ring, kind, row)
                new_key, new_nonce, new_ct = crypto.seal(ring, kind, object_id, payload)
                updated.append(
                    ColdRecord(
                        pk=pk,
                        key_id=new_key,
                        nonce=new_nonce,
                        ciphertext=new_ct,
                        size=len(new_ct),
                        format_version=crypto.FORMAT_VERSION,
                    )
                )
            ColdRecord.objects.using(db).bulk_update(
                updated,
                ["key_id", "nonce", "ciphertext", "size", "format_version"],
                batch_size=500,
            )
        done += len(batch)
        if progress:
            progress(done, total)
    return done
