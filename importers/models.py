from django.conf import settings
from django.contrib.gis.db import models


class ImportRecord(models.Model):
    """Lần nhập dữ liệu: who loaded which file into which layer, and what came of it."""

    class Status(models.TextChoices):
        RUNNING = "running", "Đang chạy"
        DONE = "done", "Hoàn tất"
        DRY_RUN = "dry_run", "Chạy thử (không ghi)"
        REJECTED = "rejected", "Bị từ chối (không ghi gì)"
        FAILED = "failed", "Lỗi (không ghi gì)"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                             verbose_name="người nhập")
    layer_id = models.CharField("lớp", max_length=64)
    file_name = models.CharField("tệp", max_length=255)
    sha256 = models.CharField(max_length=64)
    size_bytes = models.BigIntegerField("kích thước (byte)")
    file_format = models.CharField("định dạng", max_length=16)
    source_crs = models.CharField("hệ tọa độ nguồn", max_length=200, blank=True)
    encoding = models.CharField("bảng mã", max_length=16, blank=True)
    mode = models.CharField("cách ghi", max_length=16)
    options = models.JSONField("tùy chọn", default=dict)
    status = models.CharField("trạng thái", max_length=16, choices=Status.choices, default=Status.RUNNING)
    total = models.PositiveIntegerField("số dòng đọc", default=0)
    accepted = models.PositiveIntegerField("số dòng nhận", default=0)
    rejected = models.PositiveIntegerField("số dòng loại", default=0)
    message = models.TextField("ghi chú", blank=True)
    rejects_file = models.CharField("tệp dòng bị loại", max_length=500, blank=True)
    started_at = models.DateTimeField("bắt đầu", auto_now_add=True)
    finished_at = models.DateTimeField("kết thúc", null=True, blank=True)
    duration_s = models.FloatField("thời gian (giây)", null=True, blank=True)
    # The web job (its upload under var/imports/uploads/<token>/ and its state file) that ran this import.
    job_token = models.CharField("mã công việc", max_length=64, blank=True, db_index=True)

    class Meta:
        verbose_name = "Lần nhập dữ liệu"
        verbose_name_plural = "Nhật ký nhập dữ liệu"
        ordering = ["-started_at"]
        # Every look at the import log first looks for running imports whose process died.
        indexes = [models.Index(fields=["status"], condition=models.Q(status="running"), name="importrecord_running")]

    def __str__(self):
        return f"{self.file_name} → {self.layer_id} ({self.get_status_display()})"


class RasterCoverage(models.Model):
    """Lớp raster: a GeoTIFF stored as Cloud-Optimised GeoTIFF, served as an OGC API coverage."""

    # Not a feature layer: its footprint is catalogue metadata; the raster itself is the coverage.
    layer_exempt = "raster catalogue"

    class Kind(models.TextChoices):
        DEM = "dem", "Mô hình số độ cao (DEM)"
        LAND_COVER = "land_cover", "Lớp phủ mặt đất"
        FLOOD_DEPTH = "flood_depth", "Độ sâu ngập"
        OTHER = "other", "Khác"

    coverage_id = models.SlugField("mã", max_length=64, unique=True)
    title = models.CharField("tên", max_length=200)
    kind = models.CharField("loại", max_length=16, choices=Kind.choices, default=Kind.OTHER)
    path = models.CharField("tệp COG", max_length=500)
    crs = models.CharField("hệ tọa độ", max_length=200)
    width = models.PositiveIntegerField("số cột")
    height = models.PositiveIntegerField("số dòng")
    band_count = models.PositiveSmallIntegerField("số kênh")
    dtype = models.CharField("kiểu dữ liệu", max_length=16)
    resolution_x = models.FloatField("độ phân giải x (đơn vị CRS)")
    resolution_y = models.FloatField("độ phân giải y (đơn vị CRS)")
    nodata = models.FloatField(null=True, blank=True)
    extent = models.PolygonField("phạm vi", srid=4326)
    sha256 = models.CharField(max_length=64)
    imported = models.ForeignKey(ImportRecord, on_delete=models.PROTECT, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "Lớp raster"
        verbose_name_plural = "Danh mục raster"
        ordering = ["coverage_id"]

    def __str__(self):
        return self.title
