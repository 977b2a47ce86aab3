"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) for apps: the citizen categories as
services, reports posted as service requests (API key required), their public status readable by
anyone, and the common servicerequestupdates extension. Each view parses, calls one selector or
service, and serialises (open311/render.py); refusals are the spec's error list with its HTTP status.

The server never fetches a URL it is given: `media_url` in a post is ignored; a photo is sent as a
multipart `media` file instead.
"""
from __future__ import annotations

import datetime as dt
from functools import wraps

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.csrf import csrf_exempt

from accounts.audit import client_ip
from incidents import selectors as incident_selectors
from incidents import services
from incidents.models import IncidentCategory, Process
from incidents.photos import MAX_PHOTOS
from incidents.services import Actor
from incidents.workflows import WorkflowRefused
from layers import writes
from layers.codelist_loader import synonyms_of
from layers.formats import datetime_vi

from . import keys, render, selectors, throttle

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
MAX_SPAN = dt.timedelta(days=90)  # the spec's default and largest window
MAX_PAGE_SIZE = 1000  # the spec's default volume
MAX_IDS = 200
PROCESS_EN = {Process.TIMED: "Timed process", Process.IMMEDIATE: "Emergency process",
              Process.COMMAND: "Command support"}


class Refused(Exception):
    """A request the API will not serve: HTTP status and a message (vi / en)."""

    def __init__(self, status: int, description: str, headers: dict | None = None):
        super().__init__(description)
        self.status, self.headers = status, headers


def jurisdiction() -> str:
    return getattr(settings, "GEO_OPEN311_JURISDICTION", "binhphuoc.gov.vn")


def endpoint(*methods: str):
    """An Open311 view for `methods`: no session or CSRF token (an API), the jurisdiction checked,
    refusals answered in the requested format."""
    allowed = set(methods) | ({"HEAD"} if "GET" in methods else set())

    def wrap(view):
        @csrf_exempt
        @wraps(view)
        def run(request, fmt: str, **kwargs):
            if request.method not in allowed:
                return render.errors(fmt, 405, f"Phương thức {request.method} không được hỗ trợ. / Method "
                                               f"{request.method} is not allowed.",
                                     headers={"Allow": ", ".join(sorted(allowed))})
            params = request.POST if request.method == "POST" else request.GET
            try:
                if any("\x00" in value for values in params.lists() for value in values[1]) or any(
                        "\x00" in name for name in params):
                    raise Refused(400, "Tham số chứa ký tự NUL. / A parameter contains a NUL character.")
                given = params.get("jurisdiction_id", "").strip()
                if given and given != jurisdiction():
                    raise Refused(404, f"Không phục vụ jurisdiction_id {given[:60]!r}; hãy dùng {jurisdiction()!r}. / "
                                       f"jurisdiction_id not found; this endpoint serves {jurisdiction()!r}.")
                return view(request, fmt, params, **kwargs)
            except Refused as refused:
                return render.errors(fmt, refused.status, str(refused), headers=refused.headers)
            except WorkflowRefused as refused:
                return render.errors(fmt, refused.status, str(refused))
        return run
    return wrap


def _language(params) -> str:
    return "en" if params.get("locale", "").lower().startswith("en") else "vi"


def _when(value: dt.datetime | None) -> str | None:
    """W3C datetime with the province's offset: 2026-12-03T19:05:00+07:00."""
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def _moment(params, name: str) -> dt.datetime | None:
    """A w3 datetime (e.g. 2026-01-01T00:00:00Z; a bare date is midnight, local time) or None."""
    text = params.get(name, "").strip()
    if not text:
        return None
    if len(text) > 6 and text[-6] == " ":  # "+07:00" sent unencoded in a query string arrives as " 07:00"
        text = text[:-6] + "+" + text[-5:]
    try:
        value = parse_datetime(text)
        if value is None and parse_date(text) is not None:
            value = dt.datetime.combine(parse_date(text), dt.time())
    except ValueError:
        value = None
    if value is None:
        raise Refused(400, f"{name} không đúng định dạng ngày giờ W3C (vd. 2026-01-01T00:00:00+07:00). / "
                           f"{name} is not a W3C datetime (e.g. 2026-01-01T00:00:00Z).")
    if not 2000 <= value.year <= 2100:  # and no arithmetic on it can overflow
        raise Refused(400, f"{name} phải trong khoảng năm 2000–2100. / {name} must fall between 2000 and 2100.")
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _window(params) -> tuple[dt.datetime, dt.datetime]:
    """[start_date, end_date], at most 90 days; the last 90 days when neither is given."""
    start, end = _moment(params, "start_date"), _moment(params, "end_date")
    if start and end:
        if end < start:
            raise Refused(400, "end_date trước start_date. / end_date is before start_date.")
        if end - start > MAX_SPAN:
            raise Refused(400, "Khoảng thời gian tối đa 90 ngày. / The range may not span more than 90 days.")
        return start, end
    if start:
        return start, start + MAX_SPAN
    end = end or timezone.now()
    return end - MAX_SPAN, end


def _paging(params) -> tuple[int, int]:
    """(offset, limit) from page (from 1) and page_size (at most 1000, the spec's volume)."""
    try:
        page = int(params.get("page") or 1)
        size = int(params.get("page_size") or MAX_PAGE_SIZE)
    except ValueError:
        raise Refused(400, "page và page_size phải là số nguyên. / page and page_size must be integers.") from None
    if page < 1 or page > 100_000 or size < 1:
        raise Refused(400, "page và page_size phải từ 1 trở lên. / page and page_size start at 1.")
    size = min(size, MAX_PAGE_SIZE)
    return (page - 1) * size, size


def _list(params, name: str) -> list[str]:
    return [part.strip() for part in params.get(name, "").split(",") if part.strip()]


def _photo_url(request, photo_id: int) -> str:
    return request.build_absolute_uri(f"/phan-anh/anh/{photo_id}")


# -- services -------------------------------------------------------------------------------------------

def _services(language: str) -> list[dict]:
    names_vi = {c["code"]: c for c in incident_selectors.categories(citizen_only=True)}
    names_en = {c["code"]: c["name"] for c in incident_selectors.categories(citizen_only=True, language="en")}
    synonyms = synonyms_of(IncidentCategory)
    services_ = []
    for code, category in names_vi.items():
        name_vi, name_en = category["name"], names_en.get(code, "")
        services_.append({
            "service_code": code,
            "service_name": name_en if language == "en" else name_vi,
            "description": f"{name_vi} / {name_en}",
            "metadata": False,
            "type": "realtime",
            "keywords": ", ".join(dict.fromkeys([name_vi, name_en, *synonyms.get(code, ())])),
            "group": PROCESS_EN[category["process"]] if language == "en" else Process(category["process"]).label,
        })
    return services_


@endpoint("GET")
def services_list(request, fmt, params):
    return render.answer(fmt, "services", _services(_language(params)))


@endpoint("GET")
def service_definition(request, fmt, params, service_code):
    if service_code not in {c["code"] for c in incident_selectors.categories(citizen_only=True)}:
        raise Refused(404, f"Không có dịch vụ {service_code[:40]!r}. / service_code {service_code[:40]!r} not found.")
    return render.answer(fmt, "service_definition", {"service_code": service_code, "attributes": []})


# -- requests -------------------------------------------------------------------------------------------

def _request_row(request, row: dict) -> dict:
    return {
        "service_request_id": row["tracking_code"],
        "status": "open" if row["open"] else "closed",
        "status_notes": row["status_notes"],
        "service_name": row["category_name"],
        "service_code": row["category"],
        "description": row["description"],
        "agency_responsible": row["agency_name"],
        "service_notice": f"Hạn xử lý: {datetime_vi(row['due_at'])}" if row["open"] and row["due_at"] else None,
        "requested_datetime": _when(row["reported_at"]),
        "updated_datetime": _when(row["updated_at"]),
        "expected_datetime": _when(row["due_at"]),
        "address": row["address"],
        "lat": row["lat"],
        "long": row["lon"],
        "media_url": _photo_url(request, row["photo_ids"][0]) if row["photo_ids"] else None,
    }


@endpoint("GET", "POST")
def requests_view(request, fmt, params):
    if request.method == "POST":
        return _request_post(request, fmt, params)
    language = _language(params)
    offset, limit = _paging(params)
    codes = [c.upper()[:16] for c in _list(params, "service_request_id")]
    if codes:
        if len(codes) > MAX_IDS:
            raise Refused(400, f"Tối đa {MAX_IDS} service_request_id. / At most {MAX_IDS} service_request_id.")
        rows = selectors.service_requests(tracking_codes=codes, offset=offset, limit=limit, language=language)
    else:
        statuses = {s.lower() for s in _list(params, "status")}
        if statuses - {"open", "closed"}:
            raise Refused(400, "status chỉ nhận open hoặc closed. / status is open or closed.")
        start, end = _window(params)
        rows = selectors.service_requests(categories=_list(params, "service_code"), start=start, end=end,
                                          status=statuses, offset=offset, limit=limit, language=language)
    return render.answer(fmt, "service_requests", [_request_row(request, row) for row in rows])


@endpoint("GET")
def request_detail(request, fmt, params, service_request_id):
    row = selectors.service_request(service_request_id, language=_language(params))
    if row is None:
        raise Refused(404, "Không tìm thấy phản ánh. / service_request_id not found.")
    return render.answer(fmt, "service_requests", [_request_row(request, row)])


def _photos(request) -> list[bytes]:
    files = request.FILES.getlist("media")
    if len(files) > MAX_PHOTOS:
        raise Refused(400, f"Tối đa {MAX_PHOTOS} ảnh. / At most {MAX_PHOTOS} photos.")
    for upload in files:
        if upload.size > settings.GEO_PHOTO_MAX_BYTES:
            raise Refused(400, f"Ảnh lớn quá {settings.GEO_PHOTO_MAX_BYTES // 1024**2} MB. / The photo is larger than "
                               f"{settings.GEO_PHOTO_MAX_BYTES // 1024**2} MB.")
    return [upload.read() for upload in files]


def _request_post(request, fmt, params):
    api_key = keys.api_key_valid(params.get("api_key", ""))
    if api_key is None:
        raise Refused(403, "Thiếu api_key hoặc api_key không hợp lệ. / Missing or invalid api_key.")
    service_code = params.get("service_code", "").strip()
    if not service_code:
        raise Refused(400, "Thiếu service_code. / service_code was not provided.")
    if service_code not in {c["code"] for c in incident_selectors.categories(citizen_only=True)}:
        raise Refused(404, f"Không có dịch vụ {service_code[:40]!r}. / service_code {service_code[:40]!r} not found.")
    if not params.get("lat", "").strip() or not params.get("long", "").strip():
        raise Refused(400, "Cần vị trí: gửi lat và long (WGS84); address_string hay address_id thôi chưa đủ. / "
                           "A location is needed: send lat and long (WGS84); address_string or address_id alone "
                           "is not enough.")
    photos = _photos(request)
    device_id = params.get("device_id", "").strip()
    ip = client_ip(request)
    reporter = {"name": " ".join(filter(None, (params.get("first_name", "").strip(),
                                               params.get("last_name", "").strip()))),
                "phone": params.get("phone", "").strip(), "email": params.get("email", "").strip(),
                "device_id": device_id, "address_ip": ip}
    with transaction.atomic():
        wait = throttle.report_admitted(api_key=api_key, device_id=device_id, ip=ip)
        if wait:
            minutes = max(1, round(wait / 60))
            raise Refused(429, f"Thiết bị hoặc địa chỉ này đã gửi quá nhiều phản ánh; hãy thử lại sau khoảng "
                               f"{minutes} phút. / Too many reports from this device or address; try again in about "
                               f"{minutes} minute(s).", headers={"Retry-After": str(wait)})
        incident = services.incident_report(
            category=service_code, lon=params.get("long"), lat=params.get("lat"),
            description=params.get("description", ""), address=params.get("address_string", ""), channel="app",
            actor=Actor.citizen("app"), reporter=reporter, photos=photos, source=writes.REPORT)
    due = f" Hạn xử lý: {datetime_vi(incident.due_at)}." if incident.due_at else ""
    due_en = f" Expected by {_when(incident.due_at)}." if incident.due_at else ""
    notice = (f"Đã tiếp nhận phản ánh, mã tra cứu {incident.tracking_code}.{due} / Report received, tracking code "
              f"{incident.tracking_code}.{due_en}")
    return render.answer(fmt, "service_requests", [{"service_request_id": incident.tracking_code,
                                                    "service_notice": notice, "account_id": None}])


# -- the servicerequestupdates extension and discovery ---------------------------------------------------

@endpoint("GET")
def request_updates(request, fmt, params):
    start, end = _window(params)
    offset, limit = _paging(params)
    rows = selectors.request_updates(start=start, end=end, offset=offset, limit=limit, language=_language(params))
    return render.answer(fmt, "service_request_updates", [{
        "update_id": str(row["update_id"]),
        "service_request_id": row["tracking_code"],
        "status": "open" if row["open"] else "closed",
        "updated_datetime": _when(row["at"]),
        "description": row["description"],
        "media_url": _photo_url(request, row["photo_ids"][0]) if row["photo_ids"] else None,
    } for row in rows])


@endpoint("GET")
def discovery(request, fmt, params):
    changeset = "2026-12-01T00:00:00+07:00"
    return render.answer(fmt, "discovery", {
        "changeset": changeset,
        "contact": getattr(settings, "GEO_OPEN311_CONTACT",
                           "Trung tâm Giám sát, điều hành đô thị thông minh tỉnh Bình Phước (IOC)"),
        "key_service": "Khóa API do quản trị viên IOC cấp (trang quản trị hoặc lệnh open311_key). / API keys are "
                       "issued by the IOC administrators.",
        "endpoints": [{"specification": SPECIFICATION, "url": request.build_absolute_uri("/open311/v2/"),
                       "changeset": changeset, "type": "production", "formats": ["text/xml", "application/json"]}],
    })
