"""django-q2 tasks of the outbox. They take no personal data and are safe to run twice."""

from notifications.services import outbox_send


def send_outbox(batch_size: int = 50) -> str:
    """Sends every mail that is due (queued, or claimed by a sender that stopped). Run after a
    producer's commit and every minute by the schedule (notifications.schedules)."""
    return str(outbox_send(batch_size=batch_size))
