"""Evaluates the automation rules once (what the schedule does every minute), for cron and tests."""

from django.core.management.base import BaseCommand

from automation.evaluator import automation_run


class Command(BaseCommand):
    help = "Evaluates the automation rules on the new order history events and the due time slots."

    def handle(self, *args, **options):
        result = automation_run()
        self.stdout.write(
            f"{result.events} events read, {result.fired} firings, {result.failed} failed."
        )
