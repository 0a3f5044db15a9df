"""A prefix index over the lower-cased external order numbers, for the list's search
(orders.selectors: Lower("external_number") with startswith, LIKE 'term%'). The number is kept
on anonymization, so the index costs anonymizing nothing. PostgreSQL only (an operator class);
SQLite, the zero-setup default, searches the same way without it."""

from django.db import migrations


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS orders_external_number_prefix "
            'ON orders_order ((LOWER("external_number")) text_pattern_ops)'
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS orders_external_number_prefix")


class Migration(migrations.Migration):
    dependencies = [("orders", "0017_invoices_per_order"), ("customers", "0006_search_indexes")]

    operations = [migrations.RunPython(create_index, drop_index)]
