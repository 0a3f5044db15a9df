"""The pages work under the Content-Security-Policy: ticking a whole page, selecting every matching
order and undoing it, the invoice's print button – with no CSP violation reported by Chromium."""

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import Page, expect

from orders.services import order_create_invoice
from tests.browser.conftest import log_in
from tests.factories import ChannelFactory, OrderFactory, UserFactory


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, databases=["default", "coldstorage"])
def test_list_selection_and_invoice_work_without_inline_script(page: Page, live_server, company):
    user = UserFactory(username="haendlerin")
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="orders"))
    channel = ChannelFactory(name="Eigener Shop")
    orders = [OrderFactory(channel=channel, status="paid") for _ in range(55)]
    order_create_invoice(order=orders[0], actor=user)
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )

    log_in(page, live_server, user)
    expect(page.get_by_role("heading", name="Bestellübersicht")).to_be_visible()
    page.locator("#order-table .select-all").check()
    boxes = page.locator("#order-table input[name=ids]")
    expect(boxes.first).to_be_checked()
    expect(boxes.last).to_be_checked()
    page.get_by_role("button", name="Alle 55 passenden Bestellungen auswählen").click()
    expect(page.locator("#select-matching")).to_contain_text("ausgewählt")
    page.get_by_role("button", name="Auswahl aufheben").click()
    expect(boxes.first).not_to_be_checked()
    expect(page.locator("#select-matching")).to_be_empty()

    page.locator("#more-menu summary", has_text="Mehr").click()
    expect(page.locator("#more-menu")).to_have_attribute("open", "")
    page.locator("h1").click()  # a click elsewhere closes the menu
    expect(page.locator("#more-menu")).not_to_have_attribute("open", "")

    page.goto(f"{live_server.url}/orders/{orders[0].pk}/invoice/")
    page.evaluate("window.print = () => { window.printed = true; }")
    page.get_by_role("button", name="Drucken").click()
    assert page.evaluate("window.printed") is True
    assert violations == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, databases=["default", "coldstorage"])
def test_the_range_dialogs_live_count_logs_no_console_error(page: Page, live_server, merchant):
    channel = ChannelFactory(name="Eigener Shop")
    OrderFactory.create_batch(3, channel=channel)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, live_server, merchant)

    page.locator("#more-menu summary", has_text="Mehr").click()
    page.get_by_role("button", name="Anonymisieren").click()
    dialog = page.locator("dialog[open]")
    dialog.get_by_label("von", exact=True).fill("2020-01-01")
    dialog.get_by_label("bis (einschließlich)").fill("2030-12-31")
    expect(dialog.locator("#privacy-count")).to_contain_text("3 Bestellungen werden anonymisiert.")
    dialog.get_by_label("Eigener Shop").uncheck()
    expect(dialog.locator("#privacy-count")).not_to_contain_text("3 Bestellungen")
    dialog.get_by_label("Eigener Shop").check()
    expect(dialog.locator("#privacy-count")).to_contain_text("3 Bestellungen werden anonymisiert.")

    assert errors == [], errors
