"""Shared code lists and the abstract base every code list uses.

Code lists are tables (loaded by data migrations from the CSV files beside each app's migrations),
so officers can add a code without a release and every code shows with its Vietnamese name.
"""
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
