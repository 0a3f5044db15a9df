"""A merchant writes a notification text, previews it for an order (htmx, no reload) and is told
about a misspelt placeholder when saving."""

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import Page, expect

from notifications.models import NotificationText
from tests.browser.conftest import log_in, screenshot
from tests.factories import OrderFactory, UserFactory


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, databases=["default", "coldstorage"])
def test_a_text_is_previewed_and_a_misspelt_placeholder_refused(page: Page, live_server):
    user = UserFactory(username="haendlerin")
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["notifications", "orders"])
        | Permission.objects.filter(codename="view_personal_data")
    )
    order = OrderFactory(billing_first_name="Kira", billing_last_name="Käster")

    log_in(page, live_server, user)
    page.goto(f"{live_server.url}/settings/notifications/texts/new/")
    page.get_by_label("Name").fill("Versandbestätigung")
    page.get_by_label("Betreff").fill("Ihre Bestellung {OrderNumber}")
    page.get_by_label("Text (ohne Formatierung)").fill("Hallo {CustomerName}, danke!")
    page.get_by_label("Bestellnummer").fill(str(order.number))
    page.get_by_role("button", name="Vorschau anzeigen").click()

    preview = page.locator("#preview")
    expect(preview).to_contain_text(f"Ihre Bestellung {order.number}")
    expect(preview).to_contain_text("Hallo Kira Käster, danke!")
    # The typed text is still there: the preview came without a reload.
    expect(page.get_by_label("Name")).to_have_value("Versandbestätigung")
    screenshot(page, "notifications-text-preview")

    page.get_by_label("Betreff").fill("Ihre Bestellung {Bestellnummer}")
    page.get_by_role("button", name="Speichern").click()

    expect(page.locator(".errorlist")).to_contain_text("Unbekannter Platzhalter: {Bestellnummer}")
    screenshot(page, "notifications-text-unknown-placeholder")
    assert not NotificationText.objects.exists()
