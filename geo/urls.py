from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from importers.texts import TEXTS

from .healthz import healthz

urlpatterns = [
    path("", include("webmap.urls")),
    path("ogcapi/", include("layers.ogcapi.urls")),
    path("tiles/", include("tiles.urls")),
    path("healthz", healthz, name="healthz"),
    path("data/", include("importers.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(
        extra_context={"t": TEXTS["vi"], "lang": "vi", "other_lang": "en"}), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("admin/", admin.site.urls),
]
