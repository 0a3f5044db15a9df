"""The order and customer lists after Back, Forward, reload and in a second tab: controls, rows,
the count and "all matching" always come from the URL, so a bulk action acts on exactly what the
merchant sees."""

import os
import re
import shutil

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ARTIFACTS, log_in, screenshot
from tests.conftest import CLERK_PERMISSIONS, permissions
from tests.factories import (
    AddressFactory,
    ChannelFactory,
    CustomerFactory,
    OrderFactory,
    UserFactory,
)

#: Where a person looks at the screenshots of this file (besides test-artifacts/).
SHOTS = os.environ.get("LIST_SHOTS_DIR", "")


def _shot(page: Page, name: str) -> None:
    screenshot(page, name)
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        shutil.copy(os.path.join(ARTIFACTS, f"{name}.png"), SHOTS)


def _merchant():
    user = UserFactory(username="haendlerin")
    user.user_permissions.set(
        permissions(*CLERK_PERMISSIONS, "orders.anonymize_order", "orders.restore_order")
    )
    return user


def _expect_ebay_archived(page: Page, ebay_pk: int) -> None:
    expect(page.locator("#order-filter [name=channel]")).to_have_value(str(ebay_pk))
    expect(page.locator("#order-filter [name=status]")).to_have_value("archived")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, databases=["default", "coldstorage"])
def test_back_reload_and_a_second_tab_keep_filters_rows_and_all_matching_together(
    page: Page, live_server
):
    ebay = ChannelFactory(name="eBay", kind="ebay")
    shop = ChannelFactory(name="Eigener Shop")
    OrderFactory.create_batch(61, channel=ebay, status="archived")
    OrderFactory.create_batch(12, channel=ebay, status="paid")
    OrderFactory.create_batch(30, channel=shop, status="archived")
    log_in(page, live_server, _merchant())
    rows = page.locator("table.orders tbody tr")
    matching = page.locator("#select-matching")
    expect(rows).to_have_count(50)

    page.locator("#order-filter [name=channel]").select_option(label="eBay")
    expect(page).to_have_url(re.compile(rf"channel={ebay.pk}"))
    page.locator("#order-filter [name=status]").select_option(label="Archiviert")
    expect(page).to_have_url(re.compile(r"status=archived"))
    # The address bar changes before the table is swapped: page on once the new table is in and
    # no filter request is under way (on a loaded machine one was seen landing after the click).
    page.wait_for_load_state("networkidle")
    next_page = page.get_by_role("link", name="Weiter").first
    expect(next_page).to_have_attribute("href", re.compile(r"status=archived"))
    next_page.click()
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(rows).to_have_count(11)

    page.go_back()  # page 1 of eBay + Archiviert
    expect(page).not_to_have_url(re.compile(r"page=2"))
    expect(rows).to_have_count(50)
    _expect_ebay_archived(page, ebay.pk)
    for row in rows.all()[:3]:
        expect(row).to_contain_text("eBay")
        expect(row).to_contain_text("Archiviert")
    # "All matching" counts what the table shows, not the whole table.
    page.locator("#order-table .select-all").check()
    expect(matching).to_contain_text("Alle 61 passenden Bestellungen auswählen")
    _shot(page, "list-state-after-back-de")
    matching.get_by_role("button", name="Alle 61 passenden Bestellungen auswählen").click()
    expect(matching).to_contain_text("Alle 61 passenden Bestellungen sind ausgewählt.")
    # The action confirms the same 61.
    page.locator("#more-menu summary").click()
    page.get_by_role("button", name="Anonymisieren").click()
    dialog = page.locator("dialog.privacy-dialog")
    expect(dialog).to_contain_text("61 Bestellungen anonymisieren?")
    _shot(page, "list-state-all-matching-dialog-de")
    dialog.get_by_role("button", name="Abbrechen").click()
    expect(dialog).to_have_count(0)

    page.go_back()  # eBay, every status
    expect(page.locator("#order-filter [name=status]")).to_have_value("")
    expect(page.locator("#order-filter [name=channel]")).to_have_value(str(ebay.pk))
    page.locator("#order-table .select-all").check()
    expect(matching).to_contain_text("Alle 73 passenden Bestellungen auswählen")

    page.go_forward()
    _expect_ebay_archived(page, ebay.pk)

    page.reload()
    _expect_ebay_archived(page, ebay.pk)
    expect(rows).to_have_count(50)
    page.locator("#order-table .select-all").check()
    expect(matching).to_contain_text("Alle 61 passenden Bestellungen auswählen")

    # The same address in a second tab shows the same list.
    second = page.context.new_page()
    second.goto(page.url)
    _expect_ebay_archived(second, ebay.pk)
    second.locator("#order-table .select-all").check()
    expect(second.locator("#select-matching")).to_contain_text(
        "Alle 61 passenden Bestellungen auswählen"
    )
    second.close()

    # Typing in the search keeps the filters the controls show, also after a reload.
    search = page.locator("#order-filter [name=q]")
    search.fill("Nirgendwo")
    expect(page).to_have_url(re.compile(r"(?=.*q=Nirgendwo)(?=.*status=archived)(?=.*channel=)"))
    expect(page.locator("table.orders tbody")).to_contain_text("Keine Bestellungen gefunden")
    page.reload()
    _expect_ebay_archived(page, ebay.pk)
    expect(search).to_have_value("Nirgendwo")
    search.fill("")
    expect(page).not_to_have_url(re.compile(r"q=Nirgendwo"))
    expect(rows).to_have_count(50)
    # Clearing a search box fires "search" at once and "input" after its delay: let both land.
    page.wait_for_timeout(800)
    page.wait_for_load_state("networkidle")  # the delayed one may still be under way
    _expect_ebay_archived(page, ebay.pk)

    # Switching the language keeps the address bar's filters and page.
    page.get_by_role("link", name="Weiter").first.click()
    expect(page).to_have_url(re.compile(r"page=2"))
    page.get_by_label("Sprache").select_option("en")
    expect(page.get_by_role("heading", name="Order overview")).to_be_visible()
    expect(page).to_have_url(re.compile(r"(?=.*page=2)(?=.*status=archived)"))
    _expect_ebay_archived(page, ebay.pk)
    expect(rows).to_have_count(11)
    page.go_back()
    page.go_forward()
    _expect_ebay_archived(page, ebay.pk)
    page.get_by_role("link", name="Previous").first.click()
    expect(rows).to_have_count(50)
    page.locator("#order-table .select-all").check()
    expect(matching).to_contain_text("61")
    _shot(page, "list-state-after-back-en")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, databases=["default", "coldstorage"])
def test_back_and_reload_keep_the_customer_search(page: Page, live_server):
    for n in range(3):
        customer = CustomerFactory(last_name="Schumacher", first_name=f"Jürgen{n}")
        AddressFactory(customer=customer, last_name="Schumacher", city="Köln")
    weber = CustomerFactory(last_name="Weber")
    AddressFactory(customer=weber, last_name="Weber", city="Ulm")
    log_in(page, live_server, _merchant())
    page.goto(f"{live_server.url}/customers/")
    rows = page.locator("#customer-table tbody tr")
    expect(rows).to_have_count(4)

    page.get_by_label("Suche").fill("schum")
    expect(page).to_have_url(re.compile(r"q=schum"))
    expect(rows).to_have_count(3)
    page.get_by_label("Suche").fill("Weber")
    expect(page).to_have_url(re.compile(r"q=Weber"))
    expect(rows).to_have_count(1)

    page.go_back()
    expect(page.get_by_label("Suche")).to_have_value("schum")
    expect(rows).to_have_count(3)
    page.reload()
    expect(page.get_by_label("Suche")).to_have_value("schum")
    expect(rows).to_have_count(3)
    _shot(page, "customer-search-after-back-de")
    page.go_back()
    expect(page.get_by_label("Suche")).to_have_value("")
    expect(rows).to_have_count(4)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, databases=["default", "coldstorage"])
def test_the_list_shows_its_total_offers_a_page_size_and_says_when_a_page_does_not_exist(
    page: Page, live_server
):
    ebay = ChannelFactory(name="eBay", kind="ebay")
    OrderFactory.create_batch(61, channel=ebay, status="archived")
    OrderFactory.create_batch(12, channel=ChannelFactory(name="Eigener Shop"))
    log_in(page, live_server, _merchant())
    rows = page.locator("table.orders tbody tr")
    total = page.locator(".list-total")

    expect(total).to_have_text("73 Bestellungen")
    page.locator("#order-filter [name=channel]").select_option(str(ebay.pk))
    expect(total).to_have_text("61 Bestellungen")

    page.get_by_label("pro Seite").select_option("25")
    expect(rows).to_have_count(25)
    expect(page).to_have_url(re.compile(r"page_size=25"))
    page.get_by_role("link", name="Weiter").click()
    expect(page.locator(".page-number")).to_have_text("Seite 2")
    expect(rows).to_have_count(25)
    expect(page.get_by_label("pro Seite")).to_have_value("25")
    _shot(page, "list-page-size-de")

    # A filter change keeps the page size and starts again at page 1.
    page.locator("#order-filter [name=status]").select_option("archived")
    expect(page.locator(".page-number")).to_have_text("Seite 1")
    expect(rows).to_have_count(25)

    page.goto(f"{live_server.url}/orders/?channel={ebay.pk}&page_size=25&page=12")
    expect(rows).to_contain_text("Seite 12 gibt es nicht.")
    page.get_by_role("link", name="Zur letzten Seite (3)").click()
    expect(page.locator(".page-number")).to_have_text("Seite 3")
    expect(rows).to_have_count(11)
    _shot(page, "list-last-page-de")

    page.get_by_label("Sprache").select_option("en")
    expect(page.locator(".list-total")).to_have_text("61 orders")
    _shot(page, "list-last-page-en")
