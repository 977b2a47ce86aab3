from django.contrib.gis.db import models

from layers.geometry import STORAGE_SRID, valid_geometry_check
from layers.models import CodeListEntry


class ClinicType(CodeListEntry):
    """Loại cơ sở y tế."""

    class Meta(CodeListEntry.Meta):
        verbose_name = "Loại cơ sở y tế"
        verbose_name_plural = "Loại cơ sở y tế"


class Clinic(models.Model):
    """Cơ sở y tế: hospital, district health centre, polyclinic or commune health station."""

    name = models.CharField("tên cơ sở", max_length=200)
    clinic_type = models.ForeignKey(ClinicType, on_delete=models.PROTECT, db_column="clinic_type")
    beds = models.PositiveIntegerField("số giường bệnh")
    district = models.ForeignKey("places.AdminUnit", on_delete=models.PROTECT, to_field="gso_code",
                                 db_column="district_code", verbose_name="huyện")
    address = models.CharField("địa chỉ", max_length=255, blank=True)
    geom = models.PointField(srid=STORAGE_SRID)

    class Meta:
        verbose_name = "Cơ sở y tế"
        verbose_name_plural = "Cơ sở y tế"
        constraints = [valid_geometry_check("clinic")]

    def __str__(self):
        return self.name
