"""anonymize_due (cron): anonymizes the orders that the channels' policies make due (SPEC 5, 10)."""

import datetime
import sys

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from channels.models import Channel
from coldstorage.keys import KeyConfigurationError
from orders.management.commands._privacy import JobProgressCommand
from orders.models import PrivacyJob
from orders.privacy.jobs import privacy_job_anonymize_due, privacy_job_run
from orders.privacy.selection import Selection, SelectionError, check_date_in_range
from orders.privacy.summary import summary_lines


def _in_range(day: datetime.date) -> None:
    try:
        check_date_in_range(day)
    except SelectionError as exc:
        raise CommandError(str(exc)) from None


def _moment(value: str) -> datetime.datetime:
    try:
        moment = datetime.datetime.strptime(value, "%Y-%m-%dT%H:%M")
    except ValueError:
        raise CommandError(f"--now takes a local time YYYY-MM-DDTHH:MM, got {value!r}") from None
    _in_range(moment.date())
    return timezone.make_aware(moment)


def _day(value: str) -> datetime.datetime:
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--today takes a date YYYY-MM-DD, got {value!r}") from None
    _in_range(day)
    return timezone.make_aware(datetime.datetime.combine(day, timezone.localtime().time()))


class Command(JobProgressCommand):
    help = (
        "Anonymize the orders every channel's policy makes due (max(order date, last restore) "
        "+ X days), one job per channel, in the foreground with progress."
    )

    def add_arguments(self, parser):
        when = parser.add_mutually_exclusive_group()
        when.add_argument(
            "--now", help="act as of this local time, YYYY-MM-DDTHH:MM (testing, catching up)"
        )
        when.add_argument(
            "--today", help="act as of this day, YYYY-MM-DD, at the current time of day"
        )
        parser.add_argument(
            "--background", action="store_true", help="enqueue the jobs for the worker and return"
        )
        parser.add_argument("--chunk-size", type=int, default=None)

    def handle(self, *args, now=None, today=None, background=False, chunk_size=None, **options):
        if chunk_size is not None and chunk_size < 1:
            raise CommandError("--chunk-size must be at least 1")
        moment = _moment(now) if now else _day(today) if today else timezone.now()
        try:
            run = privacy_job_anonymize_due(now=moment, background=background)
        except KeyConfigurationError as exc:
            raise CommandError(exc.for_operator()) from None
        jobs = run.jobs
        if not jobs and not run.failed_channel_ids:
            self.stdout.write(_("Kein Kanal anonymisiert Kundendaten automatisch; nichts zu tun."))
            return
        names = dict(Channel.objects.values_list("pk", "name"))

        def name_of(job: PrivacyJob) -> str:
            return names.get(Selection.from_json(job.selection).due_channel_id, job.source)

        # A channel whose job could not be created is reported; every other channel runs.
        failures = [
            f"{names.get(pk, pk)} (#{pk}): no job could be created (see the log)"
            for pk in run.failed_channel_ids
        ]
        for failure in failures:
            self.stderr.write(failure)

        if background:
            for job in jobs:
                self.stdout.write(
                    _("%(channel)s: Vorgang #%(id)d eingereiht (%(total)d fällige Bestellungen).")
                    % {"channel": name_of(job), "id": job.pk, "total": job.total}
                )
            if failures:
                raise CommandError("; ".join(failures))
            return

        anonymized = 0
        for job in jobs:
            channel = name_of(job)
            cutoff = timezone.localtime(Selection.from_json(job.selection).due_cutoff)
            self.stdout.write(
                _(
                    "%(channel)s: %(total)d fällige Bestellungen "
                    "(Auftragsdatum und letzte Wiederherstellung bis %(cutoff)s)"
                )
                % {"channel": channel, "total": job.total, "cutoff": f"{cutoff:%d.%m.%Y %H:%M}"}
            )
            job = privacy_job_run(job_id=job.pk, chunk_size=chunk_size, progress=self.progress)
            if sys.stdout.isatty():
                self.stdout.write("")
            if job is None:
                failures.append(f"{channel}: the job is being run by another worker")
                continue
            count = job.summary.get("anonymized", 0)
            anonymized += count
            self.stdout.write(
                _("%(channel)s: %(count)d Bestellungen anonymisiert")
                % {"channel": channel, "count": count}
            )
            for line in summary_lines(job):
                self.stdout.write("  " + line)
            if job.state == PrivacyJob.State.FAILED:
                failures.append(f"{channel}: {job.error or 'job failed'}")
        self.stdout.write(
            _("Insgesamt %(orders)s in %(channels)s anonymisiert.")
            % {
                "orders": ngettext("%(count)s Bestellung", "%(count)s Bestellungen", anonymized)
                % {"count": number_format(anonymized, force_grouping=True)},
                # "in 1 Kanal", "in 2 Kanälen" (dative)
                "channels": ngettext("%(count)d Kanal", "%(count)d Kanälen", len(jobs))
                % {"count": len(jobs)},
            }
        )
        if failures:
            raise CommandError("; ".join(failures))
