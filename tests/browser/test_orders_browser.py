"""A merchant logs in, filters the Bestellübersicht, opens an order, invoices it and sees the invoice."""

import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.browser.conftest import log_in, screenshot
from tests.conftest import CLERK_PERMISSIONS, permissions
from tests.factories import ChannelFactory, OrderFactory, OrderItemFactory, UserFactory


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, databases=["default", "coldstorage"])
def test_it_filters_opens_and_invoices_an_order(page: Page, live_server, company):
    user = UserFactory(username="haendlerin")
    user.user_permissions.set(permissions(*CLERK_PERMISSIONS))
    amazon = ChannelFactory(name="Amazon DE", kind="amazon")
    shop = ChannelFactory(name="Eigener Shop")
    on_amazon = [
        OrderFactory(channel=amazon, total=Decimal("19.99") + n, billing_entry__country="DE")
        for n in range(3)
    ]
    for n in range(4):
        OrderFactory(channel=shop, status="new", total=Decimal("42.00") + n)
    target = on_amazon[0]
    OrderItemFactory(order=target, title="Kaffeebecher Steingut", quantity=2)
    OrderItemFactory(order=target, title="Teelicht-Set", quantity=1, unit_price=Decimal("4.28"))

    log_in(page, live_server, user)

    expect(page.get_by_role("heading", name="Bestellübersicht")).to_be_visible()
    rows = page.locator("table.orders tbody tr")
    expect(rows).to_have_count(7)
    screenshot(page, "orders-list")

    page.evaluate("window.notReloaded = true")
    page.get_by_label("Kanal").select_option(label="Amazon DE")

    expect(rows).to_have_count(3)
    for row in rows.all():
        expect(row).to_contain_text("Amazon DE")
    expect(page).to_have_url(re.compile(rf"channel={amazon.pk}"))
    assert page.evaluate("window.notReloaded") is True, "htmx swaps the table, no page load"
    screenshot(page, "orders-list-filtered")

    page.get_by_role("link", name="Summe").click()

    expect(rows.first).to_contain_text("21,99 EUR")
    expect(page).to_have_url(re.compile(r"sort=-total"))

    page.get_by_label("Suche").fill(str(target.number))

    expect(rows).to_have_count(1)
    # The filters keep the sorting chosen in the table.
    expect(page).to_have_url(re.compile(rf"(?=.*q={target.number})(?=.*sort=-total)"))

    page.get_by_role("link", name=str(target.number), exact=True).click()

    expect(page.get_by_role("heading", name=f"Bestellung {target.number}")).to_be_visible()
    expect(page.get_by_text("Kaffeebecher Steingut")).to_be_visible()
    screenshot(page, "order-detail")

    page.get_by_role("button", name="Rechnung erstellen").click()

    number = f"RE-{timezone.localdate().year}-00001"
    expect(page.get_by_role("heading", name=f"Rechnung {number}")).to_be_visible()
    expect(page.get_by_text("Teelicht-Set")).to_be_visible()
    screenshot(page, "invoice")
    page.emulate_media(media="print")
    screenshot(page, "invoice-print")
    page.emulate_media(media="screen")

    page.get_by_role("link", name=re.compile("Zurück zu Bestellung")).click()
    page.get_by_role("link", name="Verlauf & Nachrichten").click()

    expect(page.get_by_text(f"Rechnung {number}")).to_be_visible()
    expect(page.get_by_text("Status: Bezahlt → Rechnung erstellt")).to_be_visible()
    screenshot(page, "order-history")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, databases=["default", "coldstorage"])
def test_leaving_an_order_with_unsaved_edits_asks_first(page: Page, live_server, company):
    user = UserFactory(username="haendlerin")
    user.user_permissions.set(permissions(*CLERK_PERMISSIONS))
    order = OrderFactory(channel=ChannelFactory(name="Eigener Shop"))
    log_in(page, live_server, user)
    asked: list[str] = []

    def answer(dialog):
        asked.append(dialog.type)
        dialog.dismiss()  # "stay on the page"

    page.on("dialog", answer)
    page.goto(f"{live_server.url}/orders/{order.pk}/")
    page.get_by_role("link", name="‹ Bestellübersicht").click()  # nothing typed: no question
    expect(page.get_by_role("heading", name="Bestellübersicht")).to_be_visible()
    assert asked == []

    page.goto(f"{live_server.url}/orders/{order.pk}/")
    page.locator("textarea[name$=notes]").fill("Bitte als Geschenk verpacken")
    page.get_by_role("link", name="‹ Bestellübersicht").click()

    expect(page.locator("textarea[name$=notes]")).to_have_value("Bitte als Geschenk verpacken")
    assert asked == ["beforeunload"]

    page.get_by_role("button", name="Speichern").click()  # saving leaves without a question
    expect(page.get_by_text("gespeichert")).to_be_visible()
    assert asked == ["beforeunload"]
