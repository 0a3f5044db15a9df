from django.urls import path

from channels import views

app_name = "channels"
urlpatterns = [
    path("", views.channels_list, name="list"),
    path("new/", views.channel_create, name="create"),
    path("<int:pk>/", views.channel_edit, name="edit"),
    path("<int:pk>/run-policy/", views.channel_run_policy, name="run_policy"),
]
