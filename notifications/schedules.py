"""The outbox's django-q2 schedule, created or updated idempotently after every migrate."""

SEND_OUTBOX = "E-Mails: Postausgang senden"


def ensure_schedules() -> None:
    from django_q.models import Schedule

    fields = {
        "func": "notifications.tasks.send_outbox",
        "schedule_type": Schedule.MINUTES,
        "minutes": 1,
        "repeats": -1,
    }
    updated = Schedule.objects.filter(name=SEND_OUTBOX).update(**fields)
    if not updated:
        Schedule.objects.create(name=SEND_OUTBOX, **fields)
