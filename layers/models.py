"""Shared code lists and the abstract base every code list uses.

Code lists are tables (loaded by data migrations from the CSV files beside each app's migrations),
so officers can add a code without a release and every code shows with its Vietnamese name.
"""
from django.contrib.postgres.indexes import BrinIndex
from django.db import models


class CodeListEntry(models.Model):
    code = models.CharField(max_length=32, primary_key=True)
    name_vi = models.CharField("tên", max_length=200)
    name_en = models.CharField("name", max_length=200)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["sort_order", "code"]

    def __str__(self):
        return f"{self.code} – {self.name_vi}"


class AssetStatus(CodeListEntry):
    """Trạng thái thiết bị: operating state of field assets (lights, cameras...)."""

    class Meta(CodeListEntry.Meta):
        verbose_name = "Trạng thái thiết bị"
        verbose_name_plural = "Trạng thái thiết bị"


class Organisation(CodeListEntry):
    """Đơn vị quản lý: the organisation that owns or operates an asset (utilities, departments)."""

    class Meta(CodeListEntry.Meta):
        verbose_name = "Đơn vị quản lý"
        verbose_name_plural = "Đơn vị quản lý"


class Change(models.Model):
    """Thay đổi: one insert, update or delete of one feature of a registered layer (the change log).

    Written only by the statement-level triggers of layers/changelog.py, set-based from the
    statement's transition tables. `before` keeps the feature as it was before an update or a delete
    (every column, the geometry as hex EWKB), so each earlier version can be read back; the current
    version is the row in the layer. A truncate is one entry with no feature."""

    class Op(models.TextChoices):
        INSERT = "I", "Thêm"
        UPDATE = "U", "Sửa"
        DELETE = "D", "Xóa"
        TRUNCATE = "T", "Xóa toàn bộ"

    id = models.BigAutoField(primary_key=True)
    layer_id = models.CharField("lớp", max_length=64)
    feature_id = models.BigIntegerField("mã đối tượng", null=True)
    op = models.CharField("thao tác", max_length=1, choices=Op.choices)
    # The feature's version after the change (a deletion's tombstone carries the next version).
    version = models.IntegerField("phiên bản", null=True)
    before = models.JSONField(null=True)
    at = models.DateTimeField("lúc")
    # The writing transaction (xid8 as a number): the change feed pages by (txid, id), see changelog.py.
    txid = models.BigIntegerField()
    actor = models.CharField("người sửa", max_length=150, blank=True)
    source = models.CharField("nguồn", max_length=16)  # api, import, admin, seed, revert, undo, sql ...
    record_id = models.BigIntegerField("lần nhập", null=True)  # the import record (importers.ImportRecord)

    class Meta:
        verbose_name = "Thay đổi"
        verbose_name_plural = "Nhật ký thay đổi"
        indexes = [
            models.Index(fields=["layer_id", "txid", "id"], name="change_feed"),
            models.Index(fields=["layer_id", "feature_id", "id"], name="change_history"),
            models.Index(fields=["record_id"], condition=models.Q(record_id__isnull=False), name="change_record"),
            # As-of reads ask for the changes after an instant; entries arrive in time order, so a block
            # range index is enough (and costs bulk writes next to nothing).
            BrinIndex(fields=["at"], name="change_at"),
        ]


class LayerVersion(models.Model):
    """Phiên bản dữ liệu của lớp: a counter of the committed transactions that changed the layer, and
    when the last change happened; bumped at commit (migration 0006). Tile caches key on it; reports
    print the data date from it."""

    layer_id = models.CharField(max_length=64, primary_key=True)
    version = models.BigIntegerField(default=0)
    changed_at = models.DateTimeField(null=True)
