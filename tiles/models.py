from django.db import models


class LayerVersion(models.Model):
    """Phiên bản dữ liệu của lớp: bumped by a statement trigger on every write to the layer's table
    (see migration 0002), so cached tiles of an older version are never served."""

    layer_id = models.CharField(max_length=64, primary_key=True)
    version = models.BigIntegerField(default=0)
    changed_at = models.DateTimeField(null=True)  # when the layer's data last changed


class CachedTile(models.Model):
    """A rendered vector tile of one layer version."""

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
