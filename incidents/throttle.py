"""Anonymous reports are rate-limited per client address (issue 11, part 10).

The platform runs several worker processes, so a per-process cache cannot count: the count is the
citizen's own web reports in the database (IncidentReporter.address_ip, written with every web
report), read under a transaction-level advisory lock per address, so reports sent in parallel from
one address (to several workers) are counted one after the other: the lock is held until the report
that passed the check commits.

settings.GEO_REPORT_RATE_LIMITS: ((reports, seconds), ...), default 5 per 10 minutes and 20 per day.
"""
from __future__ import annotations

import datetime as dt
import math

from django.conf import settings
from django.db import connection
from django.utils import timezone

from .models import Channel, IncidentReporter, IncidentSupport

DEFAULT_LIMITS = ((5, 10 * 60), (20, 24 * 3600))
_LOCK_NAMESPACE = 1101  # first key of pg_advisory_xact_lock(int, int): "anonymous reports by address"
_SUPPORT_NAMESPACE = 1102  # "me too" by address
DEFAULT_SUPPORT_LIMIT = (20, 3600)


def limits() -> tuple[tuple[int, int], ...]:
    return tuple((int(count), int(seconds)) for count, seconds in
                 getattr(settings, "GEO_REPORT_RATE_LIMITS", DEFAULT_LIMITS))


def report_retry_after(address: str | None, *, now: dt.datetime | None = None) -> int | None:
    """Seconds until `address` may report again over the web, or None when it may now.

    Call it inside transaction.atomic() and write the report in the same transaction: the advisory lock
    taken here holds other reports from the same address until that transaction ends."""
    if not address:
        return None
    rules = limits()
    if not rules:
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [_LOCK_NAMESPACE, address])
    now = now or timezone.now()
    longest = max(seconds for _, seconds in rules)
    # Newest first, only as many as the largest limit needs.
    times = list(IncidentReporter.objects
                 .filter(address_ip=address, incident__channel=Channel.WEB,
                         incident__reported_at__gt=now - dt.timedelta(seconds=longest))
                 .order_by("-incident__reported_at")
                 .values_list("incident__reported_at", flat=True)[:max(count for count, _ in rules)])
    waits = []
    for count, seconds in rules:
        recent = [t for t in times if t > now - dt.timedelta(seconds=seconds)]
        if len(recent) >= count:
            # A place frees up when the count-th newest report leaves the window.
            frees_at = recent[count - 1] + dt.timedelta(seconds=seconds)
            waits.append(max(1, math.ceil((frees_at - now).total_seconds())))
    return max(waits) if waits else None


def wait_text(seconds: int) -> tuple[str, str]:
    """How long to wait, in words (vi, en)."""
    if seconds < 90:
        return f"{seconds} giây", f"{seconds} seconds"
    if seconds < 2 * 3600:
        minutes = math.ceil(seconds / 60)
        return f"{minutes} phút", f"{minutes} minutes"
    hours = math.ceil(seconds / 3600)
    return f"{hours} giờ", f"{hours} hours"


def support_retry_after(address: str | None, *, now: dt.datetime | None = None) -> int | None:
    """Seconds until `address` may support another report, or None when it may now (at most
    settings.GEO_SUPPORT_RATE_LIMIT = (supports, seconds), default 20 an hour). Inside the transaction
    that records the support, as report_retry_after."""
    if not address:
        return None
    count, seconds = getattr(settings, "GEO_SUPPORT_RATE_LIMIT", DEFAULT_SUPPORT_LIMIT)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [_SUPPORT_NAMESPACE, address])
    now = now or timezone.now()
    times = list(IncidentSupport.objects.filter(address_ip=address, at__gt=now - dt.timedelta(seconds=seconds))
                 .order_by("-at").values_list("at", flat=True)[:count])
    if len(times) < count:
        return None
    return max(1, math.ceil((times[count - 1] + dt.timedelta(seconds=seconds) - now).total_seconds()))
