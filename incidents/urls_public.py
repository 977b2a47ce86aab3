"""/phan-anh/ ("phản ánh" = report): the citizens' side of the IOC, no account needed."""
from django.urls import path, re_path

from . import views_public as views

app_name = "incidents-public"
CODE = r"(?P<code>[A-Za-z0-9-]{4,20})"

urlpatterns = [
    path("", views.report, name="report"),
    path("gan-day", views.nearby, name="nearby"),  # "nearby"
    path("tra-cuu", views.lookup, name="lookup"),  # "look up"
    path("anh/<int:photo_id>", views.photo, name="photo"),  # "photo"
    path("anh/<int:photo_id>/nho", views.photo_thumb, name="photo-thumb"),  # "small"
    re_path(rf"^{CODE}/$", views.status_page, name="status"),
    re_path(rf"^{CODE}/trang-thai\.json$", views.status_json, name="status-json"),  # "status"
    re_path(rf"^{CODE}/live$", views.status_live, name="status-live"),
    re_path(rf"^{CODE}/ung-ho$", views.support, name="support"),  # "support"
]
