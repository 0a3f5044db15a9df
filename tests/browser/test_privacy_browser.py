"""The merchant's privacy story in the Bestellübersicht: anonymize two selected orders, then restore
them by date range, watching badges, the live count and the job's progress."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from orders.models import PrivacyJob
from orders.privacy.jobs import privacy_job_run
from tests.browser.conftest import VIEWPORT, log_in, screenshot
from tests.conftest import BOTH_DATABASES, CLERK_PERMISSIONS, permissions
from tests.factories import ChannelFactory, OrderFactory, UserFactory


def _wait_for_job(kind: str) -> PrivacyJob:
    """The job the page just started (the browser's POST commits before the panel shows)."""
    return PrivacyJob.objects.filter(kind=kind).latest("created_at")


def _merchant():
    user = UserFactory(username="haendlerin")
    user.user_permissions.set(
        permissions(*CLERK_PERMISSIONS, "orders.anonymize_order", "orders.restore_order")
    )
    return user


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, databases=BOTH_DATABASES)
def test_a_merchant_anonymizes_two_orders_and_restores_them_by_date_range(page: Page, live_server):
    user = _merchant()
    amazon = ChannelFactory(name="Amazon DE", kind="amazon")
    shop = ChannelFactory(name="Eigener Shop")
    today = timezone.localdate()
    names = ["Krüger", "Hoffmann", "Schäfer", "Yilmaz", "Neumann", "Schwarz"]
    orders = [
        OrderFactory(
            channel=amazon if n % 2 else shop,
            order_date=timezone.make_aware(
                datetime.datetime.combine(today - datetime.timedelta(days=n + 2), datetime.time(9))
            )
            + datetime.timedelta(minutes=17 * n),
            billing_entry__last_name=name,
            total=f"{19.9 + 7 * n:.2f}",
            status="paid" if n % 3 else "new",
        )
        for n, name in enumerate(names)
    ]
    first, second = orders[1], orders[2]

    log_in(page, live_server, user)
    expect(page.get_by_role("heading", name="Bestellübersicht")).to_be_visible()
    page.evaluate("window.notReloaded = true")

    # Select two orders → Mehr → Anonymisieren → confirm.
    page.get_by_label(f"Bestellung {first.number} auswählen").check()
    page.get_by_label(f"Bestellung {second.number} auswählen").check()
    page.locator("#more-menu summary", has_text="Mehr").click()
    screenshot(page, "privacy-menu", full_page=False)
    page.get_by_role("button", name="Anonymisieren").click()

    dialog = page.locator("dialog[open]")
    expect(dialog.get_by_role("heading", name="2 Bestellungen anonymisieren?")).to_be_visible()
    expect(dialog).to_contain_text("2 Bestellungen werden anonymisiert.")
    screenshot(page, "privacy-confirm", full_page=False)
    dialog.get_by_role("button", name="Bestellungen anonymisieren").click()

    panel = page.locator(".job-panel")
    expect(panel).to_contain_text("Anonymisierung wird gestartet")
    expect(page.locator("dialog")).to_have_count(0)
    job = _wait_for_job(PrivacyJob.Kind.ANONYMIZE)
    assert job.selection == {"ids": sorted([first.pk, second.pk])}
    privacy_job_run(job_id=job.pk)  # the worker

    expect(panel).to_contain_text("Anonymisierung abgeschlossen")
    expect(panel).to_contain_text("2 anonymisiert")
    rows = page.locator("table.orders tbody tr")
    for order in (first, second):
        row = rows.filter(has=page.get_by_role("link", name=str(order.number), exact=True))
        expect(row.locator(".privacy-icon.locked")).to_be_visible()
        expect(row).to_contain_text("[Anonymisiert]")
        lock = row.locator(".privacy-icon.locked")
        expect(lock).to_have_attribute(
            "title",
            re.compile(
                r"^Kundendaten anonymisiert am \d\d\.\d\d\.\d{4}; wiederherstellbar bis 31\.12\.\d{4}$"
            ),
        )
    expect(page.get_by_text("Krüger")).to_have_count(1)  # the others are untouched
    expect(page.locator(".privacy-icon")).to_have_count(2)
    assert page.evaluate("window.notReloaded") is True, "badges arrive without a page load"
    screenshot(page, "privacy-list-anonymized")

    # Nothing selected → Mehr → Wiederherstellen → the date-range dialog with its live count.
    page.locator("#more-menu summary", has_text="Mehr").click()
    page.get_by_role("button", name="Wiederherstellen").click()
    dialog = page.locator("dialog[open]")
    expect(
        dialog.get_by_role("heading", name="Bestellungen nach Zeitraum wiederherstellen")
    ).to_be_visible()
    expect(dialog.get_by_label("Amazon DE")).to_be_checked()
    expect(dialog.get_by_label("Eigener Shop")).to_be_checked()
    dialog.get_by_label("von", exact=True).fill((today - datetime.timedelta(days=30)).isoformat())
    dialog.get_by_label("bis (einschließlich)").fill(today.isoformat())

    expect(dialog.locator("#privacy-count")).to_contain_text(
        "2 Bestellungen werden wiederhergestellt."
    )
    # The four active orders in the range were never meant: not listed as skipped.
    expect(dialog.locator("#privacy-count")).not_to_contain_text("nicht anonymisiert")
    dialog.get_by_label("Eigener Shop").uncheck()
    expect(dialog.locator("#privacy-count")).to_contain_text("1 Bestellung wird wiederhergestellt.")
    dialog.get_by_label("Eigener Shop").check()
    expect(dialog.locator("#privacy-count")).to_contain_text(
        "2 Bestellungen werden wiederhergestellt."
    )
    screenshot(page, "privacy-range-dialog", full_page=False)

    # An invalid range is answered in the dialog, and nothing runs.
    dialog.get_by_label("von", exact=True).fill((today + datetime.timedelta(days=5)).isoformat())
    expect(dialog.locator("#privacy-count")).to_contain_text("liegt nach dem Bis-Datum")
    dialog.get_by_role("button", name="Bestellungen wiederherstellen").click()
    dialog = page.locator("dialog[open]")
    expect(dialog.locator(".error-banner")).to_contain_text("liegt nach dem Bis-Datum")
    assert not PrivacyJob.objects.filter(kind=PrivacyJob.Kind.RESTORE).exists()
    screenshot(page, "privacy-range-dialog-error", full_page=False)

    dialog.get_by_label("von", exact=True).fill((today - datetime.timedelta(days=30)).isoformat())
    expect(dialog.locator("#privacy-count")).to_contain_text(
        "2 Bestellungen werden wiederhergestellt."
    )
    # Fixed input: the error shown for the earlier one is gone.
    expect(dialog.locator(".error-banner")).to_have_count(0)
    expect(dialog.locator(".errorlist")).to_have_count(0)
    dialog.get_by_role("button", name="Bestellungen wiederherstellen").click()

    restore_panel = page.locator(".job-panel.kind-restore")
    expect(restore_panel).to_contain_text("Wiederherstellung eingereiht")
    expect(page.locator(".privacy-icon.restoring")).to_have_count(2)
    expect(page.locator(".privacy-icon.locked")).to_have_count(0)
    screenshot(page, "privacy-restore-queued")

    privacy_job_run(job_id=_wait_for_job(PrivacyJob.Kind.RESTORE).pk)  # the worker

    expect(restore_panel).to_contain_text("Wiederherstellung abgeschlossen")
    expect(restore_panel).to_contain_text("2 wiederhergestellt")
    expect(page.locator(".privacy-icon")).to_have_count(0)
    for order in (first, second):
        row = rows.filter(has=page.get_by_role("link", name=str(order.number), exact=True))
        expect(row).to_contain_text(order.billing_entry.last_name)
        expect(row).not_to_contain_text("[Anonymisiert]")
    assert page.evaluate("window.notReloaded") is True
    screenshot(page, "privacy-restore-done")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, databases=BOTH_DATABASES)
def test_a_merchant_selects_all_matching_orders_across_pages(page: Page, live_server):
    user = _merchant()
    amazon = ChannelFactory(name="Amazon DE", kind="amazon")
    for _ in range(53):
        OrderFactory(channel=amazon)
    OrderFactory(channel=ChannelFactory(name="Eigener Shop"))

    log_in(page, live_server, user)
    expect(page.locator("table.orders")).to_contain_text("Eigener Shop")
    page.get_by_label("Kanal").select_option(label="Amazon DE")
    expect(page.locator("table.orders")).not_to_contain_text("Eigener Shop")
    expect(page.locator("table.orders tbody tr")).to_have_count(50)

    page.get_by_label("Alle auf dieser Seite auswählen").check()
    bar = page.locator("#select-matching")
    expect(bar).to_contain_text("Alle Bestellungen dieser Seite sind ausgewählt.")
    bar.get_by_role("button", name="Alle 53 passenden Bestellungen auswählen").click()
    expect(bar).to_contain_text("Alle 53 passenden Bestellungen sind ausgewählt.")
    screenshot(page, "privacy-select-matching", full_page=False)

    page.locator("#more-menu summary", has_text="Mehr").click()
    page.get_by_role("button", name="Anonymisieren").click()
    dialog = page.locator("dialog[open]")
    expect(dialog.get_by_role("heading", name="53 Bestellungen anonymisieren?")).to_be_visible()
    dialog.get_by_role("button", name="Bestellungen anonymisieren").click()

    expect(page.locator(".job-panel")).to_contain_text("0 von 53 Bestellungen bearbeitet")
    job = _wait_for_job(PrivacyJob.Kind.ANONYMIZE)
    assert job.selection == {"ids": sorted(amazon.orders.values_list("pk", flat=True))}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, databases=BOTH_DATABASES)
def test_the_menu_and_the_dialogs_work_without_javascript(browser, live_server):
    user = _merchant()
    orders = [OrderFactory(billing_entry__last_name=name) for name in ("Lang", "Kurz", "Breit")]
    context = browser.new_context(java_script_enabled=False, locale="de-DE", viewport=VIEWPORT)
    page = context.new_page()
    log_in(page, live_server, user)

    page.get_by_label(f"Bestellung {orders[0].number} auswählen").check()
    page.locator("#more-menu summary", has_text="Mehr").click()
    page.get_by_role("button", name="Anonymisieren").click()

    expect(page.get_by_role("heading", name="1 Bestellung anonymisieren?")).to_be_visible()
    screenshot(page, "privacy-confirm-nojs")
    page.get_by_role("button", name="Bestellungen anonymisieren").click()

    expect(page.get_by_role("heading", name=re.compile("Anonymisierung"))).to_be_visible()
    job = _wait_for_job(PrivacyJob.Kind.ANONYMIZE)
    assert job.selection == {"ids": [orders[0].pk]}
    privacy_job_run(job_id=job.pk)
    page.reload()
    expect(page.get_by_role("heading", name="Anonymisierung abgeschlossen")).to_be_visible()
    screenshot(page, "privacy-job-page-nojs")

    # Nothing selected: the date-range dialog as a page, counted with a button.
    page.goto(f"{live_server.url}/orders/")
    page.locator("#more-menu summary", has_text="Mehr").click()
    page.get_by_role("button", name="Wiederherstellen").click()
    expect(
        page.get_by_role("heading", name="Bestellungen nach Zeitraum wiederherstellen")
    ).to_be_visible()
    today = timezone.localdate()
    page.get_by_label("von", exact=True).fill((today - datetime.timedelta(days=10)).isoformat())
    page.get_by_label("bis (einschließlich)").fill(today.isoformat())
    page.get_by_role("button", name="Anzahl ermitteln").click()
    expect(page.locator("#privacy-count")).to_contain_text("1 Bestellung wird wiederhergestellt.")
    screenshot(page, "privacy-range-page-nojs")
    page.get_by_role("button", name="Bestellungen wiederherstellen").click()
    expect(page.get_by_role("heading", name="Wiederherstellung eingereiht")).to_be_visible()
    context.close()
