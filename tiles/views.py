from django.http import HttpResponse
from django.utils.http import parse_etags
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from layers.access import ogc_exception, readable_layer
from layers.selectors import layer_version

from .grids import MAX_ZOOM, WEB_MERCATOR, Grid
from .services import tile_get


@csrf_exempt  # read-only: unknown methods get 405, not a CSRF refusal
@require_safe
def tile(request, layer_id: str, z: int, x: int, y: int):
    """/tiles/<layer>/<z>/<x>/<y>.pbf: a vector tile, for callers who may read the layer."""
    spec, refused = readable_layer(request, layer_id)
    if refused:
        return refused
    if not (0 <= z <= MAX_ZOOM and 0 <= x < 2**z and 0 <= y < 2**z):
        return ogc_exception(400, "InvalidParameterValue", f"Ô {z}/{x}/{y} không tồn tại. / No tile {z}/{x}/{y}.")
    return tile_response(request, spec, z, x, y)


def _client_etags(request) -> set[str]:
    """The ETags a client revalidates with; compressed responses carried them weak (W/"...")."""
    return {tag.removeprefix("W/") for tag in parse_etags(request.headers.get("If-None-Match", ""))}


def tile_response(request, spec, z: int, x: int, y: int, grid: Grid = WEB_MERCATOR) -> HttpResponse:
    def etag(version):
        return f'"{spec.id}-{version}-{grid.id}-{z}-{x}-{y}"'

    version = layer_version(spec.id)
    if version is not None and etag(version) in _client_etags(request):  # unchanged: nothing to render or send
        response = HttpResponse(status=304)
        response["ETag"] = etag(version)
    else:
        body, version = tile_get(spec, z, x, y, grid)
        response = HttpResponse(body, content_type="application/vnd.mapbox-vector-tile")
        if version is not None:
            response["ETag"] = etag(version)
    # Clients revalidate: a write to the layer changes the version, hence the ETag.
    response["Cache-Control"] = ("public" if spec.public else "private") + ", no-cache"
    return response
