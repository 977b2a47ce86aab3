from django.contrib.gis.db import models

from layers.geometry import STORAGE_SRID, valid_geometry_check
from layers.models import CodeListEntry


class SchoolLevel(CodeListEntry):
    """Cấp học: kindergarten, primary, lower/upper secondary, continuing education."""

    class Meta(CodeListEntry.Meta):
        verbose_name = "Cấp học"
        verbose_name_plural = "Cấp học"


class School(models.Model):
    """Cơ sở giáo dục."""

    name = models.CharField("tên trường", max_length=200)
    level = models.ForeignKey(SchoolLevel, on_delete=models.PROTECT, db_column="level")
    district = models.ForeignKey("places.AdminUnit", on_delete=models.PROTECT, to_field="gso_code",
                                 db_column="district_code", verbose_name="huyện")
    address = models.CharField("địa chỉ", max_length=255, blank=True)
    students = models.PositiveIntegerField("số học sinh", null=True, blank=True)
    geom = models.PointField(srid=STORAGE_SRID)

    class Meta:
        verbose_name = "Trường học"
        verbose_name_plural = "Trường học"
        constraints = [valid_geometry_check("school")]

    def __str__(self):
        return self.name
