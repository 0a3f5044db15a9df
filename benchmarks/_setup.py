"""What the privacy benchmarks share: a PostgreSQL database of their own, migrated, seeded to N
orders with `seed_demo`, a cold-storage key, and every order active before the measurement."""

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# The settings refuse DEBUG off without a key; a benchmark signs nothing that outlives it.
os.environ.setdefault("SECRET_KEY", f"benchmark-{os.urandom(32).hex()}")


def start_django(script: str, key_file_name: str) -> None:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit(f"{script} runs on PostgreSQL: set DATABASE_URL and COLDSTORAGE_DATABASE_URL")
    if not os.environ.get("COLDSTORAGE_KEYS"):
        os.environ["COLDSTORAGE_KEY_FILE"] = str(Path(tempfile.gettempdir()) / key_file_name)

    import django

    django.setup()


def all_orders():
    """A date-range selection over every order (the benchmarks act through the job code)."""
    from django.db.models import Max, Min
    from django.utils import timezone

    from orders.models import Order
    from orders.privacy.selection import Selection

    bounds = Order.objects.aggregate(first=Min("order_date"), last=Max("order_date"))
    return Selection(
        date_from=timezone.localtime(bounds["first"]).date(),
        date_to=timezone.localtime(bounds["last"]).date(),
    )


def prepare(orders: int) -> None:
    """Key, migrations, at least `orders` seeded orders, and none left anonymized or restoring."""
    from django.conf import settings
    from django.core.management import call_command

    from coldstorage import keys
    from orders.models import Order
    from orders.privacy.jobs import privacy_job_restore, privacy_job_run
    from personal.state import PrivacyState

    key_file = Path(settings.COLDSTORAGE_KEY_FILE)
    if not settings.COLDSTORAGE_KEYS and not key_file.exists():
        keys.create_key_file(key_file)
    call_command("migrate", verbosity=0)
    call_command("migrate", database="coldstorage", verbosity=0)

    existing = Order.objects.count()
    if existing < orders:
        print(f"seeding {orders - existing:,} orders …", flush=True)
        started = time.perf_counter()
        call_command("seed_demo", orders=orders - existing, seed=7, verbosity=0)
        print(f"  seeded in {time.perf_counter() - started:,.0f} s", flush=True)
    if Order.objects.exclude(privacy_state=PrivacyState.ACTIVE).exists():
        print("resetting: restoring the orders an earlier run anonymized …", flush=True)
        Order.objects.filter(privacy_state=PrivacyState.RESTORING).update(
            privacy_state=PrivacyState.ANONYMIZED
        )
        started = time.perf_counter()
        job = privacy_job_restore(selection=all_orders(), background=False)
        privacy_job_run(job_id=job.pk)
        print(f"  restored in {time.perf_counter() - started:,.0f} s", flush=True)
    vacuum()


def vacuum() -> None:
    """VACUUM ANALYZE both databases, outside the measured time, as autovacuum would have done.

    PostgreSQL on the project's machines runs with autovacuum off (CI's configuration); without
    this every run leaves millions of dead rows (each anonymize/restore cycle rewrites ~800k)
    that the next run's index lookups wade through, and the figures drift down run by run.
    """
    from django.db import connections

    started = time.perf_counter()
    for alias in ("default", "coldstorage"):
        with connections[alias].cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")
    print(f"vacuumed both databases in {time.perf_counter() - started:,.1f} s", flush=True)
