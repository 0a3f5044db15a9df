"""Writes of the rules: save (with its conditions and actions, versioned) and delete."""

from collections.abc import Mapping, Sequence

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from automation.models import Action, Condition, Rule


class RuleChangedError(Exception):
    """The rule was saved from an older version (someone else saved it meanwhile)."""

    def __init__(self):
        self.message = _(
            "Die Regel wurde inzwischen von jemand anderem geändert oder gelöscht. Ihre Eingaben "
            "wurden nicht gespeichert: Bitte laden Sie die Seite neu."
        )
        super().__init__(self.message)


@transaction.atomic
def rule_save(
    *,
    rule: Rule,
    version: int | None,
    fields: Mapping,
    conditions: Sequence[Mapping],
    actions: Sequence[Mapping],
) -> Rule:
    """Creates the rule (`rule.pk` None) or saves it from the page made from `version`; its
    conditions and actions are replaced by the given ones, in their order."""
    if rule.pk is not None:
        updated = Rule.objects.filter(pk=rule.pk, version=version).update(
            version=F("version") + 1, **fields
        )
        if not updated:
            raise RuleChangedError()
        rule = Rule.objects.get(pk=rule.pk)
        rule.conditions.all().delete()
        rule.actions.all().delete()
    else:
        rule = Rule.objects.create(**fields)
    Condition.objects.bulk_create(
        Condition(rule=rule, position=i, **condition) for i, condition in enumerate(conditions)
    )
    Action.objects.bulk_create(
        Action(rule=rule, position=i, **action) for i, action in enumerate(actions)
    )
    return rule


@transaction.atomic
def rule_delete(*, rule: Rule, version: int | None) -> None:
    """Deletes the rule with its firings (the orders' history keeps what it did)."""
    deleted, _rows = Rule.objects.filter(pk=rule.pk, version=version).delete()
    if not deleted:
        raise RuleChangedError()
