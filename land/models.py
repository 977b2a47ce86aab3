from django.contrib.gis.db import models
from django.contrib.gis.db.models import GeometryField
from django.db.models import FloatField, Func
from django.db.models.functions import Cast

from layers.geometry import STORAGE_SRID, valid_geometry_check
from layers.models import CodeListEntry


class LandUseCode(CodeListEntry):
    """Mã loại đất (Thông tư 27/2018/TT-BTNMT, revised 2024)."""

    group = models.CharField("nhóm đất", max_length=3)  # NNP agricultural, PNN non-agricultural, CSD unused
    color = models.CharField(max_length=7)

    class Meta(CodeListEntry.Meta):
        verbose_name = "Loại đất"
        verbose_name_plural = "Loại đất"


def geodesic_area_m2(field: str = "geom") -> Func:
    """Area in m² on the WGS84 spheroid of an EPSG:4326 geometry column (ST_Area on geography)."""
    return Func(Cast(field, GeometryField(geography=True, srid=4326)), function="ST_Area",
                output_field=FloatField())


class Parcel(models.Model):
    """Thửa đất: a cadastral parcel, identified by commune code + map-sheet number + parcel number."""

    commune = models.ForeignKey(
        "places.AdminUnit", on_delete=models.PROTECT, to_field="gso_code", db_column="commune_code",
        verbose_name="xã",
    )
    map_sheet_no = models.PositiveIntegerField("số tờ bản đồ")
    parcel_no = models.PositiveIntegerField("số thửa")
    land_use = models.ForeignKey(LandUseCode, on_delete=models.PROTECT, db_column="land_use_code",
                                 verbose_name="loại đất")
    address = models.CharField("địa chỉ", max_length=255, blank=True)
    area_m2 = models.GeneratedField(expression=geodesic_area_m2(), output_field=FloatField(),
                                    db_persist=True, verbose_name="diện tích (m²)")
    geom = models.MultiPolygonField(srid=STORAGE_SRID)

    class Meta:
        verbose_name = "Thửa đất"
        verbose_name_plural = "Thửa đất"
        constraints = [
            models.UniqueConstraint(fields=["commune", "map_sheet_no", "parcel_no"], name="parcel_identity"),
            valid_geometry_check("parcel"),
        ]

    def __str__(self):
        return f"{self.commune_id}/{self.map_sheet_no}/{self.parcel_no}"
