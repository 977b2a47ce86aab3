from django.contrib.gis.db import models
from django.core.validators import MinValueValidator

from layers.geometry import STORAGE_SRID, valid_geometry_check
from layers.models import AssetStatus, CodeListEntry


class RoadClass(CodeListEntry):
    """Cấp đường: national, provincial, district, urban..."""

    class Meta(CodeListEntry.Meta):
        verbose_name = "Cấp đường"
        verbose_name_plural = "Cấp đường"


class LampType(CodeListEntry):
    """Loại đèn chiếu sáng."""

    class Meta(CodeListEntry.Meta):
        verbose_name = "Loại đèn"
        verbose_name_plural = "Loại đèn"


class Road(models.Model):
    """Tuyến đường."""

    name = models.CharField("tên đường", max_length=200)
    road_class = models.ForeignKey(RoadClass, on_delete=models.PROTECT, db_column="road_class")
    width_m = models.FloatField("bề rộng (m)", validators=[MinValueValidator(0)])
    geom = models.MultiLineStringField(srid=STORAGE_SRID)

    class Meta:
        verbose_name = "Đường"
        verbose_name_plural = "Đường"
        constraints = [valid_geometry_check("road")]

    def __str__(self):
        return self.name


class Streetlight(models.Model):
    """Đèn chiếu sáng công cộng: every pole addressable (smart lighting, roadmap D.II.3)."""

    light_code = models.CharField("mã đèn", max_length=32, unique=True)
    circuit = models.CharField("tuyến / tủ điện", max_length=64)
    lamp_type = models.ForeignKey(LampType, on_delete=models.PROTECT, db_column="lamp_type")
    wattage_w = models.PositiveIntegerField("công suất (W)")
    status = models.ForeignKey(AssetStatus, on_delete=models.PROTECT, db_column="status")
    geom = models.PointField(srid=STORAGE_SRID)

    class Meta:
        verbose_name = "Đèn chiếu sáng"
        verbose_name_plural = "Đèn chiếu sáng"
        constraints = [valid_geometry_check("streetlight")]

    def __str__(self):
        return self.light_code
