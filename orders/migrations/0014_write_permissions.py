"""Permissions for the order page's writes (invoice, shipping) and for reading personal data.

Until now editing, invoicing, shipping and reading personal data in the merchant pages needed no
permission at all. So that nobody who works orders today is locked out, the roles that could
already edit orders or customers get what that work needs; roles that could only look get no
personal data (a bookkeeper sees numbers and amounts). See README "Using it".
"""

from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations

#: (app_label, codename) a role already holds → what it gets in addition.
GRANTS = {
    ("orders", "change_order"): (
        ("orders", "issue_invoice"),
        ("orders", "ship_order"),
        ("customers", "view_personal_data"),
    ),
    ("customers", "change_customer"): (("customers", "view_personal_data"),),
}


def _permission(Permission, app_label: str, codename: str):
    return Permission.objects.filter(
        content_type__app_label=app_label, codename=codename
    ).first()


def grant_to_existing_roles(apps, schema_editor):
    using = schema_editor.connection.alias
    # Django creates permissions after all migrations ran; this one needs them now.
    for label in ("orders", "customers"):
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0, using=using)
        app_config.models_module = None

    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    User = apps.get_model(settings.AUTH_USER_MODEL)
    for held, added in GRANTS.items():
        holding = _permission(Permission, *held)
        if holding is None:
            continue
        new = [p for p in (_permission(Permission, *pair) for pair in added) if p is not None]
        for group in Group.objects.using(using).filter(permissions=holding):
            group.permissions.add(*new)
        for user in User.objects.using(using).filter(user_permissions=holding):
            user.user_permissions.add(*new)


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0013_worker_heartbeat"),
        ("customers", "0004_personal_data_permission"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="order",
            options={
                "ordering": ["-number"],
                "permissions": [
                    ("anonymize_order", "Kann Bestellungen anonymisieren"),
                    ("restore_order", "Kann anonymisierte Bestellungen wiederherstellen"),
                    ("export_order", "Kann Bestellungen exportieren"),
                    ("issue_invoice", "Kann Rechnungen erstellen"),
                    ("ship_order", "Kann Bestellungen versenden (Sendungsnummer)"),
                ],
                "verbose_name": "Bestellung",
                "verbose_name_plural": "Bestellungen",
            },
        ),
        # Permissions only add rights: going back leaves them assigned (harmless without the code).
        migrations.RunPython(grant_to_existing_roles, migrations.RunPython.noop),
    ]
