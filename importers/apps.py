from django.apps import AppConfig


class ImportersConfig(AppConfig):
    name = "importers"
    verbose_name = "Nhập và xuất dữ liệu"

    def ready(self):
        from . import gdal_policy

        # Before any request or command can hand GDAL a file: only the allowed drivers remain.
        gdal_policy.enforce()
