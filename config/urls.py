"""URL configuration: login, the merchant pages, the support admin."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="orders:list"), name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("orders/", include("orders.urls")),
    path("customers/", include("customers.urls")),
    path("settings/channels/", include("channels.urls")),
    path("settings/automation/", include("automation.urls")),
    path("settings/notifications/", include("notifications.urls")),
    path("", include("documents.urls")),
    path("admin/", admin.site.urls),
]
