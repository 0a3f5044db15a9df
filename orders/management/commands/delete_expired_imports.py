"""Deletes import uploads older than an hour (they hold personal data); also a schedule."""

from django.core.management.base import BaseCommand

from orders.importing.uploads import import_uploads_delete_expired


class Command(BaseCommand):
    help = "Delete uploaded import files that were neither confirmed nor discarded within an hour."

    def handle(self, *args, **options):
        deleted = import_uploads_delete_expired()
        self.stdout.write(f"{deleted} expired import uploads deleted")
