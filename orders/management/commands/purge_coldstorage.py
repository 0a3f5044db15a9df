"""Deletes for good the cold data whose retention has ended (cron; also a daily schedule)."""

import datetime

from django.core.management.base import CommandError
from django.utils import timezone

from customers.management.base import CardSafeCommand
from orders.models import PrivacyJob
from orders.privacy.jobs import privacy_job_purge, privacy_job_run
from orders.privacy.selection import SelectionError, check_date_in_range
from orders.privacy.summary import summary_lines


class Command(CardSafeCommand):
    help = "Purge anonymized data whose purge date has come (--today YYYY-MM-DD to act as of it)."

    def add_arguments(self, parser):
        parser.add_argument("--today", help="act as if today were this date (YYYY-MM-DD)")

    def handle(self, *args, **options):
        today = timezone.localdate()
        if options["today"]:
            try:
                today = datetime.date.fromisoformat(options["today"])
            except ValueError:
                raise CommandError(f"not a date (YYYY-MM-DD): {options['today']!r}") from None
            try:
                check_date_in_range(today)
            except SelectionError as exc:
                raise CommandError(str(exc)) from None
        job = privacy_job_purge(today=today, source="Kommandozeile", background=False)
        job = privacy_job_run(job_id=job.pk)
        if job is None:
            raise CommandError("the purge job is being run by another worker")
        for line in summary_lines(job):
            self.stdout.write(line)
        if job.state == PrivacyJob.State.FAILED:
            raise CommandError(job.error)
