"""Mapbox vector tiles straight from PostGIS: one parameterised statement per tile."""
from __future__ import annotations

from django.db import connection
from psycopg2 import sql

from layers.registry import LayerSpec

EXTENT = 4096  # tile coordinate grid
BUFFER = 64  # pixels of the grid drawn beyond the tile edge, so strokes join across tiles
MAX_FEATURES = 20_000  # per tile; more would make the tile too heavy to draw

_TILE = sql.SQL("""
WITH bounds AS (
    SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS web,
           ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s), 4326) AS lonlat
)
SELECT ST_AsMVT(tile, %(layer)s, %(extent)s, 'geom', 'id') FROM (
    SELECT {columns}, ST_AsMVTGeom(ST_Transform(l.{geom}, 3857), bounds.web, %(extent)s, %(buffer)s, true) AS geom
    FROM {table} AS l, bounds
    WHERE l.{geom} && bounds.lonlat
    LIMIT %(max_features)s
) AS tile
""")


def tile_columns(spec: LayerSpec) -> list[str]:
    """The attribute columns a layer's tiles carry: every column but the geometry."""
    return [f.column for f in spec.model._meta.concrete_fields if f.column != spec.geometry_field.column]


def render_tile(spec: LayerSpec, z: int, x: int, y: int) -> bytes:
    """The MVT of tile z/x/y (Web Mercator, EPSG:3857 grid) of a layer stored in EPSG:4326;
    the layer inside the tile is named after the collection id."""
    query = _TILE.format(
        columns=sql.SQL(", ").join(sql.SQL("l.{}").format(sql.Identifier(c)) for c in tile_columns(spec)),
        geom=sql.Identifier(spec.geometry_field.column),
        table=sql.Identifier(spec.table),
    )
    with connection.cursor() as cursor:
        cursor.execute(query, {"z": z, "x": x, "y": y, "margin": BUFFER / EXTENT, "layer": spec.id,
                               "extent": EXTENT, "buffer": BUFFER, "max_features": MAX_FEATURES})
        return bytes(cursor.fetchone()[0])
