from django.apps import AppConfig


class LandConfig(AppConfig):
    name = "land"
    verbose_name = "Đất đai"
