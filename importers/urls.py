from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="data-home"),
    path("upload", views.upload, name="data-upload"),
    path("upload/<str:token>/", views.inspect, name="data-inspect"),
    path("upload/<str:token>/start", views.start, name="data-start"),
    path("jobs/<str:token>/", views.job, name="data-job"),
    path("jobs/<str:token>.json", views.job_status, name="data-job-status"),
    path("imports/<int:record_id>/", views.import_record, name="data-import"),
    path("imports/<int:record_id>/undo", views.import_undo, name="data-import-undo"),
    path("imports/<int:record_id>/rejects.csv", views.rejects, name="data-rejects"),
    path("export", views.export, name="data-export"),
]
