"""A merchant opens an anonymized order: locked banner, read-only form, invoice disabled; restores
it and watches the page come back by itself; the history shows what happened."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from orders.models import PrivacyJob
from orders.privacy.jobs import privacy_job_run
from tests.browser.conftest import log_in, screenshot
from tests.conftest import CLERK_PERMISSIONS, permissions
from tests.factories import ChannelFactory, OrderFactory, OrderItemFactory, UserFactory
from tests.privacy.conftest import anonymize


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, databases=["default", "coldstorage"])
def test_a_locked_order_is_read_only_and_comes_back_after_a_restore(page: Page, live_server):
    user = UserFactory(username="haendlerin")
    user.user_permissions.set(
        permissions(*CLERK_PERMISSIONS, "orders.anonymize_order", "orders.restore_order")
    )
    order = OrderFactory(
        channel=ChannelFactory(name="Amazon DE", kind="amazon"),
        billing_entry__first_name="Kira",
        billing_entry__last_name="Käster",
        billing_entry__city="Schleiz",
        total=Decimal("29.28"),
    )
    OrderItemFactory(order=order, title="Kaffeebecher Steingut", quantity=2)
    OrderItemFactory(order=order, title="Teelicht-Set", quantity=1, unit_price=Decimal("4.28"))
    anonymize(order, user=user)

    log_in(page, live_server, user)
    page.goto(f"{live_server.url}/orders/{order.pk}/")

    banner = page.locator("#privacy-banner")
    expect(banner).to_contain_text("Diese Bestellung ist anonymisiert.")
    expect(banner).to_contain_text("wiederhergestellt werden")
    expect(page.get_by_label("Nachname").first).to_be_disabled()
    expect(page.get_by_label("Nachname").first).to_have_value("[Anonymisiert]")
    expect(page.get_by_label("Interne Notizen")).to_be_disabled()
    expect(page.get_by_role("button", name="Rechnung erstellen")).to_be_disabled()
    expect(page.get_by_role("button", name="Versenden")).to_be_disabled()
    expect(page.get_by_role("button", name="Speichern")).to_have_count(0)
    expect(page.get_by_text("Gesperrt, solange die Kundendaten anonymisiert sind")).to_be_visible()
    expect(page.get_by_text("Schleiz")).to_have_count(0)
    screenshot(page, "locked_order")

    page.get_by_role("button", name="Wiederherstellen").click()

    expect(page.get_by_text("Wiederherstellung gestartet")).to_be_visible()
    expect(banner).to_contain_text("Die Kundendaten werden gerade wiederhergestellt.")
    expect(page.locator(".order-head")).to_contain_text("⏳")
    screenshot(page, "locked_order_restoring")

    # The worker's part, run here; the banner's poll notices and reloads the page.
    privacy_job_run(job_id=PrivacyJob.objects.get(kind=PrivacyJob.Kind.RESTORE).pk)

    expect(page.get_by_label("Ort").first).to_have_value("Schleiz", timeout=10_000)
    expect(page.locator("#privacy-banner")).to_have_count(0)
    expect(page.get_by_role("button", name="Rechnung erstellen")).to_be_enabled()
    expect(page.get_by_role("button", name="Speichern")).to_be_visible()

    page.get_by_role("link", name="Verlauf & Nachrichten").click()
    history = page.locator("table.data tbody").first  # the history; the mail log follows
    for kind in ("Kundendaten anonymisiert", "Wiederherstellung angefordert"):
        expect(history).to_contain_text(kind)
    expect(history.get_by_text("Kundendaten wiederhergestellt")).to_be_visible()
    expect(history).to_contain_text(re.compile(r"\d\d\.\d\d\.\d{4} \d\d:\d\d"))
    expect(history).to_contain_text("haendlerin")
    expect(history).to_contain_text(
        re.compile(r"Vorgang #\d+ · wiederherstellbar bis 31\.12\.\d{4}")
    )
    screenshot(page, "locked_order_history")
    # The same entries for an English reader (the switch in the header keeps the page).
    page.get_by_label("Sprache").select_option("en")
    expect(history).to_contain_text(re.compile(r"Job #\d+ · restorable until 12/31/\d{4}"))
    expect(history).to_contain_text("Customer data restored")
    screenshot(page, "locked_order_history_en")
    page.get_by_label("Language").select_option("de")
    expect(page.get_by_role("link", name="Details")).to_be_visible()

    page.get_by_role("link", name="Details").click()
    page.get_by_role("button", name="Anonymisieren").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(f"Bestellung {order.number} anonymisieren?")
    screenshot(page, "anonymize_dialog")
    dialog.get_by_role("button", name="Anonymisieren").click()

    expect(page.get_by_text("Die Kundendaten der Bestellung wurden anonymisiert.")).to_be_visible()
    expect(page.locator("#privacy-banner")).to_contain_text("Diese Bestellung ist anonymisiert.")
