"""setup_demo: makes a local installation usable on every start (bin/start); quick when already done.

Ensures a cold-storage key, the "Händler", "Mitarbeiter" and "Buchhaltung" groups, the demo logins,
the demo company settings (where empty), the schedules and, on an empty database, demo orders.
"""

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from coldstorage import keys
from documents.models import CompanySettings
from orders.models import Order
from orders.schedules import ensure_schedules

MERCHANT_APPS = (
    "orders",
    "customers",
    "channels",
    "automation",
    "documents",
    "notifications",
    "privacyoffice",
)
MERCHANT_GROUP = "Händler"
STAFF_GROUP = "Mitarbeiter"
#: Looks at orders, invoices and channels; changes nothing and sees no personal data.
BOOKKEEPING_GROUP = "Buchhaltung"
BOOKKEEPING_APPS = ("orders", "channels", "documents")
#: The demo's seller: example data (the IBAN is the well-known test IBAN of the Commerzbank).
DEMO_COMPANY = {
    "name": "Demo Handel GmbH",
    "street": "Beispielstraße 1",
    "postcode": "10115",
    "city": "Berlin",
    "email": "rechnung@demo-handel.example",
    "phone": "030 1234567",
    "vat_id": "DE123456789",
    "tax_number": "30/123/45678",
    "bank_name": "Commerzbank",
    "iban": "DE89370400440532013000",
    "bic": "COBADEFFXXX",
    "footer": "Demo-Daten · Amtsgericht Berlin-Charlottenburg HRB 000000",
}
# A local demo only: production has no demo logins (bin/start is not how it is run).
# Username, password, group, staff and superuser (sees the support admin), what it is for.
DEMO_LOGINS = (
    (
        "demo",
        "demo-Passwort-2026",
        MERCHANT_GROUP,
        True,
        "all merchant rights, and the support admin /admin/",
    ),
    (
        "mitarbeiter",
        "mitarbeiter-Passwort-2026",
        STAFF_GROUP,
        False,
        "everything except restoring anonymized data",
    ),
    (
        "buchhaltung",
        "buchhaltung-Passwort-2026",
        BOOKKEEPING_GROUP,
        False,
        "reads orders, invoices and channels, no personal data, changes nothing",
    ),
)
#: Where the start command's web server listens (bin/start passes its HOST and PORT).
URL = "http://127.0.0.1:8000/"


class Command(BaseCommand):
    help = (
        "Prepares a local demo: cold-storage key file, groups Händler/Mitarbeiter/Buchhaltung, "
        "the logins demo, mitarbeiter and buchhaltung, schedules, and demo orders when there are "
        "none. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--orders", type=int, default=2000, help="demo orders on an empty database (2000)"
        )
        parser.add_argument("--url", default=URL, help=f"the address printed at the end ({URL})")

    def handle(self, *args, orders: int, url: str, **options):
        self._ensure_key()
        groups = self._ensure_groups()
        self._ensure_logins(groups)
        self._ensure_company()
        ensure_schedules()
        if orders > 0 and not Order.objects.exists():
            call_command("seed_demo", orders=orders, stdout=self.stdout, stderr=self.stderr)

        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"OrderDesk is ready: {url}"))
        for username, password, _group, _staff, purpose in DEMO_LOGINS:
            self.stdout.write(f"  login {username:<12} password {password:<26} {purpose}")

    def _ensure_key(self) -> None:
        path = Path(settings.COLDSTORAGE_KEY_FILE)
        if not settings.COLDSTORAGE_KEYS and not path.exists():
            self._create_key_file(path)
        keys.reset_cache()
        try:
            keys.keyring()
        except keys.KeyConfigurationError as exc:
            raise CommandError(exc.for_operator()) from None

    def _create_key_file(self, path: Path) -> None:
        key_id = keys.create_key_file(path)
        self.stderr.write(
            self.style.WARNING(
                f"WARNING: no cold-storage key was configured, so a local key file was created: "
                f"{path} (key {key_id}).\n"
                "  Back this file up: without it, anonymized customer data can never be restored.\n"
                "  Production must set COLDSTORAGE_KEYS (id:base64key,…) instead of relying on a "
                "local key file."
            )
        )

    def _ensure_company(self) -> None:
        """The demo's seller (Einstellungen → Firma), so that invoices can be issued; fields a
        merchant filled in stay as they are."""
        company = CompanySettings.load()
        empty = {name: value for name, value in DEMO_COMPANY.items() if not getattr(company, name)}
        if empty:
            CompanySettings.objects.filter(pk=1).update(**empty)
            self.stdout.write("Demo company settings filled in (Einstellungen → Firma).")

    def _ensure_groups(self) -> dict[str, Group]:
        permissions = Permission.objects.filter(content_type__app_label__in=MERCHANT_APPS)
        wanted = {
            MERCHANT_GROUP: permissions,
            # Restores and data subject requests (reports decrypt cold data) stay the owner's.
            STAFF_GROUP: permissions.exclude(
                content_type__app_label="orders", codename="restore_order"
            ).exclude(content_type__app_label="privacyoffice"),
            BOOKKEEPING_GROUP: Permission.objects.filter(
                content_type__app_label__in=BOOKKEEPING_APPS, codename__startswith="view_"
            ),
        }
        groups = {}
        for name, group_permissions in wanted.items():
            group, created = Group.objects.get_or_create(name=name)
            group.permissions.set(group_permissions)
            if created:
                self.stdout.write(f"Group {name} created.")
            groups[name] = group
        return groups

    def _ensure_logins(self, groups: dict[str, Group]) -> None:
        User = get_user_model()
        for username, password, group, is_staff, _purpose in DEMO_LOGINS:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User(username=username, is_staff=is_staff, is_superuser=is_staff)
                user.set_password(password)
                user.save()
                self.stdout.write(f"Login {username} created.")
            user.groups.add(groups[group])
