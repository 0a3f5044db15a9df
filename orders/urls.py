from django.urls import path

from orders import views

app_name = "orders"
urlpatterns = [
    path("", views.orders_list, name="list"),
]
