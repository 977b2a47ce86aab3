from django.db import models


class CachedTile(models.Model):
    """A rendered vector tile of one layer version (layers.LayerVersion: the layer's latest change)."""

    layer_id = models.CharField(max_length=64)
    version = models.BigIntegerField()
    tms = models.CharField(max_length=32, default="WebMercatorQuad")  # the tile matrix set (tiles/grids.py)
    z = models.PositiveSmallIntegerField()
    x = models.PositiveIntegerField()
    y = models.PositiveIntegerField()
    data = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["layer_id", "tms", "z", "x", "y", "version"],
                                               name="cached_tile_key")]
