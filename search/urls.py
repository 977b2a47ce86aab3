from django.urls import path

from planning import views as planning_views

from . import views

urlpatterns = [
    path("search", views.search_view, name="api-search"),
    path("parcels/at", planning_views.parcel_at_point, name="api-parcel-at"),
    path("parcels/<int:parcel_id>", planning_views.parcel_detail, name="api-parcel"),
    path("parcels/<int:parcel_id>/report.pdf", planning_views.parcel_report, name="api-parcel-report"),
]
