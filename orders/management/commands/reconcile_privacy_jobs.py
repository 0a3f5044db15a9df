"""Hands privacy jobs whose worker stopped reporting to the worker again (also every minute)."""

from django.core.management.base import BaseCommand

from orders.privacy.jobs import reconcile_jobs


class Command(BaseCommand):
    help = "Resume privacy jobs whose worker died (the schedule does this every minute)."

    def handle(self, *args, **options):
        resumed = reconcile_jobs()
        self.stdout.write(f"resumed {len(resumed)} jobs: {resumed}")
