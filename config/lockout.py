"""The page a locked-out login gets (django-axes' AXES_LOCKOUT_CALLABLE), site and admin alike."""

import math

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def login_locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    # No user name on the page: whoever tried may not be its owner.
    minutes = max(1, math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    return render(
        request,
        "registration/locked_out.html",
        {"cooloff_minutes": minutes},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )


#: Longer than any user name (auth.User: 150) and than axes' column (255) cannot be anyone's.
_USERNAME_LENGTH = 150


def login_username(request: HttpRequest, credentials: dict | None = None) -> str:
    """The user name a login attempt is counted under (AXES_USERNAME_CALLABLE). Django's login form
    does not refuse an over-long name before authenticating; cut here, it fits axes' column."""
    if credentials:
        username = credentials.get("username")
    else:
        username = getattr(request, "POST", {}).get("username")
    return str(username or "")[:_USERNAME_LENGTH]
