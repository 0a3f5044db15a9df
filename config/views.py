"""Views of the project itself (not of one app): the logout that says it happened."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.utils.translation import gettext as _


class LogoutView(auth_views.LogoutView):
    """Django's logout, then "Sie wurden abgemeldet." on the login page it leads to."""

    def post(self, request, *args, **kwargs):
        was_logged_in = request.user.is_authenticated
        response = super().post(request, *args, **kwargs)
        if was_logged_in:
            # The session is gone; the message travels in the messages cookie.
            messages.info(request, _("Sie wurden abgemeldet."))
        return response
