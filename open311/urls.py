"""Open311 GeoReport v2 under /open311/v2/: every resource in .json and .xml."""
from django.urls import re_path

from . import views

FMT = r"\.(?P<fmt>json|xml)$"

urlpatterns = [
    re_path(r"^discovery" + FMT, views.discovery, name="open311-discovery"),
    re_path(r"^services" + FMT, views.services_list, name="open311-services"),
    re_path(r"^services/(?P<service_code>[A-Za-z0-9_-]{1,32})" + FMT, views.service_definition,
            name="open311-service"),
    re_path(r"^requests" + FMT, views.requests_view, name="open311-requests"),
    re_path(r"^requests/(?P<service_request_id>[A-Za-z0-9-]{1,32})" + FMT, views.request_detail,
            name="open311-request"),
    re_path(r"^servicerequestupdates" + FMT, views.request_updates, name="open311-updates"),
]
