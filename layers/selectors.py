from django.db import models

from . import db, registry


def code_list_names(models_: set[type[models.Model]], *, language: str) -> dict[type, dict[str, str]]:
    """{code-list model: {code: name}} in `language` ("vi" or "en"), one query per code list."""
    field = "name_en" if language == "en" else "name_vi"
    return {m: dict(m.objects.values_list("code", field)) for m in models_}


def code_list_colors(models_: set[type[models.Model]]) -> dict[type, dict[str, str]]:
    """{code-list model: {code: "#rrggbb"}} for code lists that carry a colour, one query each."""
    return {m: dict(m.objects.values_list("code", "color")) for m in models_
            if any(f.name == "color" for f in m._meta.fields)}


def field_labels(spec: registry.LayerSpec, *, language: str) -> dict[str, str]:
    """Column name -> label: the model's Vietnamese verbose name, or the column name in English."""
    labels = {}
    for f in spec.model._meta.concrete_fields:
        if language == "en":
            labels[f.column] = f.column.replace("_", " ")
        else:
            labels[f.column] = str(f.verbose_name)
    return labels


def layer_version(layer_id: str) -> int | None:
    """The layer's version: how many committed transactions changed it (0 before the first). None
    while the caller's own transaction has written the layer and not committed: what it reads then is
    not what anyone else sees (no shared cache may keep it). Read where the caller's other reads go
    (layers.db: a replica, or the primary once this request wrote)."""
    with db.read_connection().cursor() as cursor:
        cursor.execute(LAYER_VERSION, {"layer": layer_id})
        version, written = cursor.fetchone()
    return None if written else version or 0


# (the layer's committed change count or NULL, whether the caller's own open transaction wrote it)
LAYER_VERSION = ("SELECT (SELECT version FROM layers_layerversion WHERE layer_id = %(layer)s), EXISTS (SELECT 1 "
                 "FROM layers_pending_version WHERE layer_id = %(layer)s "
                 "AND txid = pg_current_xact_id_if_assigned()::text::bigint)")


def layers_changed_at(layer_ids: list[str]):
    """When the newest of these layers last changed (None if never since the change log exists),
    the caller's own uncommitted writes included."""
    with db.read_connection().cursor() as cursor:
        cursor.execute("SELECT max(at) FROM (SELECT changed_at AS at FROM layers_layerversion WHERE layer_id = ANY(%s) "
                       "UNION ALL SELECT at FROM layers_pending_version WHERE layer_id = ANY(%s) "
                       "AND txid = pg_current_xact_id_if_assigned()::text::bigint) AS t", [layer_ids, layer_ids])
        return cursor.fetchone()[0]
