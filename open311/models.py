"""What the Open311 adapter keeps of its own: the reports apps posted recently, counted per API key
and device and per address so that every worker sees the same rate limit (open311/throttle.py)."""
from django.db import models


class PostAttempt(models.Model):
    """Một lần gửi phản ánh qua Open311: kept for the rate-limit window only."""

    api_key = models.ForeignKey("incidents.ApiKey", on_delete=models.CASCADE, related_name="+")
    device = models.CharField("thiết bị", max_length=120, blank=True)
    ip = models.GenericIPAddressField("địa chỉ IP", null=True, blank=True)
    at = models.DateTimeField("lúc")

    class Meta:
        verbose_name = "Lần gửi Open311"
        verbose_name_plural = "Lần gửi Open311"
        indexes = [models.Index(fields=["api_key", "device", "at"], name="open311_attempt_device"),
                   models.Index(fields=["ip", "at"], name="open311_attempt_ip")]
