from django.urls import path

from . import views

app_name = "live"
urlpatterns = [
    path("collections/<str:layer_id>", views.collection_changes, name="collection-changes"),
]
