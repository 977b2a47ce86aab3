"""Vector tiles through a cache keyed by the layer's version (its committed change count in the change
log, layers/changelog.py): one row per tile, kept gzip-compressed, the oldest dropped beyond a bounded
number of tiles (GEO_TILE_CACHE_MAX_TILES)."""
import gzip
from dataclasses import dataclass

from django.conf import settings
from django.db import connection

from layers.db import read_connection
from layers.registry import LayerSpec
from layers.selectors import layer_version

from . import sql
from .grids import WEB_MERCATOR, Grid

# Deeper tiles are cheap to render (few features each) and too many to keep: they are not cached.
MAX_CACHED_ZOOM = 17
# Parcel tiles (1M parcels, z15-16) shrink 1.9x at zlib level 1 and 2.0x at gzip's default 6, which
# costs 2.6x the CPU (0.66 against 0.25 ms per tile): a miss's time goes to the render, not to this.
GZIP_LEVEL = 1


@dataclass(frozen=True)
class Tile:
    """A tile's MVT, gzip-compressed (an empty tile has no bytes at all, compressed or not), and the
    layer version it shows: None when it shows the caller's own uncommitted writes (nobody may cache
    or revalidate it)."""

    gzipped: bytes
    version: int | None

    def mvt(self) -> bytes:
        return gzip.decompress(self.gzipped) if self.gzipped else b""


def compress(mvt: bytes) -> bytes:
    return gzip.compress(mvt, compresslevel=GZIP_LEVEL, mtime=0) if mvt else b""


def cache_max_tiles() -> int:
    """How many tiles the cache keeps (0: none)."""
    return settings.GEO_TILE_CACHE_MAX_TILES


def first_zoom(spec: LayerSpec) -> int:
    """The first Web Mercator zoom whose tiles hold the layer: one above the zoom the web map shows it
    from, because QGIS's vector tile layer draws a view with the tiles of the zoom below (a z15 view
    asks for z14 tiles) and would otherwise look blank at the layer's first zoom."""
    return max(0, spec.min_zoom - 1)


def tile_get(spec: LayerSpec, z: int, x: int, y: int, grid: Grid = WEB_MERCATOR) -> Tile:
    """Tile z/x/y (column x, row y of `grid`) of a layer: from the cache when the layer's current
    version of it was kept (one statement), else rendered and kept (down to Web Mercator zoom 17 or the
    same detail in the other grid), evicting the oldest tiles beyond the cache's size. A hit or a miss
    is one statement on the read database, and a miss's store one more on the primary."""
    zoom = grid.mercator_zoom(z)
    if zoom < first_zoom(spec):
        return Tile(b"", 0)
    reading, max_tiles = read_connection(), cache_max_tiles()  # reads: a replica unless this request wrote
    if zoom > MAX_CACHED_ZOOM or max_tiles <= 0:
        version = layer_version(spec.id)
        return Tile(compress(sql.render_tile(spec, z, x, y, grid, db=reading)), version)
    version, written, cached, mvt = sql.cached_or_rendered(reading, spec, z, x, y, grid)
    if cached is not None:
        return Tile(cached, version)
    data = compress(mvt)
    if written:  # this transaction's own uncommitted writes: what it sees is not what anyone else sees
        return Tile(data, None)
    sql.store_tile(connection, spec.id, version, z, x, y, data, max_tiles=max_tiles, tms=grid.id)  # the primary
    return Tile(data, version)
