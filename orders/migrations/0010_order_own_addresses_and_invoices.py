"""Orders own their addresses; issued invoices are frozen.

Every order gets copies of the address-book entries it pointed to (billing_address and
shipping_address become billing_entry and shipping_entry: where the copies came from). An order
that is already anonymized gets the placeholder for every field that held something, and its
countries: its data lies in the cold records of the order and of the entries (written before this
migration), and a restore rebuilds its copies from the entries it names
(privacy.lifecycle._restored_order_values). Every invoiced order gets its invoice frozen as it
prints today.
"""

import personal.cards
import django.db.models.deletion
from django.db import migrations, models

PERSONAL = (
    "first_name", "last_name", "company", "street", "house_number", "line2", "postcode", "city",
    "state",
)  # fmt: skip


def copy_addresses(apps, schema_editor):
    quote = schema_editor.connection.ops.quote_name
    assignments = []
    for role, alias in (("billing", "b"), ("shipping", "s")):
        for name in PERSONAL:
            column = quote(f"{role}_{name}")
            source = f"{alias}.{quote(name)}"
            assignments.append(
                f"{column} = CASE WHEN orders_order.privacy_state = 'active' OR {source} = '' "
                f"THEN {source} ELSE '[Anonymisiert]' END"
            )
        assignments.append(f"{quote(role + '_country')} = {alias}.country")
    schema_editor.execute(
        f"UPDATE orders_order SET {', '.join(assignments)} "
        "FROM customers_address b, customers_address s "
        "WHERE b.id = orders_order.billing_entry_id AND s.id = orders_order.shipping_entry_id"
    )


def freeze_invoices(apps, schema_editor):
    # The invoicing module's document format is the one this migration writes.
    from orders.invoicing import InvoiceLine, order_invoice_document

    Order = apps.get_model("orders", "Order")
    OrderItem = apps.get_model("orders", "OrderItem")
    Invoice = apps.get_model("orders", "Invoice")
    # Orders without an invoice row (a subquery: the reverse name changed in 0017).
    orders = Order.objects.filter(invoice_number__isnull=False).exclude(
        pk__in=Invoice.objects.values("order_id")
    )
    after = 0
    while True:
        batch = list(orders.filter(pk__gt=after).order_by("pk")[:2000])
        if not batch:
            break
        after = batch[-1].pk
        items: dict[int, list] = {}
        for item in OrderItem.objects.filter(order__in=batch).order_by("pk"):
            items.setdefault(item.order_id, []).append(
                InvoiceLine(item.sku, item.title, item.quantity, item.unit_price, item.tax_rate)
            )
        invoices = []
        for order in batch:
            content, buyer = order_invoice_document(order, items.get(order.pk, []))
            invoices.append(
                Invoice(
                    order_id=order.pk,
                    number=order.invoice_number,
                    issued_at=order.invoice_date or order.created_at,
                    content=content,
                    buyer=buyer,
                )
            )
        Invoice.objects.bulk_create(invoices)


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0002_address_customers_a_last_na_bf4067_idx'),
        ('orders', '0009_event_params'),
    ]

    operations = [
        migrations.RenameField('order', 'billing_address', 'billing_entry'),
        migrations.RenameField('order', 'shipping_address', 'shipping_entry'),
        migrations.AddField(
            model_name='order',
            name='billing_city',
            field=models.CharField(blank=True, max_length=100, validators=[personal.cards.reject_card_numbers], verbose_name='Ort (Rechnungsadresse)'),
        ),
        migrations.AddField(
            model_name='order',
            name='billing_company',
            field=models.CharField(blank=True, max_length=200, validators=[personal.cards.reject_card_numbers], verbose_name='Firma (Rechnungsadresse)'),
        ),
        migrations.AddField(
            model_name='order',
            name='billing_country',
            field=models.CharField(default='', max_length=2, verbose_name='Land (ISO) (Rechnungsadresse)'),
        ),
        migrations.AlterField(
            model_name='order',
            name='billing_entry',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='billing_orders', to='customers.address', verbose_name='Rechnungsadresse aus dem Adressbuch'),
        ),
        migrations.AddField(
            model_name='order',
            name='billing_first_name',
            field=models.CharField(blank=True, max_length=100, validators=[personal.cards.reject_card_numbers], verbose_name='Vorname (Rechnungsadresse)'),
        ),
        migrations.AddField(
            model_name='order',
            name='billing_house_number',
            field=models.CharField(blank=True, max_length=20, validators=[personal.cards.reject_card_numbers], verbose_name='Hausnummer (Rechnungsadresse)'),
        ),
        migrations.AddField(
            model_name='order',
            name='billing_last_name',
            field=models.CharField(blank=True, max_length=100, validators=[personal.cards.reject_card_numbers], verbose_name='Nachname (Rechnungsadresse)'),
        ),
        migrations.AddField(
            model_name='order',
            name='billing_line2',
            field=models.CharField(blank=True, max_length=200, validators=[personal.cards.reject_card_numbers], verbose_name='Adresszusatz (Rechnungsadresse)'),
        ),
        migrations.AddField(
            model_name='order',
            name='billing_postcode',
            field=models.CharField(blank=True, max_length=20, validators=[personal.cards.reject_card_numbers], verbose_name='PLZ (Rechnungsadresse)'),
        ),
        migrations.AddField(
            model_name='order',
            name='billing_state',
            field=models.CharField(blank=True, max_length=100, validators=[personal.cards.reject_card_numbers], verbose_name='Bundesland/Region (Rechnungsadresse)'),
        ),
        migrations.AddField(
            model_name='order',
            name='billing_street',
            field=models.CharField(blank=True, max_length=200, validators=[personal.cards.reject_card_numbers], verbose_name='Straße (Rechnungsadresse)'),
        ),
        migrations.AddField(
            model_name='order',
            name='shipping_city',
            field=models.CharField(blank=True, max_length=100, validators=[personal.cards.reject_card_numbers], verbose_name='Ort (Lieferadresse)'),
        ),
        migrations.AddField(
            model_name='order',
            name='shipping_company',
            field=models.CharField(blank=True, max_length=200, validators=[personal.cards.reject_card_numbers], verbose_name='Firma (Lieferadresse)'),
        ),
        migrations.AddField(
            model_name='order',
            name='shipping_country',
            field=models.CharField(default='', max_length=2, verbose_name='Land (ISO) (Lieferadresse)'),
        ),
        migrations.AlterField(
            model_name='order',
            name='shipping_entry',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='shipping_orders', to='customers.address', verbose_name='Lieferadresse aus dem Adressbuch'),
        ),
        migrations.AddField(
            model_name='order',
            name='shipping_first_name',
            field=models.CharField(blank=True, max_length=100, validators=[personal.cards.reject_card_numbers], verbose_name='Vorname (Lieferadresse)'),
        ),
        migrations.AddField(
            model_name='order',
            name='shipping_house_number',
            field=models.CharField(blank=True, max_length=20, validators=[personal.cards.reject_card_numbers], verbose_name='Hausnummer (Lieferadresse)'),
        ),
        migrations.AddField(
            model_name='order',
            name='shipping_last_name',
            field=models.CharField(blank=True, max_length=100, validators=[personal.cards.reject_card_numbers], verbose_name='Nachname (Lieferadresse)'),
        ),
        migrations.AddField(
            model_name='order',
            name='shipping_line2',
            field=models.CharField(blank=True, max_length=200, validators=[personal.cards.reject_card_numbers], verbose_name='Adresszusatz (Lieferadresse)'),
        ),
        migrations.AddField(
            model_name='order',
            name='shipping_postcode',
            field=models.CharField(blank=True, max_length=20, validators=[personal.cards.reject_card_numbers], verbose_name='PLZ (Lieferadresse)'),
        ),
        migrations.AddField(
            model_name='order',
            name='shipping_state',
            field=models.CharField(blank=True, max_length=100, validators=[personal.cards.reject_card_numbers], verbose_name='Bundesland/Region (Lieferadresse)'),
        ),
        migrations.AddField(
            model_name='order',
            name='shipping_street',
            field=models.CharField(blank=True, max_length=200, validators=[personal.cards.reject_card_numbers], verbose_name='Straße (Lieferadresse)'),
        ),
        migrations.AddField(
            model_name='order',
            name='version',
            field=models.PositiveIntegerField(db_default=1, default=1, verbose_name='Version'),
        ),
        migrations.CreateModel(
            name='Invoice',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.CharField(max_length=30, unique=True, verbose_name='Rechnungsnummer')),
                ('issued_at', models.DateTimeField(verbose_name='ausgestellt am')),
                ('content', models.JSONField(default=dict, verbose_name='Inhalt')),
                ('buyer', models.JSONField(default=dict, verbose_name='Rechnungsempfänger')),
                ('order', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='invoice', to='orders.order', verbose_name='Bestellung')),
            ],
            options={
                'verbose_name': 'Rechnung',
                'verbose_name_plural': 'Rechnungen',
                'ordering': ['-issued_at', '-id'],
            },
        ),
        migrations.RunPython(copy_addresses, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(freeze_invoices, migrations.RunPython.noop, elidable=True),
    ]
