"""Imports orders from a CSV file (SPEC 10), for cron and operators: the checks of the upload page.

Prints the preview's counts and every refused row (row number and reason, never a value of the
file); imports nothing and exits non-zero when any row is refused or the file cannot be read.
"""

from pathlib import Path

from django.core.management.base import CommandError

from channels.models import Channel
from channels.selectors import channel_by_name_or_id
from customers.management.base import CardSafeCommand
from orders.importing.reading import ImportFileError, max_file_bytes
from orders.importing.services import ImportRefusedError, import_preview, orders_import

#: Who imported, in the order history, for imports made by this command.
ACTOR_LABEL = "manage.py import_orders"


def _channel(value: str) -> Channel:
    channel = channel_by_name_or_id(value)
    if channel is None:
        raise CommandError(f"no channel with this name or id: {value!r}")
    return channel


class Command(CardSafeCommand):
    help = (
        "Import orders from a CSV file (our own export or Shopify's orders_export.csv) into a "
        "channel. Nothing is imported when any row is refused; --dry-run only checks."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the CSV file")
        parser.add_argument("--channel", required=True, help="channel name or id")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and print the preview, import nothing"
        )
        parser.add_argument(
            "--include-duplicates",
            action="store_true",
            help="import orders the channel already has (same external order number) again",
        )

    def handle(self, *args, file: str, channel: str, dry_run: bool, **options):
        target = _channel(channel)
        content = self._read(Path(file))
        skip_duplicates = not options["include_duplicates"]
        try:
            if dry_run:
                preview = import_preview(
                    content=content, channel=target, skip_duplicates=skip_duplicates
                )
            else:
                try:
                    result = orders_import(
                        content=content,
                        channel=target,
                        skip_duplicates=skip_duplicates,
                        actor=None,
                        actor_label=ACTOR_LABEL,
                    )
                except ImportRefusedError as exc:
                    preview = exc.preview
                else:
                    self.stdout.write(
                        f"{result.imported} orders imported into {target.name!r}, "
                        f"{result.duplicates_skipped} duplicates skipped, "
                        f"{result.customers_created} new customers."
                    )
                    return
        except ImportFileError as exc:
            raise CommandError(f"{exc.message}") from None
        self._report(preview)
        if preview.refused_count:
            raise CommandError(
                f"{preview.refused_rows} row{'s' if preview.refused_rows != 1 else ''} refused: "
                "nothing imported. Correct them and run again."
            )
        if not preview.to_import:
            raise CommandError("nothing to import: every order of the file is a duplicate.")
        if dry_run:
            self.stdout.write("Dry run: nothing imported.")

    def _read(self, path: Path) -> bytes:
        try:
            size = path.stat().st_size
            if size > max_file_bytes():
                raise CommandError(
                    f"file too large: {size} bytes, at most {max_file_bytes()} (IMPORT_MAX_MB)"
                )
            return path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from None

    def _report(self, preview) -> None:
        self.stdout.write(
            f"format {preview.format} ({preview.rows_per} rows), {preview.row_count} rows: "
            f"{preview.new_count} new, {preview.duplicate_count} duplicates"
            f" ({'skipped' if preview.skip_duplicates else 'imported again'}), "
            f"{preview.refused_rows} rows refused"
        )
        for row, reason in preview.refusals:
            self.stdout.write(f"  row {row}: {reason}")
