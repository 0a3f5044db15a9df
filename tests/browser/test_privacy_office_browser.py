"""The data protection officer in the browser: finds the person from the top bar, reads the
Auskunft, and records a Löschanfrage that anonymizes what it can and lists what it cannot yet."""

import pytest
from playwright.sync_api import Page, expect

from orders.models import Order, OrderStatus, PrivacyState
from orders.privacy.jobs import privacy_job_run
from privacyoffice.models import ErasureRequest
from tests.browser.conftest import log_in, screenshot
from tests.conftest import permissions
from tests.factories import UserFactory
from tests.privacyoffice.conftest import example  # noqa: F401

DPO = (
    "privacyoffice.view_subject_report",
    "privacyoffice.handle_erasure_request",
    "privacyoffice.view_erasurerequest",
    "orders.view_order",
    "customers.view_customer",
    "customers.view_personal_data",
)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, databases=["default", "coldstorage"])
def test_a_report_and_an_erasure_request_in_the_browser(page: Page, live_server, example):  # noqa: F811
    Order.objects.filter(number=900002).update(status=OrderStatus.PAID)  # still open
    user = UserFactory(username="dsb")
    user.user_permissions.set(permissions(*DPO))
    log_in(page, live_server, user)

    page.locator("nav.mainnav").get_by_role("link", name="Datenschutz").click()
    page.get_by_label("Name, E-Mail-Adresse, Kundennummer oder eine Bestellnummer").fill(
        "Mustermann"
    )
    page.get_by_role("button", name="Suchen").click()
    page.get_by_role("row", name="4711").get_by_role("link", name="Datenschutz").click()
    expect(page.get_by_role("heading", name="Datenschutz – Kunde 4711")).to_be_visible()
    screenshot(page, "privacy-office-customer-de")

    page.get_by_role("link", name="Auskunft anzeigen").click()
    expect(page.get_by_text("Erika", exact=False).first).to_be_visible()
    expect(page.get_by_text("5678", exact=False).first).to_be_visible()
    assert "ABCDEF5678" not in page.content()  # the token masked
    assert "Fremdling" not in page.content()  # nobody else's data
    screenshot(page, "privacy-office-report-de")

    page.go_back()
    page.get_by_label("eingegangen per").select_option(index=1)
    page.get_by_role("button", name="Löschanfrage erfassen und ausführen").click()
    expect(page.get_by_text("Noch nicht anonymisierbar").first).to_be_visible()
    expect(page.get_by_text("900002").first).to_be_visible()
    screenshot(page, "privacy-office-erasure-de")
    privacy_job_run(job_id=ErasureRequest.objects.get().last_job_id)  # as the worker does
    assert Order.objects.get(number=900001).privacy_state == PrivacyState.ANONYMIZED
    assert Order.objects.get(number=900002).privacy_state == PrivacyState.ACTIVE

    page.get_by_label("Sprache").select_option("en")
    expect(page.get_by_text("Cannot be anonymized yet").first).to_be_visible()
    screenshot(page, "privacy-office-erasure-en")
