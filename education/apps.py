from django.apps import AppConfig


class EducationConfig(AppConfig):
    name = "education"
    verbose_name = "Giáo dục"
