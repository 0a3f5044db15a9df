"""History events indexed by order alone (see OrderEvent.order): a fifth of the size."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0007_job_cursor_by_customer'),
    ]

    operations = [
        migrations.AlterField(
            model_name='orderevent',
            name='order',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='events', to='orders.order'),
        ),
        migrations.RemoveIndex(
            model_name='orderevent',
            name='orders_orde_order_i_4c5f76_idx',
        ),
    ]
