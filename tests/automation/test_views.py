"""The rule pages: list, editor (htmx rows), versions, delete, "Regel ausführen"."""

import pytest
from django.urls import reverse

from automation.models import Action, Condition, Firing, Rule, Trigger
from orders.models import OrderEvent, OrderStatus
from tests.factories import ChannelFactory, OrderFactory

pytestmark = pytest.mark.django_db


def _payload(**overrides):
    data = {
        "name": "Archivieren",
        "active": "on",
        "trigger": "restored",
        "match": "all",
        "position": "1",
        "condition-count": "1",
        "condition-0-kind": "total",
        "condition-0-operator": "gte",
        "condition-0-value": "49,90",
        "action-count": "1",
        "action-0-kind": "set_status",
        "action-0-status": "archived",
    }
    return data | overrides


def test_a_rule_is_created_with_its_conditions_and_actions(merchant_client):
    response = merchant_client.post(reverse("automation:create"), _payload())
    assert response.status_code == 302
    rule = Rule.objects.get()
    assert (rule.name, rule.trigger, rule.version) == ("Archivieren", Trigger.RESTORED, 1)
    assert list(rule.conditions.values_list("kind", "operator", "value")) == [
        ("total", "gte", "49.90")
    ]
    assert list(rule.actions.values_list("kind", "params")) == [
        ("set_status", {"status": "archived"})
    ]
    page = merchant_client.get(reverse("automation:list"))
    assert "Archivieren" in page.content.decode()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"condition-0-value": "viel"}, "Betrag"),
        ({"action-0-status": ""}, "Status"),
        ({"action-count": "0"}, "mindestens eine Aktion"),
        ({"trigger": "scheduled"}, "Wochentag"),
        ({"condition-0-kind": "nonsense"}, "Auswahl"),
        ({"condition-0-operator": "gte", "condition-0-kind": "status"}, "Auswahl"),
        ({"condition-count": "x"}, None),
        ({"action-0-kind": "mail_everyone"}, "Auswahl"),
    ],
)
def test_bad_input_is_refused_with_a_message_never_a_500(merchant_client, overrides, message):
    response = merchant_client.post(reverse("automation:create"), _payload(**overrides))
    if message is None:  # a broken count: no rows, saved without conditions
        assert response.status_code == 302
        return
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Rule.objects.exists()


def test_the_editor_adds_and_removes_rows_without_saving(merchant_client):
    url = reverse("automation:create")
    headers = {"HX-Request": "true"}
    added = merchant_client.post(url, _payload(refresh="1", add_row="condition"), headers=headers)
    html = added.content.decode()
    assert 'name="condition-1-kind"' in html
    assert "<html" not in html  # the editor alone
    removed = merchant_client.post(
        url, _payload(refresh="1", remove_row="condition-0"), headers=headers
    )
    assert 'name="condition-0-kind"' not in removed.content.decode()
    assert not Rule.objects.exists()


def test_the_trigger_decides_what_is_offered(merchant_client):
    headers = {"HX-Request": "true"}
    html = merchant_client.post(
        reverse("automation:create"), _payload(refresh="1", trigger="anonymized"), headers=headers
    ).content.decode()
    assert 'value="anonymize"' not in html  # no anonymizing what was just anonymized
    assert (
        'value="anonymized"' not in html.split('name="condition-0-kind"')[1].split("</select>")[0]
    )
    html = merchant_client.post(
        reverse("automation:create"), _payload(refresh="1", trigger="imported"), headers=headers
    ).content.decode()
    assert 'value="anonymize"' in html


def _rule():
    rule = Rule.objects.create(name="Alt", trigger=Trigger.RESTORED)
    Action.objects.create(rule=rule, kind="set_status", params={"status": "archived"})
    return rule


def test_an_edit_from_an_older_version_is_refused(merchant_client):
    rule = _rule()
    url = reverse("automation:edit", args=[rule.pk])
    assert merchant_client.post(url, _payload(version="1")).status_code == 302
    response = merchant_client.post(url, _payload(version="1", name="Überschrieben"))
    assert response.status_code == 200
    assert "inzwischen" in response.content.decode()
    rule.refresh_from_db()
    assert (rule.name, rule.version) == ("Archivieren", 2)


def test_a_rule_is_deleted_from_its_version_only(merchant_client):
    rule = _rule()
    url = reverse("automation:delete", args=[rule.pk])
    merchant_client.post(url, {"version": "7"})
    assert Rule.objects.exists()
    merchant_client.post(url, {"version": "1"})
    assert not Rule.objects.exists()


def test_pages_refuse_without_permission(client, nobody):
    client.force_login(nobody)
    rule = _rule()
    for url in (
        reverse("automation:list"),
        reverse("automation:create"),
        reverse("automation:edit", args=[rule.pk]),
        reverse("automation:run_dialog"),
    ):
        assert client.get(url).status_code == 403
    assert client.post(reverse("automation:create"), _payload()).status_code == 403
    assert (
        client.post(reverse("automation:delete", args=[rule.pk]), {"version": "1"}).status_code
        == 403
    )
    assert Rule.objects.count() == 1


def test_a_rule_runs_by_hand_on_the_ticked_orders_its_conditions_match(merchant_client):
    shop = ChannelFactory(name="Shop")
    rule = _rule()
    Condition.objects.create(rule=rule, kind="channel", operator="is", value=str(shop.pk))
    mine, other = OrderFactory(channel=shop), OrderFactory()
    ids = [mine.pk, other.pk]
    dialog = merchant_client.get(
        reverse("automation:run_dialog"),
        {"ids": ids, "rule": rule.pk},
        headers={"HX-Request": "true"},
    )
    assert "auf 1 von 2 angekreuzten" in dialog.content.decode()
    response = merchant_client.post(reverse("automation:run"), {"ids": ids, "rule": rule.pk})
    assert response.status_code == 302
    mine.refresh_from_db()
    other.refresh_from_db()
    assert (mine.status, other.status) == (OrderStatus.ARCHIVED, OrderStatus.PAID)
    assert Firing.objects.get().order_id == mine.pk
    assert mine.events.filter(kind=OrderEvent.Kind.RULE_FIRED).count() == 1


@pytest.mark.parametrize(
    "data", [{"ids": ["x"], "rule": "1"}, {"ids": [], "rule": "1"}, {"rule": "abc"}]
)
def test_running_by_hand_with_bad_input_says_why(merchant_client, data):
    _rule()
    response = merchant_client.post(reverse("automation:run"), data, follow=True)
    assert response.status_code == 200
    assert not Firing.objects.exists()
