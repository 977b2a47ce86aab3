"""The parcel panel of the public zoning look-up (planning disclosure, roadmap D.II.2)."""
from django.http import JsonResponse
from django.views.decorators.http import require_safe

from land.selectors import parcel_at, parcel_by_id
from layers.access import ogc_exception

from .selectors import parcel_panel


def _panel(parcel):
    if parcel is None:
        return ogc_exception(404, "NotFound", "Không có thửa đất ở đây. / No parcel here.")
    return JsonResponse(parcel_panel(parcel), json_dumps_params={"ensure_ascii": False})


@require_safe
def parcel_detail(request, parcel_id: int):
    return _panel(parcel_by_id(parcel_id))


@require_safe
def parcel_at_point(request):
    """GET /api/parcels/at?lon=..&lat=.. (EPSG:4326 degrees)."""
    try:
        lon, lat = float(request.GET["lon"]), float(request.GET["lat"])
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ValueError
    except (KeyError, ValueError):
        return ogc_exception(400, "InvalidParameterValue", "Cần lon và lat hợp lệ (độ). / lon and lat in degrees.")
    return _panel(parcel_at(lon, lat))
