from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Trung tâm điều hành (IOC): sự cố, phản ánh"
