"""Use cases of notification texts, SMTP servers and the outbox (docs/notifications.md).

Producers (the automation rules) call `queue_mails`; the django-q2 task
`notifications.tasks.send_outbox` sends what is queued. Nothing here raises into a producer
because a mail server fails.
"""

import datetime
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import batched
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from coldstorage.services import cold_keyring
from documents.models import CompanySettings
from notifications.models import (
    MailState,
    NotificationText,
    OutgoingMail,
    RecipientKind,
    Refusal,
    SmtpServer,
)
from notifications.passwords import clear_password, open_password, seal_password
from notifications.placeholders import order_values, substitute
from notifications.sending import error_text, send_message
from orders.models import Order
from personal.state import PrivacyState

logger = logging.getLogger(__name__)

TEXT_FIELDS = ("name", "subject", "body_text", "body_html")
SERVER_FIELDS = ("name", "sender", "host", "port", "security", "username", "is_active")


class ChangedMeanwhileError(Exception):
    """Someone else saved the object since the page was loaded; nothing was changed."""

    def __init__(self):
        self.message = _(
            "Der Eintrag wurde inzwischen von jemand anderem gespeichert. Ihre Eingaben wurden "
            "nicht gespeichert: Bitte laden Sie die Seite neu."
        )
        super().__init__(self.message)


# --- Notification texts -----------------------------------------------------------------------


@transaction.atomic
def notification_text_save(
    *, text: NotificationText, data: Mapping[str, Any], version: int | None
) -> NotificationText:
    """Creates (no pk) or updates the text from validated form data, unless it changed since
    `version`."""
    if text.pk is not None:
        text = NotificationText.objects.select_for_update().get(pk=text.pk)
        if text.version != version:
            raise ChangedMeanwhileError()
        text.version += 1
    for name in TEXT_FIELDS:
        setattr(text, name, data[name])
    text.save()
    return text


def notification_text_delete(*, text: NotificationText) -> None:
    """The outbox keeps the text's name; queued mails of it are then refused (no text)."""
    text.delete()


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    body: str
    html: str


def merchant_name() -> str:
    return CompanySettings.load().name


def mail_render(
    *,
    subject: str,
    body_text: str,
    body_html: str,
    order: Order,
    show_personal: bool = True,
    merchant: str | None = None,
) -> RenderedMail:
    """The text for `order` as sent now (raises UnknownPlaceholderError). Personal placeholders
    of an anonymized order are [Anonymisiert]."""
    values = order_values(
        order,
        merchant_name=merchant_name() if merchant is None else merchant,
        show_personal=show_personal,
    )
    # Line breaks in a subject would start new header lines.
    rendered_subject = " ".join(substitute(subject, values).split())
    return RenderedMail(
        subject=rendered_subject,
        body=substitute(body_text, values),
        html=substitute(body_html, values, html=True) if body_html.strip() else "",
    )


# --- SMTP servers -----------------------------------------------------------------------------


@transaction.atomic
def smtp_server_save(
    *,
    server: SmtpServer,
    data: Mapping[str, Any],
    version: int | None,
    password: str = "",
    forget_password: bool = False,
) -> SmtpServer:
    """Creates or updates a server. An empty `password` keeps the stored one. Switching a server
    on again clears its failure count and the reason it was switched off."""
    if server.pk is not None:
        server = SmtpServer.objects.select_for_update().get(pk=server.pk)
        if server.version != version:
            raise ChangedMeanwhileError()
        server.version += 1
    was_active = server.is_active if server.pk is not None else False
    for name in SERVER_FIELDS:
        setattr(server, name, data[name])
    if server.is_active and not was_active:
        server.consecutive_failures = 0
        server.disabled_at = None
        server.disabled_reason = ""
    server.save()
    if forget_password:
        clear_password(server)
        server.save(update_fields=["password_key_id", "password_nonce", "password_ciphertext"])
    elif password:
        seal_password(server, password)
        server.save(update_fields=["password_key_id", "password_nonce", "password_ciphertext"])
    return server


def smtp_passwords_reseal() -> int:
    """Seals every stored SMTP password under the key ring's current key (after a key rotation,
    before an old key is removed); returns how many were sealed anew."""
    current = cold_keyring().current_id
    count = 0
    for server in SmtpServer.objects.filter(password_ciphertext__isnull=False).exclude(
        password_key_id=current
    ):
        with transaction.atomic():
            locked = SmtpServer.objects.select_for_update().get(pk=server.pk)
            seal_password(locked, open_password(locked))
            locked.save(update_fields=["password_key_id", "password_nonce", "password_ciphertext"])
        count += 1
    return count


def smtp_server_delete(*, server: SmtpServer) -> None:
    server.delete()


def active_server() -> SmtpServer | None:
    """The server mail goes out through: the first active one (None: the default settings)."""
    return SmtpServer.objects.filter(is_active=True).order_by("id").first()


@dataclass(frozen=True)
class TestResult:
    ok: bool
    answer: str


def smtp_server_send_test(*, server: SmtpServer, to: str) -> TestResult:
    """Sends a test message through `server` now and returns its answer. A failed test does not
    count towards switching the server off (the merchant is trying it out)."""
    try:
        answer = send_message(
            server,
            to=to,
            subject=_("OrderDesk: Test-E-Mail"),
            body=_(
                "Diese Test-E-Mail wurde über den Server „%(name)s“ gesendet. Der Versand "
                "funktioniert."
            )
            % {"name": server.name},
        )
    except Exception as exc:  # any failure is the answer the merchant asked for
        answer = error_text(exc)
        logger.info("smtp server %s: test mail failed: %s", server.pk, answer)
        return TestResult(ok=False, answer=answer)
    return TestResult(ok=True, answer=answer)


# --- The outbox -------------------------------------------------------------------------------


def merchant_address() -> str:
    return CompanySettings.load().email or settings.NOTIFICATIONS_MERCHANT_EMAIL


def queue_mails(
    *,
    text: NotificationText | int,
    order_ids: Iterable[int],
    recipient: str = RecipientKind.BUYER,
    dedupe_prefix: str | None = None,
    chunk_size: int = 5000,
) -> int:
    """Puts one mail of `text` per order into the outbox and returns how many rows it added
    (queued or refused). One INSERT … SELECT per chunk of orders, none per order: the rows are
    made by the database from the orders themselves.

    Mails to the buyer of an order whose data is not active (anonymized, restoring, purged) are
    added as refused, with the reason. Unknown order ids are skipped. With `dedupe_prefix`, each
    row's key is "<prefix>:order:<id>:<recipient>": an order that already has a row of that key
    gets none (also when two producers race: the unique key decides, ON CONFLICT DO NOTHING).
    Sending happens after commit, by the task, from the live order: no address or content is
    stored here.
    """
    if recipient not in RecipientKind.values:
        raise ValueError(f"unknown recipient kind {recipient!r}")
    if not isinstance(text, NotificationText):
        text = NotificationText.objects.only("pk", "name").get(pk=text)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    # Only a mail to the buyer is refused, and only while the buyer's data is not active.
    refused = "o.state_code <> %s" if recipient == RecipientKind.BUYER else "1 = 0"
    refused_params = [PrivacyState.ACTIVE] if recipient == RecipientKind.BUYER else []
    key = "%s || CAST(o.order_pk AS TEXT) || %s" if dedupe_prefix else "NULL"
    key_params = [f"{dedupe_prefix}:order:", f":{recipient}"] if dedupe_prefix else []
    insert = (
        f"INSERT INTO {OutgoingMail._meta.db_table} (order_id, text_id, text_name, recipient, "
        "state, refusal, server_name, attempts, last_error, next_attempt_at, dedupe_key, "
        "created_at) "
        f"SELECT o.order_pk, %s, %s, %s, CASE WHEN {refused} THEN %s ELSE %s END, "
        f"CASE WHEN {refused} THEN %s ELSE '' END, '', 0, '', "
        f"CASE WHEN {refused} THEN NULL ELSE %s END, {key}, %s "
    )
    params = [
        text.pk,
        text.name,
        recipient,
        *refused_params,
        MailState.REFUSED,
        MailState.QUEUED,
        *refused_params,
        Refusal.ANONYMIZED,
        *refused_params,
        now,
        *key_params,
        now,
    ]
    added = 0
    for chunk in batched(sorted({int(pk) for pk in order_ids}), chunk_size):
        orders_sql, orders_params = (
            Order.objects.filter(pk__in_ids=set(chunk))
            .order_by()
            .values(order_pk=F("pk"), state_code=F("privacy_state"))
            .query.sql_with_params()
        )
        with connection.cursor() as cur:
            cur.execute(
                # WHERE true: SQLite would read ON CONFLICT after a bare FROM as a join's.
                f"{insert} FROM ({orders_sql}) o WHERE true ON CONFLICT DO NOTHING",
                [*params, *orders_params],
            )
            added += cur.rowcount
    if added:
        transaction.on_commit(enqueue_send, robust=True)
    return added


def enqueue_send() -> None:
    """Asks a worker to send the outbox now (the minute schedule would, too)."""
    from django_q.tasks import async_task

    try:
        async_task("notifications.tasks.send_outbox", task_name="Ausgehende E-Mails senden")
    except Exception:
        logger.exception("could not enqueue send_outbox; the schedule will send the outbox")


def _claim(batch_size: int, now: datetime.datetime) -> list[int]:
    """Takes up to `batch_size` mails that are due at `now` (or whose sender's claim expired)
    for this sender: SKIP LOCKED lets concurrent senders take different rows."""
    due = Q(state=MailState.QUEUED, next_attempt_at__lte=now) | Q(
        state=MailState.SENDING, claimed_until__lt=now
    )
    with transaction.atomic():
        ids = list(
            OutgoingMail.objects.select_for_update(skip_locked=True)
            .filter(due)
            .order_by("next_attempt_at", "id")
            .values_list("id", flat=True)[:batch_size]
        )
        if ids:
            OutgoingMail.objects.filter(pk__in=ids).update(
                state=MailState.SENDING,
                claimed_until=timezone.now()
                + datetime.timedelta(seconds=settings.MAIL_CLAIM_SECONDS),
                attempts=F("attempts") + 1,
            )
    return ids


@dataclass
class SendReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    refused: int = 0

    def __str__(self) -> str:
        return (
            f"sent {self.sent}, retry later {self.retried}, failed {self.failed}, "
            f"refused {self.refused}"
        )


def outbox_send(*, batch_size: int = 50, max_batches: int | None = None) -> SendReport:
    """Sends due mails batch by batch until none is due (or `max_batches`). Never raises for a
    mail or a server; each mail's outcome is committed on its own."""
    report = SendReport()
    batches = 0
    # What was due when the run started: a mail that failed in this run waits for its retry.
    started = timezone.now()
    while max_batches is None or batches < max_batches:
        ids = _claim(batch_size, started)
        if not ids:
            break
        batches += 1
        for mail_id in ids:
            outcome = _send_one(mail_id)
            setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def _send_one(mail_id: int) -> str:
    mail = OutgoingMail.objects.select_related("order__channel", "text").get(pk=mail_id)
    refusal, address = _recipient(mail)
    if refusal:
        _finish(mail, state=MailState.REFUSED, refusal=refusal)
        return "refused"
    try:
        rendered = mail_render(
            subject=mail.text.subject,
            body_text=mail.text.body_text,
            body_html=mail.text.body_html,
            order=mail.order,
        )
    except Exception as exc:  # not the server's fault: the mail fails, the server does not
        # The class only, no traceback: an exception's text may quote the order's data.
        logger.error("mail %s: could not be rendered: %s", mail_id, error_text(exc))
        return _attempt_failed(mail, None, error_text(exc))
    server = active_server()
    try:
        send_message(
            server, to=address, subject=rendered.subject, body=rendered.body, html=rendered.html
        )
    except Exception as exc:  # a failing server never breaks the sender or its caller
        return _attempt_failed(mail, server, error_text(exc))
    now = timezone.now()
    _finish(mail, state=MailState.SENT, server=server, sent_at=now)
    if server is not None:
        SmtpServer.objects.filter(pk=server.pk).update(
            consecutive_failures=0, last_success_at=now, last_error=""
        )
    return "sent"


def _recipient(mail: OutgoingMail) -> tuple[str, str]:
    """(refusal, address) as of now: the order's data may have been anonymized since queuing."""
    if mail.order is None:
        return Refusal.NO_ORDER, ""
    if mail.text is None:
        return Refusal.NO_TEXT, ""
    if mail.recipient == RecipientKind.MERCHANT:
        address = merchant_address()
        return ("", address) if address else (Refusal.NO_MERCHANT_ADDRESS, "")
    if mail.order.privacy_state != PrivacyState.ACTIVE:
        return Refusal.ANONYMIZED, ""
    if not mail.order.buyer_email.strip():
        return Refusal.NO_ADDRESS, ""
    return "", mail.order.buyer_email.strip()


def _finish(mail: OutgoingMail, *, state: str, server=None, **fields) -> None:
    OutgoingMail.objects.filter(pk=mail.pk).update(
        state=state,
        claimed_until=None,
        next_attempt_at=None,
        server=server,
        server_name=server.name if server is not None else "",
        **fields,
    )


def retry_delay(attempts: int) -> datetime.timedelta:
    """1, 4, 16, 64 … minutes after the attempts so far (MAIL_RETRY_BASE_SECONDS × 4ⁿ⁻¹)."""
    seconds = settings.MAIL_RETRY_BASE_SECONDS * 4 ** max(attempts - 1, 0)
    return datetime.timedelta(seconds=min(seconds, 6 * 3600))


def _attempt_failed(mail: OutgoingMail, server: SmtpServer | None, error: str) -> str:
    now = timezone.now()
    logger.warning(
        "mail %s: attempt %s via server %s failed: %s",
        mail.pk,
        mail.attempts,
        server.pk if server else "default",
        error,
    )
    # `mail.attempts` was read after the claim counted this attempt.
    final = mail.attempts >= settings.MAIL_MAX_ATTEMPTS
    fields = {
        "state": MailState.FAILED if final else MailState.QUEUED,
        "claimed_until": None,
        "next_attempt_at": None if final else now + retry_delay(mail.attempts),
        "last_error": error,
        "server": server,
        "server_name": server.name if server is not None else "",
    }
    OutgoingMail.objects.filter(pk=mail.pk).update(**fields)
    if server is not None:
        _server_failed(server, error, now)
    return "failed" if final else "retried"


def _server_failed(server: SmtpServer, error: str, now: datetime.datetime) -> None:
    SmtpServer.objects.filter(pk=server.pk).update(
        consecutive_failures=F("consecutive_failures") + 1, last_error=error
    )
    switched_off = SmtpServer.objects.filter(
        pk=server.pk, is_active=True, consecutive_failures__gte=settings.SMTP_MAX_FAILURES
    ).update(
        is_active=False,
        disabled_at=now,
        disabled_reason=(
            _("%(count)d Fehler in Folge, zuletzt: %(error)s")
            % {"count": settings.SMTP_MAX_FAILURES, "error": error}
        )[:500],
    )
    if switched_off:
        logger.warning(
            "smtp server %s switched off after %s failures in a row",
            server.pk,
            settings.SMTP_MAX_FAILURES,
        )
