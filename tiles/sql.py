"""Mapbox vector tiles straight from PostGIS: one parameterised statement per tile."""
from __future__ import annotations

from django.db import connection
from psycopg2 import sql

from layers.registry import LayerSpec

from .grids import WEB_MERCATOR, Grid

EXTENT = 4096  # tile coordinate grid
BUFFER = 64  # pixels of the grid drawn beyond the tile edge, so strokes join across tiles
MAX_FEATURES = 20_000  # per tile: the size cap (more would make the tile too heavy to draw)

_TILE = sql.SQL("""
WITH bounds AS ({bounds})
SELECT ST_AsMVT(tile, %(layer)s, %(extent)s, 'geom', 'id') FROM (
    SELECT {columns}, ST_AsMVTGeom({projected}, bounds.tile, %(extent)s, %(buffer)s, true) AS geom
    FROM {table} AS l, bounds
    WHERE l.{geom} && bounds.lonlat {keep}
    LIMIT %(max_features)s
) AS tile
""")
# The tile's envelope in the grid's CRS, and the same with the buffer margin in the storage CRS.
_MERCATOR_BOUNDS = sql.SQL(
    "SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS tile, "
    "ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s), 4326) AS lonlat")
_DEGREES_BOUNDS = sql.SQL(
    "SELECT ST_MakeEnvelope(%(west)s, %(south)s, %(east)s, %(north)s, 4326) AS tile, "
    "ST_Expand(ST_MakeEnvelope(%(west)s, %(south)s, %(east)s, %(north)s, 4326), %(margin_deg)s) AS lonlat")
# Lines and polygons are simplified to half a tile unit, and polygons smaller than a quarter pixel
# dropped, so a tile at any zoom carries only what can be seen, also by clients that draw it one zoom
# deeper (QGIS draws a view with the tiles of the zoom below). Degrees: EPSG:4326 storage.
_SIMPLIFIED = sql.SQL("ST_Simplify(l.{geom}, %(tolerance)s, true)")
_VISIBLE = sql.SQL("AND ST_Area(l.{geom}) >= %(pixel_area)s")


def tile_columns(spec: LayerSpec) -> list[str]:
    """The attribute columns a layer's tiles carry: every column but the geometry."""
    return [f.column for f in spec.model._meta.concrete_fields if f.column != spec.geometry_field.column]


def render_tile(spec: LayerSpec, z: int, x: int, y: int, grid: Grid = WEB_MERCATOR) -> bytes:
    """The MVT of tile z/x/y (column x, row y) of `grid` for a layer stored in EPSG:4326; the layer
    inside the tile is named after the collection id."""
    geom = sql.Identifier(spec.geometry_field.column)
    polygon, point = "Polygon" in spec.geometry_type, spec.geometry_type == "Point"
    shape = sql.SQL("l.{}").format(geom) if point else _SIMPLIFIED.format(geom=geom)
    mercator = grid is WEB_MERCATOR
    query = _TILE.format(
        bounds=_MERCATOR_BOUNDS if mercator else _DEGREES_BOUNDS,
        columns=sql.SQL(", ").join(sql.SQL("l.{}").format(sql.Identifier(c)) for c in tile_columns(spec)),
        geom=geom,
        projected=sql.SQL("ST_Transform({}, 3857)").format(shape) if mercator else shape,
        keep=_VISIBLE.format(geom=geom) if polygon else sql.SQL(""),
        table=sql.Identifier(spec.table),
    )
    tile_deg = grid.tile_width_degrees(z)
    west, south, east, north = (0.0, 0.0, 0.0, 0.0) if mercator else grid.degrees_envelope(z, x, y)
    with connection.cursor() as cursor:
        cursor.execute(query, {"z": z, "x": x, "y": y, "margin": BUFFER / EXTENT, "layer": spec.id,
                               "west": west, "south": south, "east": east, "north": north,
                               "margin_deg": tile_deg * BUFFER / EXTENT,
                               "extent": EXTENT, "buffer": BUFFER, "max_features": MAX_FEATURES,
                               "tolerance": tile_deg / EXTENT / 2, "pixel_area": (tile_deg / 512) ** 2})
        return bytes(cursor.fetchone()[0])


def cached_tile(layer_id: str, version: int, z: int, x: int, y: int, tms: str = WEB_MERCATOR.id) -> bytes | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT data FROM tiles_cachedtile WHERE layer_id = %s AND version = %s AND tms = %s "
                       "AND z = %s AND x = %s AND y = %s", [layer_id, version, tms, z, x, y])
        row = cursor.fetchone()
    return bytes(row[0]) if row else None


def store_tile(layer_id: str, version: int, z: int, x: int, y: int, data: bytes, tms: str = WEB_MERCATOR.id) -> None:
    """Keep a tile of `version`; tiles of older versions of the layer are dropped on the way."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM tiles_cachedtile WHERE layer_id = %s AND version < %s", [layer_id, version])
        cursor.execute("INSERT INTO tiles_cachedtile (layer_id, version, tms, z, x, y, data, created_at) "
                       "VALUES (%s, %s, %s, %s, %s, %s, %s, now()) ON CONFLICT DO NOTHING",
                       [layer_id, version, tms, z, x, y, data])
