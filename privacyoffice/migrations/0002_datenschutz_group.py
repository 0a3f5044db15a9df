"""The group "Datenschutz" (data protection officer): makes Auskünfte, records and runs
Löschanfragen, reads orders and customers (with their personal data) and changes nothing else."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Datenschutz"
PERMISSIONS = (
    ("privacyoffice", "view_subject_report"),
    ("privacyoffice", "view_subjectreport"),
    ("privacyoffice", "handle_erasure_request"),
    ("privacyoffice", "view_erasurerequest"),
    ("orders", "view_order"),
    ("customers", "view_customer"),
    ("customers", "view_personal_data"),
)


def create_group(apps, schema_editor):
    using = schema_editor.connection.alias
    # Django creates permissions after all migrations ran; the group needs them now.
    for label in ("privacyoffice", "orders", "customers"):
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0, using=using)
        app_config.models_module = None
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    group, _created = Group.objects.using(using).get_or_create(name=GROUP)
    for app_label, codename in PERMISSIONS:
        permission = Permission.objects.using(using).filter(
            content_type__app_label=app_label, codename=codename
        )
        group.permissions.add(*permission)


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.using(schema_editor.connection.alias).filter(
        name=GROUP
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("privacyoffice", "0001_initial"),
        ("orders", "0020_import_upload"),
        ("customers", "0006_search_indexes"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
