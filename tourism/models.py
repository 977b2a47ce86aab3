from django.contrib.gis.db import models

from layers.geometry import STORAGE_SRID, valid_geometry_check
from layers.models import CodeListEntry


class PoiCategory(CodeListEntry):
    """Loại điểm du lịch: sight, hotel, restaurant..."""

    class Meta(CodeListEntry.Meta):
        verbose_name = "Loại điểm du lịch"
        verbose_name_plural = "Loại điểm du lịch"


class TourismPoi(models.Model):
    """Điểm du lịch."""

    name = models.CharField("tên", max_length=200)
    category = models.ForeignKey(PoiCategory, on_delete=models.PROTECT, db_column="category")
    description = models.TextField("mô tả", blank=True)
    address = models.CharField("địa chỉ", max_length=255, blank=True)
    geom = models.PointField(srid=STORAGE_SRID)

    class Meta:
        verbose_name = "Điểm du lịch"
        verbose_name_plural = "Điểm du lịch"
        constraints = [valid_geometry_check("tourismpoi")]

    def __str__(self):
        return self.name
