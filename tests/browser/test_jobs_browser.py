"""A merchant follows the background jobs on "Vorgänge", in German and in English."""

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from orders.models import PrivacyJob
from tests.browser.conftest import log_in, screenshot


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, databases=["default", "coldstorage"])
def test_the_jobs_page_lists_state_counts_who_and_summary(page: Page, live_server, merchant):
    now = timezone.now()
    done = PrivacyJob.objects.create(
        kind=PrivacyJob.Kind.ANONYMIZE,
        state=PrivacyJob.State.DONE,
        requested_by=merchant,
        selection={"ids": list(range(1, 1999))},
        total=1998,
        done=1998,
        summary={"anonymized": 1990, "skipped_already_anonymized": 8},
        finished_at=now,
    )
    PrivacyJob.objects.create(
        kind=PrivacyJob.Kind.RESTORE,
        state=PrivacyJob.State.RUNNING,
        source="Bestellübersicht",
        selection={"ids": [1, 2, 3, 4, 5]},
        total=5,
        done=2,
    )
    log_in(page, live_server, merchant)

    page.get_by_role("link", name="Vorgänge").click()

    expect(page.get_by_role("heading", name="Vorgänge")).to_be_visible()
    rows = page.locator("table.jobs tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(1)).to_contain_text("1.998 von 1.998")
    expect(rows.nth(1)).to_contain_text("haendler")
    expect(rows.nth(1)).to_contain_text("1.998 ausgewählte Bestellungen")
    expect(rows.nth(0)).to_contain_text("läuft")
    screenshot(page, "jobs-de")

    page.get_by_role("link", name=f"Vorgang #{done.pk}").click()
    expect(page.get_by_text(f"Vorgang #{done.pk}")).to_be_visible()
    expect(page.get_by_text("Anonymisierung abgeschlossen")).to_be_visible()

    page.get_by_role("link", name="Alle Vorgänge").click()
    page.locator("select[name=language]").select_option("en")

    expect(page.get_by_role("heading", name="Jobs")).to_be_visible()
    expect(rows.nth(1)).to_contain_text("1,998 of 1,998")
    screenshot(page, "jobs-en")
