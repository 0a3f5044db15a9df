from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("texts/", views.texts_list, name="texts"),
    path("texts/new/", views.text_create, name="text_create"),
    path("texts/preview/", views.text_preview, name="text_preview"),
    path("texts/<int:pk>/", views.text_edit, name="text_edit"),
    path("texts/<int:pk>/delete/", views.text_delete, name="text_delete"),
    path("servers/", views.servers_list, name="servers"),
    path("servers/new/", views.server_create, name="server_create"),
    path("servers/<int:pk>/", views.server_edit, name="server_edit"),
    path("servers/<int:pk>/delete/", views.server_delete, name="server_delete"),
    path("servers/<int:pk>/test/", views.server_test, name="server_test"),
]
