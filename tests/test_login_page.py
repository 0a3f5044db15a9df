"""The login page: a language switch before logging in, and a word after logging out."""

import pytest
from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.django_db


def test_the_login_page_offers_the_language_switch(client):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    assert 'name="language"' in response.text
    assert 'value="en"' in response.text
    assert "Abmelden" not in response.text  # no user menu for nobody


def test_the_language_chosen_on_the_login_page_is_the_login_pages(client):
    with translation.override("de"):
        switched = client.post(reverse("set_language"), {"language": "en", "next": "/login/"})
        response = client.get(switched.url)

    assert switched.status_code == 302
    assert "Log in" in response.text


def test_logging_out_says_so_on_the_login_page(logged_in):
    response = logged_in.post(reverse("logout"), follow=True)

    assert response.redirect_chain[-1][0] == reverse("login")
    assert "Sie wurden abgemeldet." in response.text
    again = logged_in.get(reverse("login"))
    assert "Sie wurden abgemeldet." not in again.text  # said once


def test_the_favicon_is_linked_on_every_page(client):
    response = client.get(reverse("login"))

    assert 'rel="icon"' in response.text


def test_favicon_ico_leads_to_the_icon_without_a_login(client):
    # The support admin's pages link no icon: the browser asks for /favicon.ico (was a 404).
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"].endswith("favicon.svg")
