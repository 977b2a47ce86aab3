"""OGC API Tiles for other clients (GDAL, QGIS, MapLibre ...): each layer's vector tiles as tilesets
in the WebMercatorQuad and WorldCRS84Quad tile matrix sets (tiles/grids.py), same data, cache and
read rules as /tiles/."""
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from layers.access import ogc_exception, readable_layer
from layers.geometry import PROVINCE_BBOX

from .grids import GRIDS, TILE_SIZE, WEB_MERCATOR, Grid
from .services import first_zoom
from .views import tile_response

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


def tilesets_link(request, spec) -> dict:
    """The link a collection gives to its vector tilesets."""
    return {"rel": TILESETS_REL, "type": "application/json", "title": "Tiles (MVT)",
            "href": request.build_absolute_uri(f"/ogcapi/collections/{spec.id}/tiles")}


def _tile_matrix_set(request, grid: Grid) -> dict:
    """A tile matrix set with every level described, in the keys of both OGC Tile Matrix Set 2.0
    (tileMatrices, crs) and 1.0 (tileMatrix, supportedCRS), which Debian's GDAL 3.6 still reads."""
    levels = range(grid.max_level + 1)
    lower, upper = grid.bounding_box()
    origin = grid.origin()

    def size(level):
        columns, rows = grid.matrix_size(level)
        return {"tileWidth": TILE_SIZE, "tileHeight": TILE_SIZE, "matrixWidth": columns, "matrixHeight": rows}

    return {
        "id": grid.id, "identifier": grid.id, "type": "TileMatrixSetType", "title": grid.title,
        "uri": grid.uri, "crs": grid.crs, "supportedCRS": grid.crs,
        "orderedAxes": ["X", "Y"] if grid is WEB_MERCATOR else ["Lon", "Lat"],
        "wellKnownScaleSet": ("http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible" if grid is WEB_MERCATOR
                              else "http://www.opengis.net/def/wkss/OGC/1.0/GoogleCRS84Quad"),
        "boundingBox": {"type": "BoundingBoxType", "crs": grid.crs, "lowerCorner": lower, "upperCorner": upper},
        "tileMatrices": [{"id": str(level), "scaleDenominator": grid.scale_denominator(level),
                          "cellSize": grid.cell_size(level), "cornerOfOrigin": "topLeft", "pointOfOrigin": origin,
                          **size(level)} for level in levels],
        "tileMatrix": [{"type": "TileMatrixType", "identifier": str(level),
                        "scaleDenominator": grid.scale_denominator(level), "topLeftCorner": origin, **size(level)}
                       for level in levels],
        "links": [{"rel": "self", "type": "application/json",
                   "href": request.build_absolute_uri(f"/ogcapi/tileMatrixSets/{grid.id}")}],
    }


def _tileset(request, spec, grid: Grid) -> dict:
    base = request.build_absolute_uri(f"/ogcapi/collections/{spec.id}/tiles/{grid.id}")
    definition = request.build_absolute_uri(f"/ogcapi/tileMatrixSets/{grid.id}")
    first, last = grid.level_of(first_zoom(spec)), grid.max_level
    return {
        "title": f"{spec.title_vi} / {spec.title_en}", "dataType": "vector", "tileMatrixSetURI": grid.uri,
        # Where the definition can be read (GDAL's OGCAPI driver reads it from here).
        "tileMatrixSetDefinition": definition,
        "crs": grid.crs,
        "links": [
            {"rel": "self", "type": "application/json", "href": base},
            {"rel": "http://www.opengis.net/def/rel/ogc/1.0/tileset", "type": "application/json", "href": base},
            {"rel": "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme", "type": "application/json",
             "href": definition},
            {"rel": "item", "type": "application/vnd.mapbox-vector-tile", "templated": True,
             "href": base + "/{tileMatrix}/{tileRow}/{tileCol}"},
        ],
        "tileMatrixSetLimits": [grid.limits(level, PROVINCE_BBOX) for level in range(first, last + 1)],
        "layers": [{"id": spec.id, "dataType": "vector", "geometryType": spec.geometry_type.lower(),
                    "minTileMatrix": str(first), "maxTileMatrix": str(last)}],
    }


def _unknown_grid(tms: str):
    offered = ", ".join(GRIDS)
    return ogc_exception(404, "NotFound", f"Không có bộ lưới ô {tms}; có: {offered}. / "
                                          f"No tile matrix set {tms}; offered: {offered}.")


@csrf_exempt  # read-only: unknown methods get 405, not a CSRF refusal
@require_safe
def tilesets(request, collection_id: str):
    spec, error = readable_layer(request, collection_id)
    return error or JsonResponse({"tilesets": [_tileset(request, spec, grid) for grid in GRIDS.values()]},
                                 json_dumps_params={"ensure_ascii": False})


@csrf_exempt  # read-only: unknown methods get 405, not a CSRF refusal
@require_safe
def tileset(request, collection_id: str, tms: str):
    spec, error = readable_layer(request, collection_id)
    if error:
        return error
    if tms not in GRIDS:
        return _unknown_grid(tms)
    return JsonResponse(_tileset(request, spec, GRIDS[tms]), json_dumps_params={"ensure_ascii": False})


@csrf_exempt  # read-only: unknown methods get 405, not a CSRF refusal
@require_safe
def tile(request, collection_id: str, tms: str, z: str, row: str, col: str):
    z, row, col = int(z), int(row), int(col)  # the route's regex admits digits only
    spec, error = readable_layer(request, collection_id)
    if error:
        return error
    grid = GRIDS.get(tms)
    if grid is None:
        return _unknown_grid(tms)
    if not grid.contains(z, row, col):
        return ogc_exception(404, "NotFound", f"Không có ô {tms}/{z}/{row}/{col}. / No tile {tms}/{z}/{row}/{col}.")
    return tile_response(request, spec, z, col, row, grid)


@csrf_exempt  # read-only: unknown methods get 405, not a CSRF refusal
@require_safe
def tile_matrix_sets(request, tms: str | None = None):
    """The tile matrix sets offered: listed, or one described in full."""
    if tms is None:
        summaries = [{k: d[k] for k in ("id", "title", "uri", "crs", "links")}
                     for d in (_tile_matrix_set(request, grid) for grid in GRIDS.values())]
        return JsonResponse({"tileMatrixSets": summaries})
    return JsonResponse(_tile_matrix_set(request, GRIDS[tms])) if tms in GRIDS else _unknown_grid(tms)
