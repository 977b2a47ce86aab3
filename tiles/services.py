"""Vector tiles through a cache that a layer's writes invalidate (its version: the layer's latest change
in the change log, layers/changelog.py)."""
from django.db import transaction

from layers.registry import LayerSpec
from layers.selectors import layer_version

from . import sql
from .grids import WEB_MERCATOR, Grid

# Deeper tiles are cheap to render (few features each) and too many to keep: they are not cached.
MAX_CACHED_ZOOM = 17


def first_zoom(spec: LayerSpec) -> int:
    """The first Web Mercator zoom whose tiles hold the layer: one above the zoom the web map shows it
    from, because QGIS's vector tile layer draws a view with the tiles of the zoom below (a z15 view
    asks for z14 tiles) and would otherwise look blank at the layer's first zoom."""
    return max(0, spec.min_zoom - 1)


def tile_get(spec: LayerSpec, z: int, x: int, y: int, grid: Grid = WEB_MERCATOR) -> tuple[bytes, int | None]:
    """The MVT of tile z/x/y (column x, row y of `grid`) of a layer, and the layer version it shows:
    from the cache when that version's tile was rendered before, else rendered once and kept (down to
    Web Mercator zoom 17 or the same detail in the other grid)."""
    zoom = grid.mercator_zoom(z)
    if zoom < first_zoom(spec):
        return b"", 0
    version = layer_version(spec.id)
    if zoom > MAX_CACHED_ZOOM or version is None:  # (None: this transaction's own uncommitted writes)
        return sql.render_tile(spec, z, x, y, grid), version
    data = sql.cached_tile(spec.id, version, z, x, y, grid.id)
    if data is None:
        data = sql.render_tile(spec, z, x, y, grid)
        with transaction.atomic():
            sql.store_tile(spec.id, version, z, x, y, data, grid.id)
    return data, version
