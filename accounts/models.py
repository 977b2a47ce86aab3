from django.conf import settings
from django.db import models
from django.utils import timezone


class Profile(models.Model):
    """Hồ sơ người dùng: the organisation a user (person or machine client) acts for; a utility's
    sync client writes only assets whose owner is this organisation."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    organisation = models.ForeignKey("layers.Organisation", on_delete=models.PROTECT, null=True, blank=True,
                                     db_column="organisation", verbose_name="đơn vị")

    class Meta:
        verbose_name = "Hồ sơ người dùng"
        verbose_name_plural = "Hồ sơ người dùng"

    def __str__(self):
        return f"{self.user} ({self.organisation_id or '—'})"


class AuditEvent(models.Model):
    """Nhật ký kiểm toán: an append-only record of security-relevant events (the database refuses
    UPDATE and DELETE on this table; see migration 0003)."""

    class Kind(models.TextChoices):
        SIGN_IN = "sign_in", "Đăng nhập"
        SIGN_IN_FAILED = "sign_in_failed", "Đăng nhập thất bại"
        SIGN_OUT = "sign_out", "Đăng xuất"
        ROLES_CHANGED = "roles_changed", "Thay đổi vai trò / quyền"
        CLIENT_CREATED = "client_created", "Tạo client máy"
        INTERNAL_EXPORT = "internal_export", "Xuất lớp nội bộ"

    at = models.DateTimeField("thời điểm", auto_now_add=True, db_index=True)
    kind = models.CharField("sự kiện", max_length=32, choices=Kind.choices)
    actor = models.CharField("người thực hiện", max_length=150, blank=True)
    subject = models.CharField("đối tượng", max_length=255, blank=True)
    ip = models.GenericIPAddressField("từ địa chỉ", null=True, blank=True)
    detail = models.JSONField("chi tiết", default=dict)

    class Meta:
        verbose_name = "Sự kiện kiểm toán"
        verbose_name_plural = "Nhật ký kiểm toán"
        ordering = ["-at"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_kind_display()} {self.actor}"


class ClientAuthAttempt(models.Model):
    """Lần xác thực client tại /o/token/: one client id presented from one address. It counts from the
    moment it starts (so guesses sent in parallel to several workers cannot pass the limit), stays when
    the client failed to authenticate and is removed otherwise; accounts/throttle.py reads them."""

    client_id = models.CharField("client", max_length=255)
    ip = models.GenericIPAddressField("từ địa chỉ", null=True)
    at = models.DateTimeField("thời điểm", default=timezone.now)

    class Meta:
        verbose_name = "Lần xác thực client"
        verbose_name_plural = "Lần xác thực client"
        indexes = [models.Index(fields=["client_id", "ip", "at"]), models.Index(fields=["at"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.client_id} {self.ip}"
