from django.http import JsonResponse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from geo.i18n import language_of
from layers.access import ogc_exception
from layers.geometry import BINH_PHUOC_TM3_SRID, VN2000_SRIDS

from .selectors import search


@require_safe
def search_view(request):
    """GET /api/search?q=...[&crs=EPSG code of metre coordinates, default 9212][&lang=en]; the
    language also follows the page's cookie."""
    try:
        srid = int(request.GET.get("crs") or BINH_PHUOC_TM3_SRID)
    except ValueError:
        srid = 0
    if srid not in VN2000_SRIDS:
        return ogc_exception(400, "InvalidParameterValue", "crs phải là một hệ VN-2000 (EPSG:9205–9218, 5896–5899, 3405).")
    response = JsonResponse(search(request.GET.get("q", ""), srid=srid, language=language_of(request)),
                            json_dumps_params={"ensure_ascii": False})
    patch_vary_headers(response, ["Cookie"])  # the language may come from the cookie
    return response
