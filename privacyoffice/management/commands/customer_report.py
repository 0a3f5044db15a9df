"""Prints the Auskunft (GDPR Art. 15) of one customer as JSON; audited like the page."""

import json

from django.core.management.base import CommandError
from django.core.serializers.json import DjangoJSONEncoder

from coldstorage.keys import KeyConfigurationError
from customers.management.base import CardSafeCommand
from privacyoffice.models import SubjectReport
from privacyoffice.selectors import customer_by_number
from privacyoffice.services import subject_report_create


class Command(CardSafeCommand):
    help = "Print everything held about a customer (GDPR Art. 15) as JSON: --customer NUMBER."

    def add_arguments(self, parser):
        parser.add_argument("--customer", required=True, help="the customer number")

    def handle(self, *args, **options):
        customer = customer_by_number(options["customer"])
        if customer is None:
            raise CommandError("no customer with that number")
        try:
            report = subject_report_create(customer=customer, via=SubjectReport.Via.COMMAND)
        except KeyConfigurationError as exc:
            raise CommandError(f"cold storage key unusable: {type(exc).__name__}") from None
        self.stdout.write(json.dumps(report, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2))
