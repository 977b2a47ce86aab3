"""The citizens' side of the IOC (/phan-anh/, "phản ánh" = report), no account needed: the report
form, the nearby open reports a citizen may support instead of filing again, the status page of a
tracking code (updated live), and the photos (published ones to anyone). Texts Vietnamese first,
English on the site's toggle (?lang=en). Everything a citizen sees is the public projection
(selectors.public_status): never the reporter, internal notes or an unpublished result."""
from __future__ import annotations

from pathlib import Path

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.db import connection, transaction
from django.http import FileResponse, Http404, HttpResponse, HttpResponseNotModified, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.audit import client_ip
from geo.i18n import language_of, remember_language
from layers import registry
from layers.geometry import PROVINCE_BBOX

from . import selectors, services, throttle
from .layers import INCIDENTS
from .photos import MAX_PHOTOS, PhotoRefused, photo_position
from .workflows import WorkflowRefused

TEXTS = {
    "vi": {
        "site": "Phản ánh hiện trường – Bình Phước", "other_language": "English", "title": "Gửi phản ánh",
        "intro": "Báo cho Trung tâm Điều hành (IOC) tỉnh một vấn đề bạn gặp: không cần tài khoản.",
        "category": "Loại vấn đề", "choose": "— Chọn loại vấn đề —",
        "where": "Vị trí", "where_help": "Chạm vào bản đồ để đặt vị trí, hoặc dùng vị trí của bạn. Nếu bạn không "
                                         "chọn, hệ thống dùng vị trí GPS trong ảnh (nếu có).",
        "my_position": "Dùng vị trí của tôi", "locating": "Đang lấy vị trí…",
        "located": "Đã đặt vị trí của bạn.", "placed": "Đã đặt vị trí.",
        "no_geolocation": "Không lấy được vị trí của bạn; hãy chạm vào bản đồ.",
        "outside": "Vị trí nằm ngoài tỉnh Bình Phước; hãy chạm vào bản đồ.",
        "description": "Mô tả", "description_help": "Điều gì đang xảy ra, ở đâu (tối đa 2000 ký tự).",
        "photos": "Ảnh (tối đa 3)", "photos_help": "JPEG, PNG hoặc WebP, mỗi ảnh tối đa {mb} MB. Thông tin vị trí "
                                                   "và máy ảnh trong ảnh được xoá khi lưu.",
        "contact": "Liên hệ (không bắt buộc)",
        "contact_help": "Chỉ cán bộ Trung tâm Điều hành (IOC) xem được họ tên và số điện thoại; không công khai.",
        "name": "Họ tên", "phone": "Số điện thoại", "send": "Gửi phản ánh", "sending": "Đang gửi…",
        "nearby_title": "Phản ánh cùng loại gần đây",
        "nearby_help": "Nếu đây là cùng vấn đề, hãy ủng hộ phản ánh đó thay vì gửi mới: vấn đề sẽ được ưu tiên "
                       "hơn.",
        "support": "Tôi cũng gặp vấn đề này", "send_anyway": "Vẫn gửi phản ánh mới",
        "nearby_held": "Phản ánh chưa được gửi: hãy xem các phản ánh trên. Nếu vấn đề của bạn khác, bấm “Vẫn gửi "
                       "phản ánh mới”.",
        "nearby_none": "Chưa có phản ánh cùng loại nào gần vị trí này.",
        "meters": "cách {m} m", "supporters": "{n} người cùng phản ánh",
        "pick_location": "Hãy chạm vào bản đồ để chọn vị trí (hoặc đính kèm ảnh có vị trí GPS).",
        "pick_category": "Hãy chọn loại vấn đề.", "too_many_photos": "Tối đa 3 ảnh cho một phản ánh.",
        "photo_too_big": "Ảnh {name} lớn hơn {mb} MB.", "remove": "Bỏ",
        "lookup": "Tra cứu phản ánh", "lookup_title": "Tra cứu phản ánh đã gửi", "code": "Mã tra cứu",
        "code_help": "Mã có dạng PA-2612-7K3Q9, nhận được khi gửi phản ánh.", "find": "Tra cứu",
        "not_found": "Không tìm thấy phản ánh có mã này. / No report has this code.",
        "status_title": "Phản ánh {code}", "your_code": "Mã tra cứu của bạn",
        "keep_code": "Hãy lưu lại mã này để theo dõi kết quả xử lý.",
        "status": "Trạng thái", "reported_at": "Gửi lúc", "supporters_label": "Số người cùng phản ánh",
        "timeline": "Diễn biến", "result": "Kết quả xử lý", "result_none": "Chưa có kết quả được công khai.",
        "result_published": "Công khai lúc", "merged": "Phản ánh này trùng với {code}; kết quả theo phản ánh đó.",
        "photos_published": "Ảnh", "live_on": "Trang tự cập nhật khi có thay đổi.",
        "live_poll": "Trang tự cập nhật mỗi {s} giây.", "updated": "Đã cập nhật lúc {t}.",
        "from_photo": "Vị trí lấy từ ảnh bạn gửi.", "new_report": "Gửi phản ánh khác",
        "supported": "Cảm ơn bạn! Đã ghi nhận bạn cùng phản ánh vấn đề này.",
        "kinds": {"report": "Tiếp nhận phản ánh", "support": "Thêm người cùng phản ánh",
                  "merged_in": "Gộp phản ánh trùng"},
        "rate_limited": "Bạn đã gửi nhiều phản ánh trong thời gian ngắn; hãy thử lại sau {vi}. / You have sent "
                        "many reports in a short time; please try again in {en}.",
        "no_location": "Hãy chọn vị trí trên bản đồ. / Please choose the location on the map.",
        "unknown_category": "Hãy chọn loại vấn đề trong danh sách. / Please choose a kind of problem from the list.",
        "too_many": "Tối đa {n} ảnh cho một phản ánh. / At most {n} photos per report.",
        "too_large": "Ảnh lớn hơn {mb} MB; hãy gửi ảnh nhỏ hơn. / A photo is larger than {mb} MB; please send a "
                     "smaller one.",
        "already_supported": "Bạn đã ủng hộ phản ánh này. / You already support this report.",
        "map_label": "Bản đồ chọn vị trí phản ánh",
    },
    "en": {
        "site": "Field reports – Bình Phước", "other_language": "Tiếng Việt", "title": "Report a problem",
        "intro": "Tell the province's Operations Centre (IOC) about a problem: no account needed.",
        "category": "Kind of problem", "choose": "— Choose the kind of problem —",
        "where": "Location", "where_help": "Tap the map to place it, or use your position. If you place nothing, "
                                           "the GPS position in your photo is used (when it has one).",
        "my_position": "Use my position", "locating": "Finding your position…",
        "located": "Your position is placed.", "placed": "Location placed.",
        "no_geolocation": "Your position is not available; please tap the map.",
        "outside": "That position is outside Bình Phước province; please tap the map.",
        "description": "Description", "description_help": "What is happening, and where (up to 2000 characters).",
        "photos": "Photos (up to 3)", "photos_help": "JPEG, PNG or WebP, at most {mb} MB each. Location and camera "
                                                     "data in photos are removed when stored.",
        "contact": "Contact (optional)",
        "contact_help": "Only the Operations Centre (IOC) staff see your name and phone number; never published.",
        "name": "Name", "phone": "Phone number", "send": "Send report", "sending": "Sending…",
        "nearby_title": "Reports of the same kind nearby",
        "nearby_help": "If it is the same problem, support that report instead of sending a new one: it will get "
                       "more priority.",
        "support": "I have this problem too", "send_anyway": "Send a new report anyway",
        "nearby_held": "Your report is not sent yet: please look at the reports above. If your problem is a "
                       "different one, press “Send a new report anyway”.",
        "nearby_none": "No report of this kind near this place yet.",
        "meters": "{m} m away", "supporters": "{n} people reported it",
        "pick_location": "Tap the map to choose the location (or attach a photo with a GPS position).",
        "pick_category": "Please choose the kind of problem.", "too_many_photos": "At most 3 photos per report.",
        "photo_too_big": "Photo {name} is larger than {mb} MB.", "remove": "Remove",
        "lookup": "Look up a report", "lookup_title": "Look up a report you sent", "code": "Tracking code",
        "code_help": "The code looks like PA-2612-7K3Q9; you got it when you sent the report.", "find": "Look up",
        "not_found": "Không tìm thấy phản ánh có mã này. / No report has this code.",
        "status_title": "Report {code}", "your_code": "Your tracking code",
        "keep_code": "Keep this code to follow what happens to your report.",
        "status": "Status", "reported_at": "Sent", "supporters_label": "People who reported it",
        "timeline": "Timeline", "result": "Result", "result_none": "No result has been published yet.",
        "result_published": "Published", "merged": "This report duplicates {code}; follow that report's result.",
        "photos_published": "Photos", "live_on": "This page updates by itself when something changes.",
        "live_poll": "This page updates itself every {s} seconds.", "updated": "Updated at {t}.",
        "from_photo": "The location was taken from your photo.", "new_report": "Report another problem",
        "supported": "Thank you! You are counted among the people reporting this problem.",
        "kinds": {"report": "Report received", "support": "Another citizen reported it",
                  "merged_in": "A duplicate report was merged"},
        "rate_limited": "Bạn đã gửi nhiều phản ánh trong thời gian ngắn; hãy thử lại sau {vi}. / You have sent "
                        "many reports in a short time; please try again in {en}.",
        "no_location": "Hãy chọn vị trí trên bản đồ. / Please choose the location on the map.",
        "unknown_category": "Hãy chọn loại vấn đề trong danh sách. / Please choose a kind of problem from the list.",
        "too_many": "Tối đa {n} ảnh cho một phản ánh. / At most {n} photos per report.",
        "too_large": "Ảnh lớn hơn {mb} MB; hãy gửi ảnh nhỏ hơn. / A photo is larger than {mb} MB; please send a "
                     "smaller one.",
        "already_supported": "Bạn đã ủng hộ phản ánh này. / You already support this report.",
        "map_label": "Map to place the report",
    },
}
POLL_SECONDS = 10
SUPPORTED_COOKIE = "pa_supported"  # signed: the reports this browser supported (one "me too" each)


def _page(request, template: str, context: dict, *, status: int = 200, headers: dict | None = None):
    language = language_of(request)
    response = render(request, template, {"t": TEXTS[language], "lang": language,
                                          "other_lang": "en" if language == "vi" else "vi", **context}, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return remember_language(request, response)


def _max_mb() -> str:
    return f"{settings.GEO_PHOTO_MAX_BYTES / 1024**2:g}"


def _form_context(request, values: dict | None = None, error: str = "") -> dict:
    language = language_of(request)
    texts = TEXTS[language]
    minx, miny, maxx, maxy = PROVINCE_BBOX
    return {
        "categories": selectors.categories(language=language, citizen_only=True),
        "values": values or {}, "error": error, "max_photos": MAX_PHOTOS,
        "photos_help": texts["photos_help"].format(mb=_max_mb()),
        "client": {"bounds": [[miny, minx], [maxy, maxx]], "basemap": settings.GEO_BASEMAP_URL,
                   "attribution": settings.GEO_BASEMAP_ATTRIBUTION, "max_photos": MAX_PHOTOS,
                   "max_bytes": settings.GEO_PHOTO_MAX_BYTES, "lang": language,
                   "texts": {k: v for k, v in texts.items() if isinstance(v, str)} | {"mb": _max_mb()}},
    }


def _is_staff(request) -> bool:
    """IOC staff entering a hotline call are not rate-limited."""
    return selectors.may_see_reporter(registry.roles_of(request.user))


class _Refusal(Exception):
    def __init__(self, status: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


def _uploaded_photos(request, texts: dict) -> list[bytes]:
    """The photos' bytes, each bounded before it is read; the client's names and types are ignored."""
    uploads = request.FILES.getlist("photos")
    if len(uploads) > MAX_PHOTOS:
        raise _Refusal(400, texts["too_many"].format(n=MAX_PHOTOS))
    limit = settings.GEO_PHOTO_MAX_BYTES
    photos = []
    for upload in uploads:
        if upload.size > limit:
            raise _Refusal(413, texts["too_large"].format(mb=_max_mb()))
        data = upload.read(limit + 1)
        if len(data) > limit:
            raise _Refusal(413, texts["too_large"].format(mb=_max_mb()))
        photos.append(data)
    return photos


def _location(post, photos: list[bytes], texts: dict) -> tuple[float, float, bool]:
    """The point the citizen placed (EPSG:4326 degrees), else the first photo's GPS position inside the
    province (best effort: many phones strip it); the flag says it came from a photo."""
    lon, lat = post.get("lon", "").strip(), post.get("lat", "").strip()
    if lon and lat:
        return lon, lat, False
    for data in photos:
        # From the header only: the photo is decoded once, by the report, after the rate limit.
        gps = photo_position(data, max_bytes=settings.GEO_PHOTO_MAX_BYTES)
        if gps is not None:
            try:
                lon, lat = services.location_checked(*gps)
            except WorkflowRefused:
                continue
            return lon, lat, True
    raise _Refusal(400, texts["no_location"])


@require_http_methods(["GET", "POST"])
def report(request):
    """GET: the report form. POST (multipart, CSRF-protected, works without script): file the report,
    then the status page of its tracking code (303)."""
    if request.method == "GET":
        return _page(request, "incidents/report.html", _form_context(request))
    texts = TEXTS[language_of(request)]
    post = request.POST
    values = {k: post.get(k, "") for k in ("category", "lon", "lat", "description", "name", "phone")}
    staff = _is_staff(request)
    try:
        if not staff and values["category"] not in {c["code"] for c in selectors.categories(citizen_only=True)}:
            raise _Refusal(400, texts["unknown_category"])
        with transaction.atomic():
            # The limit first (under its per-address lock): a refused request costs no photo decoding.
            wait = None if staff else throttle.report_retry_after(client_ip(request))
            if wait is not None:
                vi, en = throttle.wait_text(wait)
                raise _Refusal(429, texts["rate_limited"].format(vi=vi, en=en), {"Retry-After": str(wait)})
            photos = _uploaded_photos(request, texts)
            lon, lat, from_photo = _location(post, photos, texts)
            incident = services.incident_report(
                category=values["category"], lon=lon, lat=lat, description=values["description"], channel="web",
                actor=services.Actor.of(request.user) if staff else services.Actor.citizen("web"),
                reporter={"name": values["name"], "phone": values["phone"], "address_ip": client_ip(request)},
                photos=photos)
    except _Refusal as refusal:
        return _page(request, "incidents/report.html", _form_context(request, values, refusal.message),
                     status=refusal.status, headers=refusal.headers)
    except (WorkflowRefused, PhotoRefused) as error:
        status = getattr(error, "status", 400)
        return _page(request, "incidents/report.html", _form_context(request, values, str(error)),
                     status=status if 400 <= status < 500 else 400)
    url = reverse("incidents-public:status", args=[incident.tracking_code])
    return _see_other(url + ("?vi-tri=anh" if from_photo else "?moi=1"))


def _see_other(url: str) -> HttpResponse:
    response = HttpResponse(status=303)
    response["Location"] = url
    return response


def _json_error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status, json_dumps_params={"ensure_ascii": False})


@require_GET
def nearby(request):
    """GET ?category=&lon=&lat= (EPSG:4326 degrees): open reports of that category within the
    duplicate radius, nearest first, public fields only."""
    category = request.GET.get("category", "")[:32]
    try:
        lon, lat = services.location_checked(request.GET.get("lon"), request.GET.get("lat"))
    except WorkflowRefused as error:
        return _json_error(400, str(error))
    rows = selectors.nearby_open(category=category, lon=lon, lat=lat, language=language_of(request), public=True)
    reports = [{k: v for k, v in row.items() if k != "id"} |
               {"status_url": reverse("incidents-public:status", args=[row["tracking_code"]]),
                "support_url": reverse("incidents-public:support", args=[row["tracking_code"]])} for row in rows]
    response = JsonResponse({"reports": reports, "radius_m": settings.GEO_DUPLICATE_RADIUS_M},
                            json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    return response


def _supported(request) -> list[str]:
    value = request.get_signed_cookie(SUPPORTED_COOKIE, default="", salt="incidents.support")
    return [c for c in value.split(",") if c]


@require_POST
def support(request, code: str):
    """"Me too" on an open report (once per browser), instead of filing a duplicate; then its status page
    (or JSON for the page's script)."""
    incident = selectors.incident_by_code(code)
    if incident is None:
        raise Http404
    wants_json = "application/json" in request.headers.get("Accept", "")
    texts = TEXTS[language_of(request)]
    supported = _supported(request)
    if incident.tracking_code in supported:
        if wants_json:
            return _json_error(409, texts["already_supported"])
        return _see_other(reverse("incidents-public:status", args=[incident.tracking_code]))
    try:
        with transaction.atomic():
            wait = throttle.support_retry_after(client_ip(request))
            if wait is not None:
                vi, en = throttle.wait_text(wait)
                error = WorkflowRefused(429, texts["rate_limited"].format(vi=vi, en=en))
                response = _json_error(429, str(error)) if wants_json else HttpResponse(
                    str(error), status=429, content_type="text/plain; charset=utf-8")
                response["Retry-After"] = str(wait)
                return response
            incident = services.incident_support(incident_id=incident.pk, actor=services.Actor.citizen("web"),
                                                 address_ip=client_ip(request))
    except WorkflowRefused as error:
        return _json_error(error.status, str(error)) if wants_json else HttpResponse(str(error), status=error.status,
                                                                                     content_type="text/plain")
    url = reverse("incidents-public:status", args=[incident.tracking_code]) + "?ung-ho=1"
    response = JsonResponse({"tracking_code": incident.tracking_code, "supporters": incident.supporters,
                             "status_url": url}) if wants_json else _see_other(url)
    response.set_signed_cookie(SUPPORTED_COOKIE, ",".join((supported + [incident.tracking_code])[-50:]),
                               salt="incidents.support", max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
                               secure=request.is_secure())
    return response


@require_GET
def lookup(request):
    """GET ?ma=<tracking code>: the status page of that code, or the lookup form (404 when not found)."""
    code = request.GET.get("ma", "").strip()
    if not code:
        return _page(request, "incidents/status_lookup.html", {"code": ""})
    incident = selectors.incident_by_code(code)
    if incident is None:
        return _page(request, "incidents/status_lookup.html", {"code": code[:20], "error": True}, status=404)
    return redirect("incidents-public:status", incident.tracking_code)


def _public(incident, language: str) -> dict:
    status = selectors.public_status(incident, language=language)
    kinds = TEXTS[language]["kinds"]
    for step in status["timeline"]:
        if step["kind"] in ("report", "support"):
            step["note"] = ""  # the label says it
        step["label"] = step["status_name"] if step["kind"] != "report" and step["status_name"] else \
            kinds.get(step["kind"], step["status_name"] or step["kind"])
    status["photo_urls"] = [{"full": reverse("incidents-public:photo", args=[p]),
                             "thumb": reverse("incidents-public:photo-thumb", args=[p])} for p in status["photos"]]
    del status["photos"]
    status["json_url"] = reverse("incidents-public:status-json", args=[incident.tracking_code])
    status["live_url"] = reverse("incidents-public:status-live", args=[incident.tracking_code])
    return status


@require_GET
def status_page(request, code: str):
    """The status of a report by its tracking code: category, status, public timeline, published
    result and photos; kept up to date by static/incidents/status.js."""
    incident = selectors.incident_by_code(code)
    if incident is None:
        return _page(request, "incidents/status_lookup.html", {"code": code[:20], "error": True}, status=404)
    language = language_of(request)
    status = _public(incident, language)
    texts = TEXTS[language]
    response = _page(request, "incidents/status.html", {
        "s": status, "merged_parts": texts["merged"].split("{code}"), "from_photo": request.GET.get("vi-tri") == "anh", "supported": request.GET.get("ung-ho") == "1",
        "fresh": request.GET.get("vi-tri") is not None or request.GET.get("moi") == "1",
        "client": {"json_url": status["json_url"], "live_url": status["live_url"], "poll_s": POLL_SECONDS,
                   "texts": {k: v for k, v in texts.items() if isinstance(v, str)}},
    })
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def status_json(request, code: str):
    incident = selectors.incident_by_code(code)
    if incident is None:
        return _json_error(404, TEXTS["vi"]["not_found"])
    response = JsonResponse(_public(incident, language_of(request)), json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    return response


def _followed_ids(code: str) -> set[int] | None:
    """The incident of a tracking code and, once merged, its primary (whose changes it follows)."""
    try:
        incident = selectors.incident_by_code(code)
        if incident is None:
            return None
        ids = {incident.pk}
        merged_into = selectors.public_status(incident)["merged_into"]
        primary = selectors.incident_by_code(merged_into) if merged_into else None
        if primary is not None:
            ids.add(primary.pk)
        return ids
    finally:
        if not connection.in_atomic_block:
            connection.close()  # the stream outlives this request's thread; it holds no connection


async def status_live(request, code: str):
    """Server-Sent Events for a status page: an event (`{"changed": true, "version": n}`, nothing else:
    the page then reads the public JSON) whenever the report or its primary changes. Carrying no field
    of the incident, it cannot leak what the public projection hides."""
    if not isinstance(request, ASGIRequest):
        # Served by the threaded WSGI application, a stream would hold a thread for ever: the page polls.
        response = _json_error(503, "Cập nhật trực tiếp không khả dụng; trang tự tải lại định kỳ. / Live updates "
                                    "are not available; the page polls instead.")
        response["Retry-After"] = str(POLL_SECONDS)
        return response
    from live.streams import event_stream

    ids = await sync_to_async(_followed_ids)(code)
    if ids is None:
        return _json_error(404, TEXTS["vi"]["not_found"])
    return await event_stream(request, spec=INCIDENTS, accept=lambda entry: entry["feature_id"] in ids,
                              render=lambda entry: {"changed": True, "version": entry["version"]})


def _photo_response(request, photo_id: int, *, thumb: bool):
    """A photo the caller may see (published: anyone; otherwise those who may read its incident),
    else 404 whether or not it exists. The file's path comes from the database row only."""
    relative = selectors.photo_for(photo_id, roles=registry.roles_of(request.user), thumb=thumb)
    if not relative:
        raise Http404
    root = Path(settings.GEO_MEDIA_DIR).resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise Http404
    etag = f'"{path.stem}"'  # files are never rewritten: a new photo gets a new uuid4 name
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponseNotModified()
    else:
        response = FileResponse(open(path, "rb"), content_type="image/jpeg")
        response["Content-Disposition"] = f'inline; filename="{path.name}"'
    response["ETag"] = etag
    # Never `public`: unpublishing takes effect within minutes and shared caches keep nothing.
    response["Cache-Control"] = "private, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Vary"] = "Cookie"
    return response


@require_GET
def photo(request, photo_id: int):
    return _photo_response(request, photo_id, thumb=False)


@require_GET
def photo_thumb(request, photo_id: int):
    return _photo_response(request, photo_id, thumb=True)

