from django.urls import path

from automation import views

app_name = "automation"
urlpatterns = [
    path("", views.rules_list, name="list"),
    path("new/", views.rule_create, name="create"),
    path("<int:pk>/", views.rule_edit, name="edit"),
    path("<int:pk>/delete/", views.rule_remove, name="delete"),
    path("run/", views.rule_run, name="run"),
    path("run/dialog/", views.rule_run_dialog, name="run_dialog"),
]
