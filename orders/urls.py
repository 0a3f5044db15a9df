"""URLs of the merchant's order pages."""

from django.urls import path

from orders import views

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
]
