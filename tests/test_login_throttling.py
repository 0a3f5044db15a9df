"""Login throttling (django-axes): wrong passwords lock one user name from one address for a while,
on the site's login and the admin's alike; an operator can unlock earlier."""

import datetime

import pytest
from django.core.management import call_command
from django.db.models import F

from tests.conftest import PASSWORD
from tests.factories import UserFactory

LOGINS = ["/login/", "/admin/login/"]
LOCKED = "Anmeldung vorübergehend gesperrt"


def _attempt(client, url, username, password, address="203.0.113.7"):
    return client.post(
        url, {"username": username, "password": password}, REMOTE_ADDR=address, follow=False
    )


def _fail(client, url, username, times, address="203.0.113.7"):
    for _ in range(times):
        response = _attempt(client, url, username, "wrong-password", address)
        assert response.status_code in (200, 429)
    return response


@pytest.fixture
def staff_user(db):
    return UserFactory(username="support", is_staff=True)


@pytest.mark.django_db
@pytest.mark.parametrize("url", LOGINS)
def test_five_wrong_passwords_lock_out_even_the_right_one(client, staff_user, url, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(4):
        assert _attempt(client, url, "support", "wrong").status_code == 200
    response = _attempt(client, url, "support", "wrong")
    assert response.status_code == 429
    response = _attempt(client, url, "support", PASSWORD)
    assert response.status_code == 429
    html = response.content.decode()
    assert LOCKED in html
    assert "in 15 Minuten erneut" in html
    assert "support" not in html.split("<main", 1)[1]  # the page does not name the user
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_lock_holds_for_one_user_from_one_address(client, user):
    other = UserFactory(username="kollegin")
    _fail(client, "/login/", user.username, 5)
    # A colleague behind the same address and the same user from elsewhere still get in.
    assert _attempt(client, "/login/", other.username, PASSWORD).status_code == 302
    client.logout()
    assert _attempt(client, "/login/", user.username, PASSWORD, "198.51.100.1").status_code == 302


@pytest.mark.django_db
def test_an_operator_unlocks_with_axes_reset_username(client, user, capsys):
    _fail(client, "/login/", user.username, 5)
    assert _attempt(client, "/login/", user.username, PASSWORD).status_code == 429
    call_command("axes_reset_username", user.username)
    assert "removed" in capsys.readouterr().out
    assert _attempt(client, "/login/", user.username, PASSWORD).status_code == 302


@pytest.mark.django_db
def test_the_lock_ends_after_the_cool_off(client, user, settings):
    from axes.models import AccessAttempt

    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=10)
    _fail(client, "/login/", user.username, 5)
    assert _attempt(client, "/login/", user.username, PASSWORD).status_code == 429
    # Eleven minutes later (a sleep would race the password hashing of a busy machine).
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - datetime.timedelta(minutes=11))
    assert _attempt(client, "/login/", user.username, PASSWORD).status_code == 302


@pytest.mark.django_db
def test_a_successful_login_forgets_earlier_failures(client, user):
    _fail(client, "/login/", user.username, 4)
    assert _attempt(client, "/login/", user.username, PASSWORD).status_code == 302
    client.logout()
    _fail(client, "/login/", user.username, 4)
    assert _attempt(client, "/login/", user.username, PASSWORD).status_code == 302


@pytest.mark.django_db
def test_an_over_long_user_name_is_refused_not_a_500(client):
    response = _attempt(client, "/login/", "x" * 20_000, "wrong")
    assert response.status_code == 200
    assert _attempt(client, "/admin/login/", "x" * 20_000, "wrong").status_code == 200


@pytest.mark.django_db
def test_failed_logins_log_neither_name_nor_password(client, user, console_log):
    _fail(client, "/login/", user.username, 6)
    err = console_log.getvalue()
    assert "AXES" in err  # the attempts are logged ...
    assert user.username not in err  # ... masked
    assert "wrong-password" not in err


@pytest.mark.django_db
def test_force_login_and_pages_are_unaffected(logged_in):
    assert logged_in.get("/orders/").status_code == 200
