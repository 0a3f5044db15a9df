"""URLs of the merchant's order pages."""

from django.urls import path

from orders import export_views, import_views, privacy_views, views

app_name = "orders"
urlpatterns = [
    path("", views.orders_list, name="list"),
    path("<int:pk>/", views.order_detail, name="detail"),
    path("<int:pk>/invoice/", views.order_invoice, name="invoice"),
    path("<int:pk>/invoice/create/", views.order_invoice_create, name="invoice_create"),
    path("<int:pk>/ship/", views.order_ship_view, name="ship"),
    # The order page's own privacy actions and the banner it polls while a restore runs.
    path("<int:pk>/anonymize/", views.order_anonymize, name="anonymize"),
    path("<int:pk>/restore/", views.order_restore, name="restore"),
    path("<int:pk>/privacy-banner/", views.order_privacy_banner, name="privacy_banner"),
    # The list's "Mehr" menu: anonymize and restore, by selection or by date range.
    path(
        "privacy/anonymize/",
        privacy_views.privacy_action,
        {"action": "anonymize"},
        name="privacy_anonymize",
    ),
    path(
        "privacy/anonymize/count/",
        privacy_views.privacy_count,
        {"action": "anonymize"},
        name="privacy_anonymize_count",
    ),
    path(
        "privacy/restore/",
        privacy_views.privacy_action,
        {"action": "restore"},
        name="privacy_restore",
    ),
    path(
        "privacy/restore/count/",
        privacy_views.privacy_count,
        {"action": "restore"},
        name="privacy_restore_count",
    ),
    path("privacy/jobs/", privacy_views.privacy_jobs, name="privacy_jobs"),
    path("privacy/jobs/<int:pk>/", privacy_views.privacy_job_status, name="privacy_job"),
    path("count/", views.orders_list_count, name="list_count"),
    path("privacy/matching/", privacy_views.order_select_matching, name="select_matching"),
    # The list's "Mehr" → Exportieren …: the dialog and the CSV download.
    path("export/", export_views.orders_export, name="export"),
    path("export/dialog/", export_views.orders_export_dialog, name="export_dialog"),
    # Einstellungen → Import (and "Mehr" → Importieren …): upload, preview, confirm or discard.
    path("import/", import_views.order_import, name="import"),
    path("import/<str:token>/", import_views.order_import_preview, name="import_preview"),
    path("import/<str:token>/confirm/", import_views.order_import_confirm, name="import_confirm"),
    path("import/<str:token>/discard/", import_views.order_import_discard, name="import_discard"),
]
