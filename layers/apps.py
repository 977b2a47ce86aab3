from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class LayersConfig(AppConfig):
    name = "layers"
    verbose_name = "Lớp dữ liệu"

    def ready(self):
        # Every app declares its layers in its own layers.py; once all are read the registry is locked.
        from . import registry

        autodiscover_modules("layers")
        registry.lock()
