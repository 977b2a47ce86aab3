from django.http import HttpResponse
from django.views.decorators.http import require_safe

from layers.access import ogc_exception, readable_layer

from .services import tile_get

MAX_ZOOM = 22


@require_safe
def tile(request, layer_id: str, z: int, x: int, y: int):
    """/tiles/<layer>/<z>/<x>/<y>.pbf: a vector tile, for callers who may read the layer."""
    spec, refused = readable_layer(request, layer_id)
    if refused:
        return refused
    if not (0 <= z <= MAX_ZOOM and 0 <= x < 2**z and 0 <= y < 2**z):
        return ogc_exception(400, "InvalidParameterValue", f"Ô {z}/{x}/{y} không tồn tại. / No tile {z}/{x}/{y}.")
    return tile_response(request, spec, z, x, y)


def tile_response(request, spec, z: int, x: int, y: int) -> HttpResponse:
    body, version = tile_get(spec, z, x, y)
    etag = f'"{spec.id}-{version}-{z}-{x}-{y}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type="application/vnd.mapbox-vector-tile")
    response["ETag"] = etag
    # Clients revalidate: a write to the layer changes the version, hence the ETag.
    response["Cache-Control"] = ("public" if spec.public else "private") + ", no-cache"
    return response
