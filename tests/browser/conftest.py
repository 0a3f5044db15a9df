"""What every browser test shares: a German merchant's browser, logging in, screenshots."""

import os

import pytest
from playwright.sync_api import Page

from tests.conftest import PASSWORD

ARTIFACTS = "test-artifacts"
VIEWPORT = {"width": 1366, "height": 900}


@pytest.fixture
def browser_context_args(browser_context_args):
    # LocaleMiddleware follows Accept-Language: the browser asks for German.
    return {**browser_context_args, "locale": "de-DE", "viewport": VIEWPORT}


def log_in(page: Page, live_server, user) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Benutzername").fill(user.username)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()


def screenshot(page: Page, name: str, *, full_page: bool = True) -> None:
    """Saves test-artifacts/<name>.png for a person to look at."""
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, f"{name}.png"), full_page=full_page)
