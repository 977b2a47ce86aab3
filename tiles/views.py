from django.http import HttpResponse
from django.views.decorators.http import require_safe

from layers import registry
from layers.access import not_found, ogc_exception, read_denial

from .sql import render_tile

MAX_ZOOM = 22


@require_safe
def tile(request, layer_id: str, z: int, x: int, y: int):
    """/tiles/<layer>/<z>/<x>/<y>.pbf: a vector tile, for callers who may read the layer."""
    if layer_id not in {spec.id for spec in registry.all_layers()}:
        return not_found()
    if denied := read_denial(request, layer_id):
        return denied
    spec = registry.get(layer_id)
    if not (0 <= z <= MAX_ZOOM and 0 <= x < 2**z and 0 <= y < 2**z):
        return ogc_exception(400, "InvalidParameterValue", f"Ô {z}/{x}/{y} không tồn tại. / No tile {z}/{x}/{y}.")
    body = render_tile(spec, z, x, y) if z >= spec.min_zoom else b""
    response = HttpResponse(body, content_type="application/vnd.mapbox-vector-tile")
    response["Cache-Control"] = "public, max-age=60" if spec.public else "private, max-age=60"
    return response
