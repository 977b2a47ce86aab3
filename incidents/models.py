"""Sự cố và phản ánh hiện trường: what citizens, operators, apps and sensors report to the
Intelligent Operations Centre (IOC), and how each report is worked (incidents/workflows.py).

The incident itself is a registered, internal layer (`incidents`, layers.py): it is written only
through the one write service (services.py calls layers.writes), so the change log records every
change and drives the live push. What must never leave the IOC roles (the reporter's name and phone)
and what is not a feature (the timeline, photos, tasks, dispatches, API keys) live beside it.
"""
from django.conf import settings
from django.contrib.gis.db import models
from django.core.validators import MinValueValidator

from layers.geometry import STORAGE_SRID, valid_geometry_check
from layers.models import CodeListEntry

from .querysets import IncidentQuerySet


class Process(models.TextChoices):
    TIMED = "timed", "Quy trình có thời hạn"
    IMMEDIATE = "immediate", "Quy trình khẩn cấp"
    COMMAND = "command", "Hỗ trợ chỉ huy"


class Priority(models.TextChoices):
    URGENT = "urgent", "Khẩn cấp"
    HIGH = "high", "Cao"
    NORMAL = "normal", "Bình thường"
    LOW = "low", "Thấp"


class Channel(models.TextChoices):
    WEB = "web", "Cổng thông tin (web)"
    APP = "app", "Ứng dụng (Open311)"
    HOTLINE = "hotline", "Đường dây nóng"
    CAMERA = "camera", "Cảnh báo camera"
    SENSOR = "sensor", "Cảnh báo cảm biến"


class Status(models.TextChoices):
    RECEIVED = "received", "Mới tiếp nhận"
    VERIFIED = "verified", "Đã xác minh"
    FORWARDED = "forwarded", "Đã chuyển cơ quan xử lý"
    HANDLED = "handled", "Đã xử lý, chờ IOC duyệt"
    REVIEWED = "reviewed", "Đã duyệt kết quả"
    PUBLISHED = "published", "Đã công khai kết quả"
    REJECTED = "rejected", "Từ chối (không hợp lệ)"
    MERGED = "merged", "Trùng, đã gộp"
    DISPATCHED = "dispatched", "Đã điều lực lượng"
    ON_SCENE = "on_scene", "Lực lượng tại hiện trường"
    RESOLVED = "resolved", "Đã xử lý xong"
    COMMAND = "command", "Đang chỉ huy ứng phó"
    CLOSED = "closed", "Đã kết thúc"


class Agency(CodeListEntry):
    """Cơ quan xử lý: the department an incident is forwarded to (its officers have the role
    officer:<code>)."""

    class Meta(CodeListEntry.Meta):
        verbose_name = "Cơ quan xử lý"
        verbose_name_plural = "Cơ quan xử lý"


class IncidentCategory(CodeListEntry):
    """Loại sự cố: its process, the agency that handles it, and for the immediate process the
    scenario: agencies alerted at once and units dispatched ("fire:2|ambulance:1")."""

    process = models.CharField("quy trình", max_length=16, choices=Process.choices)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, db_column="agency", verbose_name="cơ quan xử lý")
    color = models.CharField("màu", max_length=7, default="#3366cc")
    alert_agencies = models.CharField("cơ quan được báo ngay", max_length=200, blank=True)
    dispatch_units = models.CharField("lực lượng điều động ngay", max_length=200, blank=True)
    citizen = models.BooleanField("công dân được báo", default=True)

    class Meta(CodeListEntry.Meta):
        verbose_name = "Loại sự cố"
        verbose_name_plural = "Loại sự cố"


class ServiceLevel(models.Model):
    """Thời hạn xử lý: how long a category's incidents of a priority may stay open."""

    category = models.ForeignKey(IncidentCategory, on_delete=models.CASCADE, db_column="category",
                                 verbose_name="loại sự cố")
    priority = models.CharField("mức ưu tiên", max_length=8, choices=Priority.choices)
    hours = models.FloatField("số giờ", validators=[MinValueValidator(0.05)])

    class Meta:
        verbose_name = "Thời hạn xử lý"
        verbose_name_plural = "Thời hạn xử lý"
        constraints = [models.UniqueConstraint(fields=["category", "priority"], name="service_level_once")]

    def __str__(self):
        return f"{self.category_id}/{self.priority}: {self.hours} h"


class Incident(models.Model):
    """Sự cố / phản ánh: one report, alert or emergency, located by a point (EPSG:4326)."""

    tracking_code = models.CharField("mã tra cứu", max_length=16, unique=True)
    category = models.ForeignKey(IncidentCategory, on_delete=models.PROTECT, db_column="category",
                                 verbose_name="loại sự cố")
    description = models.TextField("mô tả", max_length=2000)
    address = models.CharField("địa chỉ", max_length=255, blank=True)
    district = models.ForeignKey("places.AdminUnit", on_delete=models.PROTECT, to_field="gso_code", null=True,
                                 blank=True, db_column="district_code", verbose_name="huyện")
    channel = models.CharField("kênh", max_length=8, choices=Channel.choices)
    priority = models.CharField("mức ưu tiên", max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField("trạng thái", max_length=12, choices=Status.choices, default=Status.RECEIVED)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, blank=True, db_column="agency",
                               verbose_name="cơ quan xử lý")
    reported_at = models.DateTimeField("thời điểm tiếp nhận")
    due_at = models.DateTimeField("hạn xử lý", null=True, blank=True)
    closed_at = models.DateTimeField("thời điểm kết thúc", null=True, blank=True)
    result = models.TextField("kết quả xử lý", max_length=4000, blank=True)
    result_published_at = models.DateTimeField("công khai lúc", null=True, blank=True)
    merged_into = models.BigIntegerField("gộp vào sự cố", null=True, blank=True)
    supporters = models.PositiveIntegerField("số người cùng phản ánh", default=0)
    # When a command-support task last changed: the board and the agencies' lists follow it live.
    tasks_updated_at = models.DateTimeField("nhiệm vụ cập nhật lúc", null=True, blank=True)
    # The sensor rule and device of an alert while it persists (no second incident for the same alert).
    alert_key = models.CharField("mã cảnh báo", max_length=120, blank=True)
    geom = models.PointField(srid=STORAGE_SRID)

    objects = IncidentQuerySet.as_manager()

    class Meta:
        verbose_name = "Sự cố"
        verbose_name_plural = "Sự cố"
        constraints = [valid_geometry_check("incident")]
        indexes = [models.Index(fields=["status", "category"], name="incident_status"),
                   models.Index(fields=["alert_key"], condition=~models.Q(alert_key=""), name="incident_alert"),
                   models.Index(fields=["reported_at"], name="incident_reported")]

    def __str__(self):
        return self.tracking_code


class IncidentArea(models.Model):
    """Vùng ảnh hưởng: the affected area of an emergency under command support (EPSG:4326)."""

    layer_exempt = "part of its incident (the IOC's pages and the board read it), not a layer of its own"

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="area")
    geom = models.MultiPolygonField(srid=STORAGE_SRID)

    class Meta:
        verbose_name = "Vùng ảnh hưởng"
        verbose_name_plural = "Vùng ảnh hưởng"
        constraints = [valid_geometry_check("incidentarea")]


class IncidentReporter(models.Model):
    """Người phản ánh: personal data, seen by IOC roles only (never part of the layer)."""

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="reporter")
    name = models.CharField("họ tên", max_length=120, blank=True)
    phone = models.CharField("điện thoại", max_length=32, blank=True)
    email = models.CharField("thư điện tử", max_length=254, blank=True)
    device_id = models.CharField("thiết bị", max_length=120, blank=True)
    address_ip = models.GenericIPAddressField("địa chỉ IP", null=True, blank=True)

    class Meta:
        verbose_name = "Người phản ánh"
        verbose_name_plural = "Người phản ánh"
        # The anonymous reports' rate limit counts by address (incidents/throttle.py).
        indexes = [models.Index(fields=["address_ip"], name="incident_reporter_ip")]


class IncidentSupport(models.Model):
    """Người dân cùng phản ánh: one citizen's "me too" on an open report, counted once per address (and
    rate-limited per address, incidents/throttle.py)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="supports")
    address_ip = models.GenericIPAddressField("địa chỉ IP")
    at = models.DateTimeField("lúc")

    class Meta:
        verbose_name = "Người dân cùng phản ánh"
        verbose_name_plural = "Người dân cùng phản ánh"
        constraints = [models.UniqueConstraint(fields=["incident", "address_ip"], name="incident_support_once")]
        indexes = [models.Index(fields=["address_ip", "at"], name="incident_support_ip")]


class IncidentUpdate(models.Model):
    """Diễn biến: one step of an incident's timeline (who, when, what, note). `public` updates are
    shown to the reporter and through Open311."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates")
    at = models.DateTimeField("lúc")
    actor = models.CharField("người thực hiện", max_length=150, blank=True)
    kind = models.CharField("việc", max_length=24)
    status_from = models.CharField("từ trạng thái", max_length=12, blank=True)
    status_to = models.CharField("sang trạng thái", max_length=12, blank=True)
    note = models.TextField("ghi chú", max_length=4000, blank=True)
    public = models.BooleanField("công khai", default=False)

    class Meta:
        verbose_name = "Diễn biến"
        verbose_name_plural = "Diễn biến"
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["incident", "at"], name="incident_update_at")]


class IncidentPhoto(models.Model):
    """Ảnh hiện trường: re-encoded without metadata (incidents/photos.py), stored under MEDIA of var/;
    served to the public only once the IOC publishes it."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="photos")
    path = models.CharField(max_length=255)
    thumb_path = models.CharField(max_length=255)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    public = models.BooleanField("công khai", default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "Ảnh hiện trường"
        verbose_name_plural = "Ảnh hiện trường"
        ordering = ["id"]


class IncidentTask(models.Model):
    """Nhiệm vụ: an agency's task in an emergency under command support."""

    class State(models.TextChoices):
        TODO = "todo", "Chưa thực hiện"
        DOING = "doing", "Đang thực hiện"
        DONE = "done", "Hoàn thành"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="tasks")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, db_column="agency", verbose_name="cơ quan")
    title = models.CharField("nhiệm vụ", max_length=200)
    state = models.CharField("tình trạng", max_length=8, choices=State.choices, default=State.TODO)
    updated_at = models.DateTimeField("cập nhật lúc")
    updated_by = models.CharField(max_length=150, blank=True)

    class Meta:
        verbose_name = "Nhiệm vụ"
        verbose_name_plural = "Nhiệm vụ"
        ordering = ["agency", "id"]


class UnitDispatch(models.Model):
    """Điều động: a response unit (layer response_units) sent to an incident, with its travel time."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="dispatches")
    unit_id = models.BigIntegerField("lực lượng")
    unit_code = models.CharField(max_length=32)
    kind = models.CharField(max_length=16)
    travel_s = models.FloatField("thời gian di chuyển (giây)", null=True)
    dispatched_at = models.DateTimeField("điều động lúc")
    arrived_at = models.DateTimeField("đến nơi lúc", null=True, blank=True)

    class Meta:
        verbose_name = "Điều động"
        verbose_name_plural = "Điều động"
        ordering = ["dispatched_at", "id"]


class ApiKey(models.Model):
    """Khóa API Open311: an app that may post requests (and is rate-limited per device)."""

    name = models.CharField("ứng dụng", max_length=120)
    key_hash = models.CharField(max_length=64, unique=True)  # sha256 of the key; the key is shown once
    prefix = models.CharField(max_length=8)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)

    class Meta:
        verbose_name = "Khóa API Open311"
        verbose_name_plural = "Khóa API Open311"

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"


class AlertRule(models.Model):
    """Quy tắc cảnh báo: how a machine's alert becomes an incident (threshold, duration, category)."""

    code = models.CharField("mã quy tắc", max_length=32, unique=True)
    name_vi = models.CharField("tên", max_length=200)
    name_en = models.CharField("name", max_length=200)
    kind = models.CharField("loại tín hiệu", max_length=32)  # water_level, smoke, camera_detection ...
    threshold = models.FloatField("ngưỡng", null=True, blank=True)
    duration_s = models.PositiveIntegerField("kéo dài tối thiểu (giây)", default=0)
    category = models.ForeignKey(IncidentCategory, on_delete=models.PROTECT, db_column="category")
    priority = models.CharField("mức ưu tiên", max_length=8, choices=Priority.choices, default=Priority.HIGH)

    class Meta:
        verbose_name = "Quy tắc cảnh báo"
        verbose_name_plural = "Quy tắc cảnh báo"

    def __str__(self):
        return self.code


class AlertReading(models.Model):
    """Tín hiệu: one reading a machine posted (kept to judge duration and persistence)."""

    layer_exempt = "machine readings behind an alert; what the IOC sees of them is the incident they raise"

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE)
    device = models.CharField(max_length=120)
    value = models.FloatField(null=True)
    at = models.DateTimeField()
    geom = models.PointField(srid=STORAGE_SRID)

    class Meta:
        indexes = [models.Index(fields=["rule", "device", "at"], name="alert_reading_at")]
