"""Request guards of the whole site: refused NUL characters, no caching of signed-in pages."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _


def _has_null_character(data) -> bool:
    return any(
        "\x00" in key or any("\x00" in value for value in values) for key, values in data.lists()
    )


def refuse_null_characters(get_response: Callable[[HttpRequest], HttpResponse]):
    """A NUL character is no text anyone types, and PostgreSQL cannot store it: a request that
    carries one in a parameter (search, filter, form field) is refused before any view runs."""

    def middleware(request: HttpRequest) -> HttpResponse:
        if _has_null_character(request.GET) or (
            request.method == "POST" and _has_null_character(request.POST)
        ):
            reason = _(
                "Die Eingabe enthält ein Nullzeichen (\\0), das nicht verarbeitet werden kann. "
                "Es wurde nichts geändert. Bitte entfernen Sie das Zeichen und versuchen Sie es "
                "erneut."
            )
            return HttpResponseBadRequest(render_to_string("400.html", {"reason": reason}, request))
        return get_response(request)

    return middleware


def no_store_when_signed_in(get_response: Callable[[HttpRequest], HttpResponse]):
    """Every page a signed-in user sees can show personal data: no browser or proxy may keep it
    (the back button after logout, a shared computer, a caching proxy)."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if request.user.is_authenticated:
            add_never_cache_headers(response)
        return response

    return middleware
