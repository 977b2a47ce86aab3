from django.http import HttpResponse
from django.middleware.gzip import re_accepts_gzip
from django.utils.cache import patch_vary_headers
from django.utils.http import parse_etags
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from layers.access import ogc_exception, readable_layer
from layers.selectors import layer_version

from .grids import MAX_ZOOM, WEB_MERCATOR, Grid
from .services import tile_get

MVT = "application/vnd.mapbox-vector-tile"


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


def accepts_gzip(request) -> bool:
    """Whether the client takes gzip-encoded bodies, read as Django's GZipMiddleware reads it (which
    compresses every other answer), so a client gets one coding whichever of the two answers it."""
    return bool(re_accepts_gzip.search(request.headers.get("Accept-Encoding", "")))


def tile_response(request, spec, z: int, x: int, y: int, grid: Grid = WEB_MERCATOR) -> HttpResponse:
    """A tile as stored (gzip, `Content-Encoding: gzip`) to clients that accept gzip, decompressed for
    the others; the ETag names the layer version (weak when compressed, as RFC 9110 asks of the
    representations of one resource in several codings), and a revalidation whose ETag names the
    current version gets a 304 from the version alone, the tile unread. (geo/fastpath.py answers the
    same way with the helpers below.)"""
    gzip_ok = accepts_gzip(request)
    if _client_etags(request) and (version := layer_version(spec.id)) is not None:
        current = tile_etag(spec, grid, z, x, y, version, gzip_ok)
        if revalidated(request, current):  # unchanged: nothing to read or send
            return not_modified(spec, current)
    tile = tile_get(spec, z, x, y, grid)
    return tile_answer(spec, tile, gzip_ok, None if tile.version is None else
                       tile_etag(spec, grid, z, x, y, tile.version, gzip_ok))


def tile_etag(spec, grid: Grid, z: int, x: int, y: int, version: int, gzip_ok: bool) -> str:
    tag = f'"{spec.id}-{version}-{grid.id}-{z}-{x}-{y}"'
    return "W/" + tag if gzip_ok else tag


def revalidated(request, current_etag: str) -> bool:
    """Whether the client's If-None-Match names the tile's current ETag (weak or strong)."""
    return current_etag.removeprefix("W/") in _client_etags(request)


def not_modified(spec, etag: str) -> HttpResponse:
    response = HttpResponse(status=304)
    response["ETag"] = etag
    return _revalidated_by_clients(spec, response)


def tile_answer(spec, tile, gzip_ok: bool, etag: str | None, mvt: bytes | None = None) -> HttpResponse:
    """The 200 answer with `tile` (tiles.services.Tile); `mvt`: its decompressed bytes when at hand."""
    if gzip_ok and tile.gzipped:
        response = HttpResponse(tile.gzipped, content_type=MVT)
        response["Content-Encoding"] = "gzip"  # Django's GZipMiddleware leaves encoded bodies alone
    else:
        response = HttpResponse(tile.mvt() if mvt is None else mvt, content_type=MVT)
    if etag is not None:
        response["ETag"] = etag
    return _revalidated_by_clients(spec, response)


def _revalidated_by_clients(spec, response: HttpResponse) -> HttpResponse:
    patch_vary_headers(response, ("Accept-Encoding",))
    # Clients revalidate: a write to the layer changes the version, hence the ETag.
    response["Cache-Control"] = ("public" if spec.public else "private") + ", no-cache"
    return response
