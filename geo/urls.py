from django.contrib import admin
from django.urls import include, path

from accounts.views import RevokeTokenView, SignInView, SignOutView, TokenView

from ogcapi import views as ogcapi_views

from .healthz import healthz

urlpatterns = [
    path("", include("webmap.urls")),
    # QGIS's OAPIF provider does not follow a redirect: /ogcapi answers as /ogcapi/ does.
    path("ogcapi", ogcapi_views.landing_page),
    path("ogcapi/", include("ogcapi.urls")),
    path("tiles/", include("tiles.urls")),
    path("api/", include("search.urls")),
    path("ioc/dispatch/", include("dispatch.urls")),
    path("ioc/alerts/", include("incidents.urls_alerts")),
    path("ioc/", include("incidents.urls_ioc")),
    path("phan-anh/", include("incidents.urls_public")),  # citizens' reports ("phản ánh")
    path("open311/v2/", include("open311.urls")),
    path("live/", include("live.urls")),
    path("healthz", healthz, name="healthz"),
    path("data/", include("importers.urls")),
    path("accounts/login/", SignInView.as_view(), name="login"),
    path("accounts/logout/", SignOutView.as_view(), name="logout"),
    path("o/token/", TokenView.as_view(), name="token"),  # rate-limited; before the provider's own route
    path("o/revoke_token/", RevokeTokenView.as_view(), name="revoke-token"),  # the same throttle
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("admin/", admin.site.urls),
]

# Failures outside the views' own answers: JSON on the API paths, a page in the caller's language elsewhere.
handler400 = "geo.errors.bad_request"
handler403 = "geo.errors.permission_denied"
handler404 = "geo.errors.not_found"
handler500 = "geo.errors.server_error"
