"""Cold storage refreshes its planner statistics before restores and purges look records up."""

import datetime

import pytest
from django.db import connections
from django.utils import timezone

from coldstorage.models import ColdRecord
from coldstorage.services import cold_records_store, cold_statistics_refresh
from tests.conftest import BOTH_DATABASES

pytestmark = pytest.mark.django_db(transaction=True, databases=BOTH_DATABASES)


def _flush_statistics(cursor) -> None:
    # PostgreSQL publishes a backend's table counters when it goes idle, at most once a second
    # unless told otherwise (15+).
    cursor.execute("SELECT pg_stat_force_next_flush()")
    cursor.execute("SELECT 1")


def _estimated_rows(cursor) -> float:
    cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [ColdRecord._meta.db_table])
    return cursor.fetchone()[0]


def test_a_table_grown_by_an_anonymization_is_analyzed_once():
    connection = connections["coldstorage"]
    if connection.vendor != "postgresql":
        pytest.skip("planner statistics are PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {ColdRecord._meta.db_table}")
        assert _estimated_rows(cursor) <= 0
        cold_records_store(
            items=[(ColdRecord.Kind.ORDER, pk, {"l": 1, "v": []}) for pk in range(1, 501)],
            anonymized_at=timezone.now(),
            purge_on=datetime.date(2036, 12, 31),
        )
        _flush_statistics(cursor)

        assert cold_statistics_refresh() is True
        assert _estimated_rows(cursor) == 500
        _flush_statistics(cursor)
        assert cold_statistics_refresh() is False
