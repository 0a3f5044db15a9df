"""Exports orders as CSV (SPEC 10), for cron and operators: the same file as the list's export."""

import datetime

from django.core.management.base import CommandError

from channels.models import Channel
from channels.selectors import channel_by_name_or_id
from customers.management.base import CardSafeCommand
from orders.export import DIALECTS, ExportOptions, order_export_lines
from orders.forms import OrderFilterForm
from orders.models import OrderStatus
from orders.selectors import orders_matching
from personal.state import PrivacyState


def _channel(value: str) -> Channel:
    channel = channel_by_name_or_id(value)
    if channel is None:
        raise CommandError(f"no channel with this name or id: {value!r}")
    return channel


class Command(CardSafeCommand):
    help = (
        "Export orders as CSV (standard output, or --output FILE): all orders, or those matching "
        "--from/--to (order date, inclusive), --channel, --status, --privacy."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help="write to this file instead of standard output")
        parser.add_argument("--format", choices=DIALECTS, default="excel")
        parser.add_argument("--per-item", action="store_true", help="one row per line item")
        parser.add_argument(
            "--skip-anonymized", action="store_true", help="leave out anonymized orders"
        )
        parser.add_argument("--from", dest="date_from", help="order date from (YYYY-MM-DD)")
        parser.add_argument("--to", dest="date_to", help="order date to, inclusive (YYYY-MM-DD)")
        parser.add_argument("--channel", help="channel name or id")
        parser.add_argument("--status", choices=OrderStatus.values)
        parser.add_argument("--privacy", choices=PrivacyState.values)

    def handle(self, *args, **options):
        orders = self._orders(options)
        export = ExportOptions(
            dialect=options["format"],
            per_item=options["per_item"],
            skip_anonymized=options["skip_anonymized"],
            personal_data=True,
        )
        written = []
        lines = order_export_lines(orders, options=export, on_finish=written.append)
        if options["output"]:
            try:
                with open(options["output"], "wb") as output:
                    for piece in lines:
                        output.write(piece.encode())
            except OSError as exc:
                raise CommandError(f"cannot write {options['output']}: {exc.strerror}") from None
            self.stdout.write(f"{written[0]} rows written to {options['output']}")
            return
        # The bytes themselves where the stream has them (a terminal, a pipe, a file), so that
        # they are those of the download whatever the locale's encoding.
        binary = getattr(self.stdout._out, "buffer", None)
        for piece in lines:
            if binary is not None:
                binary.write(piece.encode())
            else:
                self.stdout.write(piece, ending="")
        if binary is not None:
            binary.flush()
        self.stderr.write(f"{written[0]} rows exported")

    def _orders(self, options):
        data = {}
        if options["date_from"]:
            data["date_from"] = options["date_from"]
        if options["date_to"]:
            data["date_to"] = options["date_to"]
        for name in ("date_from", "date_to"):
            value = data.get(name)
            if value is not None and not _is_iso_date(value):
                raise CommandError(f"not a date (YYYY-MM-DD): {value!r}")
        if options["channel"]:
            data["channel"] = _channel(options["channel"]).pk
        if options["status"]:
            data["status"] = options["status"]
        if options["privacy"]:
            data["privacy"] = options["privacy"]
        filters = OrderFilterForm(data)
        if not filters.is_valid():
            raise CommandError(
                " ".join(str(error) for errors in filters.errors.values() for error in errors)
            )
        return orders_matching(filters.cleaned_data, personal_search=True)


def _is_iso_date(value: str) -> bool:
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10
