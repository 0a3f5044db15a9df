"""A merchant edits a customer's extra fields as rows, and is asked before leaving unsaved edits."""

import pytest
from playwright.sync_api import Page, expect

from customers.models import Customer
from tests.browser.conftest import log_in, screenshot
from tests.customers.edit_form import customer_with_data


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, databases=["default", "coldstorage"])
def test_a_merchant_edits_extra_fields_as_rows(page: Page, live_server, merchant):
    customer = customer_with_data(extra_fields={"Kostenstelle": "KST-1"})
    log_in(page, live_server, merchant)

    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    expect(page.get_by_label("Name (Zeile 1)")).to_have_value("Kostenstelle")
    expect(page.get_by_label("Wert (Zeile 1)")).to_have_value("KST-1")
    page.get_by_label("Name (Zeile 2)").fill("Affiliate")
    page.get_by_label("Wert (Zeile 2)").fill("A-17")
    screenshot(page, "customer-extra-fields")
    page.get_by_role("button", name="Speichern").click()

    expect(page.get_by_text("Die Kundendaten wurden gespeichert.")).to_be_visible()
    customer.refresh_from_db()
    assert customer.extra_fields == {"Kostenstelle": "KST-1", "Affiliate": "A-17"}
    assert Customer.objects.get(pk=customer.pk).version > 1
