"""What a caller sees when a request fails before or outside a view's own answer (unknown URL, bad
Host header, oversized body, CSRF refusal, an unexpected exception): JSON in the OGC API exception
format on the API paths, a short page in the caller's language elsewhere. Never a traceback, server
path or SQL: a server error shows a reference, and the details go to the log under it."""
from __future__ import annotations

import sys

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from geo.i18n import LANGUAGES, language_of
from layers.access import ogc_exception
from layers.errors import logged_reference

# First path segments answered in JSON. /o/authorize/ is the consent page a person sees: HTML.
API_ROOTS = ("ogcapi", "api", "tiles", "o")
BROWSER_PAGES = ("/o/authorize",)

# kind: (HTTP status, OGC exception code, description for API callers)
API = {
    "bad_request": (400, "BadRequest", "Yêu cầu không hợp lệ. / Bad request."),
    "unauthorized": (401, "Unauthorized", "Cần đăng nhập hoặc mã truy cập. / Authentication required."),
    "forbidden": (403, "Forbidden", "Bạn không có quyền thực hiện yêu cầu này. / You may not do this."),
    "csrf": (403, "InvalidCsrfToken", "Phiên trình duyệt phải gửi kèm mã CSRF (X-CSRFToken); ứng dụng dùng mã "
                                      "truy cập Bearer. / Browser sessions must send their CSRF token "
                                      "(X-CSRFToken); applications use a Bearer token."),
    "not_found": (404, "NotFound", "Không tìm thấy. / Not found."),
    "too_large": (413, "PayloadTooLarge", "Dữ liệu gửi lên quá lớn. / The request body is too large."),
    "server_error": (500, "ServerError", "Lỗi máy chủ, mã tham chiếu {reference}. / Server error, "
                                         "reference {reference}."),
}

# kind: (heading, message) of the HTML page, per language.
TEXTS = {
    "vi": {
        "site": "Hệ thống thông tin địa lý tỉnh Bình Phước",
        "other_language": "English",
        "home": "Về trang bản đồ",
        "bad_request": ("Yêu cầu không hợp lệ", "Máy chủ không hiểu yêu cầu này. Hãy kiểm tra địa chỉ hoặc dữ liệu "
                                                "đã gửi."),
        "forbidden": ("Không có quyền truy cập", "Bạn không có quyền mở trang này."),
        "csrf": ("Biểu mẫu đã hết hạn", "Biểu mẫu thiếu mã bảo vệ hoặc đã hết hạn. Hãy tải lại trang rồi gửi lại."),
        "not_found": ("Không tìm thấy trang", "Không có trang nào ở địa chỉ này."),
        "unauthorized": ("Cần đăng nhập", "Hãy đăng nhập để xem trang này."),
        "too_large": ("Dữ liệu quá lớn", "Dữ liệu gửi lên vượt quá giới hạn cho phép."),
        "server_error": ("Lỗi máy chủ", "Đã xảy ra lỗi trên máy chủ. Khi báo lỗi, hãy gửi kèm mã tham chiếu "
                                        "{reference}."),
    },
    "en": {
        "site": "Bình Phước province GIS",
        "other_language": "Tiếng Việt",
        "home": "Back to the map",
        "bad_request": ("Bad request", "The server could not understand this request. Check the address or the "
                                       "data sent."),
        "forbidden": ("Access denied", "You may not open this page."),
        "csrf": ("The form has expired", "The form lacks its security token or has expired. Reload the page and "
                                         "send it again."),
        "not_found": ("Page not found", "There is no page at this address."),
        "unauthorized": ("Sign-in required", "Sign in to see this page."),
        "too_large": ("Too much data", "The data sent is larger than allowed."),
        "server_error": ("Server error", "Something went wrong on the server. When you report it, quote the "
                                         "reference {reference}."),
    },
}


def _is_api(request: HttpRequest) -> bool:
    path = request.path_info
    return path.split("/", 2)[1] in API_ROOTS and not path.startswith(BROWSER_PAGES)


def _language(request: HttpRequest) -> str:
    try:
        return language_of(request)
    except SuspiciousOperation:  # the query string itself is the bad input (too many fields)
        return lang if (lang := request.COOKIES.get("lang")) in LANGUAGES else "vi"


def _answer(request: HttpRequest, kind: str, *, reference: str = "") -> HttpResponse:
    """The API's JSON or the page for `kind`. Rendered without the request: nothing here may touch
    the database, the session or the Host header, any of which may be what failed."""
    status, code, description = API[kind]
    if _is_api(request):
        response = ogc_exception(status, code, description.format(reference=reference))
        if status == 401:
            response["WWW-Authenticate"] = "Bearer"
        return response
    language = _language(request)
    texts = TEXTS[language]
    heading, message = texts[kind]
    html = render_to_string("geo/error.html", {
        "t": texts, "lang": language, "other_lang": "en" if language == "vi" else "vi", "status": status,
        "heading": heading, "message": message.format(reference=reference), "reference": reference})
    return HttpResponse(html, status=status, content_type="text/html; charset=utf-8")


_KIND_OF_STATUS = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 413: "too_large"}


def page_for_exception(request: HttpRequest, status: int, description: str) -> HttpResponse:
    """An OGC API exception shown to a browser (f=html): the page in the caller's language, with the
    part of the bilingual description ("tiếng Việt. / English.") in that language."""
    language = _language(request)
    texts = TEXTS[language]
    kind = _KIND_OF_STATUS.get(status, "bad_request" if status < 500 else "server_error")
    heading, default = texts[kind]
    vietnamese, _, english = description.partition(" / ")
    message = (english if language == "en" else vietnamese) or default
    html = render_to_string("geo/error.html", {
        "t": texts, "lang": language, "other_lang": "en" if language == "vi" else "vi", "status": status,
        "heading": heading, "message": message.format(reference="") if "{reference}" in message else message})
    return HttpResponse(html, status=status, content_type="text/html; charset=utf-8")


def _anonymous(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)  # absent when the request failed before authentication
    return not getattr(user, "is_authenticated", False)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's handler400: a bad Host header, too many fields, a body over DATA_UPLOAD_MAX_MEMORY_SIZE
    (413, so a client knows that shrinking the body helps)."""
    return _answer(request, "too_large" if isinstance(exception, RequestDataTooBig) else "bad_request")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's handler403. On the API an anonymous caller is told to authenticate (401)."""
    return _answer(request, "unauthorized" if _is_api(request) and _anonymous(request) else "forbidden")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's handler404."""
    return _answer(request, "not_found")


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's handler500, called inside the `except` that caught the view's exception."""
    reference = logged_reference(f"{request.method} {request.path}", sys.exc_info()[1])
    return _answer(request, "server_error", reference=reference)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """settings.CSRF_FAILURE_VIEW. A write without a CSRF token on the API is, for an anonymous
    caller, a write without credentials (401, use a Bearer token); for a browser session a 403."""
    if _is_api(request) and _anonymous(request):
        return _answer(request, "unauthorized")
    return _answer(request, "csrf")
