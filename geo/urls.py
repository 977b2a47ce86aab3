from django.contrib import admin
from django.urls import include, path

from .healthz import healthz

urlpatterns = [
    path("", include("webmap.urls")),
    path("ogcapi/", include("layers.ogcapi.urls")),
    path("tiles/", include("tiles.urls")),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
