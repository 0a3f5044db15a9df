"""Records a Löschanfrage (GDPR Art. 17) for one customer and runs it: every order that can be
anonymized now is, through the privacy engine; the others are listed with their reason."""

import datetime

from django.core.management.base import CommandError
from django.utils import timezone

from coldstorage.keys import KeyConfigurationError
from customers.management.base import CardSafeCommand
from orders.models import Order
from privacyoffice.models import ErasureRequest
from privacyoffice.selectors import customer_by_number
from privacyoffice.services import ErasureRequestError, erasure_request_create


class Command(CardSafeCommand):
    help = (
        "Record and run a Löschanfrage: --customer NUMBER [--received-via email|letter|…] "
        "[--received-on YYYY-MM-DD] [--background]."
    )

    def add_arguments(self, parser):
        parser.add_argument("--customer", required=True, help="the customer number")
        parser.add_argument(
            "--received-via",
            default=ErasureRequest.ReceivedVia.OTHER,
            choices=ErasureRequest.ReceivedVia.values,
        )
        parser.add_argument("--received-on", help="the day it came in (default: today)")
        parser.add_argument(
            "--background", action="store_true", help="enqueue the job for the worker and return"
        )

    def handle(self, *args, **options):
        customer = customer_by_number(options["customer"])
        if customer is None:
            raise CommandError("no customer with that number")
        received_on = timezone.localdate()
        if options["received_on"]:
            try:
                received_on = datetime.date.fromisoformat(options["received_on"])
            except ValueError:
                raise CommandError("--received-on takes a date (YYYY-MM-DD)") from None
        try:
            request = erasure_request_create(
                customer=customer,
                received_on=received_on,
                received_via=options["received_via"],
                background=options["background"],
            )
        except ErasureRequestError as exc:
            raise CommandError(str(exc)) from None
        except KeyConfigurationError as exc:
            raise CommandError(f"cold storage key unusable: {type(exc).__name__}") from None
        self.stdout.write(
            f"erasure request {request.pk}: {request.get_state_display()}, "
            f"deadline {request.deadline.isoformat()}"
        )
        if request.last_job_id:
            self.stdout.write(f"privacy job {request.last_job_id}")
        numbers = dict(
            Order.objects.filter(
                pk__in=[i["order"] for i in request.blocked if i["order"]]
            ).values_list("pk", "number")
        )
        for item in request.blocked:
            if item["order"] is None:
                self.stdout.write(f"not yet: {item['reason']}")
            else:
                self.stdout.write(f"not yet: order {numbers.get(item['order'])} ({item['reason']})")
