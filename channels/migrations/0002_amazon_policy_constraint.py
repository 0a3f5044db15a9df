"""Amazon's forced policy (on, 40 days) as a check constraint. Amazon channels that a bulk write
left with other values get the forced ones first; nothing else changes (the due rule always used
40 days for Amazon)."""

from django.db import migrations, models


def force_amazon_policy(apps, schema_editor):
    Channel = apps.get_model("channels", "Channel")
    Channel.objects.filter(kind="amazon").update(auto_anonymize=True, auto_anonymize_days=40)


class Migration(migrations.Migration):

    dependencies = [
        ('channels', '0001_initial'),
    ]

    operations = [
        migrations.RunPython(force_amazon_policy, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='channel',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('kind', 'amazon'), _negated=True), models.Q(('auto_anonymize', True), ('auto_anonymize_days', 40)), _connector='OR'), name='channel_amazon_policy_forced', violation_error_message='Amazon-Kanäle werden nach den Datenschutzregeln des Marktplatzes immer nach 40 Tagen anonymisiert; das lässt sich nicht ändern.'),
        ),
    ]
