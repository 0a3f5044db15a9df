"""Writes of data subject requests: the audited Auskunft and the Löschanfrage, which anonymizes
through the privacy engine's job API (orders.privacy.jobs) – there is no second implementation."""

import datetime
import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from orders.models import Order, OrderStatus, PrivacyJob
from orders.privacy.jobs import privacy_job_anonymize, privacy_job_run
from orders.privacy.selection import Selection
from personal.state import PrivacyState as S
from privacyoffice.models import ErasureRequest, SubjectReport, one_month_after
from privacyoffice.selectors import subject_report

logger = logging.getLogger(__name__)

#: An order still being worked (not shipped, cancelled or archived) is not anonymized by a
#: Löschanfrage: its data is still needed to fulfil the contract (Art. 17(3)(b), 6(1)(b)).
OPEN_STATUSES = (OrderStatus.NEW, OrderStatus.PAID, OrderStatus.INVOICED)

#: Why an order cannot be anonymized yet, by the code stored on the request.
BLOCK_REASONS = {
    "open": _("Die Bestellung ist noch nicht abgeschlossen (Status: %(status)s)."),
    "restoring": _("Die Kundendaten werden gerade wiederhergestellt."),
    "no_orders": _(
        "Der Kunde hat keine Bestellung: Anonymisiert wird über die Bestellungen; löschen Sie den "
        "Kunden im Support-Admin."
    ),
}

SOURCE = "Löschanfrage"


class ErasureRequestError(ValueError):
    """The request cannot be recorded or run; the message says why (for the user)."""


@transaction.atomic
def subject_report_create(*, customer: Customer, requested_by=None, via: str) -> dict:
    """The Auskunft, and its audit row (who, when, which customer id, by which path). The
    report is returned, never stored."""
    report = subject_report(customer=customer)
    SubjectReport.objects.create(customer_id=customer.pk, requested_by=requested_by, via=via)
    logger.info(
        "subject report: customer id %s, user id %s, via %s",
        customer.pk,
        getattr(requested_by, "pk", None),
        via,
    )
    return report


def blocked_orders(customer_id: int) -> list[dict]:
    """The customer's orders a Löschanfrage cannot anonymize yet: [{"order": id, "reason": code}]."""
    blocked = []
    for pk, state, status in (
        Order.objects.filter(customer_id=customer_id)
        .filter(privacy_state__in=(S.ACTIVE, S.RESTORING))
        .order_by("number")
        .values_list("pk", "privacy_state", "status")
    ):
        if state == S.RESTORING:
            blocked.append({"order": pk, "reason": "restoring"})
        elif status in OPEN_STATUSES:
            blocked.append({"order": pk, "reason": "open"})
    return blocked


def erasure_request_create(
    *,
    customer: Customer,
    received_on: datetime.date,
    received_via: str,
    recorded_by=None,
    background: bool = True,
) -> ErasureRequest:
    """Records a Löschanfrage (due one month after it came in) and runs it at once. Call it
    inside no transaction when `background=False`: the privacy job commits chunk by chunk."""
    if received_on > timezone.localdate():
        raise ErasureRequestError(_("Das Eingangsdatum liegt in der Zukunft."))
    if received_via not in ErasureRequest.ReceivedVia.values:
        raise ErasureRequestError(_("Unbekannter Eingangsweg."))
    with transaction.atomic():
        request = ErasureRequest.objects.create(
            customer=customer,
            received_on=received_on,
            received_via=received_via,
            deadline=one_month_after(received_on),
            recorded_by=recorded_by,
        )
    logger.info(
        "erasure request %s recorded: customer id %s, user id %s",
        request.pk,
        customer.pk,
        getattr(recorded_by, "pk", None),
    )
    return erasure_request_run(request=request, requested_by=recorded_by, background=background)


def erasure_request_run(
    *, request: ErasureRequest, requested_by=None, background: bool = True
) -> ErasureRequest:
    """Anonymizes every order of the customer that can be anonymized now, in one privacy job,
    and lists the others with their reason. Closes the request when none is left over.

    With `background=False` the job runs here, to its end (the commands)."""
    with transaction.atomic():
        request = ErasureRequest.objects.select_for_update().get(pk=request.pk)
        if not request.is_open:
            return request
        blocked = blocked_orders(request.customer_id)
        blocked_ids = {item["order"] for item in blocked}
        due = [
            pk
            for pk in Order.objects.filter(
                customer_id=request.customer_id, privacy_state=S.ACTIVE
            ).values_list("pk", flat=True)
            if pk not in blocked_ids
        ]
        if not due and not blocked and _active_without_orders(request.customer_id):
            blocked = [{"order": None, "reason": "no_orders"}]
        now = timezone.now()
        job = None
        if due:
            job = privacy_job_anonymize(
                selection=Selection.of_ids(due),
                requested_by=requested_by,
                source=SOURCE,
                background=background,
            )
        request.blocked = blocked
        request.last_run_at = now
        if job is not None:
            request.last_job = job
        if not blocked:
            request.state = ErasureRequest.State.DONE
            request.closed_at = now
        request.save(update_fields=["blocked", "last_run_at", "last_job", "state", "closed_at"])
    logger.info(
        "erasure request %s run: %d orders to anonymize, %d not yet (job %s)",
        request.pk,
        len(due),
        len(blocked),
        getattr(job, "pk", None),
    )
    if job is not None and not background:
        privacy_job_run(job_id=job.pk)
    return request


def _active_without_orders(customer_id: int) -> bool:
    return (
        Customer.objects.filter(pk=customer_id, privacy_state=S.ACTIVE).exists()
        and not Order.objects.filter(customer_id=customer_id).exists()
    )


def erasure_purge_date(request: ErasureRequest) -> datetime.date | None:
    """The day the last of the customer's data will be deleted for good: the latest purge
    date of its anonymized orders (the engine's own rule for those still being anonymized)."""
    from orders.models import purge_date_for

    dates = [
        d
        for d in Order.objects.filter(customer_id=request.customer_id)
        .exclude(purge_on=None)
        .values_list("purge_on", flat=True)
    ]
    job = request.last_job
    if job is not None and job.kind == PrivacyJob.Kind.ANONYMIZE and not job.is_finished:
        dates.append(purge_date_for(timezone.now()))
    return max(dates) if dates else None
