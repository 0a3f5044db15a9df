"""The uploaded import files between preview and confirmation. They hold personal data: kept only
for a file that can be imported, deleted on confirmation (in the import's transaction), on
discarding, and by the schedule once IMPORT_UPLOAD_MAX_AGE (an hour) old."""

import logging
import secrets
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from channels.models import Channel
from orders.importing.services import ImportResult, orders_import
from orders.models import ImportUpload

logger = logging.getLogger(__name__)


def import_upload_create(
    *, owner: AbstractBaseUser, channel: Channel, skip_duplicates: bool, content: bytes
) -> ImportUpload:
    return ImportUpload.objects.create(
        token=secrets.token_urlsafe(32),
        owner=owner,
        channel=channel,
        skip_duplicates=skip_duplicates,
        content=content,
    )


def import_upload_for(*, token: str, owner: AbstractBaseUser) -> ImportUpload | None:
    """The user's own upload that has not expired yet, or None (unknown, someone else's,
    confirmed, cancelled or expired: one answer for all, so that nothing can be probed)."""
    if not isinstance(token, str) or not 20 <= len(token) <= 43:
        return None
    return (
        ImportUpload.objects.select_related("channel")
        .filter(token=token, owner=owner, created_at__gt=_expiry_cutoff())
        .first()
    )


def import_upload_delete(*, upload_ids: Iterable[int]) -> int:
    deleted, _per_model = ImportUpload.objects.filter(pk__in=list(upload_ids)).delete()
    return deleted


def _expiry_cutoff():
    return timezone.now() - settings.IMPORT_UPLOAD_MAX_AGE


def import_uploads_delete_expired() -> int:
    """Deletes every upload older than IMPORT_UPLOAD_MAX_AGE (an hour); safe to run twice."""
    deleted, _per_model = ImportUpload.objects.filter(created_at__lte=_expiry_cutoff()).delete()
    if deleted:
        logger.info("import: %d expired uploads deleted", deleted)
    return deleted


@transaction.atomic
def import_upload_confirm(*, token: str, owner: AbstractBaseUser) -> ImportResult | None:
    """Imports the upload and deletes it, in one transaction; None when the upload is gone
    (confirmed already – a second click waits for the first and then finds nothing –,
    cancelled, expired, or not the user's). ImportRefusedError leaves the upload for the
    preview; ImportFileError too."""
    if not isinstance(token, str) or not 20 <= len(token) <= 43:
        return None
    upload = (
        ImportUpload.objects.select_for_update()
        .filter(token=token, owner=owner, created_at__gt=_expiry_cutoff())
        .first()
    )
    if upload is None:
        return None
    channel = Channel.objects.get(pk=upload.channel_id)
    result = orders_import(
        content=bytes(upload.content),
        channel=channel,
        skip_duplicates=upload.skip_duplicates,
        actor=owner,
    )
    upload.delete()
    return result
