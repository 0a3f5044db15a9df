from django.urls import path

from privacyoffice import views

app_name = "privacyoffice"
urlpatterns = [
    path("", views.subject_search, name="search"),
    path("customers/<int:pk>/", views.customer_privacy, name="customer"),
    path("customers/<int:pk>/report/", views.subject_report_page, name="report"),
    path("customers/<int:pk>/report.json", views.subject_report_json, name="report_json"),
    path("customers/<int:pk>/erasure/", views.erasure_create, name="erasure_create"),
    path("erasure/", views.erasure_list, name="erasure_list"),
    path("erasure/<int:pk>/", views.erasure_detail, name="erasure_detail"),
    path("erasure/<int:pk>/run/", views.erasure_rerun, name="erasure_rerun"),
]
