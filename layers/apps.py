from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.module_loading import autodiscover_modules


def attach_change_log(using="default", **kwargs):
    """After every migrate (of any app): the change log's functions and every registered layer's
    triggers, so a layer added later is tracked on a database that is already migrated."""
    from django.db import connections

    from . import changelog

    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('layers_change') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return
    changelog.attach(using=connection)


class LayersConfig(AppConfig):
    name = "layers"
    verbose_name = "Lớp dữ liệu"

    def ready(self):
        # Every app declares its layers in its own layers.py; once all are read the registry is locked.
        from . import checks, registry  # noqa: F401 - checks registers itself

        autodiscover_modules("layers")
        registry.lock()
        post_migrate.connect(attach_change_log, sender=self, dispatch_uid="layers.attach_change_log")

