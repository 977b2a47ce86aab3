from django.urls import path

from .views_alerts import alert_post

app_name = "alerts"
urlpatterns = [path("", alert_post, name="post")]
