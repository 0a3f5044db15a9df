"""reseal_smtp_passwords: after rotate_coldstorage_key, seal the SMTP passwords under the new key."""

from django.core.management.base import BaseCommand, CommandError

from coldstorage.crypto import TamperedRecordError
from coldstorage.keys import KeyConfigurationError
from notifications.services import smtp_passwords_reseal


class Command(BaseCommand):
    help = (
        "Seals every stored SMTP password under the newest cold-storage key (run after "
        "rotate_coldstorage_key, before removing an old key)."
    )

    def handle(self, *args, **options):
        try:
            count = smtp_passwords_reseal()
        except KeyConfigurationError as exc:
            raise CommandError(exc.for_operator()) from None
        except TamperedRecordError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"{count} SMTP password(s) sealed under the current key.")
