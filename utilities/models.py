from django.contrib.gis.db import models
from django.core.validators import MinValueValidator

from layers.geometry import STORAGE_SRID, valid_geometry_check
from layers.models import AssetStatus, Organisation


class UtilityAsset(models.Model):
    """Fields every water and power asset shares: its code and the organisation that owns it."""

    asset_code = models.CharField("mã tài sản", max_length=32, unique=True)
    owner = models.ForeignKey(Organisation, on_delete=models.PROTECT, db_column="owner",
                              verbose_name="đơn vị quản lý")
    status = models.ForeignKey(AssetStatus, on_delete=models.PROTECT, db_column="status")

    class Meta:
        abstract = True

    def __str__(self):
        return self.asset_code


class WaterPipe(UtilityAsset):
    """Đường ống cấp nước."""

    diameter_mm = models.PositiveIntegerField("đường kính (mm)")
    material = models.CharField("vật liệu", max_length=32)
    geom = models.MultiLineStringField(srid=STORAGE_SRID)

    class Meta:
        verbose_name = "Đường ống cấp nước"
        verbose_name_plural = "Đường ống cấp nước"
        constraints = [valid_geometry_check("waterpipe")]


class WaterValve(UtilityAsset):
    """Van nước."""

    class State(models.TextChoices):
        OPEN = "open", "Mở"
        CLOSED = "closed", "Đóng"

    state = models.CharField("trạng thái van", max_length=6, choices=State.choices)
    diameter_mm = models.PositiveIntegerField("đường kính (mm)")
    geom = models.PointField(srid=STORAGE_SRID)

    class Meta:
        verbose_name = "Van nước"
        verbose_name_plural = "Van nước"
        constraints = [
            valid_geometry_check("watervalve"),
            models.CheckConstraint(condition=models.Q(state__in=["open", "closed"]), name="watervalve_state"),
        ]


class Hydrant(UtilityAsset):
    """Trụ cứu hỏa."""

    pressure_bar = models.FloatField("áp lực (bar)", validators=[MinValueValidator(0)])
    geom = models.PointField(srid=STORAGE_SRID)

    class Meta:
        verbose_name = "Trụ cứu hỏa"
        verbose_name_plural = "Trụ cứu hỏa"
        constraints = [valid_geometry_check("hydrant")]


class PowerLine(UtilityAsset):
    """Đường dây điện."""

    voltage_kv = models.FloatField("điện áp (kV)", validators=[MinValueValidator(0)])
    geom = models.MultiLineStringField(srid=STORAGE_SRID)

    class Meta:
        verbose_name = "Đường dây điện"
        verbose_name_plural = "Đường dây điện"
        constraints = [valid_geometry_check("powerline")]


class PowerPole(UtilityAsset):
    """Cột điện."""

    voltage_kv = models.FloatField("điện áp (kV)", validators=[MinValueValidator(0)])
    geom = models.PointField(srid=STORAGE_SRID)

    class Meta:
        verbose_name = "Cột điện"
        verbose_name_plural = "Cột điện"
        constraints = [valid_geometry_check("powerpole")]


class Substation(UtilityAsset):
    """Trạm biến áp."""

    name = models.CharField("tên trạm", max_length=100)
    voltage_kv = models.CharField("cấp điện áp (kV)", max_length=16)
    capacity_kva = models.PositiveIntegerField("công suất (kVA)")
    geom = models.PointField(srid=STORAGE_SRID)

    class Meta:
        verbose_name = "Trạm biến áp"
        verbose_name_plural = "Trạm biến áp"
        constraints = [valid_geometry_check("substation")]
