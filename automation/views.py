"""Einstellungen → Automatisierung: the rules' list, the editor (htmx rows), delete, and
"Regel ausführen" on ticked orders of the order list."""

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from automation.evaluator import rule_preview_count, rule_run_by_hand
from automation.forms import (
    RuleForm,
    conditions_for,
    row_count,
    rows_from_post,
    rows_from_rule,
)
from automation.models import Firing, Rule, Trigger
from automation.services import RuleChangedError, rule_delete, rule_save
from config.permissions import permission_required, require
from orders.privacy.selection import SelectionError, check_order_ids


@permission_required("automation.view_rule")
def rules_list(request: HttpRequest) -> TemplateResponse:
    rules = Rule.objects.annotate(
        done=Count("firings", filter=Q(firings__state=Firing.State.DONE)),
        failed=Count("firings", filter=Q(firings__state=Firing.State.FAILED)),
    ).order_by("position", "pk")
    return TemplateResponse(request, "automation/list.html", {"rules": rules})


@permission_required("automation.add_rule")
def rule_create(request: HttpRequest) -> HttpResponse:
    return _editor(request, Rule())


@permission_required("automation.change_rule")
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _editor(request, get_object_or_404(Rule, pk=pk))


def _version(request: HttpRequest) -> int | None:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


def _editor(request: HttpRequest, rule: Rule) -> HttpResponse:
    is_new = rule.pk is None
    stored_name = rule.name
    error = ""
    if request.method == "POST":
        form = RuleForm(request.POST, instance=Rule() if is_new else Rule.objects.get(pk=rule.pk))
        trigger = request.POST.get("trigger", "")
        trigger = trigger if trigger in Trigger.values else Trigger.IMPORTED
        refresh = request.htmx and "refresh" in request.POST
        conditions, actions = rows_from_post(
            request.POST,
            trigger=trigger,
            # Not "add"/"remove": a form control named "remove" hides the form's remove().
            add=request.POST.get("add_row", "") if refresh else "",
            remove=request.POST.get("remove_row", "") if refresh else "",
        )
        if not refresh:
            valid = form.is_valid()
            valid = all([row.is_valid() for row in (*conditions, *actions)]) and valid
            if valid and not actions:
                error = _("Eine Regel braucht mindestens eine Aktion.")
            elif valid:
                try:
                    saved = rule_save(
                        rule=rule,
                        version=None if is_new else _version(request),
                        fields={name: form.cleaned_data[name] for name in RuleForm._meta.fields},
                        conditions=[
                            {k: row.cleaned_data[k] for k in ("kind", "operator", "value")}
                            for row in conditions
                        ],
                        actions=[
                            {"kind": row.cleaned_data["kind"], "params": row.cleaned_data["params"]}
                            for row in actions
                        ],
                    )
                except RuleChangedError as exc:
                    error = exc.message
                else:
                    messages.success(request, _("Regel „%s“ wurde gespeichert.") % saved.name)
                    return redirect("automation:list")
            else:
                error = _(
                    "Die Regel wurde nicht gespeichert: Bitte prüfen Sie die markierten Felder."
                )
        version = request.POST.get("version", "")
    else:
        form = RuleForm(instance=rule)
        trigger = rule.trigger or Trigger.IMPORTED
        conditions, actions = rows_from_rule(rule)
        version = rule.version
    template_name = "automation/form.html"
    if request.htmx and request.method == "POST" and "refresh" in request.POST:
        template_name += "#editor"
    return TemplateResponse(
        request,
        template_name,
        {
            "form": form,
            "rule": rule,
            "is_new": is_new,
            "stored_name": stored_name,
            "trigger": trigger,
            "conditions": conditions,
            "actions": actions,
            "condition_count": row_count(conditions),
            "action_count": row_count(actions),
            "offered_conditions": conditions_for(trigger),
            "version": version,
            "error": error,
            "show_errors": request.method == "POST" and "refresh" not in request.POST,
        },
    )


@permission_required("automation.delete_rule")
@require_POST
def rule_remove(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(Rule, pk=pk)
    try:
        rule_delete(rule=rule, version=_version(request))
    except RuleChangedError as exc:
        messages.error(request, exc.message)
        return redirect("automation:edit", pk=rule.pk)
    messages.success(request, _("Regel „%s“ wurde gelöscht.") % rule.name)
    return redirect("automation:list")


def _ticked(request: HttpRequest, data) -> tuple[Rule | None, tuple[int, ...], str]:
    choice = data.get("rule", "")
    # Digits beyond a bigint are no rule either (and would overflow the query).
    valid = choice.isdigit() and len(choice) <= 18
    rule = Rule.objects.filter(pk=int(choice)).first() if valid else None
    try:
        ids = check_order_ids(data.getlist("ids"))
    except SelectionError as exc:
        return rule, (), str(exc)
    if rule is None:
        return None, ids, _("Bitte eine Regel wählen.")
    if not ids:
        return rule, ids, _("Bitte zuerst Bestellungen in der Liste ankreuzen.")
    return rule, ids, ""


def _may_run(request: HttpRequest, rule: Rule) -> None:
    # Running a rule does what its actions do: anonymizing takes that right.
    if rule.actions.filter(kind="anonymize").exists():
        require(request.user, "orders.anonymize_order")


@permission_required(("automation.view_rule", "orders.change_order"))
def rule_run_dialog(request: HttpRequest) -> TemplateResponse:
    """The "Regel ausführen" dialog of the order list, with how many ticked orders the chosen
    rule's conditions match (re-rendered by htmx when the rule changes)."""
    rule, ids, error = _ticked(request, request.GET)
    count = None
    if rule is not None and ids:
        count = rule_preview_count(rule=rule, order_ids=ids)
    template_name = "automation/run_dialog.html"
    if request.htmx:
        template_name = "automation/_run_dialog.html"
    return TemplateResponse(
        request,
        template_name,
        {
            "rules": Rule.objects.order_by("position", "pk"),
            "rule": rule,
            "ids": ids,
            "count": count,
            "error": error if request.GET.get("rule") else "",
        },
    )


@permission_required(("automation.view_rule", "orders.change_order"))
@require_POST
def rule_run(request: HttpRequest) -> HttpResponse:
    rule, ids, error = _ticked(request, request.POST)
    if error:
        messages.error(request, error)
        return redirect("orders:list")
    _may_run(request, rule)
    ticked, matched = rule_run_by_hand(rule=rule, order_ids=ids, user=request.user)
    messages.success(
        request,
        ngettext(
            "Regel „%(name)s“ auf %(matched)d von %(ticked)d angekreuzten Bestellung ausgeführt.",
            "Regel „%(name)s“ auf %(matched)d von %(ticked)d angekreuzten Bestellungen ausgeführt.",
            ticked,
        )
        % {"name": rule.name, "matched": matched, "ticked": ticked},
    )
    return redirect("orders:list")
