"""OGC API Tiles for other clients (QGIS, MapLibre ...): each layer's vector tiles as a tileset in
the WebMercatorQuad tile matrix set, same data, cache and read rules as /tiles/."""
from django.http import JsonResponse
from django.views.decorators.http import require_safe

from layers.access import ogc_exception, readable_layer

from .views import MAX_ZOOM, tile_response

TMS = "WebMercatorQuad"
TMS_URI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"


def _tileset(request, spec) -> dict:
    base = request.build_absolute_uri(f"/ogcapi/collections/{spec.id}/tiles/{TMS}")
    return {
        "title": f"{spec.title_vi} / {spec.title_en}", "dataType": "vector", "tileMatrixSetURI": TMS_URI,
        "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
        "links": [
            {"rel": "self", "type": "application/json", "href": base},
            {"rel": "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme", "type": "application/json",
             "href": request.build_absolute_uri(f"/ogcapi/tileMatrixSets/{TMS}")},
            {"rel": "item", "type": "application/vnd.mapbox-vector-tile", "templated": True,
             "href": base + "/{tileMatrix}/{tileRow}/{tileCol}"},
        ],
        "tileMatrixSetLimits": [{"tileMatrix": str(z)} for z in range(spec.min_zoom, MAX_ZOOM + 1)],
        "layers": [{"id": spec.id, "dataType": "vector", "geometryType": spec.geometry_type.lower(),
                    "minTileMatrix": str(spec.min_zoom), "maxTileMatrix": str(MAX_ZOOM)}],
    }


@require_safe
def tilesets(request, collection_id: str):
    spec, error = readable_layer(request, collection_id)
    return error or JsonResponse({"tilesets": [_tileset(request, spec)]}, json_dumps_params={"ensure_ascii": False})


@require_safe
def tileset(request, collection_id: str, tms: str):
    spec, error = readable_layer(request, collection_id)
    if error:
        return error
    if tms != TMS:
        return ogc_exception(404, "NotFound", f"Chỉ có {TMS}. / Only {TMS} is offered.")
    return JsonResponse(_tileset(request, spec), json_dumps_params={"ensure_ascii": False})


@require_safe
def tile(request, collection_id: str, tms: str, z: str, row: str, col: str):
    z, row, col = int(z), int(row), int(col)  # the route's regex admits digits only
    spec, error = readable_layer(request, collection_id)
    if error:
        return error
    if tms != TMS or not (0 <= z <= MAX_ZOOM and 0 <= row < 2**z and 0 <= col < 2**z):
        return ogc_exception(404, "NotFound", f"Không có ô {tms}/{z}/{row}/{col}. / No such tile.")
    return tile_response(request, spec, z, col, row)


@require_safe
def tile_matrix_sets(request, tms: str | None = None):
    """The one tile matrix set offered, described by reference to its OGC definition."""
    description = {"id": TMS, "title": "Google Maps Compatible for the World", "uri": TMS_URI,
                   "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
                   "links": [{"rel": "self", "href": request.build_absolute_uri(f"/ogcapi/tileMatrixSets/{TMS}")}]}
    if tms is None:
        return JsonResponse({"tileMatrixSets": [description]})
    return JsonResponse(description) if tms == TMS else ogc_exception(404, "NotFound", "Unknown tile matrix set.")
