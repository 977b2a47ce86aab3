"""pygeoapi behind a thin Django adapter that decides, per request, which collections exist.

pygeoapi has no access control, so each caller gets an API built from the configuration of the
layers its roles may read (cached per role set): internal layers are absent from the landing page,
the collection list, the OpenAPI document and every items URL of a caller without the role.
"""
from __future__ import annotations

import datetime as dt
import gzip
import json
import re
from functools import lru_cache
from urllib.parse import quote

import pygeoapi.api as core_api
import pygeoapi.api.coverages as coverages_api
import pygeoapi.api.itemtypes as itemtypes_api
from csp.constants import SELF, UNSAFE_INLINE
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.html import escape
from django.utils.http import parse_etags
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe
from pygeoapi import l10n
from pygeoapi.api import API, SYSTEM_LOCALE, APIRequest, apply_gzip
from pygeoapi.openapi import get_oas

from geo.i18n import language_of, remember_language
from importers.selectors import raster_coverages, raster_size
from layers import editing, history, registry, writes
from layers.access import ogc_exception, read_denial
from layers.errors import logged_reference
from layers.formats import datetime_vi, whole_number_vi
from tiles import grids as tiles_grids
from tiles import ogcapi as tiles_ogcapi

from . import changes as changes_api
from . import config, cql2, features, params
from .openapi import truthful
from .provider import read_connection


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


def _api_request(request: HttpRequest, allowed: set[str] | None) -> tuple[API, APIRequest] | HttpResponse:
    """pygeoapi's API for the caller and its request, once the common parameters are checked (the 400
    answer when one is refused)."""
    try:
        params.check_common(request.GET, allowed)
    except params.BadParameter as error:
        return _bad_parameter(error)
    api = api_for(request)
    api_request = APIRequest.from_django(request, api.locales)
    if api_request.format == "html" and l10n.QUERY_PARAM not in request.GET:
        # A page is in the platform's language (the toggle's cookie, else Vietnamese), as every other page
        # of the platform; JSON keeps pygeoapi's negotiation (lang=, then Accept-Language) for clients.
        chosen = language_of(request)
        api_request._raw_locale, api_request._locale = chosen, l10n.str2locale(chosen)
    return api, api_request


_TOGGLE_MARK = "<!-- geo:language-toggle -->"


def _with_language_toggle(request: HttpRequest, api_request: APIRequest, page: str) -> str:
    """pygeoapi's page with the platform's language toggle in its menu: the same page (the query as sent,
    filter included) in the other language, remembered by remember_language."""
    other = "vi" if api_request.locale.language == "en" else "en"
    query = QueryDict(request.META.get("QUERY_STRING", ""), mutable=True)
    query[l10n.QUERY_PARAM] = other
    label = dict(settings.LANGUAGES)[other]  # the language's own name
    link = (f'<li class="nav-item"><a href="?{escape(query.urlencode())}" class="nav-link" lang="{other}" '
            f'hreflang="{other}">{label}</a></li>')
    return page.replace(_TOGGLE_MARK, link, 1)


def _execute(request: HttpRequest, api_function, *args, skip_valid_check: bool = False,
             allowed: set[str] | None = params.COMMON_PARAMETERS) -> HttpResponse:
    checked = _api_request(request, allowed)
    if isinstance(checked, HttpResponse):
        return checked
    api, api_request = checked
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
        if isinstance(content, str) and headers.get("Content-Type", "").startswith("text/html"):
            content = _with_language_toggle(request, api_request, content)
        content = apply_gzip(headers, content)
    response = HttpResponse(content, status=status)
    for key, value in headers.items():
        response[key] = value
    if response.get("Content-Type", "").startswith("text/html"):
        # pygeoapi's HTML pages (and Swagger UI) carry inline scripts; JSON needs no scripts at all.
        response._csp_replace = {"script-src": [SELF, UNSAFE_INLINE]}
        patch_vary_headers(response, ["Cookie"])  # the language toggle's cookie
        remember_language(request, response)
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
    def with_tiles(document):  # and with CQL2 filtering (OGC API Features Part 3, ogcapi.cql2)
        document["conformsTo"] = [*document.get("conformsTo", []),
                                  *(c for c in (*tiles_ogcapi.CONFORMANCE, *cql2.CONFORMANCE)
                                    if c not in document.get("conformsTo", []))]
    return _amend_json(_execute(request, core_api.conformance), with_tiles)


@csrf_exempt
@require_safe
def collections(request, collection_id: str | None = None):
    if collection_id and (denied := read_denial(request, collection_id)):
        return denied
    layers = _layer_ids()

    def with_tiles_links(document):  # every layer is also served as vector tiles (tiles/) and has a change feed
        for collection in document.get("collections", [document]):
            if collection.get("id") in layers:
                collection.setdefault("links", []).append(
                    tiles_ogcapi.tilesets_link(request, registry.get(collection["id"])))
                collection["links"].append(changes_api.changes_link(request, collection["id"]))
    return _amend_json(_execute(request, core_api.describe_collections, collection_id), with_tiles_links)


@csrf_exempt
@require_safe
def collection_schema(request, collection_id: str):
    return read_denial(request, collection_id) or _execute(request, core_api.get_collection_schema, collection_id)


@csrf_exempt
@require_safe
def collection_queryables(request, collection_id: str):
    """A layer's queryables in JSON are what its CQL2 filters may name (ogcapi.cql2.queryables); the
    HTML page and the rasters' queryables are pygeoapi's."""
    if denied := read_denial(request, collection_id):
        return denied
    allowed = params.COMMON_PARAMETERS | {"profile"}
    if collection_id in _layer_ids():
        checked = _api_request(request, allowed)
        if isinstance(checked, HttpResponse):
            return checked
        if checked[1].format in (None, "json"):
            document = {"$id": request.build_absolute_uri(f"/ogcapi/collections/{collection_id}/queryables"),
                        **cql2.queryables(registry.get(collection_id))}
            return HttpResponse(json.dumps(document, ensure_ascii=False), content_type="application/schema+json")
    return _execute(request, itemtypes_api.get_collection_queryables, collection_id, allowed=allowed)


# -- conditional requests: a feature's ETag is its version ------------------------------------------------

def etag(version: int) -> str:
    return f'"{version}"'


def _tags(header: str) -> list[str]:
    """The entity tags of an If-Match / If-None-Match header, W/ dropped (GZipMiddleware weakens the
    ETags of compressed answers; a version is the same version either way)."""
    return [tag.removeprefix("W/") for tag in parse_etags(header)]


def expected_versions(request: HttpRequest) -> set[int] | None:
    """The versions If-Match accepts (None: any, for `*` or no header); 428 without one when
    settings.GEO_REQUIRE_IF_MATCH, 400 when it holds no entity tag at all."""
    header = request.headers.get("If-Match")
    if header is None:
        if settings.GEO_REQUIRE_IF_MATCH:
            raise editing.EditRefused(428, "PreconditionRequired", "Cần tiêu đề If-Match với ETag của đối tượng "
                                      "(đọc đối tượng trước khi sửa). / If-Match with the feature's ETag is required.")
        return None
    tags = _tags(header)
    if tags == ["*"]:
        return None
    if not tags:
        raise editing.EditRefused(400, "InvalidParameterValue", 'If-Match phải là ETag, ví dụ "3". / If-Match must '
                                  'hold entity tags, e.g. "3".')
    # A tag that is no version (e.g. "abc") matches none: 412 with the current one.
    return {int(tag[1:-1]) for tag in tags if tag[1:-1].isascii() and tag[1:-1].isdigit() and len(tag) < 12}


def _refused(refused: editing.EditRefused) -> HttpResponse:
    response = ogc_exception(refused.status, refused.code, str(refused))
    if isinstance(refused, writes.PreconditionFailed):
        response["ETag"] = etag(refused.current)
    return response


def _written(status: int, written: writes.Written, body: dict | None = None) -> HttpResponse:
    """The answer to a write: `status`, the feature's new ETag, and a small JSON `body` if any."""
    response = (HttpResponse(json.dumps(body), status=status, content_type="application/json")
                if body is not None else HttpResponse(status=status))
    response["ETag"] = etag(written.version)
    return response


MERGE_PATCH = "application/merge-patch+json"
PATCH_TYPES = (MERGE_PATCH, "application/json", "application/geo+json")


def _patch_feature(content_type: str, patch) -> dict:
    """A PATCH body as the partial Feature layers.writes takes. A JSON merge patch (RFC 7396) may
    leave out "type" and "geometry"; null clears a property, and cannot remove the geometry (every
    feature has one) nor all properties. application/geo+json is a partial Feature whose null
    geometry means "unchanged" (as before merge patches were taken)."""
    if not isinstance(patch, dict):
        raise editing.EditRefused(400, "InvalidParameterValue", "Cần một đối tượng JSON. / A JSON object is required.")
    if content_type == "application/geo+json":
        return patch
    if "geometry" in patch and patch["geometry"] is None:
        raise editing.EditRefused(400, "InvalidParameterValue", "Không xóa được hình học: mỗi đối tượng phải có hình "
                                  "học; bỏ \"geometry\" để giữ nguyên. / The geometry cannot be removed; leave "
                                  "\"geometry\" out to keep it.")
    if "properties" in patch and patch["properties"] is None:
        raise editing.EditRefused(400, "InvalidParameterValue", "Đặt từng thuộc tính về null để xóa nó. / Set "
                                  "single properties to null to clear them.")
    return {"type": "Feature", **patch}


def _edit(request, collection_id: str, action, *, body: bool = True, conditional: bool = False,
          media_types: tuple[str, ...] = (), **kwargs) -> HttpResponse:
    """Run an edit (layers.writes) for the caller: 404/403 as for reading, 401 when anonymous; with
    `body`, the JSON body is the `feature` (415 for a body labelled other than `media_types`, when given);
    `conditional` edits pass If-Match's versions as `expected` (412 when stale, 428 when required and
    missing)."""
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
        if conditional:
            kwargs["expected"] = expected_versions(request)
        if media_types and request.META.get("CONTENT_TYPE") and request.content_type not in media_types:
            return ogc_exception(415, "UnsupportedMediaType", f"Nội dung phải là {' hoặc '.join(media_types)}. / "
                                                              f"The body must be {' or '.join(media_types)}.")
        if body:
            kwargs["feature"] = _json_body(request)
        return action(spec=registry.get(collection_id), editor=editing.Editor.of(request.user), **kwargs)
    except editing.EditRefused as refused:
        return _refused(refused)


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
            written = writes.feature_create(**kwargs)
            response = _written(201, written)
            response["Location"] = request.build_absolute_uri(
                f"/ogcapi/collections/{collection_id}/items/{written.feature_id}")
            return response
        return _edit(request, collection_id, create)
    if denied := read_denial(request, collection_id):
        return denied
    if collection_id not in _layer_ids():  # a raster's items: pygeoapi says what it says
        return _as_geojson(_execute(request, itemtypes_api.get_collection_items, collection_id,
                                    skip_valid_check=True, allowed=None))
    spec = registry.get(collection_id)
    try:
        request.GET = params.check_items(spec, request.GET)
        if (at := params.as_of(request.GET)) is not None:
            return _collection_as_of(request, spec, at, params.check_as_of(request.GET))
        compiled = compiled_filter(spec, request.GET)
    except params.BadParameter as error:
        return _bad_parameter(error)
    # The JSON answer needs no collection list (read_denial has decided): the API of no collections
    # gives pygeoapi's locales and headers without looking up the caller's role set or the rasters.
    api = _api(frozenset(), request.build_absolute_uri("/ogcapi"), ())
    api_request = APIRequest.from_django(request, api.locales)
    if api_request.format in (None, "json"):
        return _items_json(request, spec, api, api_request, compiled)
    # Other formats (the HTML page) are pygeoapi's, read through ogcapi.provider: the filter goes
    # there compiled, pygeoapi never parses it.
    shown = request.GET.copy()
    filter_query = "".join(f"&{quote(name, safe='')}={quote(str(shown.pop(name)[-1]), safe=',')}"
                           for name in params.FILTER_PARAMETERS if name in shown)
    request.GET = shown
    token, query_token = features.REQUEST_FILTER.set(compiled), features.REQUEST_FILTER_QUERY.set(filter_query)
    try:
        return _as_geojson(_execute(request, itemtypes_api.get_collection_items, collection_id,
                                    skip_valid_check=True, allowed=None))
    finally:
        features.REQUEST_FILTER.reset(token)
        features.REQUEST_FILTER_QUERY.reset(query_token)


def compiled_filter(spec: registry.LayerSpec, query) -> tuple | None:
    """The CQL2 filter of a checked items query (filter, filter-lang, filter-crs) compiled by
    ogcapi.cql2 into a WHERE fragment over alias "l" and its bound values; None without one.
    Refusals (unknown properties, functions, subqueries, bad syntax) are BadParameter (400)."""
    if "filter" not in query:
        return None
    try:
        return cql2.compile_filter(spec, query["filter"], query.get("filter-lang", "cql2-text"),
                                   query.get("filter-crs"))
    except cql2.FilterRefused as refused:
        raise params.BadParameter(str(refused))


_ACCEPTS_GZIP = re.compile(r"\bgzip\b")  # as Django's GZipMiddleware reads Accept-Encoding


def _items_json(request, spec: registry.LayerSpec, api: API, api_request: APIRequest, compiled) -> HttpResponse:
    """The items of `spec` as GeoJSON, the whole body built by PostGIS (ogcapi.features), with
    pygeoapi's links (self, alternate HTML, prev, next, collection) and headers."""
    query = features.ItemsQuery.from_params(spec, request.GET, compiled)
    return items_answer(request, spec, api, api_request, query, features.page(spec, query, read_connection()))


def items_answer(request, spec: registry.LayerSpec, api: API, api_request: APIRequest, query: features.ItemsQuery,
                 page: features.Page) -> HttpResponse:
    """The GeoJSON answer of `page` (geo/fastpath.py reads the page its own way and answers with this)."""
    uri = f"{api.get_collections_url()}/{spec.id}/items"
    kept = "".join(f"&{quote(key, safe='')}={quote(str(value), safe=',')}" for key, value in request.GET.items()
                   if key not in ("f", "offset"))
    links = [{"type": "application/geo+json", "rel": "self", "title": "This document as GeoJSON",
              "href": f"{uri}?f=json{kept}"},
             {"type": "text/html", "rel": "alternate", "title": "This document as HTML", "href": f"{uri}?f=html{kept}"}]
    if query.offset > 0:
        links.append({"type": "application/geo+json", "rel": "prev", "title": "Items (prev)",
                      "href": f"{uri}?offset={max(0, query.offset - query.limit)}{kept}"})
    more = (page.matched > query.offset + query.limit if page.matched is not None
            else page.returned == query.limit)
    if more and not query.hits:
        links.append({"type": "application/geo+json", "rel": "next", "title": "Items (next)",
                      "href": f"{uri}?offset={query.offset + query.limit}{kept}"})
    english = api_request.locale.language == "en"
    links.append({"type": "application/json", "title": spec.title_en if english else spec.title_vi,
                  "rel": "collection", "href": uri.rsplit("/", 1)[0]})
    content = features.body(page, links=links,
                            time_stamp=dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    if features.too_large(len(content)):
        return ogc_exception(400, "ResponseTooLarge", "Kết quả quá lớn; hãy giảm limit hoặc thu nhỏ bbox. / "
                                                      "The answer is too large; ask for fewer features.")
    headers = api_request.get_response_headers(SYSTEM_LOCALE, **api.api_headers)
    l10n.set_response_language(headers, None, api_request.locale)
    packed = len(content) > 1024 and _ACCEPTS_GZIP.search(request.headers.get("Accept-Encoding", ""))
    if packed:
        # GeoJSON pages are large and repetitive: level 1 packs 1,000 parcels (525 kB) to 19 % in 2 ms,
        # GZipMiddleware's level 6 to 17 % in 6.5 ms. The middleware leaves an encoded answer alone.
        content = gzip.compress(content, compresslevel=1, mtime=0)
    response = HttpResponse(content, content_type="application/geo+json")
    if packed:
        response["Content-Encoding"] = "gzip"
        patch_vary_headers(response, ["Accept-Encoding"])
    for key, value in headers.items():
        if key != "Content-Type":
            response[key] = value
    response["Content-Crs"] = f"<{query.crs}>"
    return response


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
    if request.method == "PUT":
        def replace(*, feature, **kwargs):
            return _written(204, writes.feature_replace(feature_id=item_id, feature=feature, partial=False, **kwargs))
        return _edit(request, collection_id, replace, conditional=True)
    if request.method == "PATCH":
        def patch(*, feature, **kwargs):
            feature = _patch_feature(request.content_type, feature)
            return _written(204, writes.feature_replace(feature_id=item_id, feature=feature, partial=True, **kwargs))
        return _edit(request, collection_id, patch, conditional=True, media_types=PATCH_TYPES)
    if request.method == "DELETE":
        def delete(**kwargs):
            writes.feature_delete(feature_id=item_id, **kwargs)
            return HttpResponse(status=204)
        return _edit(request, collection_id, delete, body=False, conditional=True)
    if denied := read_denial(request, collection_id):
        return denied
    if collection_id not in _layer_ids():  # a raster's items: pygeoapi says what it says
        return _execute(request, itemtypes_api.get_collection_item, collection_id, item_id,
                        allowed=params.COMMON_PARAMETERS | {"crs"})
    spec, fid = registry.get(collection_id), params.check_feature_id(item_id)
    if fid is None:
        return ogc_exception(404, "NotFound", "Không tìm thấy đối tượng. / Feature not found.")
    try:
        params.check_common(request.GET, params.COMMON_PARAMETERS | {"crs", "datetime"}, params.FEATURE_FORMATS)
        if (at := params.as_of(request.GET)) is not None:
            return _feature_as_of(request, spec, fid, at)
    except params.BadParameter as error:
        return _bad_parameter(error)
    # The version is read before the feature: an ETag older than the body only makes a later If-Match
    # fail (412, read again), never lets an edit overwrite a change its author did not see.
    exists, latest = history.item_state(spec, fid)
    if not exists:
        if latest and latest.op == "D":
            return gone(request, collection_id, fid, latest.version - 1)
        return ogc_exception(404, "NotFound", "Không tìm thấy đối tượng. / Feature not found.")
    current = etag(latest.version if latest else 1)
    if {current, "*"} & set(_tags(request.headers.get("If-None-Match", ""))):
        response = HttpResponse(status=304)
        response["ETag"] = current
        patch_vary_headers(response, ["Accept"])
        return response
    response = _as_geojson(_execute(request, itemtypes_api.get_collection_item, collection_id, item_id,
                                    allowed=params.COMMON_PARAMETERS | {"crs"}))
    if response.status_code == 200:
        response["ETag"] = current
        patch_vary_headers(response, ["Accept"])
    return response


# -- as-of reads: the layer as it was at an instant (layers.history) ----------------------------------------

def item_url(request, collection_id: str, fid: int, tail: str = "") -> str:
    return request.build_absolute_uri(f"/ogcapi/collections/{collection_id}/items/{fid}{tail}")


def gone(request, collection_id: str, fid: int, last_version: int) -> HttpResponse:
    """410 for a deleted feature, linking its last version (OGC versioned features: latest-version)."""
    href = item_url(request, collection_id, fid, f"/versions/{last_version}")
    body = {"code": "Gone", "description": f"Đối tượng đã bị xóa; phiên bản cuối cùng: {last_version}. / The "
                                           f"feature was deleted; its last version is {last_version}.",
            "links": [{"rel": "latest-version", "type": "application/geo+json", "href": href},
                      {"rel": "version-history", "type": "application/json",
                       "href": item_url(request, collection_id, fid, "/versions")}]}
    response = HttpResponse(json.dumps(body, ensure_ascii=False), status=410,
                            content_type="application/json; charset=utf-8")
    response["Link"] = f'<{href}>; rel="latest-version"'
    return response


def _history_refusal(spec: registry.LayerSpec, at: dt.datetime) -> params.BadParameter | None:
    """Why the layer cannot be read as of `at`: before its change log's retention, or before the
    layer was last emptied at once (a truncate: the rows it removed were not logged one by one)."""
    kept_from = timezone.now() - dt.timedelta(days=settings.GEO_CHANGE_LOG_RETENTION_DAYS)
    starts = history.history_starts(spec)
    horizon = max(kept_from, starts) if starts else kept_from
    if at < horizon:
        return params.BadParameter(f"Lịch sử của lớp chỉ đọc được từ {datetime_vi(horizon)}. / The history of this "
                                   f"layer can be read from {horizon.isoformat()} on.")
    return None


def _feature_as_of(request, spec: registry.LayerSpec, fid: int, at: dt.datetime) -> HttpResponse:
    if request.GET.get("f", "json") != "json":
        return _bad_parameter(params.BadParameter("Dữ liệu tại một thời điểm chỉ có dạng GeoJSON (f=json). / "
                                                  "As-of reads are GeoJSON only (f=json)."))
    if refusal := _history_refusal(spec, at):
        return _bad_parameter(refusal)
    found = history.feature_at(spec, fid, at)
    if found.state == "gone":
        return gone(request, spec.id, fid, found.version)
    if found.state == "missing":
        return ogc_exception(404, "NotFound", "Không có đối tượng này tại thời điểm đó. / No such feature at that "
                                              "instant.")
    return feature_response(request, spec.id, fid, found)


def feature_response(request, collection_id: str, fid: int, found: history.Found) -> HttpResponse:
    """One version of a feature as GeoJSON, with its version and links to its history."""
    feature = {**found.feature, "version": found.version, "links": [
        {"rel": "version", "type": "application/geo+json",
         "href": item_url(request, collection_id, fid, f"/versions/{found.version}")},
        {"rel": "latest-version", "type": "application/geo+json", "href": item_url(request, collection_id, fid)},
        {"rel": "version-history", "type": "application/json", "href": item_url(request, collection_id, fid,
                                                                                "/versions")},
        {"rel": "collection", "type": "application/json",
         "href": request.build_absolute_uri(f"/ogcapi/collections/{collection_id}")}]}
    return HttpResponse(json.dumps(feature, ensure_ascii=False), content_type="application/geo+json")


def _collection_as_of(request, spec: registry.LayerSpec, at: dt.datetime, bbox) -> HttpResponse:
    if refusal := _history_refusal(spec, at):
        return _bad_parameter(refusal)
    limit = min(int(request.GET.get("limit", AS_OF_DEFAULT_LIMIT)), AS_OF_MAX_LIMIT)
    offset = int(request.GET.get("offset", 0))
    features = history.collection_at(spec, at, bbox=bbox, limit=limit + 1, offset=offset)
    more, features = len(features) > limit, features[:limit]
    base = request.build_absolute_uri(f"/ogcapi/collections/{spec.id}/items")

    def page(at_offset: int) -> str:
        query = request.GET.copy()
        query["offset"], query["limit"] = str(at_offset), str(limit)
        return f"{base}?{query.urlencode()}"
    links = [{"rel": "self", "type": "application/geo+json", "href": page(offset)},
             {"rel": "collection", "type": "application/json",
              "href": request.build_absolute_uri(f"/ogcapi/collections/{spec.id}")}]
    if more:
        links.append({"rel": "next", "type": "application/geo+json", "href": page(offset + limit)})
    if offset:
        links.append({"rel": "prev", "type": "application/geo+json", "href": page(max(0, offset - limit))})
    document = {"type": "FeatureCollection", "features": features, "numberReturned": len(features),
                "timeStamp": at.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z"), "links": links}
    return HttpResponse(json.dumps(document, ensure_ascii=False), content_type="application/geo+json")


# As pygeoapi's limits (config.py: server.limits): a larger limit is reduced to the maximum.
AS_OF_DEFAULT_LIMIT, AS_OF_MAX_LIMIT = 10, 1000
