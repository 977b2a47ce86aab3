"""pygeoapi behind a thin Django adapter that decides, per request, which collections exist.

pygeoapi has no access control, so each caller gets an API built from the configuration of the
layers its roles may read (cached per role set): internal layers are absent from the landing page,
the collection list, the OpenAPI document and every items URL of a caller without the role.
"""
from __future__ import annotations

import json
from functools import lru_cache

import pygeoapi.api as core_api
import pygeoapi.api.coverages as coverages_api
import pygeoapi.api.itemtypes as itemtypes_api
from csp.constants import SELF, UNSAFE_INLINE
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe
from pygeoapi import l10n
from pygeoapi.api import API, APIRequest, apply_gzip
from pygeoapi.openapi import get_oas

from importers.selectors import raster_coverages, raster_size
from layers import editing, registry, writes
from layers.access import ogc_exception, read_denial
from layers.errors import logged_reference
from layers.formats import whole_number_vi
from tiles import grids as tiles_grids
from tiles import ogcapi as tiles_ogcapi

from . import config, params
from .openapi import truthful


@lru_cache(maxsize=32)
def _api(collection_ids: frozenset[str], base_url: str, coverages: tuple[tuple, ...]) -> API:
    cfg = config.load(base_url=base_url, collection_ids=set(collection_ids),
                      coverages=[dict(zip(("id", "title", "kind_label", "path", "bbox"), c)) for c in coverages])
    layers = [spec for spec in registry.all_layers() if spec.id in collection_ids]
    return API(cfg, truthful(get_oas(cfg), layers, tuple(tiles_grids.GRIDS)))


def api_for(request: HttpRequest) -> API:
    """The API for the caller's role set; rebuilt when the raster catalogue changes."""
    roles = registry.roles_of(request.user)
    visible = frozenset(spec.id for spec in registry.readable_layers(roles))
    return _api(visible, request.build_absolute_uri("/ogcapi"), raster_coverages())


def _bad_parameter(error: params.BadParameter) -> HttpResponse:
    return ogc_exception(400, "InvalidParameterValue", str(error))


def _execute(request: HttpRequest, api_function, *args, skip_valid_check: bool = False,
             allowed: set[str] | None = params.COMMON_PARAMETERS) -> HttpResponse:
    try:
        params.check_common(request.GET, allowed)
    except params.BadParameter as error:
        return _bad_parameter(error)
    api = api_for(request)
    api_request = APIRequest.from_django(request, api.locales)
    if not skip_valid_check and not api_request.is_valid():
        headers, status, content = api.get_format_exception(api_request)
    else:
        if api_request.format == "html":
            # pygeoapi caches its translated configuration per language only, across API instances:
            # one role's HTML page would be rendered with another role's collections.
            l10n._cfg_cache.clear()
        try:
            headers, status, content = api_function(api, api_request, *args)
        except Exception as error:  # noqa: BLE001 - pygeoapi or its provider failed: a reference, no details
            reference = logged_reference(f"OGC API {request.method} {request.path} failed", error)
            return ogc_exception(500, "ServerError", f"Lỗi máy chủ, mã tham chiếu {reference}. / "
                                                     f"Server error, reference {reference}.")
        if status >= 500:
            # pygeoapi words provider failures with their SQL: log them, answer with a reference.
            reference = logged_reference(f"OGC API {request.path}: {status} {content[:2000]!r}")
            return ogc_exception(status, "ServerError", f"Lỗi máy chủ, mã tham chiếu {reference}. / "
                                                        f"Server error, reference {reference}.")
        if len(content) > settings.GEO_MAX_RESPONSE_BYTES:
            return ogc_exception(400, "ResponseTooLarge", "Kết quả quá lớn; hãy giảm limit hoặc thu nhỏ bbox. / "
                                                          "The answer is too large; ask for fewer features.")
        content = apply_gzip(headers, content)
    response = HttpResponse(content, status=status)
    for key, value in headers.items():
        response[key] = value
    if response.get("Content-Type", "").startswith("text/html"):
        # pygeoapi's HTML pages (and Swagger UI) carry inline scripts; JSON needs no scripts at all.
        response._csp_replace = {"script-src": [SELF, UNSAFE_INLINE]}
    return response


def _amend_json(response: HttpResponse, change) -> HttpResponse:
    """A successful JSON answer of pygeoapi, changed by `change(document)`."""
    if response.status_code != 200 or not response.get("Content-Type", "").startswith("application/json") \
            or response.get("Content-Encoding"):
        return response
    document = json.loads(response.content)
    change(document)
    response.content = json.dumps(document, ensure_ascii=False)
    return response


# Routes pygeoapi advertises that this platform does not serve (yet).
_UNSERVED_RELS = {"http://www.opengis.net/def/rel/ogc/1.0/processes", "http://www.opengis.net/def/rel/ogc/1.0/job-list"}


@csrf_exempt  # writes check CSRF in _edit; unknown methods get 405 first
@require_safe
def landing_page(request):
    def served_links_only(document):
        document["links"] = [link for link in document.get("links", []) if link.get("rel") not in _UNSERVED_RELS]
    return _amend_json(_execute(request, core_api.landing_page), served_links_only)


@csrf_exempt
@require_safe
def openapi(request):
    if request.GET.get("ui", "swagger") not in ("swagger", "redoc"):
        return _bad_parameter(params.BadParameter("ui phải là swagger hoặc redoc. / ui must be swagger or redoc."))
    return _execute(request, core_api.openapi_, allowed=params.COMMON_PARAMETERS | {"ui"})


@csrf_exempt
@require_safe
def conformance(request):
    def with_tiles(document):
        document["conformsTo"] = [*document.get("conformsTo", []),
                                  *(c for c in tiles_ogcapi.CONFORMANCE if c not in document.get("conformsTo", []))]
    return _amend_json(_execute(request, core_api.conformance), with_tiles)


@csrf_exempt
@require_safe
def collections(request, collection_id: str | None = None):
    if collection_id and (denied := read_denial(request, collection_id)):
        return denied
    layers = _layer_ids()

    def with_tiles_links(document):  # every layer is also served as vector tiles (tiles/)
        for collection in document.get("collections", [document]):
            if collection.get("id") in layers:
                collection.setdefault("links", []).append(
                    tiles_ogcapi.tilesets_link(request, registry.get(collection["id"])))
    return _amend_json(_execute(request, core_api.describe_collections, collection_id), with_tiles_links)


@csrf_exempt
@require_safe
def collection_schema(request, collection_id: str):
    return read_denial(request, collection_id) or _execute(request, core_api.get_collection_schema, collection_id)


@csrf_exempt
@require_safe
def collection_queryables(request, collection_id: str):
    return read_denial(request, collection_id) or _execute(
        request, itemtypes_api.get_collection_queryables, collection_id,
        allowed=params.COMMON_PARAMETERS | {"profile"})


def _edit(request, collection_id: str, action, **kwargs) -> HttpResponse:
    """Run an edit (layers.editing) for the caller: 404/403 as for reading, 401 when anonymous."""
    if denied := read_denial(request, collection_id):
        return denied
    if collection_id not in _layer_ids():  # rasters and unknown ids have no features to write
        return ogc_exception(404, "NotFound", "Không tìm thấy lớp dữ liệu. / Collection not found.")
    if not request.user.is_authenticated:
        response = ogc_exception(401, "Unauthorized", "Cần đăng nhập hoặc mã truy cập. / Authentication required.")
        response["WWW-Authenticate"] = "Bearer"
        return response
    if not getattr(request, "_dont_enforce_csrf_checks", False):  # a browser session, not a bearer token
        if refused := CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {}):
            return refused
    try:
        if request.method in ("POST", "PUT", "PATCH"):
            kwargs["feature"] = _json_body(request)
        return action(spec=registry.get(collection_id), editor=editing.Editor.of(request.user), **kwargs)
    except editing.EditRefused as refused:
        return ogc_exception(refused.status, refused.code, str(refused))


def _depth(value) -> int:
    """How deeply lists and objects nest in a parsed JSON value (iteratively: no recursion)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in (node.values() if isinstance(node, dict) else node))
    return deepest


def _json_body(request: HttpRequest):
    """The request's JSON body: refused (EditRefused) when too large, not UTF-8 JSON, or nested
    deeper than GEO_MAX_JSON_DEPTH."""
    try:
        body = request.body
    except RequestDataTooBig:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raise editing.EditRefused(413, "PayloadTooLarge", f"Nội dung lớn hơn giới hạn {whole_number_vi(limit)} byte. / "
                                                          f"The body exceeds {limit:,} bytes.")
    if not body.strip():
        raise editing.EditRefused(400, "InvalidParameterValue", "Thiếu nội dung (GeoJSON Feature). / Empty body.")
    try:
        feature = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise editing.EditRefused(400, "InvalidParameterValue", "Nội dung không phải UTF-8. / The body is not UTF-8.")
    except (ValueError, RecursionError):
        raise editing.EditRefused(400, "InvalidParameterValue", "Nội dung không phải JSON. / The body is not JSON.")
    if _depth(feature) > settings.GEO_MAX_JSON_DEPTH:
        raise editing.EditRefused(400, "InvalidParameterValue", "JSON lồng quá sâu. / The JSON nests too deeply.")
    return feature


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def collection_items(request, collection_id: str):
    if request.method == "POST":
        def create(**kwargs):
            feature_id = writes.feature_create(**kwargs).feature_id
            response = HttpResponse(status=201)
            response["Location"] = request.build_absolute_uri(f"/ogcapi/collections/{collection_id}/items/{feature_id}")
            return response
        return _edit(request, collection_id, create)
    if denied := read_denial(request, collection_id):
        return denied
    if collection_id in _layer_ids():
        try:
            request.GET = params.check_items(registry.get(collection_id), request.GET)
        except params.BadParameter as error:
            return _bad_parameter(error)
    return _as_geojson(_execute(request, itemtypes_api.get_collection_items, collection_id, skip_valid_check=True,
                                allowed=None))


def _as_geojson(response: HttpResponse) -> HttpResponse:
    """Features in JSON are GeoJSON: say so (pygeoapi labels them application/json)."""
    if response.status_code == 200 and response.get("Content-Type", "").startswith("application/json"):
        response["Content-Type"] = "application/geo+json"
    return response


def _layer_ids() -> set[str]:
    return {spec.id for spec in registry.all_layers()}


@csrf_exempt
@require_safe
def collection_coverage(request, collection_id: str):
    if denied := read_denial(request, collection_id):
        return denied
    if size := raster_size(collection_id):
        try:
            cells = params.coverage_cells(request.GET, *size)
        except params.BadParameter as error:
            return _bad_parameter(error)
        if cells > settings.GEO_MAX_COVERAGE_CELLS:
            asked, limit = (whole_number_vi(n) for n in (cells, settings.GEO_MAX_COVERAGE_CELLS))
            return ogc_exception(400, "ResponseTooLarge", f"Yêu cầu đọc khoảng {asked} ô raster, giới hạn {limit}; "
                                 "hãy chọn một phần bằng bbox= hoặc subset=Lat(..),Lon(..). / Too many cells: "
                                 "ask for a part with bbox= or subset=Lat(..),Lon(..).")
    return _execute(request, coverages_api.get_collection_coverage, collection_id, skip_valid_check=True,
                    allowed=None)


@csrf_exempt
@require_http_methods(["GET", "HEAD", "PUT", "PATCH", "DELETE"])
def collection_item(request, collection_id: str, item_id: str):
    if request.method in ("PUT", "PATCH"):
        def replace(**kwargs):
            writes.feature_replace(feature_id=item_id, partial=request.method == "PATCH", **kwargs)
            return HttpResponse(status=204)
        return _edit(request, collection_id, replace)
    if request.method == "DELETE":
        def delete(**kwargs):
            writes.feature_delete(feature_id=item_id, **kwargs)
            return HttpResponse(status=204)
        return _edit(request, collection_id, delete)
    if denied := read_denial(request, collection_id):
        return denied
    if collection_id in _layer_ids() and params.check_feature_id(item_id) is None:
        return ogc_exception(404, "NotFound", "Không tìm thấy đối tượng. / Feature not found.")
    return _as_geojson(_execute(request, itemtypes_api.get_collection_item, collection_id, item_id,
                                allowed=params.COMMON_PARAMETERS | {"crs"}))
