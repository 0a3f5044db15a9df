"""A merchant exports from the order list: the ticked orders, or all the filter finds – with
JavaScript (the dialog over the list) and without (the dialog as a page)."""

import csv
import io

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import VIEWPORT, log_in, screenshot
from tests.factories import ChannelFactory, OrderFactory


def _exported_numbers(download) -> list[str]:
    """The order numbers of a downloaded Excel-dialect file (the first column)."""
    with open(download.path(), encoding="utf-8-sig", newline="") as file:
        rows = list(csv.reader(io.StringIO(file.read()), delimiter=";"))
    assert rows[0][0] == "Bestellnummer"
    return sorted(row[0] for row in rows[1:])


@pytest.fixture
def orders(db):
    ebay = ChannelFactory(name="eBay")
    shop = ChannelFactory(name="Eigener Shop")
    on_ebay = [OrderFactory(channel=ebay) for _ in range(3)]
    in_shop = [OrderFactory(channel=shop) for _ in range(4)]
    return ebay, on_ebay, in_shop


def _open_export_dialog(page: Page) -> None:
    page.locator("#more-menu summary").click()
    page.get_by_role("button", name="Exportieren …").click()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, databases=["default", "coldstorage"])
def test_it_exports_the_ticked_orders_then_the_filtered_ones(
    page: Page, live_server, merchant, orders
):
    _ebay, on_ebay, in_shop = orders
    log_in(page, live_server, merchant)
    rows = page.locator("table.orders tbody tr")
    expect(rows).to_have_count(7)
    screenshot(page, "export-list")

    for order in in_shop[:2]:
        page.get_by_label(f"Bestellung {order.number} auswählen").check()
    _open_export_dialog(page)

    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Die 2 markierten Bestellungen werden exportiert.")
    screenshot(page, "export-dialog-ticked")
    with page.expect_download() as download:
        dialog.get_by_role("button", name="Exportieren").click()
    assert _exported_numbers(download.value) == sorted(str(o.number) for o in in_shop[:2])
    expect(dialog).to_be_hidden()

    # Nothing ticked: every order the filter finds (all pages' worth, not just the ticked).
    page.goto(f"{live_server.url}/orders/")
    page.get_by_label("Kanal").select_option(label="eBay")
    expect(rows).to_have_count(3)
    _open_export_dialog(page)

    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(
        "Alle 3 zu den Filtern passenden Bestellungen werden exportiert."
    )
    screenshot(page, "export-dialog-filtered")
    with page.expect_download() as download:
        dialog.get_by_role("button", name="Exportieren").click()
    assert _exported_numbers(download.value) == sorted(str(o.number) for o in on_ebay)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, databases=["default", "coldstorage"])
def test_without_javascript_the_export_takes_the_lists_filter(
    browser: Browser, live_server, merchant, orders
):
    ebay, on_ebay, _in_shop = orders
    context = browser.new_context(java_script_enabled=False, locale="de-DE", viewport=VIEWPORT)
    page = context.new_page()
    try:
        log_in(page, live_server, merchant)
        page.goto(f"{live_server.url}/orders/?channel={ebay.pk}")
        expect(page.locator("table.orders tbody tr")).to_have_count(3)

        _open_export_dialog(page)

        # The dialog is a page of its own; it names the filter's orders, not all seven.
        expect(page.get_by_text("Alle 3 zu den Filtern passenden Bestellungen")).to_be_visible()
        screenshot(page, "export-dialog-no-js")
        with page.expect_download() as download:
            page.get_by_role("button", name="Exportieren", exact=True).click()
        assert _exported_numbers(download.value) == sorted(str(o.number) for o in on_ebay)

        # Ticked rows win over the filter.
        page.goto(f"{live_server.url}/orders/?channel={ebay.pk}")
        page.get_by_label(f"Bestellung {on_ebay[0].number} auswählen").check()
        _open_export_dialog(page)
        expect(page.get_by_text("Die 1 markierte Bestellung wird exportiert.")).to_be_visible()
        with page.expect_download() as download:
            page.get_by_role("button", name="Exportieren", exact=True).click()
        assert _exported_numbers(download.value) == [str(on_ebay[0].number)]
    finally:
        context.close()
