from django.contrib import admin
from django.urls import include, path

from accounts.views import SignInView, SignOutView

from .healthz import healthz

urlpatterns = [
    path("", include("webmap.urls")),
    path("ogcapi/", include("layers.ogcapi.urls")),
    path("tiles/", include("tiles.urls")),
    path("api/", include("search.urls")),
    path("healthz", healthz, name="healthz"),
    path("data/", include("importers.urls")),
    path("accounts/login/", SignInView.as_view(), name="login"),
    path("accounts/logout/", SignOutView.as_view(), name="logout"),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("admin/", admin.site.urls),
]
