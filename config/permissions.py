"""Permission checks that say what is missing.

Django's ``permission_required(raise_exception=True)`` answers with a bare 403. Here the refusal
carries the permissions the user lacks, and the 403 page names them in the user's language (a
merchant can then ask the administrator for exactly that one). Only permission names are shown,
never data.
"""

from collections.abc import Callable, Iterable
from functools import wraps

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.template import loader
from django.utils.translation import gettext as _
from django.views.decorators.csrf import requires_csrf_token

#: Django's default permissions, worded like the custom ones ("Kann Bestellungen exportieren").
_DEFAULT_ACTIONS = {
    "view": lambda models: _("Kann %(models)s ansehen") % {"models": models},
    "add": lambda models: _("Kann %(models)s anlegen") % {"models": models},
    "change": lambda models: _("Kann %(models)s ändern") % {"models": models},
    "delete": lambda models: _("Kann %(models)s löschen") % {"models": models},
}


class MissingPermission(PermissionDenied):
    """A refusal for want of the given permissions ("app_label.codename")."""

    def __init__(self, perms: Iterable[str]):
        self.perms = tuple(perms)
        super().__init__(", ".join(self.perms))


def require(user, *perms: str) -> None:
    """Raises MissingPermission naming each of ``perms`` the user does not have."""
    missing = [perm for perm in perms if not user.has_perm(perm)]
    if missing:
        raise MissingPermission(missing)


def permission_required(perm: str | Iterable[str]) -> Callable:
    """Like Django's decorator with ``raise_exception=True``, but the 403 names what is missing."""
    perms = (perm,) if isinstance(perm, str) else tuple(perm)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            require(request.user, *perms)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def permission_label(perm: str) -> str:
    """The permission as a sentence in the active language, e.g. "Kann Bestellungen exportieren"."""
    app_label, _dot, codename = perm.partition(".")
    try:
        models = apps.get_app_config(app_label).get_models()
    except LookupError:
        return perm
    for model in models:
        for custom, label in model._meta.permissions:
            if custom == codename:
                return str(label)
        action, _sep, model_name = codename.partition("_")
        if model_name == model._meta.model_name and action in _DEFAULT_ACTIONS:
            return _DEFAULT_ACTIONS[action](model._meta.verbose_name_plural)
    return perm


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The 403 page (``handler403``): styled, in the user's language, naming what is missing."""
    perms = getattr(exception, "perms", ())
    missing = [{"code": perm, "label": permission_label(perm)} for perm in perms]
    template = loader.get_template("403.html")
    return HttpResponseForbidden(template.render({"missing": missing}, request))
