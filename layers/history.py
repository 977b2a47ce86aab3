"""Reading the change log: a feature's current version, its versions, and the feature as it was.

A feature's version counts its changes: 1 when it was created (or when it existed before the change
log did), +1 for each update, delete and re-insert. The current version is the row in the layer;
an earlier version k is the `before` image of the change that made version k+1.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from django.db import connection
from psycopg2 import sql

from .registry import LayerSpec


@dataclass(frozen=True)
class Latest:
    version: int
    op: str  # "I", "U", "D"; "" for a feature that predates the change log


def latest(spec: LayerSpec, feature_id: int) -> Latest | None:
    """The feature's last logged change (None when the log holds none for it)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT version, op FROM layers_change WHERE layer_id = %s AND feature_id = %s "
                       "ORDER BY id DESC LIMIT 1", [spec.id, feature_id])
        row = cursor.fetchone()
    return Latest(*row) if row else None


def current_version(spec: LayerSpec, feature_id: int) -> int:
    """The version of a feature that exists now (1 if the log has nothing on it)."""
    found = latest(spec, feature_id)
    return found.version if found and found.op != "D" else 1


def state_at_version(spec: LayerSpec, feature_id: int, version: int) -> dict | None:
    """The feature's columns (geometry as hex EWKB) at an earlier `version`: the before image of the
    change that made version+1. None when that version is the current one or does not exist."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT before FROM layers_change WHERE layer_id = %s AND feature_id = %s AND version = %s "
                       "AND op IN ('U', 'D') ORDER BY id DESC LIMIT 1", [spec.id, feature_id, version + 1])
        row = cursor.fetchone()
    # Django hands jsonb to raw cursors as text (its JSONField decodes it).
    return (json.loads(row[0]) if isinstance(row[0], str) else row[0]) if row else None


# -- reading a feature's versions and the layer as it was -----------------------------------------------
# Entries before the layer's last truncate describe rows that no longer exist and whose ids may have
# been given again: every read below starts after it (found through the change_history index, whose
# feature_id is NULL for truncates).
_AFTER_TRUNCATE = ("coalesce((SELECT t.id FROM layers_change t WHERE t.layer_id = %(layer)s AND t.feature_id IS NULL "
                   "ORDER BY t.id DESC LIMIT 1), 0)")
OPS = {"I": "insert", "U": "update", "D": "delete"}


@dataclass(frozen=True)
class Version:
    """One logged change of a feature: the version it made, how, when, by whom, from where."""

    version: int
    op: str  # "insert", "update", "delete" (the tombstone of a deleted feature)
    at: object  # datetime (UTC), None for a feature that predates the change log
    actor: str
    source: str
    record_id: int | None = None  # the import record that made it


def _feature_json(spec: LayerSpec, alias: str = "s") -> sql.Composable:
    """A row of the layer (alias `alias`) as a GeoJSON Feature, the properties being every column but
    the id and the geometry (as pygeoapi serves them); geometry in EPSG:4326 degrees, 15 decimals."""
    s, geom, pk = sql.Identifier(alias), sql.Identifier(spec.geometry_field.column), sql.Identifier(spec.id_field)
    return sql.SQL("jsonb_build_object('type', 'Feature', 'id', {s}.{pk}, 'geometry', ST_AsGeoJSON({s}.{geom}, 15)"
                   "::jsonb, 'properties', to_jsonb({s}) - {pk_text} - {geom_text})").format(
        s=s, pk=pk, geom=geom, pk_text=sql.Literal(spec.id_field), geom_text=sql.Literal(spec.geometry_field.column))


def _decoded(value):
    return json.loads(value) if isinstance(value, str) else value


def versions(spec: LayerSpec, feature_id: int, *, limit: int, offset: int = 0,
             newest_first: bool = False) -> tuple[list[Version], bool]:
    """The feature's versions, oldest first (or newest first) (`limit` from `offset`), and whether more
    follow. A live feature the log knows nothing of has one version (1) with no time; an unknown
    feature, none."""
    params = {"layer": spec.id, "fid": feature_id, "limit": limit + 1, "offset": offset}
    with connection.cursor() as cursor:
        cursor.execute("SELECT version, op, at, actor, source, record_id FROM layers_change WHERE layer_id = %(layer)s "
                       "AND feature_id = %(fid)s AND id > " + _AFTER_TRUNCATE + " ORDER BY id "
                       + ("DESC " if newest_first else "") + "LIMIT %(limit)s OFFSET %(offset)s", params)
        rows = cursor.fetchall()
        if not rows and offset == 0:
            cursor.execute(sql.SQL("SELECT 1 FROM {} WHERE {} = %s").format(
                sql.Identifier(spec.table), sql.Identifier(spec.id_field)), [feature_id])
            if cursor.fetchone():
                return [Version(1, "insert", None, "", "")], False
    return [Version(v, OPS[op], at, actor, source, record) for v, op, at, actor, source, record in rows[:limit]], \
        len(rows) > limit


def item_state(spec: LayerSpec, feature_id: int) -> tuple[bool, Latest | None]:
    """Whether the feature exists now, and its last logged change (one round trip)."""
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("SELECT EXISTS (SELECT 1 FROM {table} WHERE {pk} = %(fid)s), l.version, l.op FROM "
                               "(SELECT 1) AS one LEFT JOIN LATERAL (SELECT version, op FROM layers_change WHERE "
                               "layer_id = %(layer)s AND feature_id = %(fid)s ORDER BY id DESC LIMIT 1) AS l ON true"
                               ).format(table=sql.Identifier(spec.table), pk=sql.Identifier(spec.id_field)),
                       {"fid": feature_id, "layer": spec.id})
        exists, version, op = cursor.fetchone()
    return exists, (Latest(version, op) if version is not None else None)


def live_feature(spec: LayerSpec, feature_id: int) -> dict | None:
    """The feature as it is now (a GeoJSON Feature), None if there is no such row."""
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("SELECT {feature} FROM {table} AS s WHERE s.{pk} = %s").format(
            feature=_feature_json(spec), table=sql.Identifier(spec.table), pk=sql.Identifier(spec.id_field)),
            [feature_id])
        row = cursor.fetchone()
    return _decoded(row[0]) if row else None


def _restored(spec: LayerSpec, before) -> dict:
    """A before image (layers_change.before) as a GeoJSON Feature."""
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("SELECT {feature} FROM jsonb_populate_record(NULL::{table}, %s::jsonb) AS s").format(
            feature=_feature_json(spec), table=sql.Identifier(spec.table)),
            [before if isinstance(before, str) else json.dumps(before)])
        return _decoded(cursor.fetchone()[0])


@dataclass(frozen=True)
class Found:
    """What reading one version (or one instant) of a feature found: the feature (a GeoJSON Feature
    with its version), or why there is none: "gone" (deleted; `version` is its last version) or
    "missing" (no such feature or version)."""

    state: str  # "feature", "gone", "missing"
    version: int = 0
    feature: dict | None = None


def feature_version(spec: LayerSpec, feature_id: int, version: int) -> Found:
    """Version `version` of a feature: the live row if it is the current one, else the before image
    of the change that ended it; "gone" for a deletion's tombstone."""
    current = latest(spec, feature_id)
    live = live_feature(spec, feature_id)
    if live is not None and version == (current.version if current and current.op != "D" else 1):
        return Found("feature", version, live)
    with connection.cursor() as cursor:
        cursor.execute("SELECT version, op, before FROM layers_change WHERE layer_id = %(layer)s AND feature_id = "
                       "%(fid)s AND version IN (%(v)s, %(v)s + 1) AND id > " + _AFTER_TRUNCATE + " ORDER BY id DESC",
                       {"layer": spec.id, "fid": feature_id, "v": version})
        rows = cursor.fetchall()
    ended = next((row for row in rows if row[0] == version + 1 and row[1] in ("U", "D")), None)
    if ended:
        return Found("feature", version, _restored(spec, ended[2]))
    if any(row[0] == version and row[1] == "D" for row in rows):
        return Found("gone", version - 1)
    return Found("missing")


def _gone_or_missing(spec: LayerSpec, feature_id: int, cursor, at) -> Found:
    """A feature with no row at `at`: "gone" when it had been deleted by then, else "missing"."""
    cursor.execute("SELECT version FROM layers_change WHERE layer_id = %(layer)s AND feature_id = %(fid)s "
                   "AND op = 'D' AND at <= %(at)s AND id > " + _AFTER_TRUNCATE + " ORDER BY id DESC LIMIT 1",
                   {"layer": spec.id, "fid": feature_id, "at": at})
    row = cursor.fetchone()
    return Found("gone", row[0] - 1) if row else Found("missing")


def feature_at(spec: LayerSpec, feature_id: int, at) -> Found:
    """The feature as it was at instant `at` (an aware datetime): the before image of its first change
    after `at`, or the live row when it has not changed since."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT version, op, before FROM layers_change WHERE layer_id = %(layer)s AND feature_id = "
                       "%(fid)s AND at > %(at)s AND id > " + _AFTER_TRUNCATE + " ORDER BY id LIMIT 1",
                       {"layer": spec.id, "fid": feature_id, "at": at})
        first_after = cursor.fetchone()
        if first_after is None:
            live = live_feature(spec, feature_id)
            if live is not None:
                return Found("feature", current_version(spec, feature_id), live)
            return _gone_or_missing(spec, feature_id, cursor, at)
        version, op, before = first_after
        if op == "I":  # created (or brought back) after `at`
            return _gone_or_missing(spec, feature_id, cursor, at)
        return Found("feature", version - 1, _restored(spec, before))


def history_starts(spec: LayerSpec):
    """The earliest instant the layer can be read as of: its last truncate (the rows it removed
    were not logged one by one), None when it was never truncated."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT at FROM layers_change WHERE layer_id = %s AND feature_id IS NULL ORDER BY id DESC "
                       "LIMIT 1", [spec.id])
        row = cursor.fetchone()
    return row[0] if row else None


def collection_at(spec: LayerSpec, at, *, bbox: tuple[float, float, float, float] | None, limit: int,
                  offset: int) -> list[dict]:
    """The layer's features as they were at instant `at`, by id (`limit` from `offset`), as GeoJSON
    Features: the rows not changed since, plus the before images of the features whose first change
    after `at` was an update or a deletion (those first inserted after `at` are left out). `bbox` is
    minx, miny, maxx, maxy in EPSG:4326 degrees; a feature whose geometry intersects it is kept."""
    table, pk = sql.Identifier(spec.table), sql.Identifier(spec.id_field)
    where = sql.SQL("")
    params = {"layer": spec.id, "at": at, "limit": limit, "offset": offset}
    if bbox is not None:
        where = sql.SQL("WHERE ST_Intersects(s.{geom}, ST_MakeEnvelope(%(minx)s, %(miny)s, %(maxx)s, %(maxy)s, 4326))"
                        ).format(geom=sql.Identifier(spec.geometry_field.column))
        params.update(zip(("minx", "miny", "maxx", "maxy"), bbox))
    query = sql.SQL(
        "WITH first_after AS ("
        " SELECT DISTINCT ON (c.feature_id) c.feature_id, c.op, c.before FROM layers_change c"
        " WHERE c.layer_id = %(layer)s AND c.feature_id IS NOT NULL AND c.at > %(at)s"
        " AND c.id > " + _AFTER_TRUNCATE + " ORDER BY c.feature_id, c.id),"
        " state AS ("
        " SELECT t.* FROM {table} AS t WHERE NOT EXISTS (SELECT 1 FROM first_after f WHERE f.feature_id = t.{pk})"
        " UNION ALL"
        " SELECT (jsonb_populate_record(NULL::{table}, f.before)).* FROM first_after f WHERE f.op IN ('U', 'D'))"
        " SELECT {feature} FROM state AS s {where} ORDER BY s.{pk} LIMIT %(limit)s OFFSET %(offset)s").format(
        table=table, pk=pk, feature=_feature_json(spec), where=where)
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return [_decoded(row[0]) for row in cursor.fetchall()]
