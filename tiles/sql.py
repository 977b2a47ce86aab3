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


def render_tile(spec: LayerSpec, z: int, x: int, y: int, grid: Grid = WEB_MERCATOR, *, db=None) -> bytes:
    """The MVT of tile z/x/y (column x, row y) of `grid` for a layer stored in EPSG:4326, read
    through the database connection `db` (default: Django's); the layer inside the tile is named after
    the collection id."""
    with (db or connection).cursor() as cursor:
        cursor.execute(tile_statement(spec, grid), tile_parameters(spec, z, x, y, grid))
        return bytes(cursor.fetchone()[0])


def tile_statement(spec: LayerSpec, grid: Grid = WEB_MERCATOR) -> sql.Composed:
    """The statement rendering a tile of the layer in `grid` (parameters: tile_parameters)."""
    geom = sql.Identifier(spec.geometry_field.column)
    polygon, point = "Polygon" in spec.geometry_type, spec.geometry_type == "Point"
    shape = sql.SQL("l.{}").format(geom) if point else _SIMPLIFIED.format(geom=geom)
    mercator = grid is WEB_MERCATOR
    return _TILE.format(
        bounds=_MERCATOR_BOUNDS if mercator else _DEGREES_BOUNDS,
        columns=sql.SQL(", ").join(sql.SQL("l.{}").format(sql.Identifier(c)) for c in tile_columns(spec)),
        geom=geom,
        projected=sql.SQL("ST_Transform({}, 3857)").format(shape) if mercator else shape,
        keep=_VISIBLE.format(geom=geom) if polygon else sql.SQL(""),
        table=sql.Identifier(spec.table),
    )


def tile_parameters(spec: LayerSpec, z: int, x: int, y: int, grid: Grid = WEB_MERCATOR) -> dict:
    tile_deg = grid.tile_width_degrees(z)
    west, south, east, north = (0.0, 0.0, 0.0, 0.0) if grid is WEB_MERCATOR else grid.degrees_envelope(z, x, y)
    return {"z": z, "x": x, "y": y, "margin": BUFFER / EXTENT, "layer": spec.id,
            "west": west, "south": south, "east": east, "north": north,
            "margin_deg": tile_deg * BUFFER / EXTENT,
            "extent": EXTENT, "buffer": BUFFER, "max_features": MAX_FEATURES,
            "tolerance": tile_deg / EXTENT / 2, "pixel_area": (tile_deg / 512) ** 2}


# The layer's version (as layers.selectors.layer_version reads it: its committed change count, and
# whether the caller's own transaction has written the layer, whose tiles nobody else may share) and
# the cached tile of that version, in one round trip. pg_current_xact_id_if_assigned() is NULL outside
# a transaction that wrote something (and on a hot standby).
CACHE_LOOKUP = """
SELECT v.version, v.written, c.data
FROM (SELECT coalesce((SELECT version FROM layers_layerversion WHERE layer_id = %(layer)s), 0) AS version,
             EXISTS (SELECT 1 FROM layers_pending_version WHERE layer_id = %(layer)s
                     AND txid = pg_current_xact_id_if_assigned()::text::bigint) AS written) AS v
LEFT JOIN tiles_cachedtile AS c ON NOT v.written AND c.layer_id = %(layer)s AND c.tms = %(tms)s
    AND c.z = %(z)s AND c.x = %(x)s AND c.y = %(y)s AND c.version = v.version
"""

# Keep a tile (one row per tile: a newer version replaces the stored one, an older one is not kept),
# then drop the tiles that fell out of the newest `max_tiles` stored: those numbered at or below
# (this tile's number - max_tiles). Each store drops the ones just below that line, an index range of
# `sweep` numbers, so a store costs the same however big the cache is; every `sweep`-th store sweeps
# from the bottom, for the tiles a skipped or rolled-back store left (or a lowered maximum). Rows that
# a concurrent store is dropping are skipped, not waited for: stores do not queue behind each other.
CACHE_STORE = """
WITH stored AS (
    INSERT INTO tiles_cachedtile AS c (layer_id, tms, z, x, y, version, data, seq)
    VALUES (%(layer)s, %(tms)s, %(z)s, %(x)s, %(y)s, %(version)s, %(data)s, nextval('tiles_cachedtile_seq'))
    ON CONFLICT (layer_id, tms, z, x, y) DO UPDATE
    SET version = EXCLUDED.version, data = EXCLUDED.data, seq = EXCLUDED.seq WHERE c.version < EXCLUDED.version
    RETURNING seq
), line AS (
    SELECT seq - %(max_tiles)s AS top,
           CASE WHEN seq %% %(sweep)s = 0 THEN 0 ELSE seq - %(max_tiles)s - %(sweep)s END AS bottom
    FROM stored
)
DELETE FROM tiles_cachedtile WHERE ctid = ANY(ARRAY(
    SELECT ctid FROM tiles_cachedtile WHERE seq <= (SELECT top FROM line) AND seq > (SELECT bottom FROM line)
    FOR UPDATE SKIP LOCKED))
"""
EVICTION_SWEEP = 1024


def cached_or_rendered_statement(spec: LayerSpec, grid: Grid = WEB_MERCATOR) -> sql.Composed:
    """CACHE_LOOKUP's row and, when it holds no tile, the tile rendered (tile_statement), in one round
    trip: a miss costs no second one. CASE runs the render only for a miss. Parameters: CACHE_LOOKUP's
    and tile_parameters' (both name the layer, z, x and y alike)."""
    return sql.SQL("SELECT c.version, c.written, c.data, CASE WHEN c.data IS NULL THEN ({render}) END "
                   "FROM ({lookup}) AS c").format(render=tile_statement(spec, grid), lookup=sql.SQL(CACHE_LOOKUP))


def cached_or_rendered(db, spec: LayerSpec, z: int, x: int, y: int, grid: Grid = WEB_MERCATOR
                       ) -> tuple[int, bool, bytes | None, bytes | None]:
    """(the layer's version, whether the caller's transaction wrote the layer, the cached tile of that
    version, gzip-compressed, or None, and else its MVT rendered), in one statement on the connection `db`."""
    with db.cursor() as cursor:
        cursor.execute(cached_or_rendered_statement(spec, grid),
                       {**tile_parameters(spec, z, x, y, grid), "tms": grid.id})
        version, written, data, mvt = cursor.fetchone()
    return version, written, None if data is None else bytes(data), None if mvt is None else bytes(mvt)


def cached_tile(db, layer_id: str, z: int, x: int, y: int, tms: str = WEB_MERCATOR.id
                ) -> tuple[int, bool, bytes | None]:
    """(the layer's version, whether the caller's transaction wrote the layer, the cached tile of
    that version, gzip-compressed, or None), in one statement on the connection `db`."""
    with db.cursor() as cursor:
        cursor.execute(CACHE_LOOKUP, {"layer": layer_id, "tms": tms, "z": z, "x": x, "y": y})
        version, written, data = cursor.fetchone()
    return version, written, None if data is None else bytes(data)


def store_tile(db, layer_id: str, version: int, z: int, x: int, y: int, data: bytes, *, max_tiles: int,
               tms: str = WEB_MERCATOR.id) -> None:
    """Keep the gzip-compressed tile of `version` (replacing an older version's) and evict the
    oldest tiles beyond the newest `max_tiles`, in one statement on the connection `db` (the primary)."""
    # Outside a caller's transaction the store is a transaction of its own, and a cached tile is not
    # worth waiting for the disk: its commit does not wait for the WAL flush (a crash may lose the
    # last tiles stored, which are rendered again).
    statement = CACHE_STORE if not db.get_autocommit() else "SET LOCAL synchronous_commit TO off;" + CACHE_STORE
    with db.cursor() as cursor:
        cursor.execute(statement, {"layer": layer_id, "tms": tms, "z": z, "x": x, "y": y, "version": version,
                                      "data": data, "max_tiles": max_tiles, "sweep": EVICTION_SWEEP})
