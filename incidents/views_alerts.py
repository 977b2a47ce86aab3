"""The alerts API for machines (sensor and camera systems) holding an OAuth2 bearer token with a
role of ALERT_ROLES and the `write` scope: parse the reading, let incidents.alerts judge it, answer.

    POST /ioc/alerts/  {"rule": "water_level_high", "device": "WL-BE-01", "value": 3.4,
                        "lon": 106.9, "lat": 11.53, "at": "2026-06-01T08:00:00+07:00", "camera_code": null}
    201 {"incident": "PA-2606-7K3Q9", "state": "created"}   a new incident
    200 {"incident": ..., "state": "persisting"}             joined the open incident of this alert
    202 {"state": "below threshold" | "waiting for duration"}
"""
import json

from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from layers.access import ogc_exception
from layers.registry import roles_of

from . import alerts
from .workflows import WorkflowRefused

MAX_BODY = 64 * 1024
FIELDS = ("rule", "device", "value", "lon", "lat", "at", "camera_code")
CODES = {400: "InvalidParameterValue", 401: "Unauthorized", 403: "Forbidden", 409: "Conflict",
         429: "TooManyRequests"}


def _refusal(status: int, message: str, retry_after: int | None = None) -> HttpResponse:
    response = ogc_exception(status, CODES.get(status, "Error"), message)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="alerts"'
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


def _client_name(user) -> str:
    """The machine client's registered name (its OAuth2 application), else its client id."""
    from oauth2_provider.models import get_application_model

    name = get_application_model().objects.filter(client_id=user.client_id).values_list("name", flat=True).first()
    return f"máy: {name or user.client_id or user.subject}"


def _reading(request) -> dict:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY or len(request.body) > MAX_BODY:
        raise WorkflowRefused(400, "Nội dung quá lớn (tối đa 64 KB). / The body is larger than 64 KB.")
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise WorkflowRefused(400, "Nội dung không phải JSON hợp lệ. / The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise WorkflowRefused(400, "Nội dung phải là một đối tượng JSON. / The body must be a JSON object.")
    missing = [name for name in ("rule", "device", "lon", "lat") if name not in body]
    if missing:
        raise WorkflowRefused(400, f"Thiếu trường: {', '.join(missing)}. / Missing fields: {', '.join(missing)}.")
    return {name: body.get(name) for name in FIELDS}


@csrf_exempt  # bearer tokens only, no cookies: CSRF does not apply
@require_POST
def alert_post(request) -> HttpResponse:
    user = request.user
    if not getattr(user, "is_authenticated", False) or getattr(user, "scopes", None) is None:
        return _refusal(401, "Cần mã truy cập (OAuth2 bearer token) của thiết bị. / A machine's OAuth2 bearer "
                             "token is required.")
    if not roles_of(user) & alerts.ALERT_ROLES:
        return _refusal(403, "Mã truy cập không có vai trò gửi cảnh báo (sensor). / The token lacks the role to "
                             "post alerts (sensor).")
    if "write" not in user.scopes:
        return _refusal(403, "Mã truy cập thiếu phạm vi write. / The token lacks the write scope.")
    try:
        outcome = alerts.alert_receive(**_reading(request), client=_client_name(user))
    except WorkflowRefused as refused:
        return _refusal(refused.status, str(refused), getattr(refused, "retry_after", None))
    answer = {"state": outcome.state, "reading": outcome.reading_id}
    if outcome.incident is not None:
        answer["incident"] = outcome.incident.tracking_code
    status = {alerts.CREATED: 201, alerts.PERSISTING: 200}.get(outcome.state, 202)
    return JsonResponse(answer, status=status, json_dumps_params={"ensure_ascii": False})
