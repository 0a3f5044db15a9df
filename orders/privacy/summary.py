"""A privacy job's result in words: what happened, what was skipped and why."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from orders.models import PrivacyJob

#: The label shown after a count ("3 anonymisiert", "1 Adresse anonymisiert"): the nouns take
#: the count's plural form.
LABELS = {
    "anonymized": _("anonymisiert"),
    "queued": _("zur Wiederherstellung eingereiht"),
    "restored": _("wiederhergestellt"),
    "purged": _("endgültig gelöscht"),
    "addresses_anonymized": ngettext_lazy("Adresse anonymisiert", "Adressen anonymisiert", "count"),
    "customers_anonymized": ngettext_lazy(
        "Kunde vollständig anonymisiert", "Kunden vollständig anonymisiert", "count"
    ),
    "addresses_restored": ngettext_lazy(
        "Adresse wiederhergestellt", "Adressen wiederhergestellt", "count"
    ),
    "customers_restored": ngettext_lazy(
        "Kunde wiederhergestellt", "Kunden wiederhergestellt", "count"
    ),
    "addresses_purged": ngettext_lazy(
        "Adresse endgültig gelöscht", "Adressen endgültig gelöscht", "count"
    ),
    "customers_purged": ngettext_lazy(
        "Kunde endgültig gelöscht", "Kunden endgültig gelöscht", "count"
    ),
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
#: Keys earlier versions wrote, read as the key they meant.
_OLD_KEYS = {"addresss_purged": "addresses_purged"}


def summary_items(job: PrivacyJob) -> list[tuple[str, str, int]]:
    """(key, label, count) for every non-zero count, in a stable, readable order."""
    order = list(LABELS)
    counts: dict[str, int] = {}
    for key, count in job.summary.items():
        if count:
            key = _OLD_KEYS.get(key, key)
            counts[key] = counts.get(key, 0) + count
    items = list(counts.items())
    items.sort(key=lambda item: order.index(item[0]) if item[0] in order else len(order))
    return [(key, _label(key, count), count) for key, count in items]


def _label(key: str, count: int) -> str:
    label = LABELS.get(key)
    if label is None:
        return key
    # A plural label picks its form by "count"; the others have no placeholder and stay as they are.
    return str(label % {"count": count})


def summary_lines(job: PrivacyJob) -> list[str]:
    lines = [f"{job} – {job.get_state_display()}: {job.done}/{job.total}"]
    lines += [f"  {label}: {count}" for _key, label, count in summary_items(job)]
    if job.error:
        lines.append(f"  {job.error}")
    return lines
