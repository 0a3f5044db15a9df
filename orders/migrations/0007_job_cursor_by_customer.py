"""Privacy jobs now walk their orders customer by customer and keep the last customer id as their
cursor (it used to be an order id). A job that was queued or running during the upgrade starts its
walk again from the beginning: chunks are idempotent, so orders it already did are skipped."""

from django.db import migrations


def restart_unfinished_jobs(apps, schema_editor):
    PrivacyJob = apps.get_model("orders", "PrivacyJob")
    PrivacyJob.objects.filter(state__in=("queued", "running")).update(cursor=0)


class Migration(migrations.Migration):
    dependencies = [("orders", "0006_hot_privacy_updates")]

    operations = [migrations.RunPython(restart_unfinished_jobs, migrations.RunPython.noop)]
