from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("ogcapi/", include("layers.ogcapi.urls")),
    path("admin/", admin.site.urls),
]
