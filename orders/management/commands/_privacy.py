"""What the privacy commands share: selecting orders, progress (anonymize_due too), the summary."""

import datetime
import sys

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from coldstorage.keys import KeyConfigurationError
from customers.management.base import CardSafeCommand
from orders.models import PrivacyJob
from orders.privacy.jobs import privacy_job_run
from orders.privacy.selection import Selection, SelectionError, check_date_in_range
from orders.privacy.summary import summary_lines


def _date(value: str) -> datetime.date:
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {value!r}") from None
    try:
        check_date_in_range(day)
    except SelectionError as exc:
        raise CommandError(str(exc)) from None
    return day


class JobProgressCommand(CardSafeCommand):
    """A command that runs privacy jobs in the foreground and shows their progress: one line,
    rewritten in a terminal; a line per step in a log."""

    def progress(self, job: PrivacyJob) -> None:
        line = f"{job.done}/{job.total} ({job.percent} %)"
        if sys.stdout.isatty():
            self.stdout.write("\r" + line, ending="")
        else:
            self.stdout.write(line)


class PrivacyCommand(JobProgressCommand):
    action = ""  # set by subclasses

    def add_arguments(self, parser):
        parser.add_argument("--ids", help="order ids, comma-separated: --ids 1,2,3")
        parser.add_argument("--from", dest="date_from", help="order date from (YYYY-MM-DD)")
        parser.add_argument("--to", dest="date_to", help="order date to, inclusive (YYYY-MM-DD)")
        parser.add_argument(
            "--background", action="store_true", help="enqueue for the worker and return"
        )
        parser.add_argument("--chunk-size", type=int, default=None)

    def selection(self, options) -> Selection:
        if options["ids"] and (options["date_from"] or options["date_to"]):
            raise CommandError("use either --ids or --from/--to, not both")
        try:
            if options["ids"]:
                try:
                    ids = [int(part) for part in options["ids"].split(",") if part.strip()]
                except ValueError:
                    raise CommandError("--ids takes numbers separated by commas") from None
                return Selection.of_ids(ids)
            if not (options["date_from"] and options["date_to"]):
                raise CommandError("give --ids or both --from and --to")
            return Selection(
                date_from=_date(options["date_from"]), date_to=_date(options["date_to"])
            )
        except SelectionError as exc:
            raise CommandError(str(exc)) from None

    def create_job(self, selection: Selection, background: bool) -> PrivacyJob:
        raise NotImplementedError

    def handle(self, *args, **options):
        if options["chunk_size"] is not None and options["chunk_size"] < 1:
            raise CommandError("--chunk-size must be at least 1")
        selection = self.selection(options)
        try:
            job = self.create_job(selection, options["background"])
        except KeyConfigurationError as exc:
            raise CommandError(exc.for_operator()) from None
        if options["background"]:
            self.stdout.write(
                _("Vorgang #%(id)d eingereiht (%(total)d Bestellungen); der Worker führt ihn aus.")
                % {"id": job.pk, "total": job.total}
            )
            return
        if not job.is_finished:
            job = privacy_job_run(
                job_id=job.pk, chunk_size=options["chunk_size"], progress=self.progress
            )
            if sys.stdout.isatty():
                self.stdout.write("")
        if job is None:
            raise CommandError("the job is being run by another worker")
        for line in summary_lines(job):
            self.stdout.write(line)
        if job.state == PrivacyJob.State.FAILED:
            raise CommandError(job.error or "job failed")
        if job.has_failures:
            failed = sum(n for key, n in job.summary.items() if key.startswith("failed"))
            raise CommandError(
                _("%(count)d Bestellungen konnten nicht bearbeitet werden (siehe oben).")
                % {"count": failed}
            )
