"""Reads of incidents, each for one audience: the citizen (public projection by tracking code), the
IOC (everything but the reporter unless asked), an agency (what was forwarded to it), leaders
(the board). Locations are EPSG:4326 degrees; distances metres on the spheroid."""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from layers.formats import datetime_vi
from layers.registry import ROLE_ADMIN, ROLE_IOC, ROLE_MANAGER

from . import workflows
from .models import Channel, Incident, IncidentCategory, IncidentPhoto, IncidentTask, IncidentUpdate, Status

IOC_ROLES = {ROLE_ADMIN, ROLE_IOC}
BOARD_ROLES = IOC_ROLES | {ROLE_MANAGER}


def may_see_reporter(roles) -> bool:
    """The reporter's name and phone never leave the IOC roles."""
    return bool(IOC_ROLES & set(roles))


def categories(*, language: str = "vi", citizen_only: bool = False) -> list[dict]:
    rows = IncidentCategory.objects.select_related("agency").order_by("sort_order", "code")
    if citizen_only:
        rows = rows.filter(citizen=True)
    return [{"code": c.code, "name": c.name_en if language == "en" else c.name_vi, "process": c.process,
             "color": c.color, "agency": c.agency_id} for c in rows]


def _followed(incident: Incident) -> Incident:
    """A merged report follows its primary (up to a few links, never in a loop)."""
    seen = {incident.pk}
    while incident.merged_into is not None and len(seen) < 10:
        primary = Incident.objects.select_related("category").filter(pk=incident.merged_into).first()
        if primary is None or primary.pk in seen:
            break
        seen.add(primary.pk)
        incident = primary
    return incident


def public_status(incident: Incident, *, language: str = "vi") -> dict:
    """What the reporter and the public may see of an incident: no personal data, no internal notes,
    the result only once published, photos only once published."""
    followed = _followed(incident)
    published = followed.status == Status.PUBLISHED
    category = followed.category
    updates = IncidentUpdate.objects.filter(incident_id__in={incident.pk, followed.pk}, public=True).order_by("at", "id")
    return {
        "tracking_code": incident.tracking_code,
        "category": category.code,
        "category_name": category.name_en if language == "en" else category.name_vi,
        "status": followed.status,
        "status_name": workflows.status_label(followed.status, language),
        "open": followed.closed_at is None,
        "merged_into": followed.tracking_code if followed.pk != incident.pk else None,
        "reported_at": incident.reported_at.isoformat(),
        "reported_at_text": datetime_vi(incident.reported_at),
        "result": followed.result if published else "",
        "result_published_at": followed.result_published_at.isoformat() if published and followed.result_published_at
        else None,
        "supporters": followed.supporters,
        "lon": incident.geom.x, "lat": incident.geom.y,
        "timeline": [{"at": u.at.isoformat(), "at_text": datetime_vi(u.at), "kind": u.kind,
                      "status": u.status_to, "status_name": workflows.status_label(u.status_to, language)
                      if u.status_to else "", "note": u.note if u.kind in ("report", "support", "merged_in",
                                                                            "publish") else ""}
                     for u in updates],
        "photos": [p.pk for p in IncidentPhoto.objects.filter(incident_id__in={incident.pk, followed.pk}, public=True)],
    }


def incident_by_code(tracking_code: str) -> Incident | None:
    code = str(tracking_code).strip().upper()[:16]
    return Incident.objects.select_related("category").filter(tracking_code=code).first()


# What the public may see at all (a citizen's duplicates, Open311): reports citizens may file, from
# citizens: not machine alerts (camera codes, device ids), not hotline calls typed by an operator.
PUBLIC_CHANNELS = (Channel.WEB, Channel.APP)


def public_incidents():
    """Incidents the public may see: of citizen categories, reported by citizens (a rejected one's
    text is not shown: see public_description)."""
    return Incident.objects.filter(category__citizen=True, channel__in=PUBLIC_CHANNELS)


def public_description(incident: Incident) -> str:
    """A report's text as the public may read it: none once rejected (abuse or personal data are
    common reasons to reject)."""
    return "" if incident.status == Status.REJECTED else incident.description


def nearby_open(*, category: str, lon: float, lat: float, radius_m: float | None = None,
                exclude: int | None = None, limit: int = 5, language: str = "vi", public: bool = False) -> list[dict]:
    """Open reports of the same category within `radius_m` metres (default GEO_DUPLICATE_RADIUS_M) of
    a point (EPSG:4326 degrees), nearest first: what an operator may merge, and (`public`: only
    public_incidents) what a citizen may support instead of filing again. Public fields only."""
    from django.contrib.gis.db.models.functions import Distance
    from django.contrib.gis.geos import Point

    radius = radius_m if radius_m is not None else settings.GEO_DUPLICATE_RADIUS_M
    rows = ((public_incidents() if public else Incident.objects).open().filter(category_id=category)
            .within_m(lon, lat, radius)
            .annotate(distance=Distance("geom", Point(lon, lat, srid=4326))).order_by("distance")
            .select_related("category"))
    if exclude is not None:
        rows = rows.exclude(pk=exclude)
    return [{"id": i.pk, "tracking_code": i.tracking_code, "description": i.description[:200],
             "status": i.status, "status_name": workflows.status_label(i.status, language),
             "reported_at_text": datetime_vi(i.reported_at), "distance_m": round(i.distance.m),
             "supporters": i.supporters, "lon": i.geom.x, "lat": i.geom.y} for i in rows[:limit]]


def incident_detail(incident_id: int, *, roles, language: str = "vi") -> dict | None:
    """An incident as the IOC or its agency sees it: every field, the timeline, photos, tasks,
    dispatches, the steps the caller may take; the reporter only for IOC roles. None when the caller
    may not see it (an agency officer sees only incidents forwarded to its agency)."""
    roles = frozenset(roles)
    incident = (Incident.objects.select_related("category", "agency", "district").with_overdue(timezone.now())
                .filter(pk=incident_id).first())
    if incident is None or not may_read(incident, roles):
        return None
    reporter = getattr(incident, "reporter", None) if may_see_reporter(roles) else None
    return {
        "id": incident.pk, "tracking_code": incident.tracking_code, "category": incident.category_id,
        "category_name": incident.category.name_en if language == "en" else incident.category.name_vi,
        "process": incident.category.process, "description": incident.description, "address": incident.address,
        "district": incident.district.name if incident.district else "", "channel": incident.channel,
        "priority": incident.priority, "status": incident.status,
        "status_name": workflows.status_label(incident.status, language), "agency": incident.agency_id,
        "agency_name": (incident.agency.name_en if language == "en" else incident.agency.name_vi)
        if incident.agency else "",
        "reported_at": incident.reported_at.isoformat(), "reported_at_text": datetime_vi(incident.reported_at),
        "due_at": incident.due_at.isoformat() if incident.due_at else None,
        "due_at_text": datetime_vi(incident.due_at) if incident.due_at else "",
        "closed_at": incident.closed_at.isoformat() if incident.closed_at else None,
        "overdue": incident.is_overdue, "result": incident.result, "merged_into": incident.merged_into,
        "supporters": incident.supporters, "lon": incident.geom.x, "lat": incident.geom.y,
        "area": incident.area.geom.geojson if hasattr(incident, "area") else None,
        "reporter": {"name": reporter.name, "phone": reporter.phone, "email": reporter.email} if reporter else None,
        "timeline": [{"at": u.at.isoformat(), "at_text": datetime_vi(u.at), "actor": u.actor, "kind": u.kind,
                      "status_from": u.status_from, "status_to": u.status_to, "note": u.note, "public": u.public}
                     for u in incident.updates.all()],
        "photos": [{"id": p.pk, "width": p.width, "height": p.height, "public": p.public} for p in incident.photos.all()],
        "tasks": [{"id": t.pk, "agency": t.agency_id, "title": t.title, "state": t.state,
                   "updated_at_text": datetime_vi(t.updated_at)} for t in incident.tasks.all()],
        "dispatches": [{"unit_id": d.unit_id, "unit_code": d.unit_code, "kind": d.kind, "travel_s": d.travel_s,
                        "dispatched_at_text": datetime_vi(d.dispatched_at),
                        "arrived_at_text": datetime_vi(d.arrived_at) if d.arrived_at else ""}
                       for d in incident.dispatches.all()],
        "actions": [{"action": s.action, "label": s.label_en if language == "en" else s.label_vi, "needs": s.needs}
                    for s in workflows.actions_open(process=incident.category.process, status=incident.status,
                                                    roles=roles, agency=incident.agency_id)],
    }


def agencies_of(roles) -> set[str]:
    """The agencies whose officer the caller is (role officer:<agency>)."""
    return {r.split(":", 1)[1] for r in roles if r.startswith("officer:")}


def may_read(incident: Incident, roles) -> bool:
    roles = set(roles)
    return bool(BOARD_ROLES & roles) or (incident.agency_id in agencies_of(roles) and incident.status not in (
        Status.RECEIVED, Status.VERIFIED, Status.REJECTED, Status.MERGED)) or incident.tasks.filter(
        agency_id__in=agencies_of(roles)).exists()


def agency_incidents(*, roles, include_closed: bool = False, language: str = "vi") -> list[dict]:
    """Incidents forwarded to the caller's agencies (or carrying a task of theirs), newest first."""
    agencies = agencies_of(roles)
    now = timezone.now()
    rows = (Incident.objects.filter(Q(agency_id__in=agencies, status__in=(
        Status.FORWARDED, Status.HANDLED, Status.REVIEWED, Status.PUBLISHED, Status.DISPATCHED, Status.ON_SCENE,
        Status.RESOLVED, Status.COMMAND, Status.CLOSED)) | Q(tasks__agency_id__in=agencies))
            .distinct().select_related("category").with_overdue(now).order_by("-reported_at"))
    if not include_closed:
        rows = rows.filter(closed_at__isnull=True)
    return [{"id": i.pk, "tracking_code": i.tracking_code,
             "category_name": i.category.name_en if language == "en" else i.category.name_vi,
             "status": i.status, "status_name": workflows.status_label(i.status, language),
             "priority": i.priority, "overdue": i.is_overdue, "due_at_text": datetime_vi(i.due_at) if i.due_at else "",
             "reported_at_text": datetime_vi(i.reported_at), "description": i.description[:200]}
            for i in rows[:500]]


def photo_for(photo_id: int, *, roles, thumb: bool = False) -> str | None:
    """The stored file (relative to GEO_MEDIA_DIR) of a photo the caller may see: published photos to
    anyone, the others to those who may read the incident."""
    photo = IncidentPhoto.objects.select_related("incident").filter(pk=photo_id).first()
    if photo is None or not (photo.public or may_read(photo.incident, roles)):
        return None
    return photo.thumb_path if thumb else photo.path


def board(incident_id: int, *, roles, language: str = "vi") -> dict | None:
    """The leaders' situation board of an emergency: area, tasks per agency with status, units on the way."""
    if not BOARD_ROLES & set(roles):
        return None
    detail = incident_detail(incident_id, roles=roles, language=language)
    if detail is None:
        return None
    tasks = IncidentTask.objects.filter(incident_id=incident_id).values("state").annotate(n=Count("id"))
    detail["task_counts"] = {row["state"]: row["n"] for row in tasks}
    return detail


def kpi_window(days: int = 30) -> tuple[dt.datetime, dt.datetime]:
    now = timezone.now()
    return now - dt.timedelta(days=days), now
