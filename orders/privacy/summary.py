"""A privacy job's result in words: what happened, what was skipped and why."""

from django.utils.translation import gettext_lazy as _

from orders.models import PrivacyJob

LABELS = {
    "anonymized": _("anonymisiert"),
    "queued": _("zur Wiederherstellung eingereiht"),
    "restored": _("wiederhergestellt"),
    "purged": _("endgültig gelöscht"),
    "addresses_anonymized": _("Adressen anonymisiert"),
    "customers_anonymized": _("Kunden vollständig anonymisiert"),
    "addresses_restored": _("Adressen wiederhergestellt"),
    "customers_restored": _("Kunden wiederhergestellt"),
    "addresss_purged": _("Adressen endgültig gelöscht"),
    "customers_purged": _("Kunden endgültig gelöscht"),
    "skipped_already_anonymized": _("übersprungen: bereits anonymisiert"),
    "skipped_restoring": _("übersprungen: Wiederherstellung läuft"),
    "skipped_purged": _("übersprungen: endgültig gelöscht"),
    "skipped_not_anonymized": _("übersprungen: nicht anonymisiert"),
    "skipped_cold_record_missing": _("übersprungen: Cold-Storage-Eintrag fehlt"),
    "failed_cold_record_missing": _("nicht wiederhergestellt: Cold-Storage-Eintrag fehlt"),
    "failed_cold_record_unreadable": _(
        "nicht wiederhergestellt: Cold-Storage-Eintrag nicht lesbar (beschädigt oder falscher "
        "Schlüssel)"
    ),
    "failed_job": _(
        "nicht wiederhergestellt: Vorgang fehlgeschlagen, Daten bleiben im Cold Storage"
    ),
    # Written by earlier versions.
    "failed_cold_record": _("fehlgeschlagen: Cold-Storage-Eintrag fehlt oder ist beschädigt"),
}


def summary_items(job: PrivacyJob) -> list[tuple[str, str, int]]:
    """(key, label, count) for every non-zero count, in a stable, readable order."""
    order = list(LABELS)
    items = [(key, count) for key, count in job.summary.items() if count]
    items.sort(key=lambda item: order.index(item[0]) if item[0] in order else len(order))
    return [(key, str(LABELS.get(key, key)), count) for key, count in items]


def summary_lines(job: PrivacyJob) -> list[str]:
    lines = [f"{job} – {job.get_state_display()}: {job.done}/{job.total}"]
    lines += [f"  {label}: {count}" for _key, label, count in summary_items(job)]
    if job.error:
        lines.append(f"  {job.error}")
    return lines
