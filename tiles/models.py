from django.db import models


class CachedTile(models.Model):
    """A rendered vector tile, gzip-compressed (empty tiles: no bytes), of the layer version it shows
    (layers.LayerVersion: the layer's committed change count). One row per tile: rendering a newer
    version replaces it. `seq` orders the rows by when they were stored; the cache keeps the newest
    GEO_TILE_CACHE_MAX_TILES (tiles/services.py) and drops older ones as new tiles arrive."""

    pk = models.CompositePrimaryKey("layer_id", "tms", "z", "x", "y")
    layer_id = models.CharField(max_length=64)
    tms = models.CharField(max_length=32, default="WebMercatorQuad")  # the tile matrix set (tiles/grids.py)
    z = models.PositiveSmallIntegerField()
    x = models.PositiveIntegerField()
    y = models.PositiveIntegerField()
    version = models.BigIntegerField()
    data = models.BinaryField()
    seq = models.BigIntegerField()  # from the sequence tiles_cachedtile_seq (migration 0007)

    class Meta:
        indexes = [models.Index(fields=["seq"], name="cached_tile_age")]
