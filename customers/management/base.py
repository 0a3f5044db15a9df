"""The base of management commands that take text: a card number never gets in through them."""

import sys
from collections.abc import Iterable

from django.core.management.base import BaseCommand, CommandError

from personal.cards import CARD_NUMBER_MESSAGE, contains_card_number


def _texts(values: Iterable) -> Iterable[str]:
    # A number spaced out on the command line arrives in pieces: they are read together too.
    values = list(values)
    for value in values:
        if isinstance(value, str):
            yield value
        elif isinstance(value, list | tuple):
            yield from _texts(value)
    yield " ".join(value for value in values if isinstance(value, str))


class CardSafeCommand(BaseCommand):
    """Refuses every call whose arguments hold a card number, before anything runs and with
    nothing quoted: neither the command's own errors ("not a date: …") nor argparse's ("invalid
    int value: …") may print it to a terminal, a cron mail or a log."""

    def run_from_argv(self, argv):
        if any(contains_card_number(text) for text in _texts(argv[2:])):
            self.stderr.write(f"CommandError: {CARD_NUMBER_MESSAGE}")
            sys.exit(1)
        super().run_from_argv(argv)

    def execute(self, *args, **options):
        # call_command() and the scheduler come here without run_from_argv.
        if any(contains_card_number(text) for text in _texts([*args, *options.values()])):
            raise CommandError(str(CARD_NUMBER_MESSAGE))
        return super().execute(*args, **options)
