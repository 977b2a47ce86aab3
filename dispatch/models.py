import datetime as dt

from django.contrib.gis.db import models
from django.contrib.postgres.indexes import GistIndex
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.dateparse import parse_datetime

from layers.geometry import STORAGE_SRID, valid_geometry_check
from layers.models import CodeListEntry


def reported_time(value) -> None:
    """A position's time as vehicles send it: ISO 8601 with its UTC offset ("2026-12-03T09:15:00+07:00")."""
    if isinstance(value, dt.datetime):
        moment = value
    else:
        try:
            moment = parse_datetime(str(value).strip())
        except ValueError:
            moment = None
    if moment is None or moment.tzinfo is None:
        raise ValidationError("không phải thời điểm ISO 8601 có múi giờ, ví dụ 2026-12-03T09:15:00+07:00 / not an "
                              "ISO 8601 time with its UTC offset")


class UnitKind(CodeListEntry):
    """Loại lực lượng: fire, police, ambulance, rescue."""

    class Meta(CodeListEntry.Meta):
        verbose_name = "Loại lực lượng"
        verbose_name_plural = "Loại lực lượng"


class UnitStatus(CodeListEntry):
    """Trạng thái lực lượng: available, dispatched, on scene, out of service."""

    class Meta(CodeListEntry.Meta):
        verbose_name = "Trạng thái lực lượng"
        verbose_name_plural = "Trạng thái lực lượng"


class Station(models.Model):
    """Trụ sở / trạm: where response units are based (a fire station, a police post, a hospital's
    ambulance bay). Not a layer of its own: units name it by code; its point (EPSG:4326) is where a
    unit goes back to when it reports no live position."""

    layer_exempt = "stations are read through their units (layer response_units)"

    code = models.CharField("mã trụ sở", max_length=32, unique=True)
    name = models.CharField("tên trụ sở", max_length=200)
    district = models.ForeignKey("places.AdminUnit", on_delete=models.PROTECT, to_field="gso_code",
                                 db_column="district_code", verbose_name="huyện")
    geom = models.PointField(srid=STORAGE_SRID)

    class Meta:
        verbose_name = "Trụ sở lực lượng"
        verbose_name_plural = "Trụ sở lực lượng"
        constraints = [valid_geometry_check("station")]

    def __str__(self):
        return self.name


class ResponseUnit(models.Model):
    """Lực lượng ứng cứu: one fire engine, police patrol, ambulance or rescue team. `geom` (EPSG:4326)
    is where it is now: its station's point, or the vehicle's live position when it reported one
    (`position_at`, null while at the station)."""

    unit_code = models.CharField("mã đơn vị", max_length=32, unique=True)
    name = models.CharField("tên đơn vị", max_length=200)
    kind = models.ForeignKey(UnitKind, on_delete=models.PROTECT, db_column="kind", verbose_name="loại lực lượng")
    # The department that commands the unit (fire, public_security, health ...), as in the roles officer:<dept>.
    agency = models.CharField("cơ quan quản lý", max_length=32)
    district = models.ForeignKey("places.AdminUnit", on_delete=models.PROTECT, to_field="gso_code",
                                 db_column="district_code", verbose_name="huyện")
    status = models.ForeignKey(UnitStatus, on_delete=models.PROTECT, db_column="status", verbose_name="trạng thái")
    station = models.ForeignKey(Station, on_delete=models.PROTECT, to_field="code", db_column="station_code",
                                verbose_name="trụ sở")
    position_at = models.DateTimeField("thời điểm báo vị trí", null=True, blank=True, validators=[reported_time])
    geom = models.PointField(srid=STORAGE_SRID)

    class Meta:
        verbose_name = "Lực lượng ứng cứu"
        verbose_name_plural = "Lực lượng ứng cứu"
        constraints = [valid_geometry_check("responseunit")]
        indexes = [models.Index(fields=["kind", "status"], name="responseunit_kind_status")]

    def __str__(self):
        return f"{self.unit_code} – {self.name}"


class RoadGraph(models.Model):
    """Đồ thị đường: the one routing graph (dispatch_roadedge) and the roads layer version it was built
    from; rebuilt when the roads layer's version moves on (dispatch.routing.ensure_graph)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    roads_version = models.BigIntegerField(null=True)  # null: built from uncommitted roads, rebuild next time
    built_at = models.DateTimeField()
    edges = models.PositiveIntegerField()
    nodes = models.PositiveIntegerField()


class RoadEdge(models.Model):
    """Cạnh đồ thị: a piece of road between two junctions (the roads layer noded at every crossing).
    `cost_s` is the travel time in seconds at the road class's speed; `length_m` in metres (geography);
    `component` the connected piece of network it belongs to (0: the largest)."""

    layer_exempt = "derived from the roads layer by dispatch.routing; rebuilt, never edited"

    id = models.BigAutoField(primary_key=True)
    source = models.BigIntegerField()
    target = models.BigIntegerField()
    road_id = models.BigIntegerField()
    road_class = models.CharField(max_length=32)
    length_m = models.FloatField()
    cost_s = models.FloatField()
    component = models.IntegerField(default=0)
    geom = models.LineStringField(srid=STORAGE_SRID, spatial_index=False)

    class Meta:
        # Points are snapped to the main network only: its own index (the nearest edges of a town
        # not yet connected would otherwise be read and skipped first).
        indexes = [GistIndex(fields=["geom"], condition=Q(component=0), name="roadedge_main_geom")]
