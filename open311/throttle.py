"""The rate limit of reports posted through Open311: so many per API key and device
(GEO_OPEN311_RATE_PER_DEVICE, default 5 in 10 minutes) and so many per client address
(GEO_OPEN311_RATE_PER_IP, default 20 in an hour), each as (count, seconds).

The count lives in the database (PostAttempt) so every worker sees it; the caller holds a
transaction while it admits and creates the report, and two posts of the same device or address
wait for each other (a transaction-scoped advisory lock) so none slips past the count.
"""
from __future__ import annotations

import math
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from .models import PostAttempt

DEFAULT_PER_DEVICE = (5, 600)
DEFAULT_PER_IP = (20, 3600)


def limits() -> tuple[tuple[int, int], tuple[int, int]]:
    return (tuple(getattr(settings, "GEO_OPEN311_RATE_PER_DEVICE", DEFAULT_PER_DEVICE)),
            tuple(getattr(settings, "GEO_OPEN311_RATE_PER_IP", DEFAULT_PER_IP)))


def _lock(*names: str) -> None:
    with connection.cursor() as cursor:
        for name in sorted(set(names)):  # always in the same order: no deadlock between two posts
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [name])


def _wait(rows, limit: int, window: timedelta, now) -> int:
    """Seconds until one of the `limit` latest attempts leaves the window, or 0 while under the limit."""
    latest = list(rows.order_by("-at").values_list("at", flat=True)[:limit])
    if len(latest) < limit:
        return 0
    return max(math.ceil((latest[-1] + window - now).total_seconds()), 1)


def report_admitted(*, api_key, device_id: str, ip: str | None) -> int:
    """Count a report of `api_key` from `device_id` at `ip`: 0 when admitted (and recorded), else the
    seconds to wait. Call inside transaction.atomic(): a report that then fails rolls its count back."""
    (device_count, device_s), (ip_count, ip_s) = limits()
    device = (device_id or "")[:120]
    now = timezone.now()
    _lock(f"open311:device:{api_key.pk}:{device}", f"open311:ip:{ip}")
    PostAttempt.objects.filter(at__lt=now - timedelta(seconds=max(device_s, ip_s))).delete()
    wait = 0
    if device:  # without a device id only the address counts
        wait = _wait(PostAttempt.objects.filter(api_key=api_key, device=device, at__gte=now - timedelta(seconds=device_s)),
                     device_count, timedelta(seconds=device_s), now)
    if ip:
        wait = max(wait, _wait(PostAttempt.objects.filter(ip=ip, at__gte=now - timedelta(seconds=ip_s)), ip_count,
                               timedelta(seconds=ip_s), now))
    if not wait:
        PostAttempt.objects.create(api_key=api_key, device=device, ip=ip, at=now)
    return wait
