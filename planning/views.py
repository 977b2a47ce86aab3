"""The parcel panel of the public zoning look-up (planning disclosure, roadmap D.II.2)."""
import json

from django.contrib.gis.geos import Polygon
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from geo.i18n import language_of
from land.selectors import land_use_legend, parcel_by_id, parcels_near
from layers.access import ogc_exception
from layers.selectors import layers_changed_at

from .report import parcel_report_pdf
from .selectors import panel_at_point, panel_of_parcel, zones_over


def _panel(panel_json: str | None):
    """The panel as PostgreSQL built it (JSON text, one statement; planning.selectors)."""
    if panel_json is None:
        return ogc_exception(404, "NotFound", "Không có thửa đất ở đây. / No parcel here.")
    return HttpResponse(panel_json, content_type="application/json")


@require_safe
def parcel_detail(request, parcel_id: int):
    return _panel(panel_of_parcel(parcel_id))


@require_safe
def parcel_report(request, parcel_id: int):
    """GET /api/parcels/<id>/report.pdf: the one-page printable report, in the page's language (?lang=en
    or the language cookie)."""
    parcel = parcel_by_id(parcel_id)
    if parcel is None:
        return ogc_exception(404, "NotFound", "Không có thửa đất này. / No such parcel.")
    panel = json.loads(panel_of_parcel(parcel.pk))
    language = language_of(request)
    neighbours = parcels_near(parcel.geom, margin_deg=0.0015)
    zones = zones_over(Polygon.from_bbox(_grown(parcel.geom.extent, 0.0015)))
    pdf = parcel_report_pdf(panel, parcel.geom, neighbours, zones, land_use_legend(language=language),
                            layers_changed_at(["parcels", "zoning"]), language=language)
    response = HttpResponse(pdf, content_type="application/pdf")
    patch_vary_headers(response, ["Cookie"])  # the language may come from the cookie
    identity = panel["identity"]
    response["Content-Disposition"] = (f'inline; filename="thua-{identity["commune_code"]}-{identity["map_sheet_no"]}-'
                                       f'{identity["parcel_no"]}.pdf"')
    return response


def _grown(extent, margin):
    minx, miny, maxx, maxy = extent
    return (minx - margin, miny - margin, maxx + margin, maxy + margin)


@require_safe
def parcel_at_point(request):
    """GET /api/parcels/at?lon=..&lat=.. (EPSG:4326 degrees)."""
    try:
        lon, lat = float(request.GET["lon"]), float(request.GET["lat"])
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ValueError
    except (KeyError, ValueError):
        return ogc_exception(400, "InvalidParameterValue", "Cần lon và lat hợp lệ (độ). / lon and lat in degrees.")
    return _panel(panel_at_point(lon, lat))
