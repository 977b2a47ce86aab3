from django.contrib.gis.db import models
from django.core.validators import MaxValueValidator, MinValueValidator

from layers.geometry import STORAGE_SRID, valid_geometry_check
from layers.models import AssetStatus, CodeListEntry


class CameraPurpose(CodeListEntry):
    """Mục đích camera: traffic monitoring, violation, speed, security."""

    class Meta(CodeListEntry.Meta):
        verbose_name = "Mục đích camera"
        verbose_name_plural = "Mục đích camera"


class Camera(models.Model):
    """Camera giám sát: one camera; several may share a mounting point (point_code)."""

    camera_code = models.CharField("mã camera", max_length=32, unique=True)
    point_code = models.CharField("mã điểm lắp đặt", max_length=32)
    purpose = models.ForeignKey(CameraPurpose, on_delete=models.PROTECT, db_column="purpose")
    phase = models.PositiveSmallIntegerField("giai đoạn", validators=[MinValueValidator(1), MaxValueValidator(9)])
    district = models.ForeignKey("places.AdminUnit", on_delete=models.PROTECT, to_field="gso_code",
                                 db_column="district_code", verbose_name="huyện")
    road_name = models.CharField("tuyến đường", max_length=100, blank=True)
    status = models.ForeignKey(AssetStatus, on_delete=models.PROTECT, db_column="status")
    geom = models.PointField(srid=STORAGE_SRID)

    class Meta:
        verbose_name = "Camera"
        verbose_name_plural = "Camera"
        constraints = [valid_geometry_check("camera")]

    def __str__(self):
        return self.camera_code
