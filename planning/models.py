from django.contrib.gis.db import models
from django.core.validators import MaxValueValidator, MinValueValidator

from layers.geometry import STORAGE_SRID, valid_geometry_check


class ZoningZone(models.Model):
    """Ô quy hoạch: a zone of an approved land-use / construction plan and the limits it sets."""

    zone_code = models.CharField("ký hiệu ô", max_length=32)
    planned_land_use = models.ForeignKey(
        "land.LandUseCode", on_delete=models.PROTECT, db_column="planned_land_use_code",
        verbose_name="loại đất quy hoạch",
    )
    plan_name = models.CharField("tên đồ án quy hoạch", max_length=255)
    decision_no = models.CharField("quyết định phê duyệt", max_length=64)
    decision_date = models.DateField("ngày phê duyệt")
    max_floors = models.PositiveSmallIntegerField("tầng cao tối đa", null=True, blank=True)
    max_height_m = models.FloatField("chiều cao tối đa (m)", null=True, blank=True,
                                     validators=[MinValueValidator(0)])
    building_density_pct = models.FloatField(
        "mật độ xây dựng tối đa (%)", null=True, blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    geom = models.MultiPolygonField(srid=STORAGE_SRID)

    class Meta:
        verbose_name = "Ô quy hoạch"
        verbose_name_plural = "Ô quy hoạch"
        constraints = [
            valid_geometry_check("zoningzone"),
            models.CheckConstraint(
                condition=models.Q(building_density_pct__isnull=True)
                | models.Q(building_density_pct__gte=0, building_density_pct__lte=100),
                name="zoningzone_density_pct_range",
            ),
        ]

    def __str__(self):
        return f"{self.zone_code} ({self.plan_name})"
