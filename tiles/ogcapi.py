"""OGC API Tiles for other clients (QGIS, MapLibre ...): each layer's vector tiles as a tileset in
the WebMercatorQuad tile matrix set, same data, cache and read rules as /tiles/."""
import math

from django.http import JsonResponse
from django.views.decorators.http import require_safe

from layers.access import ogc_exception, readable_layer

from .views import MAX_ZOOM, tile_response

TMS = "WebMercatorQuad"
TMS_URI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
# What this API adds to pygeoapi's conformance declaration (clients such as GDAL look for these).
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/tms/2.0/conf/tilematrixset",
    "http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixset",
]
TILESETS_REL = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
_HALF_WORLD = 20037508.3427892  # metres, EPSG:3857
_SCALE_Z0 = 559082264.0287178  # scale denominator of zoom 0 (0.28 mm pixels)


def tilesets_link(request, spec) -> dict:
    """The link a collection gives to its vector tilesets."""
    return {"rel": TILESETS_REL, "type": "application/json", "title": "Tiles (MVT)",
            "href": request.build_absolute_uri(f"/ogcapi/collections/{spec.id}/tiles")}


def _limits(z: int) -> dict:
    """The tile rows and columns of zoom `z` that cover the province."""
    from layers.geometry import PROVINCE_BBOX

    west, south, east, north = PROVINCE_BBOX
    n = 2**z

    def column(lon):
        return min(n - 1, max(0, int((lon + 180) / 360 * n)))

    def row(lat):
        return min(n - 1, max(0, int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)))

    return {"tileMatrix": str(z), "minTileRow": row(north), "maxTileRow": row(south),
            "minTileCol": column(west), "maxTileCol": column(east)}


def _tile_matrix_set(request) -> dict:
    """WebMercatorQuad with every zoom described, in the keys of both OGC Tile Matrix Set 2.0
    (tileMatrices, crs) and 1.0 (tileMatrix, supportedCRS), which Debian's GDAL 3.6 still reads."""
    crs = "http://www.opengis.net/def/crs/EPSG/0/3857"
    zooms = range(MAX_ZOOM + 1)
    return {
        "id": TMS, "identifier": TMS, "type": "TileMatrixSetType", "title": "Google Maps Compatible for the World",
        "uri": TMS_URI, "crs": crs, "supportedCRS": crs, "orderedAxes": ["X", "Y"],
        "wellKnownScaleSet": "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
        "boundingBox": {"type": "BoundingBoxType", "crs": crs, "lowerCorner": [-_HALF_WORLD, -_HALF_WORLD],
                        "upperCorner": [_HALF_WORLD, _HALF_WORLD]},
        "tileMatrices": [{"id": str(z), "scaleDenominator": _SCALE_Z0 / 2**z,
                          "cellSize": 2 * _HALF_WORLD / 256 / 2**z, "cornerOfOrigin": "topLeft",
                          "pointOfOrigin": [-_HALF_WORLD, _HALF_WORLD], "tileWidth": 256, "tileHeight": 256,
                          "matrixWidth": 2**z, "matrixHeight": 2**z} for z in zooms],
        "tileMatrix": [{"type": "TileMatrixType", "identifier": str(z), "scaleDenominator": _SCALE_Z0 / 2**z,
                        "topLeftCorner": [-_HALF_WORLD, _HALF_WORLD], "tileWidth": 256, "tileHeight": 256,
                        "matrixWidth": 2**z, "matrixHeight": 2**z} for z in zooms],
        "links": [{"rel": "self", "type": "application/json",
                   "href": request.build_absolute_uri(f"/ogcapi/tileMatrixSets/{TMS}")}],
    }


def _tileset(request, spec) -> dict:
    base = request.build_absolute_uri(f"/ogcapi/collections/{spec.id}/tiles/{TMS}")
    definition = request.build_absolute_uri(f"/ogcapi/tileMatrixSets/{TMS}")
    return {
        "title": f"{spec.title_vi} / {spec.title_en}", "dataType": "vector", "tileMatrixSetURI": TMS_URI,
        # Where the definition can be read (GDAL's OGCAPI driver reads it from here).
        "tileMatrixSetDefinition": definition,
        "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
        "links": [
            {"rel": "self", "type": "application/json", "href": base},
            {"rel": "http://www.opengis.net/def/rel/ogc/1.0/tileset", "type": "application/json", "href": base},
            {"rel": "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme", "type": "application/json",
             "href": definition},
            {"rel": "item", "type": "application/vnd.mapbox-vector-tile", "templated": True,
             "href": base + "/{tileMatrix}/{tileRow}/{tileCol}"},
        ],
        "tileMatrixSetLimits": [_limits(z) for z in range(spec.min_zoom, MAX_ZOOM + 1)],
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
    """The one tile matrix set offered: listed, or described in full."""
    description = _tile_matrix_set(request)
    if tms is None:
        summary = {k: description[k] for k in ("id", "title", "uri", "crs", "links")}
        return JsonResponse({"tileMatrixSets": [summary]})
    return JsonResponse(description) if tms == TMS else ogc_exception(404, "NotFound", "Unknown tile matrix set.")
