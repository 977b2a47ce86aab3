"""The IOC's pages under /ioc/: the operators' wall map (ioc_operator, admin; leaders read-only in
command mode), the agency officers' list (/ioc/co-quan/), the leaders' situation board
(/ioc/chi-huy/<id>), their JSON, the KPIs and CSV exports, and the live event streams (/ioc/live...).

Access: pages send anonymous callers to the sign-in page and answer a 403 page to signed-in users
without the role; data exits (JSON, CSV, streams, actions) answer 404 to anonymous callers and 403
without the role, as the layer's other exits do. The reporter's name and phone leave only to IOC roles.
Locations are EPSG:4326 degrees.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
from functools import lru_cache

from asgiref.sync import sync_to_async
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Case, F, IntegerField, OuterRef, Q, Subquery, Value, When
from django.http import Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from geo.i18n import language_of, remember_language
from layers import history
from layers.formats import datetime_vi, number_vi, whole_number_vi
from layers.models import Change
from layers.registry import ROLE_ADMIN, ROLE_IOC, ROLE_MANAGER, roles_of

from . import kpis as kpi_queries
from . import selectors, services, workflows
from .layers import INCIDENTS
from .models import (
    Agency,
    Channel,
    Incident,
    IncidentReporter,
    IncidentTask,
    Priority,
    Status,
)
from .workflows import WorkflowRefused

IOC_ROLES = frozenset({ROLE_ADMIN, ROLE_IOC})
BOARD_ROLES = IOC_ROLES | {ROLE_MANAGER}
MAP_LIMIT = 5000          # features in the wall map's initial state (urgent and overdue first)
CSV_LIMIT = 50000
RECENT_CLOSED = dt.timedelta(hours=24)
PRIORITY_RANK = {Priority.URGENT: 0, Priority.HIGH: 1, Priority.NORMAL: 2, Priority.LOW: 3}
AGENCY_STATUSES = (Status.FORWARDED, Status.HANDLED, Status.REVIEWED, Status.PUBLISHED, Status.DISPATCHED,
                   Status.ON_SCENE, Status.RESOLVED, Status.COMMAND, Status.CLOSED)
JSON_OPTIONS = {"ensure_ascii": False, "separators": (",", ":")}

TEXTS = {
    "vi": {
        "title": "Trung tâm điều hành IOC — bản đồ sự cố trực tiếp", "short": "IOC",
        "command_mode": "Chế độ chỉ huy (chỉ xem)", "other_language": "English", "sign_out": "Đăng xuất",
        "open": "Đang mở", "overdue": "Quá hạn", "closed24": "Đã đóng 24 giờ qua", "filters": "Bộ lọc",
        "category": "Loại", "district": "Huyện", "status": "Trạng thái", "process": "Quy trình", "all": "Tất cả",
        "list": "Danh sách sự cố", "kpis": "Chỉ số điều hành", "live": "Trực tiếp", "offline": "Mất kết nối, đang nối lại…",
        "hotline": "Tiếp nhận qua đường dây nóng", "agency_page": "Trang cơ quan", "board": "Bảng chỉ huy",
        "csv_kpis": "Tải chỉ số (CSV)", "csv_incidents": "Tải danh sách sự cố (CSV)",
        "agency_title": "Sự cố chuyển đến cơ quan", "board_title": "Bảng tình huống chỉ huy",
        "map": "Bản đồ sự cố", "skip": "Đến danh sách sự cố",
    },
    "en": {
        "title": "IOC operations centre — live incident map", "short": "IOC",
        "command_mode": "Command mode (read only)", "other_language": "Tiếng Việt", "sign_out": "Sign out",
        "open": "Open", "overdue": "Overdue", "closed24": "Closed in the last 24 h", "filters": "Filters",
        "category": "Category", "district": "District", "status": "Status", "process": "Process", "all": "All",
        "list": "Incidents", "kpis": "Key figures", "live": "Live", "offline": "Connection lost, reconnecting…",
        "hotline": "Hotline entry", "agency_page": "Agency page", "board": "Command board",
        "csv_kpis": "Download KPIs (CSV)", "csv_incidents": "Download incident list (CSV)",
        "agency_title": "Incidents forwarded to your agency", "board_title": "Command situation board",
        "map": "Incident map", "skip": "Skip to the incident list",
    },
}

# Texts the scripts use (ioc.js, agency.js, board.js).
SCRIPT_TEXTS = {
    "vi": {
        "reported": "Tiếp nhận", "due": "Hạn xử lý", "closed": "Kết thúc", "agency": "Cơ quan", "priority": "Ưu tiên",
        "channel": "Kênh", "address": "Địa chỉ", "reporter": "Người phản ánh", "timeline": "Diễn biến",
        "photos": "Ảnh", "tasks": "Nhiệm vụ", "dispatches": "Lực lượng đã điều", "actions": "Thao tác",
        "note": "Ghi chú", "result": "Kết quả xử lý", "send": "Gửi", "close": "Đóng", "overdue": "Quá hạn",
        "duplicates": "Phản ánh trùng gần đây", "merge": "Gộp vào", "cameras": "Camera trong bán kính",
        "clinics": "Cơ sở y tế gần nhất", "units": "Lực lượng gần nhất theo đường bộ", "radius": "Bán kính (m)",
        "minutes": "phút", "no_road": "không có đường", "none": "Không có.", "shown": "Hiển thị {shown}/{total}",
        "reload": "Sự cố đã được người khác cập nhật; đang tải lại.", "saved": "Đã lưu.",
        "change_priority": "Đổi mức ưu tiên", "add_note": "Thêm ghi chú", "choose_agency": "Cơ quan xử lý",
        "new": "Mới", "supporters": "người cùng phản ánh", "median_close": "Thời gian xử lý trung vị (30 ngày)",
        "hours": "giờ", "on_time": "Tỷ lệ xử lý đúng hạn theo cơ quan", "by_district": "Theo huyện",
        "by_category": "Theo loại", "open": "Đang mở", "state": "Tình trạng", "update_task": "Cập nhật",
        "eta": "dự kiến", "arrived": "đã đến", "area": "Vùng ảnh hưởng", "task_counts": "Nhiệm vụ theo tình trạng",
        "hotline_done": "Đã tiếp nhận: {code}", "description": "Mô tả", "name": "Họ tên", "phone": "Điện thoại",
        "pick_on_map": "Bấm lên bản đồ để chọn vị trí", "location": "Vị trí", "units_on_way": "Lực lượng đang đến",
        "empty": "Chưa có sự cố nào.", "public": "công khai",
    },
    "en": {
        "reported": "Reported", "due": "Due", "closed": "Closed", "agency": "Agency", "priority": "Priority",
        "channel": "Channel", "address": "Address", "reporter": "Reporter", "timeline": "Timeline",
        "photos": "Photos", "tasks": "Tasks", "dispatches": "Units dispatched", "actions": "Actions",
        "note": "Note", "result": "Result", "send": "Send", "close": "Close", "overdue": "Overdue",
        "duplicates": "Possible duplicates nearby", "merge": "Merge into", "cameras": "Cameras within the radius",
        "clinics": "Nearest health facilities", "units": "Nearest units by road", "radius": "Radius (m)",
        "minutes": "min", "no_road": "no road", "none": "None.", "shown": "Showing {shown}/{total}",
        "reload": "Someone else updated this incident; reloading.", "saved": "Saved.",
        "change_priority": "Change priority", "add_note": "Add a note", "choose_agency": "Agency",
        "new": "New", "supporters": "supporters", "median_close": "Median time to close (30 days)",
        "hours": "h", "on_time": "Share handled on time per agency", "by_district": "By district",
        "by_category": "By category", "open": "Open", "state": "State", "update_task": "Update",
        "eta": "ETA", "arrived": "arrived", "area": "Affected area", "task_counts": "Tasks by state",
        "hotline_done": "Received: {code}", "description": "Description", "name": "Name", "phone": "Phone",
        "pick_on_map": "Click the map to place it", "location": "Location", "units_on_way": "Units on the way",
        "empty": "No incidents yet.", "public": "public",
    },
}

PROCESS_LABELS = {"timed": "Quy trình có thời hạn", "immediate": "Quy trình khẩn cấp", "command": "Hỗ trợ chỉ huy"}
PRIORITY_EN = {"urgent": "Urgent", "high": "High", "normal": "Normal", "low": "Low"}
PROCESS_EN = {"timed": "Timed", "immediate": "Immediate", "command": "Command support"}
TASK_EN = {"todo": "To do", "doing": "In progress", "done": "Done"}


# -- access --------------------------------------------------------------------------------------------

def _roles(request) -> frozenset[str]:
    return frozenset(roles_of(request.user))


def _agencies(roles) -> set[str]:
    return selectors.agencies_of(roles)


def _page_gate(request, allowed) -> HttpResponse | None:
    """Pages: anonymous → the sign-in page; signed in without the role → the 403 page."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not allowed(_roles(request)):
        raise PermissionDenied
    return None


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"status": status, "description": message}, status=status, json_dumps_params=JSON_OPTIONS)


def _data_gate(request, allowed) -> JsonResponse | None:
    """Data exits: 404 anonymous (as if nothing were there), 403 signed in without the role."""
    if not request.user.is_authenticated:
        return _error(404, "Không tìm thấy. / Not found.")
    if not allowed(_roles(request)):
        return _error(403, "Bạn không có quyền xem dữ liệu này. / You may not read this.")
    return None


def _reads_map(roles) -> bool:
    return bool(BOARD_ROLES & roles)


def _is_officer(roles) -> bool:
    return bool(_agencies(roles)) or ROLE_ADMIN in roles


def _reads_some(roles) -> bool:
    return _reads_map(roles) or bool(_agencies(roles))


def _json(data, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, safe=False, json_dumps_params=JSON_OPTIONS)


# -- shapes --------------------------------------------------------------------------------------------

def _parse_time(value) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def map_feature(fid: int, version: int | None, lon: float, lat: float, p: dict, now: dt.datetime) -> dict:
    """The wall map's shape of an incident (from a row or a live feature's properties): what the map,
    the list and the filters need, nothing personal, descriptions cut to 160 characters."""
    due, closed = _parse_time(p.get("due_at")), _parse_time(p.get("closed_at"))
    reported = _parse_time(p.get("reported_at"))
    open_ = closed is None and p.get("merged_into") is None
    return {"type": "Feature", "id": fid, "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
            "properties": {
                "id": fid, "version": version, "code": p.get("tracking_code"), "category": p.get("category"),
                "status": p.get("status"), "priority": p.get("priority"), "agency": p.get("agency"),
                "district": p.get("district_code") or "", "channel": p.get("channel"),
                "description": (p.get("description") or "")[:160], "address": (p.get("address") or "")[:120],
                "supporters": p.get("supporters") or 0, "open": open_,
                "reported_at": reported.isoformat() if reported else None,
                "reported_text": datetime_vi(reported) if reported else "",
                "due_at": due.isoformat() if due else None, "due_text": datetime_vi(due) if due else "",
                "closed_at": closed.isoformat() if closed else None,
                "overdue": bool(open_ and due is not None and due < now)}}


_MAP_FIELDS = ("id", "tracking_code", "category_id", "status", "priority", "agency_id", "district_id", "channel",
               "description", "address", "supporters", "reported_at", "due_at", "closed_at", "merged_into", "geom")


def _with_version(rows):
    latest = Change.objects.filter(layer_id=INCIDENTS.id, feature_id=OuterRef("pk")).order_by("-id").values("version")[:1]
    return rows.annotate(feature_version=Subquery(latest))


def _map_rows(now: dt.datetime):
    """Open incidents and those closed in the last 24 h, urgent and overdue first (one statement)."""
    rank = Case(*[When(priority=p, then=Value(r)) for p, r in PRIORITY_RANK.items()], output_field=IntegerField())
    rows = (Incident.objects.filter(Q(closed_at__isnull=True, merged_into__isnull=True)
                                    | Q(closed_at__gte=now - RECENT_CLOSED))
            .with_overdue(now).annotate(rank=rank))
    return _with_version(rows).order_by(F("closed_at").asc(nulls_first=True), "-is_overdue", "rank", "-reported_at")


def _render_live(entry: dict) -> dict | None:
    """(hub thread, no queries) A change of the layer as the wall map patches it."""
    feature = entry.get("feature")
    if entry["op"] == "T":
        return {"reload": True}
    if feature is None or not feature.get("geometry"):
        return {"id": entry["feature_id"], "version": entry["version"], "gone": True}
    lon, lat = feature["geometry"]["coordinates"][:2]
    return map_feature(entry["feature_id"], feature.get("version", entry["version"]), lon, lat,
                       feature["properties"], timezone.now())


def _page_context(request, language: str, roles) -> dict:
    from places.models import AdminUnit

    categories = selectors.categories(language=language)
    districts = list(AdminUnit.objects.filter(level_id="district").order_by("name").values("gso_code", "name"))
    statuses = [{"code": s.value, "name": workflows.status_label(s.value, language)} for s in Status]
    agencies = [{"code": a.code, "name": a.name_en if language == "en" else a.name_vi}
                for a in Agency.objects.order_by("sort_order", "code")]
    priorities = [{"code": p.value, "name": PRIORITY_EN[p.value] if language == "en" else p.label} for p in Priority]
    processes = [{"code": p, "name": PROCESS_EN[p] if language == "en" else label}
                 for p, label in PROCESS_LABELS.items()]
    channels = [{"code": c.value, "name": c.label} for c in Channel]
    tasks = [{"code": s.value, "name": TASK_EN[s.value] if language == "en" else s.label} for s in IncidentTask.State]
    return {"lang": language, "other_lang": "en" if language == "vi" else "vi", "t": TEXTS[language],
            "config": {"lang": language, "texts": SCRIPT_TEXTS[language], "categories": categories,
                       "districts": [{"code": d["gso_code"], "name": d["name"]} for d in districts],
                       "statuses": statuses, "agencies": agencies, "priorities": priorities, "processes": processes,
                       "channels": channels, "task_states": tasks, "operator": bool(IOC_ROLES & roles),
                       "my_agencies": sorted(_agencies(roles))},
            "operator": bool(IOC_ROLES & roles), "user": request.user.get_username()}


# -- the operators' wall map ----------------------------------------------------------------------------

@require_GET
def ioc_page(request):
    if denied := _page_gate(request, _reads_map):
        return denied
    language = language_of(request)
    context = _page_context(request, language, _roles(request))
    return remember_language(request, render(request, "incidents/ioc.html", context))


@require_GET
def incidents_json(request):
    """GeoJSON of the wall map's incidents (map_feature), at most MAP_LIMIT, with the change cursor to
    follow from (taken before the read: an event may repeat what the state has, never miss one)."""
    if denied := _data_gate(request, _reads_map):
        return denied
    from layers import feed

    cursor = str(feed.latest_cursor())
    now = timezone.now()
    features = []
    total = 0
    for row in _map_rows(now).values(*_MAP_FIELDS, "feature_version")[:MAP_LIMIT + 1]:
        total += 1
        if total > MAP_LIMIT:
            break
        row.update(category=row["category_id"], agency=row["agency_id"], district_code=row["district_id"])
        features.append(map_feature(row["id"], row["feature_version"], row["geom"].x, row["geom"].y, row, now))
    return _json({"type": "FeatureCollection", "features": features, "cursor": cursor,
                  "truncated": total > MAP_LIMIT, "limit": MAP_LIMIT, "at": now.isoformat()})


def _photo_urls(detail: dict) -> None:
    for photo in detail.get("photos", []):
        photo["thumb"] = f"/phan-anh/anh/{photo['id']}/nho"
        photo["url"] = f"/phan-anh/anh/{photo['id']}"


def _detail(incident_id: int, roles, language: str) -> dict | None:
    detail = selectors.incident_detail(incident_id, roles=roles, language=language)
    if detail is None:
        return None
    detail["version"] = history.current_version(INCIDENTS, incident_id)
    _photo_urls(detail)
    detail["duplicates"] = []
    if IOC_ROLES & roles and detail["closed_at"] is None and detail["merged_into"] is None:
        detail["duplicates"] = selectors.nearby_open(category=detail["category"], lon=detail["lon"],
                                                     lat=detail["lat"], exclude=incident_id, language=language)
    return detail


@require_GET
def incident_json(request, incident_id: int):
    """One incident as the caller may see it (selectors.incident_detail), with its version, the
    thumbnails' addresses and, for operators, the open duplicates nearby."""
    if denied := _data_gate(request, _reads_some):
        return denied
    detail = _detail(incident_id, _roles(request), language_of(request))
    if detail is None:
        return _error(404, "Không tìm thấy sự cố. / Incident not found.")
    return _json(detail)


def _body(request) -> dict:
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise WorkflowRefused(400, "Dữ liệu JSON không hợp lệ. / Invalid JSON.") from None
        if not isinstance(data, dict):
            raise WorkflowRefused(400, "Cần một đối tượng JSON. / A JSON object is required.")
        return data
    return {k: (request.POST.getlist(k) if k == "units" else request.POST.get(k)) for k in request.POST}


def _int_or_none(value, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise WorkflowRefused(400, f"{name} phải là số nguyên. / {name} must be a whole number.") from None


def _text(value) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


@require_POST
def incident_act(request, incident_id: int):
    """POST action (a workflow step, or "priority", "note", "task") with note, agency, result,
    primary_id, units, priority, task_id, state, expected_version: the step through the services in
    the caller's name; refusals as {"status", "description"} with their status (412: reload)."""
    if not request.user.is_authenticated:
        return _error(404, "Không tìm thấy. / Not found.")
    roles = _roles(request)
    actor = services.Actor.of(request.user)
    try:
        data = _body(request)
        action = _text(data.get("action")).strip()
        if action == "priority":
            services.incident_priority_set(incident_id=incident_id, priority=_text(data.get("priority")), actor=actor)
        elif action == "note":
            services.incident_note(incident_id=incident_id, actor=actor, note=_text(data.get("note")),
                                   public=str(data.get("public")).lower() in ("1", "true", "on"))
        elif action == "task":
            task = _int_or_none(data.get("task_id"), "task_id")
            if not IncidentTask.objects.filter(pk=task, incident_id=incident_id).exists():
                raise WorkflowRefused(404, "Không tìm thấy nhiệm vụ. / Task not found.")
            services.task_set(task_id=task, state=_text(data.get("state")), actor=actor)
        else:
            units = data.get("units")
            if isinstance(units, str):
                units = [u for u in units.split(",") if u.strip()]
            if units is not None and not isinstance(units, list):
                raise WorkflowRefused(400, "units phải là danh sách. / units must be a list.")
            services.incident_act(
                incident_id=incident_id, action=action, actor=actor, note=_text(data.get("note")),
                agency=_text(data.get("agency")) or None, result=_text(data.get("result")) or None,
                primary_id=_int_or_none(data.get("primary_id"), "primary_id"),
                units=[_int_or_none(u, "units") for u in units] if units else None,
                expected_version=_int_or_none(data.get("expected_version"), "expected_version"))
    except WorkflowRefused as refused:
        message = str(refused)
        if refused.status == 412:
            message = ("Sự cố đã được người khác cập nhật; hãy tải lại trước khi thao tác. / Someone else updated "
                       "this incident; reload it first.")
        return _error(refused.status, message)
    detail = _detail(incident_id, roles, language_of(request))
    return _json(detail if detail is not None else {"id": incident_id})


@require_POST
def hotline_report(request):
    """POST category, lon, lat (EPSG:4326), description, priority, address, name, phone: an operator
    enters a call to the hotline (channel "hotline"). 201 with the id and tracking code."""
    if denied := _data_gate(request, lambda roles: bool(IOC_ROLES & roles)):
        return denied
    try:
        data = _body(request)
        incident = services.incident_report(
            category=_text(data.get("category")), lon=data.get("lon"), lat=data.get("lat"),
            description=_text(data.get("description")), channel=Channel.HOTLINE,
            actor=services.Actor.of(request.user), priority=_text(data.get("priority")) or None,
            address=_text(data.get("address")),
            reporter={"name": _text(data.get("name")), "phone": _text(data.get("phone"))})
    except WorkflowRefused as refused:
        return _error(refused.status, str(refused))
    return _json({"id": incident.pk, "tracking_code": incident.tracking_code, "status": incident.status}, status=201)


@require_http_methods(["GET", "POST"])
def incidents_collection(request):
    """/ioc/incidents: POST is the hotline entry (GET lists nothing here: see incidents.json)."""
    if request.method == "POST":
        return hotline_report(request)
    return _error(405, "Dùng POST để tiếp nhận, /ioc/incidents.json để xem. / POST to report; read "
                       "/ioc/incidents.json.")


# -- KPIs and exports ------------------------------------------------------------------------------------

@require_GET
def kpis_json(request):
    if denied := _data_gate(request, _reads_map):
        return denied
    return _json(kpi_queries.kpis(language=language_of(request)))


class _Echo:
    def write(self, value):
        return value


def _inert(cell):
    """A cell a spreadsheet shows as text: citizens' words starting with = + - @ (or a tab or a carriage
    return) would otherwise run as a formula when an officer opens the file."""
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return cell


def _csv_response(rows, filename: str) -> StreamingHttpResponse:
    """UTF-8 with a byte-order mark (Excel reads the Vietnamese letters), comma-separated, quoted where
    needed (the numbers carry decimal commas)."""
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff"
        for row in rows:
            yield writer.writerow([_inert(cell) for cell in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _share_text(value) -> str:
    return number_vi(value, digits=1, fixed=True) if value is not None else ""


def kpi_rows(data: dict) -> list[list[str]]:
    """The KPIs as CSV rows, section by section, Vietnamese headers."""
    ttc = data["time_to_close"]
    rows = [["Chỉ số điều hành IOC", datetime_vi(_parse_time(data["at"]))], [],
            ["Tổng số sự cố đang mở", whole_number_vi(data["open"])],
            ["Tổng số sự cố quá hạn", whole_number_vi(data["overdue"])],
            [f"Thời gian xử lý trung vị {ttc['days']} ngày qua (giờ)",
             number_vi(ttc["median_hours"], digits=1, fixed=True) if ttc["median_hours"] is not None else "",
             f"trên {whole_number_vi(ttc['closed'])} sự cố đã kết thúc"], [],
            ["Mã huyện", "Huyện", "Đang mở", "Quá hạn"]]
    rows += [[r["district_code"], r["district"], whole_number_vi(r["open"]), whole_number_vi(r["overdue"])]
             for r in data["by_district"]]
    rows += [[], ["Mã loại", "Loại sự cố", "Đang mở", "Quá hạn"]]
    rows += [[r["category"], r["name"], whole_number_vi(r["open"]), whole_number_vi(r["overdue"])]
             for r in data["by_category"]]
    rows += [[], ["Mã cơ quan", "Cơ quan", "Số sự cố tính", "Xử lý đúng hạn", "Tỷ lệ đúng hạn (%)"]]
    rows += [[r["agency"], r["name"], whole_number_vi(r["counted"]), whole_number_vi(r["on_time"]),
              _share_text(r["share"])] for r in data["on_time"]]
    return rows


@require_GET
def kpis_csv(request):
    if denied := _data_gate(request, _reads_map):
        return denied
    now = timezone.now()
    return _csv_response(kpi_rows(kpi_queries.kpis(now=now, language="vi")), f"chi-so-ioc-{now:%Y%m%d}.csv")


INCIDENT_HEADERS = ["Mã tra cứu", "Loại sự cố", "Quy trình", "Mô tả", "Địa chỉ", "Huyện", "Kênh", "Mức ưu tiên",
                    "Trạng thái", "Cơ quan xử lý", "Tiếp nhận", "Hạn xử lý", "Kết thúc", "Quá hạn", "Số người cùng phản ánh",
                    "Kinh độ", "Vĩ độ"]
REPORTER_HEADERS = ["Người phản ánh", "Điện thoại"]


def _incident_rows(now: dt.datetime, with_reporter: bool, days: int):
    rows = (Incident.objects.filter(Q(closed_at__isnull=True, merged_into__isnull=True)
                                    | Q(reported_at__gte=now - dt.timedelta(days=days)))
            .with_overdue(now).select_related("category", "agency", "district").order_by("-reported_at"))
    if with_reporter:
        rows = rows.annotate(reporter_name=Subquery(IncidentReporter.objects.filter(
            incident=OuterRef("pk")).values("name")[:1]), reporter_phone=Subquery(IncidentReporter.objects.filter(
                incident=OuterRef("pk")).values("phone")[:1]))
    yield INCIDENT_HEADERS + (REPORTER_HEADERS if with_reporter else [])
    for i in rows[:CSV_LIMIT].iterator(chunk_size=2000):
        row = [i.tracking_code, i.category.name_vi, PROCESS_LABELS.get(i.category.process, ""),
               i.description, i.address, i.district.name if i.district else "", Channel(i.channel).label,
               Priority(i.priority).label, workflows.status_label(i.status), i.agency.name_vi if i.agency else "",
               datetime_vi(i.reported_at), datetime_vi(i.due_at) if i.due_at else "",
               datetime_vi(i.closed_at) if i.closed_at else "", "có" if i.is_overdue else "",
               whole_number_vi(i.supporters), number_vi(i.geom.x, digits=6), number_vi(i.geom.y, digits=6)]
        if with_reporter:
            row += [i.reporter_name or "", i.reporter_phone or ""]
        yield row


@require_GET
def incidents_csv(request):
    """Open incidents and those reported in the last ?days= (default 30, at most 366) as CSV; the
    reporter's name and phone for IOC roles only."""
    if denied := _data_gate(request, _reads_map):
        return denied
    try:
        days = int(request.GET.get("days", "30"))
    except ValueError:
        days = -1
    if not 1 <= days <= 366:
        return _error(400, "days phải là số nguyên từ 1 đến 366. / days must be a whole number from 1 to 366.")
    now = timezone.now()
    return _csv_response(_incident_rows(now, bool(IOC_ROLES & _roles(request)), days),
                         f"su-co-{now:%Y%m%d}.csv")


@lru_cache(maxsize=1)
def _base_map() -> bytes:
    from places.selectors import admin_boundaries_geojson
    from transport.selectors import roads_geojson

    features = [{"type": "Feature", "geometry": json.loads(b["geojson"]), "properties": {"kind": "district",
                                                                                          "name": b["name"]}}
                for b in admin_boundaries_geojson(levels=("district",), tolerance_deg=0.001)]
    for road in roads_geojson(classes=("national", "provincial"), tolerance_deg=0.0005):
        geometry = road.get("geojson") or road.get("geometry")
        features.append({"type": "Feature", "geometry": json.loads(geometry) if isinstance(geometry, str) else geometry,
                         "properties": {"kind": "road", "name": road.get("name", "")}})
    return json.dumps({"type": "FeatureCollection", "features": features}, **JSON_OPTIONS).encode()


@require_GET
def base_map(request):
    """District boundaries and main roads (EPSG:4326) drawn under the incidents: no outside tiles."""
    if denied := _data_gate(request, _reads_some):
        return denied
    response = HttpResponse(_base_map(), content_type="application/json")
    response["Cache-Control"] = "private, max-age=3600"
    return response


# -- agency officers ------------------------------------------------------------------------------------

@require_GET
def agency_page(request):
    if denied := _page_gate(request, _is_officer):
        return denied
    language = language_of(request)
    context = _page_context(request, language, _roles(request))
    return remember_language(request, render(request, "incidents/agency.html", context))


def _agency_items(roles, language: str) -> list[dict]:
    items = selectors.agency_incidents(roles=roles, language=language)
    if not items:
        return items
    ids = [i["id"] for i in items]
    found = _with_version(Incident.objects.filter(pk__in=ids)).values("id", "agency", "feature_version",
                                                                      "category")
    extra = {r["id"]: r for r in found}
    for item in items:
        item["version"] = extra[item["id"]]["feature_version"]
        item["agency"] = extra[item["id"]]["agency"]
        item["category"] = extra[item["id"]]["category"]
    return items


@require_GET
def agency_json(request):
    """The incidents forwarded to the caller's agencies (or carrying a task of theirs), with versions."""
    if denied := _data_gate(request, _is_officer):
        return denied
    from layers import feed

    cursor = str(feed.latest_cursor())
    return _json({"incidents": _agency_items(_roles(request), language_of(request)), "cursor": cursor})


def agency_filter(agencies: set[str], task_incidents: set[int], seen: set[int]):
    """accept/render of an agency's stream (hub thread, no queries): incidents forwarded to one of
    `agencies` (or with a task of theirs) in the fields an officer sees; an incident that leaves
    them comes once as {"id", "gone"} to those that had it, and never to anyone else."""
    def visible(properties: dict, fid: int) -> bool:
        return (properties.get("agency") in agencies and properties.get("status") in AGENCY_STATUSES) or \
            fid in task_incidents

    def render(entry: dict) -> dict | None:
        fid, feature = entry["feature_id"], entry.get("feature")
        if feature is not None and visible(feature["properties"], fid):
            seen.add(fid)
            p = feature["properties"]
            due, closed = _parse_time(p.get("due_at")), _parse_time(p.get("closed_at"))
            return {"id": fid, "version": feature.get("version", entry["version"]), "tracking_code": p["tracking_code"],
                    "category": p["category"], "agency": p["agency"], "status": p["status"], "priority": p["priority"],
                    "description": (p.get("description") or "")[:200], "open": closed is None,
                    "overdue": bool(closed is None and due is not None and due < timezone.now()),
                    "due_at_text": datetime_vi(due) if due else "",
                    "reported_at_text": datetime_vi(_parse_time(p["reported_at"]))}
        if fid in seen:
            seen.discard(fid)
            return {"id": fid, "version": entry["version"], "gone": True}
        return None

    return (lambda entry: entry.get("feature_id") is not None), render


# -- leaders' board --------------------------------------------------------------------------------------

@require_GET
def board_page(request, incident_id: int):
    if denied := _page_gate(request, _reads_map):
        return denied
    language = language_of(request)
    if not Incident.objects.filter(pk=incident_id).exists():
        raise Http404
    context = _page_context(request, language, _roles(request))
    context["config"]["incident"] = incident_id
    return remember_language(request, render(request, "incidents/board.html", {**context, "incident_id": incident_id}))


@require_GET
def board_json(request, incident_id: int):
    """The situation board (selectors.board) with the units' routes left to /ioc/dispatch/."""
    if denied := _data_gate(request, _reads_map):
        return denied
    roles = _roles(request)
    data = selectors.board(incident_id, roles=roles, language=language_of(request))
    if data is None:
        return _error(404, "Không tìm thấy sự cố. / Incident not found.")
    data["version"] = history.current_version(INCIDENTS, incident_id)
    _photo_urls(data)
    if not IOC_ROLES & roles:
        data["reporter"] = None
    return _json(data)


# -- live event streams (served on the event loop: see geo/asgi.py EVENT_STREAM_PREFIXES) -------------------

def _stream_user(request, allowed, scope: str, incident_id: int | None = None):
    """(sync) The caller's roles and what its stream needs, or the refusal; the connection is closed
    before the stream starts (the stream holds none)."""
    try:
        if not request.user.is_authenticated:
            return None, _error(404, "Không tìm thấy. / Not found.")
        roles = _roles(request)
        if not allowed(roles):
            return None, _error(403, "Bạn không có quyền xem dữ liệu này. / You may not read this.")
        if scope == "agency":
            agencies = _agencies(roles)
            tasks = set(IncidentTask.objects.filter(agency_id__in=agencies).values_list("incident_id", flat=True))
            seen = {i["id"] for i in selectors.agency_incidents(roles=roles)}
            return (agencies, tasks, seen), None
        if scope == "board" and not Incident.objects.filter(pk=incident_id).exists():
            return None, _error(404, "Không tìm thấy sự cố. / Incident not found.")
        return roles, None
    finally:
        if not connection.in_atomic_block:
            connection.close()


async def ioc_live(request):
    """Server-Sent Events of every change of the incidents layer, shaped as the wall map's features."""
    from live.streams import event_stream

    if request.method != "GET":
        return _error(405, "Chỉ GET. / GET only.")
    _, denied = await sync_to_async(_stream_user)(request, _reads_map, "ioc")
    if denied:
        return denied
    return await event_stream(request, spec=INCIDENTS, accept=lambda entry: True, render=_render_live)


async def agency_live(request):
    """The agency's stream: only incidents of the caller's agencies, in the fields officers see."""
    from live.streams import event_stream

    if request.method != "GET":
        return _error(405, "Chỉ GET. / GET only.")
    found, denied = await sync_to_async(_stream_user)(request, _is_officer, "agency")
    if denied:
        return denied
    accept, render_entry = agency_filter(*found)
    return await event_stream(request, spec=INCIDENTS, accept=accept, render=render_entry)


async def board_live(request, incident_id: int):
    """The board's stream: changes of the one incident (the page then refetches the board)."""
    from live.streams import event_stream

    if request.method != "GET":
        return _error(405, "Chỉ GET. / GET only.")
    _, denied = await sync_to_async(_stream_user)(request, _reads_map, "board", incident_id)
    if denied:
        return denied
    return await event_stream(request, spec=INCIDENTS, accept=lambda entry: entry.get("feature_id") == incident_id,
                              render=lambda entry: {"id": entry["feature_id"], "version": entry["version"]})
