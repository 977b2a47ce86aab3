"""JSON for the IOC page: what is near an incident (units by road, clinics by road, cameras)."""
from __future__ import annotations

import math

from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from layers.access import ogc_exception, read_denial
from layers.geometry import PROVINCE_BBOX

from . import selectors

MAX_RADIUS_M = 5000.0
DEFAULT_RADIUS_M = 500.0
MAX_UNITS = 10


class BadParameter(ValueError):
    pass


def _number(request, name: str, default: float | None = None) -> float:
    raw = request.GET.get(name, "").strip()
    if not raw:
        if default is not None:
            return default
        raise BadParameter(f"Thiếu tham số {name}. / The {name} parameter is required.")
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise BadParameter(f"Tham số {name} phải là một số (dấu chấm thập phân). / {name} must be a number.")
    return value


def _kinds(request) -> list[str] | None:
    raw = request.GET.get("kinds", "").strip()
    if not raw:
        return None
    kinds = [k.strip() for k in raw.split(",") if k.strip()]
    known = selectors.unit_kinds()
    unknown = [k for k in kinds if k not in known]
    if unknown or len(kinds) > len(known):
        listed = ", ".join(known)
        raise BadParameter(f"Loại lực lượng không có: {', '.join(unknown)[:80]}; dùng {listed}. / Unknown unit kinds; "
                           f"use {listed}.")
    return kinds


def _query(request) -> dict:
    lon, lat = _number(request, "lon"), _number(request, "lat")
    minx, miny, maxx, maxy = PROVINCE_BBOX
    if not (minx <= lon <= maxx and miny <= lat <= maxy):
        raise BadParameter(f"Điểm ({lon}, {lat}) nằm ngoài tỉnh Bình Phước; lon/lat theo EPSG:4326. / The point is "
                           "outside Bình Phước province (lon/lat, EPSG:4326).")
    radius = _number(request, "radius", DEFAULT_RADIUS_M)
    if not 0 < radius <= MAX_RADIUS_M:
        raise BadParameter(f"Bán kính phải lớn hơn 0 và không quá {MAX_RADIUS_M:.0f} m. / radius must be more than 0 "
                           f"and at most {MAX_RADIUS_M:.0f} metres.")
    units = _number(request, "units", 5)
    if units != int(units) or not 1 <= units <= MAX_UNITS:
        raise BadParameter(f"units phải là số nguyên từ 1 đến {MAX_UNITS}. / units must be a whole number from 1 to "
                           f"{MAX_UNITS}.")
    return {"lon": lon, "lat": lat, "radius_m": radius, "kinds": _kinds(request), "units": int(units)}


@require_GET
def nearby(request) -> HttpResponse:
    """GET ?lon=&lat=(EPSG:4326)&radius=(metres, camera search, ≤ 5000)&kinds=fire,ambulance&units=5:
    {"units": [...], "clinics": [...], "cameras": [...]} with routes as GeoJSON LineStrings. For
    those who may read the response units layer (404 anonymous, 403 others); cameras only for those
    who may read the cameras layer (null otherwise)."""
    if denied := read_denial(request, "response_units"):
        return denied
    try:
        query = _query(request)
    except BadParameter as bad:
        return ogc_exception(400, "InvalidParameterValue", str(bad))
    found = selectors.nearby(**query, with_cameras=read_denial(request, "cameras") is None)
    return JsonResponse(found, json_dumps_params={"ensure_ascii": False, "separators": (",", ":")})
