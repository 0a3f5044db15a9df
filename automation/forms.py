"""The rule editor: the rule's own fields, and its conditions and actions as rows.

The rows are small forms with prefixes `condition-N` / `action-N` and a count each (a formset
without the management form's INITIAL/MAX bookkeeping): adding and removing a row is a re-render
of the editor from the submitted values (htmx), nothing is saved until "Speichern".
"""

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from automation.actions import ACTIONS, ActionError, actions_for
from automation.conditions import OPERATORS, ConditionError, clean_value
from automation.models import Condition, Rule, Trigger
from channels.models import Channel
from notifications.models import NotificationText
from orders.models import OrderStatus
from personal.forms import ForgetsCardNumbersMixin

WEEKDAYS = [
    (0, _("Mo")),
    (1, _("Di")),
    (2, _("Mi")),
    (3, _("Do")),
    (4, _("Fr")),
    (5, _("Sa")),
    (6, _("So")),
]
HOURS = [(hour, f"{hour:02d}") for hour in range(24)]
MAX_ROWS = 20

#: The conditions each trigger offers: an anonymized order is anonymized, a restored one not.
CONDITIONS_FOR = {
    Trigger.ANONYMIZED: [k for k in Condition.Kind if k != Condition.Kind.ANONYMIZED],
    Trigger.RESTORED: [k for k in Condition.Kind if k != Condition.Kind.ANONYMIZED],
}


def conditions_for(trigger: str) -> list:
    return CONDITIONS_FOR.get(trigger, list(Condition.Kind))


class RuleForm(ForgetsCardNumbersMixin, forms.ModelForm):
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Wochentage"),
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    hours = forms.TypedMultipleChoiceField(
        label=_("Uhrzeiten"),
        choices=HOURS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Rule
        fields = [
            "name",
            "active",
            "trigger",
            "target_status",
            "weekdays",
            "hours",
            "match",
            "position",
            "repeatable",
        ]

    def clean(self):
        data = super().clean()
        if data.get("trigger") == Trigger.SCHEDULED and not (
            data.get("weekdays") and data.get("hours")
        ):
            raise forms.ValidationError(
                _("Eine zeitgesteuerte Regel braucht mindestens einen Wochentag und eine Uhrzeit.")
            )
        if data.get("trigger") != Trigger.STATUS_CHANGED:
            data["target_status"] = ""
        if data.get("trigger") != Trigger.SCHEDULED:
            data["weekdays"], data["hours"] = [], []
        return data


class ConditionRow(forms.Form):
    kind = forms.ChoiceField(
        label=_("Bedingung"), widget=forms.Select(attrs={"class": "row-kind-select"})
    )
    operator = forms.ChoiceField(label=_("Vergleich"), choices=Condition.Operator.choices)
    value = forms.CharField(label=_("Wert"), required=False, max_length=100)

    def __init__(self, *args, trigger: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k.value, k.label) for k in conditions_for(trigger)]
        kind = self.data.get(self.add_prefix("kind")) if self.is_bound else self.initial.get("kind")
        kind = kind or self.fields["kind"].choices[0][0]
        self.kind = kind
        if kind in OPERATORS:
            self.fields["operator"].choices = [
                (op.value, op.label) for op in OPERATORS[Condition.Kind(kind)]
            ]
        if kind == Condition.Kind.CHANNEL:
            self.fields["value"].widget = forms.Select(
                choices=[(str(pk), name) for pk, name in Channel.objects.values_list("pk", "name")]
            )
        elif kind == Condition.Kind.STATUS:
            self.fields["value"].widget = forms.Select(choices=OrderStatus.choices)
        elif kind == Condition.Kind.ANONYMIZED:
            self.fields["value"].widget = forms.HiddenInput()

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            data["value"] = clean_value(data["kind"], data["operator"], data.get("value", ""))
        except ConditionError as exc:
            self.add_error("value", str(exc))
        return data


class ActionRow(forms.Form):
    kind = forms.ChoiceField(
        label=_("Aktion"), widget=forms.Select(attrs={"class": "row-kind-select"})
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", "—"), *OrderStatus.choices], required=False
    )

    text = forms.ChoiceField(label=_("Benachrichtigungstext"), required=False)

    def __init__(self, *args, trigger: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(a.code, a.label) for a in actions_for(trigger)]
        self.fields["text"].choices = [
            ("", "—"),
            *NotificationText.objects.order_by("name").values_list("pk", "name"),
        ]
        kind = self.data.get(self.add_prefix("kind")) if self.is_bound else self.initial.get("kind")
        self.kind = kind or self.fields["kind"].choices[0][0]
        self.params = ACTIONS[self.kind].params if self.kind in ACTIONS else ()

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            data["params"] = ACTIONS[data["kind"]].clean(data)
        except ActionError as exc:
            self.add_error(None, str(exc))
        return data


def _count(data: QueryDict, name: str) -> int:
    try:
        return max(0, min(int(data.get(f"{name}-count", 0)), MAX_ROWS))
    except ValueError:
        return 0


def rows_from_post(data: QueryDict, *, trigger: str, add: str = "", remove: str = ""):
    """The condition and action rows as submitted, with a row added or one removed (htmx)."""
    rows = {}
    for name, form_class in (("condition", ConditionRow), ("action", ActionRow)):
        indexes = [
            i
            for i in range(_count(data, name))
            if f"{name}-{i}-kind" in data and f"{name}-{i}" != remove
        ]
        forms_ = [form_class(data, prefix=f"{name}-{i}", trigger=trigger) for i in indexes]
        if add == name and len(forms_) < MAX_ROWS:
            forms_.append(form_class(prefix=f"{name}-{_free(indexes)}", trigger=trigger))
        rows[name] = forms_
    return rows["condition"], rows["action"]


def _free(indexes: list[int]) -> int:
    return max(indexes, default=-1) + 1


def rows_from_rule(rule: Rule):
    """The rows of a stored rule; a new rule starts with one action row."""
    trigger = rule.trigger or Trigger.IMPORTED
    if rule.pk is None:
        return [], [ActionRow(prefix="action-0", trigger=trigger)]
    conditions = [
        ConditionRow(
            prefix=f"condition-{i}",
            trigger=trigger,
            initial={"kind": c.kind, "operator": c.operator, "value": c.value},
        )
        for i, c in enumerate(rule.conditions.all())
    ]
    actions = [
        ActionRow(prefix=f"action-{i}", trigger=trigger, initial={"kind": a.kind, **a.params})
        for i, a in enumerate(rule.actions.all())
    ]
    return conditions, actions


def row_count(rows) -> int:
    """The `…-count` to render: one past the highest row index."""
    return max((int(row.prefix.rsplit("-", 1)[1]) for row in rows), default=-1) + 1
