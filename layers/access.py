"""Who may read a layer, answered the same way at every exit (OGC API, tiles, the map)."""
from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse

from . import registry


def ogc_exception(status: int, code: str, description: str) -> HttpResponse:
    """An OGC API exception document (JSON)."""
    return HttpResponse(json.dumps({"code": code, "description": description}, ensure_ascii=False),
                        status=status, content_type="application/json; charset=utf-8")


def not_found() -> HttpResponse:
    return ogc_exception(404, "NotFound", "Không tìm thấy lớp dữ liệu. / Collection not found.")


def read_denial(request: HttpRequest, layer_id: str) -> HttpResponse | None:
    """None when the caller may read the layer (or it is no layer at all); otherwise 404 for an
    anonymous caller (as if it did not exist) and 403 for a signed-in one without the role."""
    try:
        spec = registry.get(layer_id)
    except KeyError:
        return None
    if spec.readable_by(registry.roles_of(request.user)):
        return None
    if request.user.is_authenticated:
        return ogc_exception(403, "Forbidden", "Bạn không có quyền xem lớp dữ liệu này. / You may not read this layer.")
    return not_found()


def readable_layer(request: HttpRequest, layer_id: str) -> tuple[registry.LayerSpec | None, HttpResponse | None]:
    """(the layer, None) when the caller may read it; (None, the 404/403 answer) otherwise, unknown
    layers included. For exits that serve registered layers only (tiles, exports)."""
    try:
        spec = registry.get(layer_id)
    except KeyError:
        return None, not_found()
    return (None, denied) if (denied := read_denial(request, layer_id)) else (spec, None)
