"""Which orders of a selection an anonymize or restore leaves alone, and why: the one rule that
the jobs apply and the dialog's preview counts in advance."""

import datetime
from collections import Counter
from collections.abc import Mapping

from django.db.models import Q

from personal.state import PrivacyState as S

# Why an order was left alone, as counted in a job's summary ("skipped_<reason>").
SKIP_REASON = {
    S.ANONYMIZED: "already_anonymized",
    S.RESTORING: "restoring",
    S.PURGED: "purged",
    S.ACTIVE: "not_anonymized",
}
#: The reasons in the order the preview lists them.
_REASON_ORDER = ("not_anonymized", "already_anonymized", "restoring", "purged")
#: The state each action works on; every other state is skipped.
ACTED_ON = {"anonymize": S.ACTIVE, "restore": S.ANONYMIZED}


def restorable(today: datetime.date) -> Q:
    """Anonymized orders whose purge date has not come (the daily purge may not have run yet on
    the others: they are gone all the same)."""
    return Q(privacy_state=S.ANONYMIZED, purge_on__gt=today)


def skipped_by_reason(
    *, action: str, by_state: Mapping[str, int], past_purge: int = 0
) -> dict[str, int]:
    """The orders `action` ("anonymize" or "restore") leaves alone, by reason, for the selection's
    order counts `by_state`; `past_purge`: anonymized orders a restore skips as purged (see
    `restorable`). Zero counts are left out."""
    counts: Counter[str] = Counter()
    for state, count in by_state.items():
        if state != ACTED_ON[action]:
            counts[SKIP_REASON[state]] += count
    counts["purged"] += past_purge
    return {reason: counts[reason] for reason in _REASON_ORDER if counts[reason]}
