from django.db import migrations
from django.db.models import Max


def next_number_after_issued(apps, schema_editor):
    """Invoices were numbered RE-<year>-<n> by the "invoice-<year>" sequences; the company
    settings count on after the highest of them, so the default format RE-{year}-{number:05d}
    never hands out a number that was issued before."""
    CompanySettings = apps.get_model("documents", "CompanySettings")
    NumberSequence = apps.get_model("orders", "NumberSequence")
    last = NumberSequence.objects.filter(name__startswith="invoice-").aggregate(m=Max("last_value"))
    company, _created = CompanySettings.objects.get_or_create(pk=1)
    wanted = (last["m"] or 0) + 1
    if company.next_invoice_number < wanted:
        company.next_invoice_number = wanted
        company.save(update_fields=["next_invoice_number"])


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0001_initial"),
        ("orders", "0017_invoices_per_order"),
    ]

    operations = [
        migrations.RunPython(next_number_after_issued, migrations.RunPython.noop, elidable=True),
    ]
