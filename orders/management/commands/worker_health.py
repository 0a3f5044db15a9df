"""Exits non-zero when the worker does not work: for monitoring, cron and systemd timers."""

from django.core.management.base import BaseCommand, CommandError

from orders.worker import worker_health


class Command(BaseCommand):
    help = "Check that background tasks run and privacy jobs progress (exit 1 if not)."

    def handle(self, *args, **options):
        health = worker_health()
        if not health.ok:
            raise CommandError("; ".join(health.problems))
        self.stdout.write(f"ok: last task ran at {health.last_beat:%Y-%m-%d %H:%M:%S %Z}")
