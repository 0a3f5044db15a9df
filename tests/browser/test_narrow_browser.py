"""The order list's filter bar fits a 1,024 px wide window (a small laptop): no control overflows."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import log_in, screenshot
from tests.factories import ChannelFactory, OrderFactory


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, databases=["default", "coldstorage"])
def test_the_filter_bar_fits_1024_pixels(page: Page, live_server, merchant):
    OrderFactory.create_batch(3, channel=ChannelFactory(name="Amazon Marketplace DE"))
    page.set_viewport_size({"width": 1024, "height": 768})
    log_in(page, live_server, merchant)
    expect(page.get_by_role("heading", name="Bestellübersicht")).to_be_visible()

    overflow = page.evaluate(
        """() => {
        const bar = document.querySelector('.order-toolbar').getBoundingClientRect();
        const out = [...document.querySelectorAll('.order-toolbar input, .order-toolbar select,'
            + ' .order-toolbar button, .order-toolbar summary')]
          .filter(el => { const r = el.getBoundingClientRect();
                          return r.width > 0 && (r.right > bar.right + 1 || r.left < bar.left - 1); })
          .map(el => el.name || el.textContent.trim());
        const rows = new Set([...document.querySelectorAll('.order-filter > label')]
          .map(el => Math.round(el.lastElementChild.getBoundingClientRect().bottom / 10)));
        return {out, scroll: document.documentElement.scrollWidth, filterRows: rows.size};
      }"""
    )
    screenshot(page, "orders-list-1024", full_page=False)

    topbar = page.locator(".topbar").bounding_box()
    assert topbar["height"] <= 52  # one line, whatever settings pages the user may see
    assert overflow["out"] == []
    assert overflow["scroll"] <= 1024
    assert overflow["filterRows"] == 1  # every filter in one row; the buttons may wrap
