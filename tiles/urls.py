from django.urls import path

from . import views

urlpatterns = [
    path("<str:layer_id>/<int:z>/<int:x>/<int:y>.pbf", views.tile, name="tile"),
]
