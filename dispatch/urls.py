from django.urls import path

from . import views

app_name = "dispatch"
urlpatterns = [
    path("nearby", views.nearby, name="nearby"),
]
