"""URL configuration: login, the merchant pages, the support admin."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import set_language

from config.views import LogoutView

handler403 = "config.permissions.permission_denied"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="orders:list"), name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    # The language can be chosen before logging in (the switch on the login page).
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    # Browsers ask for /favicon.ico on pages without a <link rel="icon"> (the support admin).
    path(
        "favicon.ico",
        login_not_required(RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
        name="favicon",
    ),
    path("orders/", include("orders.urls")),
    path("customers/", include("customers.urls")),
    path("privacy/", include("privacyoffice.urls")),
    path("settings/channels/", include("channels.urls")),
    path("settings/automation/", include("automation.urls")),
    path("settings/notifications/", include("notifications.urls")),
    path("", include("documents.urls")),
    path("admin/", admin.site.urls),
]
