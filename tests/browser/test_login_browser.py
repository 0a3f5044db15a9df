"""Logging out says so; the login page can be switched to English before logging in."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import log_in, screenshot
from tests.conftest import PASSWORD


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, databases=["default", "coldstorage"])
def test_log_out_switch_the_login_page_to_english_and_log_in_again(page: Page, live_server, user):
    log_in(page, live_server, user)

    page.get_by_role("button", name="Abmelden").click()

    expect(page.get_by_text("Sie wurden abgemeldet.")).to_be_visible()
    expect(page.get_by_role("heading", name="Anmelden")).to_be_visible()
    expect(page.locator("link[rel=icon]")).to_have_attribute("href", re.compile(r"favicon.*\.svg$"))
    screenshot(page, "logged-out-de")

    page.get_by_label("Sprache").select_option("en")

    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Order overview")).to_be_visible()
    screenshot(page, "login-en-then-list")
