"""The django-q2 schedules the product relies on, created or updated idempotently.

Called after every `migrate` (post_migrate) and by `setup_demo`, so no one creates them by hand.
"""

import datetime

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

RECONCILE = "Datenschutz-Aufträge fortsetzen"
PURGE = "Cold Storage: fällige Daten endgültig löschen"
AUTO_ANONYMIZE = "Kanalregeln: fällige Bestellungen anonymisieren"
IMPORT_UPLOADS = "Import: abgelaufene Dateien löschen"
AUTOMATION = "Automatisierung: Regeln ausführen"


def _next_run_at(hhmm: str) -> datetime.datetime:
    try:
        hour, minute = (int(part) for part in hhmm.split(":"))
        datetime.time(hour, minute)
    except ValueError:
        raise ImproperlyConfigured(f"a time of day is HH:MM (e.g. 02:30), got {hhmm!r}") from None
    now = timezone.localtime()
    run = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return run if run > now else run + datetime.timedelta(days=1)


def ensure_schedules() -> None:
    from django_q.models import Schedule

    wanted = {
        RECONCILE: {
            "func": "orders.tasks.reconcile_privacy_jobs",
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
        },
        AUTO_ANONYMIZE: {
            "func": "orders.tasks.anonymize_due",
            "schedule_type": Schedule.DAILY,
            "next_run": _next_run_at(settings.AUTO_ANONYMIZE_TIME),
        },
        AUTOMATION: {
            "func": "automation.tasks.run_automation",
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
        },
        IMPORT_UPLOADS: {
            "func": "orders.tasks.delete_expired_import_uploads",
            "schedule_type": Schedule.MINUTES,
            "minutes": 10,
        },
        PURGE: {
            "func": "orders.tasks.purge_coldstorage",
            "schedule_type": Schedule.DAILY,
            "next_run": _next_run_at(settings.PURGE_TIME),
        },
    }
    for name, fields in wanted.items():
        schedule = Schedule.objects.filter(name=name).first()
        if schedule is None:
            Schedule.objects.create(name=name, repeats=-1, **fields)
            continue
        # Keep the next run of an existing schedule unless its time of day changed.
        if _same_time(schedule, fields):
            fields.pop("next_run", None)
        Schedule.objects.filter(pk=schedule.pk).update(**fields)


def next_run_of(name: str) -> datetime.datetime | None:
    """When the named schedule runs next (None before the first migrate)."""
    from django_q.models import Schedule

    return Schedule.objects.filter(name=name).values_list("next_run", flat=True).first()


def _same_time(schedule, fields) -> bool:
    wanted = fields.get("next_run")
    if wanted is None or schedule.next_run is None:
        return True
    current = timezone.localtime(schedule.next_run)
    return (current.hour, current.minute) == (wanted.hour, wanted.minute)
