from django.apps import AppConfig


class UtilitiesConfig(AppConfig):
    name = "utilities"
    verbose_name = "Cấp nước và điện"
