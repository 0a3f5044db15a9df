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
]
