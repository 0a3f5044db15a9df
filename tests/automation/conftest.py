"""Rules made in a line, and a run of the evaluator as the schedule does it."""

import pytest

from automation.evaluator import automation_run
from automation.models import Action, Condition, Rule, Trigger


@pytest.fixture
def make_rule(db):
    def _make(
        trigger=Trigger.RESTORED,
        *,
        conditions=(),
        actions=(("set_status", {"status": "archived"}),),
        **fields,
    ) -> Rule:
        rule = Rule.objects.create(name=fields.pop("name", "Testregel"), trigger=trigger, **fields)
        for i, (kind, operator, value) in enumerate(conditions):
            Condition.objects.create(
                rule=rule, kind=kind, operator=operator, value=value, position=i
            )
        for i, (kind, params) in enumerate(actions):
            Action.objects.create(rule=rule, kind=kind, params=params, position=i)
        return rule

    return _make


def run():
    return automation_run()


# The real local SMTP server of the notifications tests, for the mail actions.
from tests.notifications.conftest import certificate, smtpd  # noqa: E402, F401
