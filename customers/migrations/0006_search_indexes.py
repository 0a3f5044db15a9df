"""Indexes for finding people (customers.search): a trigram index over the address book's names,
company, postcode and city, and a prefix index over the lower-cased e-mail addresses.

PostgreSQL only: SQLite (the zero-setup default) searches the same way without them. They are not
in the models' Meta, so that Django's state – which SQLite's table rebuilds replay – never holds a
GIN index. pg_trgm is a trusted extension: the database owner may create it."""

from django.db import migrations

from customers.search import ADDRESS_SEARCH_INDEX, EMAIL_PREFIX_INDEX, create_search_indexes_sql


def create_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in create_search_indexes_sql(schema_editor):
        schema_editor.execute(sql)


def drop_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in (ADDRESS_SEARCH_INDEX, EMAIL_PREFIX_INDEX):
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("customers", "0005_payment_method_choices")]

    operations = [migrations.RunPython(create_search_indexes, drop_search_indexes)]
