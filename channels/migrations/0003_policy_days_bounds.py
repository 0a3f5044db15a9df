"""Policy days bounded 0 to 3,650 (issue 10): a huge value broke the daily policy run for every
channel and the channel's pages. Values above the bound are clamped to it first (such a channel
anonymizes orders older than ten years at its next run; that is as close to "practically never"
as the bound allows); nothing else changes."""

import django.core.validators
from django.db import migrations, models


MAX_POLICY_DAYS = 3650


def clamp_policy_days(apps, schema_editor):
    Channel = apps.get_model("channels", "Channel")
    Channel.objects.filter(auto_anonymize_days__gt=MAX_POLICY_DAYS).update(
        auto_anonymize_days=MAX_POLICY_DAYS
    )


class Migration(migrations.Migration):

    dependencies = [
        ('channels', '0002_amazon_policy_constraint'),
    ]

    operations = [
        migrations.RunPython(clamp_policy_days, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='channel',
            name='auto_anonymize_days',
            field=models.PositiveIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(0, message='Bitte eine Anzahl Tage von 0 bis %(limit_value)s (10 Jahre) angeben.'), django.core.validators.MaxValueValidator(3650, message='Bitte eine Anzahl Tage von 0 bis %(limit_value)s (10 Jahre) angeben.')], verbose_name='nach Tagen'),
        ),
        migrations.AddConstraint(
            model_name='channel',
            constraint=models.CheckConstraint(condition=models.Q(('auto_anonymize_days__isnull', True), models.Q(('auto_anonymize_days__gte', 0), ('auto_anonymize_days__lte', 3650)), _connector='OR'), name='channel_policy_days_bounds', violation_error_message='Bitte eine Anzahl Tage von 0 bis 3650 (10 Jahre) angeben.'),
        ),
    ]
