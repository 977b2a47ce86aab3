from django.contrib.gis.db import models

from layers.geometry import STORAGE_SRID, valid_geometry_check
from layers.models import CodeListEntry


class AdminLevel(CodeListEntry):
    """Cấp hành chính: province, district, commune."""

    class Meta(CodeListEntry.Meta):
        verbose_name = "Cấp hành chính"
        verbose_name_plural = "Cấp hành chính"


class AdminUnit(models.Model):
    """Đơn vị hành chính: a province, district or commune, identified by its GSO code.

    Units are data, not code: the 2025 reform merged provinces and abolished districts, and the
    platform takes such changes as new rows and new parents.
    """

    gso_code = models.CharField("mã GSO", max_length=5, unique=True)
    name = models.CharField("tên", max_length=100)
    level = models.ForeignKey(AdminLevel, on_delete=models.PROTECT, db_column="level")
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children",
        to_field="gso_code", db_column="parent_code",
    )
    geom = models.MultiPolygonField(srid=STORAGE_SRID)

    class Meta:
        verbose_name = "Đơn vị hành chính"
        verbose_name_plural = "Đơn vị hành chính"
        ordering = ["gso_code"]
        constraints = [valid_geometry_check("adminunit")]

    def __str__(self):
        return f"{self.name} ({self.gso_code})"
