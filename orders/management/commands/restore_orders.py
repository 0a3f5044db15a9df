"""Restores anonymized orders by id or order-date range (SPEC section 10)."""

from orders.management.commands._privacy import PrivacyCommand
from orders.privacy.jobs import privacy_job_restore


class Command(PrivacyCommand):
    help = "Restore the customer data of anonymized orders (--ids 1,2,3 or --from/--to YYYY-MM-DD)."

    def create_job(self, selection, background):
        return privacy_job_restore(
            selection=selection, source="Kommandozeile", background=background
        )
