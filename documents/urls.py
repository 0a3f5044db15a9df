from django.urls import path

from documents import views

app_name = "documents"

urlpatterns = [
    path("settings/company/", views.company, name="company"),
    path("orders/<int:pk>/documents/<int:document_pk>/", views.document_download, name="pdf"),
    path("orders/<int:pk>/invoice/cancel/", views.invoice_cancel, name="invoice_cancel"),
    path("orders/<int:pk>/delivery-note/", views.delivery_note_create, name="delivery_note"),
]
