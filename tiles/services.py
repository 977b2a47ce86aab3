"""Vector tiles through a cache that a layer's writes invalidate (its version, bumped by a trigger)."""
from django.db import transaction

from layers.registry import LayerSpec

from . import sql

# Deeper tiles are cheap to render (few features each) and too many to keep: they are not cached.
MAX_CACHED_ZOOM = 17


def tile_get(spec: LayerSpec, z: int, x: int, y: int) -> tuple[bytes, int]:
    """The MVT of tile z/x/y (EPSG:3857 grid) of a layer, and the layer version it shows: from the
    cache when that version's tile was rendered before, else rendered once and kept (zoom ≤ 17)."""
    if z < spec.min_zoom:
        return b"", 0
    version = sql.layer_version(spec.id)
    if z > MAX_CACHED_ZOOM:
        return sql.render_tile(spec, z, x, y), version
    data = sql.cached_tile(spec.id, version, z, x, y)
    if data is None:
        data = sql.render_tile(spec, z, x, y)
        with transaction.atomic():
            sql.store_tile(spec.id, version, z, x, y, data)
    return data, version
