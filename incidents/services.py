"""Writes of the IOC: a report comes in, an incident moves through its workflow, a citizen supports
an open report, photos are added, tasks are updated. The incident feature is written only through
the one write service (layers.writes), so each change is logged with its actor and source and
reaches the live push; the timeline (IncidentUpdate) is written in the same transaction.
"""
from __future__ import annotations

import datetime as dt
import secrets
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from layers import registry, writes
from layers.editing import EditRefused, Editor
from layers.geometry import PROVINCE_BBOX
from places.selectors import district_at

from . import selectors, workflows
from .layers import INCIDENTS
from .models import (Agency, Channel, Incident, IncidentArea, IncidentCategory, IncidentPhoto, IncidentReporter,
                     IncidentSupport, IncidentTask, IncidentUpdate, Priority, ServiceLevel, Status, UnitDispatch)
from .workflows import WorkflowRefused

MAX_DESCRIPTION = 2000
MAX_NOTE = 4000
TRACKING_ALPHABET = "ACDEFGHJKLMNPQRTUVWXY34679"  # no 0/O, 1/I, 2/Z, 5/S, 8/B: read out over a phone


@dataclass(frozen=True)
class Actor:
    """Who acts: a signed-in user or token (roles, name), a citizen, or a machine."""

    name: str
    roles: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def of(cls, user) -> "Actor":
        """A user acting: a bearer token without the `write` scope acts with no role (it may read only)."""
        name = user.get_username() if getattr(user, "is_authenticated", False) else ""
        scopes = getattr(user, "scopes", None)
        if scopes is not None and "write" not in scopes:
            return cls(name)
        return cls(name, frozenset(registry.roles_of(user)))

    @classmethod
    def citizen(cls, channel: str) -> "Actor":
        return cls(f"công dân ({channel})")

    @classmethod
    def machine(cls, name: str) -> "Actor":
        return cls(name)


def _editor(actor: Actor) -> Editor:
    # The workflow has checked the actor's right to this step; the write service logs the actor's name.
    return Editor.system(actor.name or "IOC")


def _now() -> dt.datetime:
    return timezone.now()


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def due_at(category: IncidentCategory, priority: str, reported_at: dt.datetime) -> dt.datetime | None:
    """When an incident of this category and priority must be closed (its service level)."""
    hours = ServiceLevel.objects.filter(category=category, priority=priority).values_list("hours", flat=True).first()
    return reported_at + dt.timedelta(hours=hours) if hours is not None else None


def _tracking_code(now: dt.datetime) -> str:
    return f"PA-{now:%y%m}-" + "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(5))


def _plain_text(text: str, limit: int, what_vi: str, what_en: str, *, required: bool) -> str:
    """Plain text as typed: control characters (but line breaks) refused, length bounded. It is never
    interpreted as markup anywhere (templates escape it, JSON carries it as a string)."""
    if not isinstance(text, str):
        raise WorkflowRefused(400, f"{what_vi} phải là văn bản. / {what_en} must be text.")
    text = text.replace("\r\n", "\n").strip()
    if required and not text:
        raise WorkflowRefused(400, f"Hãy nhập {what_vi.lower()}. / Please enter the {what_en.lower()}.")
    if len(text) > limit:
        raise WorkflowRefused(400, f"{what_vi} dài quá {limit} ký tự. / {what_en} is longer than {limit} characters.")
    if any(ord(c) < 32 and c not in "\n\t" for c in text):
        raise WorkflowRefused(400, f"{what_vi} chứa ký tự điều khiển. / {what_en} contains control characters.")
    return text


def location_checked(lon, lat) -> tuple[float, float]:
    """A point inside the province (EPSG:4326 degrees), or WorkflowRefused."""
    try:
        lon, lat = float(lon), float(lat)
    except (TypeError, ValueError):
        raise WorkflowRefused(400, "Vị trí không hợp lệ. / Invalid location.") from None
    west, south, east, north = PROVINCE_BBOX
    if not (west <= lon <= east and south <= lat <= north):
        raise WorkflowRefused(400, "Vị trí nằm ngoài tỉnh Bình Phước. / The location is outside Bình Phước province.")
    return lon, lat


def _category(code: str) -> IncidentCategory:
    category = IncidentCategory.objects.filter(code=str(code)).select_related("agency").first()
    if category is None:
        raise WorkflowRefused(400, f"Không có loại sự cố {str(code)[:40]!r}. / Unknown category.")
    return category


def _timeline(incident_id: int, *, actor: Actor, kind: str, status_from: str = "", status_to: str = "",
              note: str = "", public: bool = False, at: dt.datetime | None = None) -> None:
    IncidentUpdate.objects.create(incident_id=incident_id, at=at or _now(), actor=actor.name[:150], kind=kind,
                                  status_from=status_from, status_to=status_to, note=note, public=public)


def _refused(error: EditRefused) -> WorkflowRefused:
    return WorkflowRefused(error.status, str(error))


def incident_report(*, category: str, lon, lat, description: str, channel: str, actor: Actor,
                    priority: str | None = None, address: str = "", reporter: dict | None = None,
                    photos: list[bytes] = (), alert_key: str = "", area=None,
                    reported_at: dt.datetime | None = None, source: str = writes.REPORT) -> Incident:
    """A new incident (status received) at a point inside the province (EPSG:4326 degrees): its
    district, due time and tracking code computed; the reporter's personal data kept apart; photos
    checked and stored. `area`, for command support, is a GEOS MultiPolygon in EPSG:4326."""
    from .photos import MAX_PHOTOS, photo_checked

    category = _category(category)
    lon, lat = location_checked(lon, lat)
    if channel not in Channel.values:
        raise WorkflowRefused(400, "Kênh tiếp nhận không hợp lệ. / Invalid channel.")
    priority = priority or (Priority.URGENT if category.process == workflows.IMMEDIATE else Priority.NORMAL)
    if priority not in Priority.values:
        raise WorkflowRefused(400, "Mức ưu tiên không hợp lệ. / Invalid priority.")
    description = _plain_text(description, MAX_DESCRIPTION, "Mô tả", "Description", required=True)
    address = _plain_text(address or "", 255, "Địa chỉ", "Address", required=False)
    if len(photos) > MAX_PHOTOS:
        raise WorkflowRefused(400, f"Tối đa {MAX_PHOTOS} ảnh. / At most {MAX_PHOTOS} photos.")
    checked = [photo_checked(data, max_bytes=settings.GEO_PHOTO_MAX_BYTES, max_pixels=settings.GEO_PHOTO_MAX_PIXELS)
               for data in photos]  # every photo is checked before anything is written
    reporter = {k: _plain_text(str(v or ""), IncidentReporter._meta.get_field(k).max_length,
                               "Thông tin người phản ánh", "Reporter", required=False)
                for k, v in (reporter or {}).items() if k in ("name", "phone", "email", "device_id")} | (
        {"address_ip": reporter["address_ip"]} if reporter and reporter.get("address_ip") else {})
    now = reported_at or _now()
    properties = {"category": category.code, "description": description, "address": address,
                  "district_code": district_at(lon, lat), "channel": channel, "priority": priority,
                  "status": Status.RECEIVED, "agency": category.agency_id, "reported_at": _iso(now),
                  "due_at": _iso(due_at(category, priority, now)), "supporters": 0, "alert_key": alert_key[:120]}
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": properties}
    with transaction.atomic():
        for attempt in range(5):
            properties["tracking_code"] = _tracking_code(now)
            try:
                with transaction.atomic():
                    written = writes.feature_create(spec=INCIDENTS, editor=_editor(actor), feature=feature,
                                                    source=source)
                break
            except EditRefused as error:
                if error.status != 409 or attempt == 4:  # 409: the tracking code was taken; draw another
                    raise _refused(error)
        incident = Incident.objects.get(pk=written.feature_id)
        if any(reporter.values()):
            IncidentReporter.objects.create(incident=incident, **reporter)
        if area is not None:
            IncidentArea.objects.create(incident=incident, geom=area)
        _timeline(incident.pk, actor=actor, kind="report", status_to=Status.RECEIVED, public=True, at=now,
                  note="Đã tiếp nhận phản ánh.")
        for photo in checked:
            _photo_store(incident, photo, public=False)
    return incident


def _write(incident: Incident, properties: dict, *, actor: Actor, expected_version: int | None = None,
           source: str = writes.WORKFLOW) -> None:
    try:
        writes.feature_replace(spec=INCIDENTS, editor=_editor(actor), feature_id=incident.pk,
                               feature={"type": "Feature", "properties": properties}, partial=True,
                               expected=[expected_version] if expected_version is not None else None, source=source)
    except EditRefused as error:
        raise _refused(error)


def _locked(incident_id) -> Incident:
    try:
        return Incident.objects.select_for_update().select_related("category").get(pk=int(incident_id))
    except (Incident.DoesNotExist, TypeError, ValueError):
        raise WorkflowRefused(404, "Không tìm thấy sự cố. / Incident not found.") from None


def incident_act(*, incident_id, action: str, actor: Actor, note: str = "", agency: str | None = None,
                 result: str | None = None, primary_id=None, units: list[int] | None = None,
                 expected_version: int | None = None) -> Incident:
    """Take one workflow step (workflows.STEPS) on an incident, if `actor` may and the incident is at a
    status the step starts from (and still at `expected_version`, when given)."""
    step = workflows.step_for(action)
    note = _plain_text(note or "", MAX_NOTE, "Ghi chú", "Note", required=step.needs == "note")
    with transaction.atomic():
        incident = _locked(incident_id)
        workflows.check_step(step, process=incident.category.process, status=incident.status, roles=actor.roles,
                             agency=incident.agency_id)
        now = _now()
        properties: dict = {"status": step.target}
        if step.needs == "agency":
            chosen = agency or incident.agency_id
            if not Agency.objects.filter(code=str(chosen)).exists():
                raise WorkflowRefused(400, "Hãy chọn cơ quan xử lý. / Choose an agency.")
            properties["agency"] = chosen
        if step.needs == "result":
            properties["result"] = _plain_text(result or "", MAX_NOTE, "Kết quả xử lý", "Result", required=True)
        if step.needs == "primary":
            primary = _merge_target(incident, primary_id)
            properties["merged_into"] = primary.pk
        if step.action == "publish":
            properties["result_published_at"] = _iso(now)
        if step.action == "command":
            properties["tasks_updated_at"] = _iso(now)
        if workflows.is_closing(incident.category.process, step.target) and incident.closed_at is None:
            properties["closed_at"] = _iso(now)
        _write(incident, properties, actor=actor, expected_version=expected_version)
        _timeline(incident.pk, actor=actor, kind=action, status_from=incident.status, status_to=step.target,
                  note=properties.get("result") or note, public=step.public)
        if step.needs == "primary":
            _write(primary, {"supporters": primary.supporters + 1 + incident.supporters}, actor=actor)
            _timeline(primary.pk, actor=actor, kind="merged_in", note=f"Gộp phản ánh {incident.tracking_code}.",
                      public=True)
        if step.action == "publish":
            IncidentPhoto.objects.filter(incident=incident).update(public=True)
        if step.action == "command":
            _tasks_open(incident, actor=actor, now=now)
        if step.action == "dispatch":
            _dispatch(incident, actor=actor, units=units, now=now)
        if step.action == "arrive":
            UnitDispatch.objects.filter(incident=incident, arrived_at__isnull=True).update(arrived_at=now)
    incident.refresh_from_db()
    return incident


def _merge_target(incident: Incident, primary_id) -> Incident:
    try:
        primary = Incident.objects.select_for_update().get(pk=int(primary_id))
    except (Incident.DoesNotExist, TypeError, ValueError):
        raise WorkflowRefused(400, "Hãy chọn phản ánh chính để gộp vào. / Choose the report to merge into.") from None
    if primary.pk == incident.pk or primary.merged_into is not None or primary.closed_at is not None:
        raise WorkflowRefused(409, "Chỉ gộp vào một phản ánh khác còn đang xử lý. / Merge only into another open "
                                   "report.")
    if primary.category_id != incident.category_id:
        raise WorkflowRefused(409, "Chỉ gộp các phản ánh cùng loại. / Merge only reports of the same category.")
    return primary


def incident_support(*, incident_id, actor: Actor, address_ip: str | None = None) -> Incident:
    """A citizen says "me too" to an open report instead of filing a duplicate: once per address."""
    with transaction.atomic():
        incident = _locked(incident_id)
        if incident.closed_at is not None or incident.merged_into is not None:
            raise WorkflowRefused(409, "Phản ánh này đã kết thúc. / This report is closed.")
        if address_ip:
            _, created = IncidentSupport.objects.get_or_create(incident=incident, address_ip=address_ip,
                                                               defaults={"at": _now()})
            if not created:
                raise WorkflowRefused(409, "Bạn đã ủng hộ phản ánh này. / You already support this report.")
        _write(incident, {"supporters": incident.supporters + 1}, actor=actor, source=writes.REPORT)
        _timeline(incident.pk, actor=actor, kind="support", note="Thêm một người dân cùng phản ánh.", public=True)
    incident.refresh_from_db()
    return incident


def incident_note(*, incident_id, actor: Actor, note: str, public: bool = False) -> None:
    """A note on the timeline (no status change); IOC roles and the incident's agency only."""
    note = _plain_text(note, MAX_NOTE, "Ghi chú", "Note", required=True)
    with transaction.atomic():
        incident = _locked(incident_id)
        ioc = workflows.may_act(workflows.STEPS["verify"], actor.roles, None)
        if not ioc and not (workflows.may_act(workflows.STEPS["handle"], actor.roles, incident.agency_id)
                            and selectors.may_read(incident, actor.roles)):
            raise WorkflowRefused(403, "Bạn không có quyền ghi chú sự cố này. / You may not annotate this incident.")
        # What the public reads is the IOC's to say: an agency's notes stay internal.
        _timeline(incident.pk, actor=actor, kind="note", note=note, public=public and ioc)


def incident_priority_set(*, incident_id, priority: str, actor: Actor) -> Incident:
    """Change the priority; the due time follows the service level (from the time it was reported)."""
    if priority not in Priority.values:
        raise WorkflowRefused(400, "Mức ưu tiên không hợp lệ. / Invalid priority.")
    with transaction.atomic():
        incident = _locked(incident_id)
        if not workflows.may_act(workflows.STEPS["verify"], actor.roles, None):
            raise WorkflowRefused(403, "Bạn không có quyền đổi mức ưu tiên. / You may not change the priority.")
        _write(incident, {"priority": priority,
                          "due_at": _iso(due_at(incident.category, priority, incident.reported_at))}, actor=actor)
        _timeline(incident.pk, actor=actor, kind="priority", note=f"{incident.priority} → {priority}")
    incident.refresh_from_db()
    return incident


# -- photos ---------------------------------------------------------------------------------------------

def _photo_store(incident: Incident, photo, *, public: bool) -> IncidentPhoto:
    folder = Path(settings.GEO_MEDIA_DIR) / "incidents" / str(incident.pk)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    name = uuid.uuid4().hex
    paths = []
    for suffix, data in (("", photo.jpeg), ("-thumb", photo.thumb)):
        path = folder / f"{name}{suffix}.jpg"
        with open(path, "xb") as f:
            f.write(data)
        path.chmod(0o600)
        paths.append(str(path.relative_to(settings.GEO_MEDIA_DIR)))
    return IncidentPhoto.objects.create(incident=incident, path=paths[0], thumb_path=paths[1], width=photo.width,
                                        height=photo.height, sha256=photo.sha256, public=public)


def photo_add(*, incident_id, data: bytes, actor: Actor) -> IncidentPhoto:
    """Another photo for an incident (IOC or the incident's agency), checked like a report's."""
    from .photos import MAX_PHOTOS, photo_checked

    checked = photo_checked(data, max_bytes=settings.GEO_PHOTO_MAX_BYTES, max_pixels=settings.GEO_PHOTO_MAX_PIXELS)
    with transaction.atomic():
        incident = _locked(incident_id)
        if not workflows.may_act(workflows.STEPS["handle"], actor.roles, incident.agency_id):
            raise WorkflowRefused(403, "Bạn không có quyền thêm ảnh. / You may not add photos.")
        if incident.photos.count() >= MAX_PHOTOS * 3:
            raise WorkflowRefused(400, "Sự cố đã có đủ ảnh. / This incident has enough photos.")
        return _photo_store(incident, checked, public=incident.status == Status.PUBLISHED)


# -- command support and dispatch ------------------------------------------------------------------------

def _agencies(codes: str) -> list[str]:
    return [c for c in codes.split("|") if c]


def _tasks_open(incident: Incident, *, actor: Actor, now: dt.datetime) -> None:
    for code in _agencies(incident.category.alert_agencies) or [incident.agency_id]:
        IncidentTask.objects.get_or_create(incident=incident, agency_id=code, defaults={
            "title": f"Ứng phó: {incident.category.name_vi}", "updated_at": now, "updated_by": actor.name})


def task_set(*, task_id, state: str, actor: Actor, title: str | None = None) -> IncidentTask:
    """An agency (or the IOC) updates its task in an emergency under command support."""
    if state not in IncidentTask.State.values:
        raise WorkflowRefused(400, "Tình trạng nhiệm vụ không hợp lệ. / Invalid task state.")
    with transaction.atomic():
        try:
            task = IncidentTask.objects.select_for_update().select_related("incident").get(pk=int(task_id))
        except (IncidentTask.DoesNotExist, TypeError, ValueError):
            raise WorkflowRefused(404, "Không tìm thấy nhiệm vụ. / Task not found.") from None
        if not workflows.may_act(workflows.STEPS["handle"], actor.roles, task.agency_id):
            raise WorkflowRefused(403, "Nhiệm vụ của cơ quan khác. / This task belongs to another agency.")
        task.state, task.updated_at, task.updated_by = state, _now(), actor.name[:150]
        if title:
            task.title = _plain_text(title, 200, "Nhiệm vụ", "Task", required=True)
        task.save()
        # A new version of the incident: the board and the agencies' lists hear of it live.
        _write(task.incident, {"tasks_updated_at": _iso(task.updated_at)}, actor=actor)
        _timeline(task.incident_id, actor=actor, kind="task", note=f"{task.agency_id}: {task.title} → {state}")
    return task


def _scenario_units(category: IncidentCategory) -> dict[str, int]:
    wanted = {}
    for part in _agencies(category.dispatch_units):
        kind, _, count = part.partition(":")
        if not (count or "1").isdigit():
            raise WorkflowRefused(409, f"Kịch bản của loại {category.code} sai ({part!r}); hãy sửa trong trang quản trị. / "
                                       f"The scenario of {category.code} is invalid ({part!r}); fix it in the admin.")
        wanted[kind] = int(count or 1)
    return wanted


def _dispatch(incident: Incident, *, actor: Actor, units: list[int] | None, now: dt.datetime) -> None:
    """The category's scenario: alert its agencies and send the nearest available units by road (or
    the units the operator chose). Units change status through the write service (layer
    response_units)."""
    from dispatch.selectors import nearest_units  # the dispatch domain's reads

    for code in _agencies(incident.category.alert_agencies):
        _timeline(incident.pk, actor=actor, kind="alert", note=f"Báo động: {code}")
    chosen = []
    if units:
        candidates = nearest_units(lon=incident.geom.x, lat=incident.geom.y, limit=20, only_available=True)
        by_id = {u["id"]: u for u in candidates}
        missing = [u for u in units if int(u) not in by_id]
        if missing:
            raise WorkflowRefused(409, "Lực lượng đã chọn không còn sẵn sàng. / A chosen unit is no longer available.")
        chosen = [by_id[int(u)] for u in units]
    else:
        for kind, count in _scenario_units(incident.category).items():
            chosen += nearest_units(lon=incident.geom.x, lat=incident.geom.y, kinds=[kind], limit=count,
                                    only_available=True)
    spec = registry.get("response_units")
    for unit in chosen:
        try:
            writes.feature_replace(spec=spec, editor=_editor(actor), feature_id=unit["id"], partial=True,
                                   feature={"type": "Feature", "properties": {"status": "dispatched"}},
                                   source=writes.WORKFLOW)
        except EditRefused as error:
            raise _refused(error)
        UnitDispatch.objects.create(incident=incident, unit_id=unit["id"], unit_code=unit["unit_code"],
                                    kind=unit["kind"], travel_s=unit.get("travel_s"), dispatched_at=now)
        _timeline(incident.pk, actor=actor, kind="unit",
                  note=f"Điều {unit['name']} ({unit['unit_code']}), dự kiến {round((unit.get('travel_s') or 0) / 60)} phút")
