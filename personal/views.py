"""The card-number refusal for searches and filters (GET parameters), shared by every list page
and the admin's changelists."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django_htmx.http import HttpResponseClientRedirect

from personal.cards import CARD_NUMBER_MESSAGE, contains_card_number


def refuse_card_numbers_in_query(request: HttpRequest) -> HttpResponse | None:
    """A search (GET parameters) is no way in for card data either: one holding a card number is
    not run, and the page comes back without it – its search box, links and language switch
    would repeat the URL – with the card-data message. None when there is none."""
    refused = [
        name
        for name, values in request.GET.lists()
        if any(contains_card_number(value) for value in values)
    ]
    if not refused:
        return None
    messages.error(request, CARD_NUMBER_MESSAGE)
    params = request.GET.copy()
    for name in refused:
        del params[name]
    url = f"{request.path}?{params.urlencode()}" if params else request.path
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)  # the whole page, with the message
    return redirect(url)
