"""The public reads behind Open311: incidents of the categories citizens may report, as anyone may
see them (no reporter, no internal note, results and photos only once published). A merged report
follows its primary, as on the citizen's status page (incidents.selectors.public_status).

Each list costs a fixed number of queries: the page of incidents, their primaries (one per level of
merging), and their published photos.
"""
from __future__ import annotations

import datetime as dt

from django.db.models import OuterRef, Q, QuerySet, Subquery

from incidents import selectors as incident_selectors
from incidents import workflows
from incidents.models import Incident, IncidentPhoto, IncidentUpdate, Status

PUBLIC_NOTE_KINDS = ("report", "support", "merged_in", "publish")  # as on the citizen's status page
MAX_MERGE_LEVELS = 5


def public_incidents() -> QuerySet:
    """The reports Open311 lists: those the public may see at all (citizens' own, of citizen categories)."""
    return incident_selectors.public_incidents()


def _last_public_update():
    return Subquery(IncidentUpdate.objects.filter(incident=OuterRef("pk"), public=True)
                    .order_by("-at", "-id").values("at")[:1])


def _with_reads(rows: QuerySet) -> QuerySet:
    return rows.select_related("category", "agency").annotate(last_update=_last_public_update())


def _primaries(incidents: list[Incident]) -> dict[int, Incident]:
    """{incident id: the incident it follows} (itself unless merged), one query per merge level."""
    by_id = {i.pk: i for i in incidents}
    pending = {i.merged_into for i in incidents if i.merged_into is not None} - by_id.keys()
    for _ in range(MAX_MERGE_LEVELS):
        if not pending:
            break
        found = list(_with_reads(Incident.objects.filter(pk__in=pending)))
        by_id.update({i.pk: i for i in found})
        pending = {i.merged_into for i in found if i.merged_into is not None} - by_id.keys()
    followed = {}
    for incident in incidents:
        current, seen = incident, {incident.pk}
        while current.merged_into is not None and current.merged_into in by_id and current.merged_into not in seen:
            current = by_id[current.merged_into]
            seen.add(current.pk)
        followed[incident.pk] = current
    return followed


def _public_photos(incident_ids) -> dict[int, list[int]]:
    photos: dict[int, list[int]] = {}
    for incident_id, photo_id in (IncidentPhoto.objects.filter(incident_id__in=set(incident_ids), public=True)
                                  .order_by("id").values_list("incident_id", "id")):
        photos.setdefault(incident_id, []).append(photo_id)
    return photos


def status_notes(incident: Incident, followed: Incident, language: str = "vi") -> str:
    """The detailed status (Vietnamese by default), the published result, and where a duplicate went."""
    parts = []
    if followed.pk != incident.pk:
        parts.append(f"Trùng, đã gộp vào phản ánh {followed.tracking_code}." if language == "vi"
                     else f"Duplicate, merged into report {followed.tracking_code}.")
    parts.append(workflows.status_label(followed.status, language) + ".")
    if followed.status == Status.PUBLISHED and followed.result:
        parts.append(("Kết quả: " if language == "vi" else "Result: ") + followed.result)
    return " ".join(parts)


def _name(entry, language: str) -> str:
    return (entry.name_en if language == "en" else entry.name_vi) if entry is not None else ""


def _public_row(incident: Incident, followed: Incident, photos: dict[int, list[int]], language: str) -> dict:
    updated = max(filter(None, (incident.last_update, followed.last_update, incident.reported_at)))
    photo_ids = photos.get(incident.pk, []) + (photos.get(followed.pk, []) if followed.pk != incident.pk else [])
    return {
        "tracking_code": incident.tracking_code,
        "open": followed.closed_at is None,
        "status": followed.status,
        "status_notes": status_notes(incident, followed, language),
        "category": incident.category_id,
        "category_name": _name(incident.category, language),
        "description": incident_selectors.public_description(incident),
        "agency_name": _name(followed.agency, language),
        "reported_at": incident.reported_at,
        "updated_at": updated,
        "due_at": followed.due_at,
        "address": incident.address,
        "lon": incident.geom.x, "lat": incident.geom.y,
        "photo_ids": photo_ids,
    }


def _rows(incidents: list[Incident], language: str) -> list[dict]:
    followed = _primaries(incidents)
    photos = _public_photos({i.pk for i in incidents} | {f.pk for f in followed.values()})
    return [_public_row(i, followed[i.pk], photos, language) for i in incidents]


def service_requests(*, tracking_codes: list[str] | None = None, categories: list[str] | None = None,
                     start: dt.datetime | None = None, end: dt.datetime | None = None, status: set[str] | None = None,
                     offset: int = 0, limit: int = 1000, language: str = "vi") -> list[dict]:
    """Public incidents, newest first: those with the given tracking codes (then no other filter
    applies, as the spec says), or those reported in [start, end] of the given categories and
    Open311 statuses ("open", "closed"; a merged report counts as its primary)."""
    rows = public_incidents()
    if tracking_codes is not None:
        rows = rows.filter(tracking_code__in=tracking_codes)
    else:
        if categories:
            rows = rows.filter(category_id__in=categories)
        if start is not None:
            rows = rows.filter(reported_at__gte=start)
        if end is not None:
            rows = rows.filter(reported_at__lte=end)
        if status and status != {"open", "closed"}:
            primary_closed = Subquery(Incident.objects.filter(pk=OuterRef("merged_into")).values("closed_at")[:1])
            open_q = (Q(merged_into__isnull=True, closed_at__isnull=True)
                      | Q(merged_into__isnull=False, primary_closed_at__isnull=True))
            rows = rows.annotate(primary_closed_at=primary_closed)
            rows = rows.filter(open_q) if "open" in status else rows.exclude(open_q)
    page = list(_with_reads(rows).order_by("-reported_at", "-id")[offset:offset + limit])
    return _rows(page, language)


def service_request(tracking_code: str, *, language: str = "vi") -> dict | None:
    code = str(tracking_code).strip().upper()[:16]
    incident = _with_reads(public_incidents().filter(tracking_code=code)).first()
    return _rows([incident], language)[0] if incident is not None else None


def request_updates(*, start: dt.datetime, end: dt.datetime, offset: int = 0, limit: int = 1000,
                    language: str = "vi") -> list[dict]:
    """Public timeline entries of public incidents in [start, end], oldest first: the status after
    the entry (open or closed), what happened (the detailed status; the note only where the citizen's
    status page shows it; the result once published) and, for a published result, its first photo."""
    updates = list(IncidentUpdate.objects.filter(public=True, at__gte=start, at__lte=end,
                                                 incident__category__citizen=True)
                   .filter(incident__channel__in=incident_selectors.PUBLIC_CHANNELS)
                   .select_related("incident").order_by("at", "id")[offset:offset + limit])
    photos = _public_photos({u.incident_id for u in updates if u.kind == "publish"})
    rows = []
    for update in updates:
        incident = update.incident
        if update.status_to:
            closed = update.status_to in workflows.OPEN311_CLOSED and update.status_to != Status.MERGED
        else:
            closed = incident.closed_at is not None and incident.closed_at <= update.at and incident.merged_into is None
        parts = [workflows.status_label(update.status_to, language) + "."] if update.status_to else []
        if update.kind in PUBLIC_NOTE_KINDS and update.note:
            parts.append(update.note)
        if update.kind == "publish" and incident.result:
            parts.append(("Kết quả: " if language == "vi" else "Result: ") + incident.result)
        rows.append({"update_id": update.pk, "tracking_code": incident.tracking_code, "open": not closed,
                     "at": update.at, "description": " ".join(parts),
                     "photo_ids": photos.get(incident.pk, []) if update.kind == "publish" else []})
    return rows
