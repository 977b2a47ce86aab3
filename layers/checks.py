"""System checks of the feature store (run by `manage.py check --database default`, by `migrate`
and at start-up of `make run`)."""
from django.core.checks import Error, Tags, register
from django.db import connections
from django.db.migrations.executor import MigrationExecutor


@register(Tags.database)
def change_log_attached(app_configs=None, databases=None, **kwargs):
    """layers.E010: a registered layer's table without its change-log triggers (its writes would be
    missing from history, the change feed and the tile cache's version)."""
    errors = []
    for alias in databases or ():
        connection = connections[alias]
        if MigrationExecutor(connection).migration_plan(MigrationExecutor(connection).loader.graph.leaf_nodes()):
            continue  # not migrated yet: migrate attaches the triggers when it is done
        from . import changelog

        for layer_id, missing in changelog.untracked(using=connection):
            errors.append(Error(
                f"Layer {layer_id!r}: its table has no change-log trigger(s) {', '.join(missing)}.",
                hint="Run `manage.py migrate` (it attaches the change log to every registered layer).",
                id="layers.E010"))
    return errors
