"""Reads on streaming replicas, writes on the primary (issue 12). Active only when GEO_REPLICA_URLS
names replicas (geo/settings/database.py); the choice of a read's database is layers.db.read_alias()."""
from django.db import DEFAULT_DB_ALIAS

from layers import db


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints):
        return db.read_alias()

    def db_for_write(self, model, **hints):
        # Every later read of this request (or thread) sees what it is about to write.
        db.pin_to_primary()
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replicas are copies of the primary: every row lives in one database

    def allow_migrate(self, db_alias, app_label, model_name=None, **hints):
        return db_alias == DEFAULT_DB_ALIAS  # a standby is read-only; it follows the primary's schema
