"""Re-encrypts every cold record under the newest key (the first in COLDSTORAGE_KEYS)."""

from django.core.management.base import BaseCommand, CommandError

from coldstorage.keys import KeyConfigurationError
from coldstorage.services import cold_keyring, cold_records_count, cold_records_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt all cold-storage records under the first (newest) key. Resumable: run it "
        "again after an interruption. Afterwards the old keys can be removed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--chunk-size", type=int, default=2000)

    def handle(self, *args, **options):
        try:
            ring = cold_keyring()
            done = cold_records_rotate(
                chunk_size=options["chunk_size"],
                progress=lambda done, total: self.stdout.write(f"{done}/{total} re-encrypted"),
            )
        except KeyConfigurationError as exc:
            raise CommandError(exc.for_operator()) from None
        self.stdout.write(
            f"{done} records re-encrypted; all {cold_records_count()} records are now under key "
            f"{ring.current_id!r}. Keys no longer needed: "
            f"{', '.join(k for k in ring.keys if k != ring.current_id) or 'none'}."
        )
