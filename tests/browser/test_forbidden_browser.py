"""A clerk opens a page meant for the merchant: the 403 page says which permission is missing."""

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from tests.browser.conftest import log_in, screenshot


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, databases=["default", "coldstorage"])
def test_the_forbidden_page_names_the_missing_permission_in_german_and_english(
    page: Page, live_server, user
):
    log_in(page, live_server, user)

    page.goto(f"{live_server.url}{reverse('orders:privacy_restore')}")

    expect(page.get_by_role("heading", name="Keine Berechtigung")).to_be_visible()
    expect(page.locator(".missing-permissions")).to_contain_text(
        "Kann anonymisierte Bestellungen wiederherstellen"
    )
    expect(page.get_by_text("Es wurde nichts geändert.")).to_be_visible()
    screenshot(page, "forbidden-de")

    page.get_by_label("Sprache").select_option("en")

    expect(page.get_by_role("heading", name="No permission")).to_be_visible()
    expect(page.locator(".missing-permissions")).to_contain_text("Can restore anonymized orders")
    screenshot(page, "forbidden-en")
