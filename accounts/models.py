from django.conf import settings
from django.db import models


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
