from django.db import migrations


def leave_room_for_hot_updates(apps, schema_editor):
    # As for orders (0006): anonymizing and restoring rewrite an invoice's buyer, which no index
    # covers; with half of each page free the rows are rewritten in place.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE orders_invoice SET (fillfactor = 50)")


def back_to_full_pages(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE orders_invoice RESET (fillfactor)")


class Migration(migrations.Migration):

    dependencies = [
        ("orders", "0010_order_own_addresses_and_invoices"),
    ]

    operations = [migrations.RunPython(leave_room_for_hot_updates, back_to_full_pages)]
