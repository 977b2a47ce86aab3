"""/ioc/: the operators' wall map, the agencies' list, the leaders' board, KPIs, exports and the
live streams (all under /ioc/live, which geo/asgi.py serves on the event loop). /ioc/dispatch/ and
/ioc/alerts/ are mounted separately (geo/urls.py)."""
from django.urls import path

from . import views_ioc as views

app_name = "ioc"
urlpatterns = [
    path("", views.ioc_page, name="map"),
    path("incidents.json", views.incidents_json, name="incidents-json"),
    path("incidents.csv", views.incidents_csv, name="incidents-csv"),
    path("incidents", views.incidents_collection, name="incidents"),
    path("incidents/<int:incident_id>.json", views.incident_json, name="incident-json"),
    path("incidents/<int:incident_id>/act", views.incident_act, name="incident-act"),
    path("kpis.json", views.kpis_json, name="kpis-json"),
    path("kpis.csv", views.kpis_csv, name="kpis-csv"),
    path("base.json", views.base_map, name="base-map"),
    path("co-quan/", views.agency_page, name="agency"),
    path("co-quan/incidents.json", views.agency_json, name="agency-json"),
    path("chi-huy/<int:incident_id>", views.board_page, name="board"),
    path("chi-huy/<int:incident_id>.json", views.board_json, name="board-json"),
    path("live", views.ioc_live, name="live"),
    path("live/co-quan", views.agency_live, name="agency-live"),
    path("live/chi-huy/<int:incident_id>", views.board_live, name="board-live"),
]
