"""Sensor and camera alerts: a machine posts readings (a water level, a smoke alarm, a camera's
detection); its rule (AlertRule: threshold, duration, category, priority) decides when a reading
becomes an incident, and the alert key `<rule>:<device>` keeps one incident per alert while it persists.

A reading is *over* when its value exceeds the rule's threshold (a rule without a threshold is a
detection: every reading is over). An *episode* is the run of consecutive over readings of a device
for a rule; it ends at the first reading back under the threshold. An episode becomes an incident once
it has lasted `duration_s`, unless an open incident with the same alert key exists (the reading then
joins it: a line on its timeline at most every REPEAT_EVERY of the device's time) or the episode already made
one (the IOC closed it while the alert persisted: no second incident until the alert has ended). A
detection rule has no "under": its episode ends when the device falls silent for EPISODE_GAP.

Readings of one alert key are judged one at a time: a transaction-scoped advisory lock on the key
(pg_advisory_xact_lock) serialises concurrent readings of the same device and rule.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

from django.contrib.gis.geos import Point
from django.db import connection, transaction
from django.utils import timezone
from psycopg2 import sql

from layers import writes
from layers.formats import number_vi
from layers.registry import ROLE_ADMIN, ROLE_IOC
from places.selectors import district_at
from safety.selectors import cameras_within

from .models import AlertReading, AlertRule, Channel, Incident, IncidentUpdate
from .services import Actor, incident_report, location_checked
from .workflows import WorkflowRefused

ROLE_SENSOR = "sensor"  # machine clients of sensor and camera systems (create_machine_client --role sensor)
ALERT_ROLES = frozenset({ROLE_SENSOR, ROLE_IOC, ROLE_ADMIN})
REPEAT_EVERY = dt.timedelta(minutes=10)  # a persisting alert adds to its incident's timeline at most this often
MIN_SPACING = dt.timedelta(seconds=1)  # readings of one device at least this far apart (else 429)
MAX_AGE = dt.timedelta(hours=1)  # a reading older than this is no alert any more
MAX_AHEAD = dt.timedelta(seconds=60)  # clock skew tolerated for readings "from the future"
EPISODE_GAP = dt.timedelta(minutes=15)  # a device silent this long: its next over reading starts a new alert
EPISODE_HORIZON = dt.timedelta(days=1)  # how far back an alert's start is looked for
CAMERA_RADIUS_M = 2000  # a camera named in an alert must stand within this distance of the location
DEVICE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,79}")

CREATED, PERSISTING, BELOW, WAITING = "created", "persisting", "below threshold", "waiting for duration"


class AlertRefused(WorkflowRefused):
    """A reading refused before anything is written: HTTP status and a message (vi / en)."""

    def __init__(self, status: int, message: str, *, retry_after: int | None = None):
        super().__init__(status, message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class AlertOutcome:
    """What a reading did: `state` (created, persisting, below threshold, waiting for duration), the
    incident it made or joined, and how long the alert has lasted (seconds)."""

    state: str
    reading_id: int
    incident: Incident | None = None
    lasted_s: float = 0.0


def _rule(code) -> AlertRule:
    rule = AlertRule.objects.filter(code=str(code)).select_related("category").first() if isinstance(code, str) else None
    if rule is None:
        raise AlertRefused(400, f"Không có quy tắc cảnh báo {str(code)[:40]!r}. / Unknown alert rule.")
    return rule


def _device(device) -> str:
    if not isinstance(device, str) or not DEVICE_PATTERN.fullmatch(device):
        raise AlertRefused(400, "Mã thiết bị không hợp lệ (chữ, số và . _ : / -, tối đa 80 ký tự). / Invalid "
                                "device id (letters, digits and . _ : / -, at most 80 characters).")
    return device


def _value(rule: AlertRule, value) -> float | None:
    if value is None and rule.threshold is None:
        return None  # a detection needs no value
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise AlertRefused(400, "Giá trị đo phải là số. / The value must be a number.")
    try:
        number = float(value)
    except ValueError:
        raise AlertRefused(400, "Giá trị đo phải là số. / The value must be a number.") from None
    if not math.isfinite(number):
        raise AlertRefused(400, "Giá trị đo phải là số hữu hạn. / The value must be a finite number.")
    return number


def _at(at, now: dt.datetime) -> dt.datetime:
    if at in (None, ""):
        return now
    try:
        when = dt.datetime.fromisoformat(str(at).replace("Z", "+00:00"))
    except ValueError:
        raise AlertRefused(400, "Thời điểm đo không đúng định dạng ISO 8601. / The time is not ISO 8601.") from None
    if timezone.is_naive(when):
        when = timezone.make_aware(when)  # the site's time zone (Asia/Ho_Chi_Minh)
    if when > now + MAX_AHEAD:
        raise AlertRefused(400, "Thời điểm đo ở tương lai (kiểm tra đồng hồ thiết bị). / The time is in the future "
                                "(check the device's clock).")
    if when < now - MAX_AGE:
        raise AlertRefused(400, "Tín hiệu quá cũ (hơn 1 giờ). / The reading is more than an hour old.")
    return when


def _camera(code, lon: float, lat: float) -> str:
    if code in (None, ""):
        return ""
    near = cameras_within(lon=lon, lat=lat, radius_m=CAMERA_RADIUS_M) if isinstance(code, str) else []
    if not any(c["camera_code"] == code for c in near):
        raise AlertRefused(400, "Không có camera này gần vị trí cảnh báo. / No camera with this code near the "
                                "alert's location.")
    return code


def alert_key(rule: AlertRule, device: str) -> str:
    return f"{rule.code}:{device}"[:120]


def _lock(key: str) -> None:
    """Hold the alert key until the transaction ends (a concurrent reading of the same key waits)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", ["incidents.alert:" + key])


def _over(rule: AlertRule, value: float | None) -> bool:
    return rule.threshold is None or (value is not None and value > rule.threshold)


def _episode_start(rule: AlertRule, device: str, at: dt.datetime) -> dt.datetime:
    """When the current run of over readings (ending with the reading at `at`) began: after the last
    reading under the threshold, or at the first reading after a silence longer than EPISODE_GAP.
    Looked for within the last EPISODE_HORIZON (one indexed range of the device's readings)."""
    statement = sql.SQL(
        "SELECT at, over FROM (SELECT at, (%(threshold)s::float8 IS NULL OR value > %(threshold)s) AS over, "
        "lag(at) OVER (ORDER BY at, id) AS previous FROM {} "
        "WHERE rule_id = %(rule)s AND device = %(device)s AND at BETWEEN %(since)s AND %(at)s) AS readings "
        "WHERE over IS NOT TRUE OR previous IS NULL OR at - previous > %(gap)s ORDER BY at DESC LIMIT 1"
    ).format(sql.Identifier(AlertReading._meta.db_table))
    params = {"threshold": rule.threshold, "rule": rule.pk, "device": device, "at": at,
              "since": at - EPISODE_HORIZON, "gap": EPISODE_GAP}
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        row = cursor.fetchone()
    if row is None:
        return at
    if row[1]:  # the first reading after a silence (or the horizon): the episode starts with it
        return row[0]
    return (AlertReading.objects.filter(rule=rule, device=device, at__gt=row[0], at__lte=at)
            .order_by("at").values_list("at", flat=True).first() or at)


def _description(rule: AlertRule, device: str, value: float | None, camera: str, lasted_s: float) -> str:
    source = f"camera {camera}" if camera else f"thiết bị {device}"
    if rule.threshold is None:
        text = f"{rule.name_vi}: {source} báo phát hiện"
        return text + (f" (giá trị {number_vi(value, digits=2)})." if value is not None else ".")
    text = (f"{rule.name_vi}: {source} đo {number_vi(value, digits=2)}, vượt ngưỡng {number_vi(rule.threshold, digits=2)}")
    if lasted_s >= 60:
        text += f" liên tục {number_vi(lasted_s / 60, digits=0)} phút"
    return text + "."


def _repeat(incident: Incident, *, actor: Actor, rule: AlertRule, value: float | None, at: dt.datetime) -> None:
    """A line on the timeline of the incident a persisting alert joined, at most every REPEAT_EVERY."""
    last = (IncidentUpdate.objects.filter(incident=incident, kind__in=("report", "alert_repeat"))
            .order_by("-at").values_list("at", flat=True).first())
    if last is not None and at - last < REPEAT_EVERY:
        return
    shown = f" ({number_vi(value, digits=2)})" if value is not None else ""
    IncidentUpdate.objects.create(incident=incident, at=at, actor=actor.name[:150], kind="alert_repeat",
                                  note=f"Cảnh báo vẫn tiếp diễn{shown}.", public=False)


@transaction.atomic
def alert_receive(*, rule, device, value, lon, lat, client: str, at=None, camera_code=None) -> AlertOutcome:
    """Judge one reading of a machine (`client`, the OAuth2 client's name) at lon/lat (EPSG:4326
    degrees): store it, and make or join the incident of its alert when its rule says so.
    AlertRefused (nothing written) for bad input or a device posting faster than MIN_SPACING."""
    now = timezone.now()
    rule = _rule(rule)
    device = _device(device)
    value = _value(rule, value)
    lon, lat = location_checked(lon, lat)
    if district_at(lon, lat) is None:
        raise AlertRefused(400, "Vị trí nằm ngoài tỉnh Bình Phước. / The location is outside Bình Phước province.")
    at = _at(at, now)
    camera = _camera(camera_code, lon, lat)
    key = alert_key(rule, device)
    _lock(key)
    last = AlertReading.objects.filter(device=device).order_by("-at").values_list("at", flat=True).first()
    if last is not None and at < last + MIN_SPACING:
        if at < last - MIN_SPACING:
            raise AlertRefused(409, "Tín hiệu cũ hơn tín hiệu trước của thiết bị. / The reading is older than the "
                                    "device's previous one.")
        raise AlertRefused(429, "Thiết bị gửi quá nhanh: tối đa 1 tín hiệu mỗi giây. / Too many readings: at most "
                                "one per second per device.", retry_after=1)
    reading = AlertReading.objects.create(rule=rule, device=device, value=value, at=at,
                                          geom=Point(lon, lat, srid=4326))
    if not _over(rule, value):
        return AlertOutcome(BELOW, reading.pk)
    actor = Actor.machine(client)
    joined = Incident.objects.open().filter(alert_key=key).order_by("-reported_at").first()
    if joined is not None:
        _repeat(joined, actor=actor, rule=rule, value=value, at=at)
        return AlertOutcome(PERSISTING, reading.pk, joined)
    started = _episode_start(rule, device, at)
    lasted = (at - started).total_seconds()
    if lasted < rule.duration_s:
        return AlertOutcome(WAITING, reading.pk, lasted_s=lasted)
    earlier = Incident.objects.filter(alert_key=key, reported_at__gte=started).order_by("-reported_at").first()
    if earlier is not None:  # closed while the alert went on: no second incident for the same alert
        return AlertOutcome(PERSISTING, reading.pk, earlier, lasted)
    channel = Channel.CAMERA if camera or rule.kind.startswith("camera") else Channel.SENSOR
    incident = incident_report(category=rule.category_id, lon=lon, lat=lat, channel=channel, actor=actor,
                               priority=rule.priority, alert_key=key, reported_at=at, source=writes.ALERT,
                               description=_description(rule, device, value, camera, lasted),
                               reporter={"device_id": device})
    return AlertOutcome(CREATED, reading.pk, incident, lasted)
