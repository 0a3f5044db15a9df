""" "Vorgänge": the privacy jobs a merchant can follow, with state, counts, who and the summary."""

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.models import PrivacyJob
from tests.conftest import permissions
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("orders:privacy_jobs")


def _user(username: str, *names: str):
    user = UserFactory(username=username)
    user.user_permissions.set(permissions("orders.view_order", *names))
    return user


def _job(kind=PrivacyJob.Kind.ANONYMIZE, **kwargs) -> PrivacyJob:
    defaults = {
        "state": PrivacyJob.State.DONE,
        "selection": {"ids": [1, 2, 3]},
        "total": 1998,
        "done": 1998,
        "summary": {"anonymized": 1990, "skipped_open": 8},
        "finished_at": timezone.now(),
    }
    return PrivacyJob.objects.create(kind=kind, **(defaults | kwargs))


def test_a_merchant_sees_every_job_with_state_counts_who_and_summary(client):
    merchant = _user("chefin", "orders.anonymize_order", "orders.restore_order")
    mine = _job(requested_by=merchant)
    policy = _job(source="Kanalrichtlinie Amazon")
    purge = _job(PrivacyJob.Kind.PURGE, selection={"today": "2026-12-03"}, summary={})
    running = _job(
        PrivacyJob.Kind.RESTORE,
        state=PrivacyJob.State.RUNNING,
        requested_by=merchant,
        total=5,
        done=2,
        finished_at=None,
        summary={},
    )
    client.force_login(merchant)

    html = client.get(URL).content.decode()

    for job in (mine, policy, purge, running):
        assert f"Vorgang #{job.pk}" in html
    assert html.index(f"Vorgang #{running.pk}") < html.index(f"Vorgang #{mine.pk}")  # newest first
    assert "1.998 von 1.998" in html  # thousands separators
    assert "2 von 5" in html
    assert "chefin" in html and "Kanalrichtlinie Amazon" in html
    assert "anonymisiert" in html.lower()
    assert "läuft" in html and "fertig" in html
    assert f'href="{reverse("orders:privacy_job", args=[mine.pk])}"' in html


def test_a_clerk_sees_only_their_own_and_the_kinds_they_may_start(client):
    clerk = _user("anna", "orders.restore_order")
    own_anonymize = _job(requested_by=clerk)
    others_anonymize = _job(requested_by=_user("bernd"))
    restore = _job(PrivacyJob.Kind.RESTORE)
    purge = _job(PrivacyJob.Kind.PURGE, summary={})
    client.force_login(clerk)

    html = client.get(URL).content.decode()

    assert f"Vorgang #{own_anonymize.pk}" in html
    assert f"Vorgang #{restore.pk}" in html
    assert f"Vorgang #{others_anonymize.pk}" not in html
    assert f"Vorgang #{purge.pk}" not in html
    # The job's own page follows the same rule.
    assert client.get(reverse("orders:privacy_job", args=[restore.pk])).status_code == 200
    assert client.get(reverse("orders:privacy_job", args=[others_anonymize.pk])).status_code == 403


def test_it_is_in_the_navigation_and_says_when_there_are_none(client):
    client.force_login(_user("neu"))

    html = client.get(URL).content.decode()

    assert f'href="{URL}"' in html
    assert "Noch keine Vorgänge." in html


@pytest.mark.parametrize("page", ["abc", "1.5", ""])
def test_a_page_that_is_no_number_shows_the_first(client, page):
    client.force_login(_user("chefin", "orders.anonymize_order"))
    _job()

    response = client.get(URL, {"page": page})

    assert response.status_code == 200
    assert "Vorgang #" in response.content.decode()


@pytest.mark.parametrize("page", ["12", "0", "-1", "99999999999999999999999"])
def test_past_the_last_page_it_says_so_with_a_link(client, page):
    client.force_login(_user("chefin", "orders.anonymize_order"))
    _job()

    response = client.get(URL, {"page": page})

    html = response.content.decode()
    assert response.status_code == 200
    assert f"Seite {page} gibt es nicht." in html
    assert 'href="?page=1"' in html


def test_it_pages_by_fifty(client):
    client.force_login(_user("chefin", "orders.anonymize_order"))
    PrivacyJob.objects.bulk_create(
        PrivacyJob(kind=PrivacyJob.Kind.ANONYMIZE, state=PrivacyJob.State.DONE) for _ in range(51)
    )

    first = client.get(URL).content.decode()
    second = client.get(URL, {"page": 2}).content.decode()

    assert first.count("Vorgang #") == 50
    assert "Seite 1 von 2" in first
    assert second.count("Vorgang #") == 1


def test_in_english_jobs_are_procedures_not_orders(client):
    client.force_login(_user("chefin", "orders.anonymize_order"))
    job = _job()

    html = client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Jobs" in html
    assert f"Job #{job.pk}" in html


def test_the_summary_counts_take_the_plural_form_of_their_nouns():
    from django.utils import translation

    from orders.privacy.summary import summary_items

    job = _job(summary={"anonymized": 1, "addresses_anonymized": 1, "customers_anonymized": 2})

    with translation.override("de"):
        german = [(label, count) for _key, label, count in summary_items(job)]
    assert german == [
        ("anonymisiert", 1),
        ("Adresse anonymisiert", 1),
        ("Kunden vollständig anonymisiert", 2),
    ]

    with translation.override("en"):
        labels = [label for _key, label, _count in summary_items(job)]
    assert labels == ["anonymized", "address anonymized", "customers fully anonymized"]


def test_the_summary_reads_the_purged_addresses_under_both_spellings():
    from django.utils import translation

    from orders.privacy.summary import summary_items

    # Earlier versions wrote "addresss_purged"; a job may hold both after an upgrade.
    job = _job(summary={"purged": 1, "addresss_purged": 2, "addresses_purged": 1})

    with translation.override("de"):
        items = summary_items(job)
    assert items == [
        ("purged", "endgültig gelöscht", 1),
        ("addresses_purged", "Adressen endgültig gelöscht", 3),
    ]
