"""Check values of the cold-storage keys, per key id (issue 10). Empty at first: a key id's first
use records its check value, after a decrypt test against one of its records where there are any,
so existing databases need no key at migration time."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('coldstorage', '0002_lean_indexes'),
    ]

    operations = [
        migrations.CreateModel(
            name='KeyCheckValue',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key_id', models.CharField(max_length=32, unique=True, verbose_name='Schlüssel')),
                ('check_value', models.CharField(max_length=64, verbose_name='Prüfwert')),
                ('recorded_at', models.DateTimeField(auto_now_add=True, verbose_name='erfasst am')),
            ],
            options={
                'verbose_name': 'Schlüssel-Prüfwert',
                'verbose_name_plural': 'Schlüssel-Prüfwerte',
            },
        ),
    ]
