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
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods, require_safe
from pygeoapi.api import API, APIRequest, apply_gzip
from pygeoapi.openapi import get_oas

from importers.selectors import raster_coverages
from layers import editing, registry
from layers.access import ogc_exception, read_denial

from . import config


@lru_cache(maxsize=32)
def _api(collection_ids: frozenset[str], base_url: str, coverages: tuple[tuple, ...]) -> API:
    cfg = config.load(base_url=base_url, collection_ids=set(collection_ids),
                      coverages=[dict(zip(("id", "title", "kind_label", "path", "bbox"), c)) for c in coverages])
    return API(cfg, get_oas(cfg))


def api_for(request: HttpRequest) -> API:
    """The API for the caller's role set; rebuilt when the raster catalogue changes."""
    roles = registry.roles_of(request.user)
    visible = frozenset(spec.id for spec in registry.readable_layers(roles))
    return _api(visible, request.build_absolute_uri("/ogcapi"), raster_coverages())


def _execute(request: HttpRequest, api_function, *args, skip_valid_check: bool = False) -> HttpResponse:
    api = api_for(request)
    api_request = APIRequest.from_django(request, api.locales)
    if not skip_valid_check and not api_request.is_valid():
        headers, status, content = api.get_format_exception(api_request)
    else:
        headers, status, content = api_function(api, api_request, *args)
        content = apply_gzip(headers, content)
    response = HttpResponse(content, status=status)
    for key, value in headers.items():
        response[key] = value
    if response.get("Content-Type", "").startswith("text/html"):
        # pygeoapi's HTML pages (and Swagger UI) carry inline scripts; JSON needs no scripts at all.
        response._csp_replace = {"script-src": [SELF, UNSAFE_INLINE]}
    return response


@require_safe
def landing_page(request):
    return _execute(request, core_api.landing_page)


@require_safe
def openapi(request):
    return _execute(request, core_api.openapi_)


@require_safe
def conformance(request):
    return _execute(request, core_api.conformance)


@require_safe
def collections(request, collection_id: str | None = None):
    if collection_id and (denied := read_denial(request, collection_id)):
        return denied
    return _execute(request, core_api.describe_collections, collection_id)


@require_safe
def collection_schema(request, collection_id: str):
    return read_denial(request, collection_id) or _execute(request, core_api.get_collection_schema, collection_id)


@require_safe
def collection_queryables(request, collection_id: str):
    return read_denial(request, collection_id) or _execute(
        request, itemtypes_api.get_collection_queryables, collection_id)


def _edit(request, collection_id: str, action, **kwargs) -> HttpResponse:
    """Run an edit (layers.editing) for the caller: 404/403 as for reading, 401 when anonymous."""
    if denied := read_denial(request, collection_id):
        return denied
    if not request.user.is_authenticated:
        response = ogc_exception(401, "Unauthorized", "Cần đăng nhập hoặc mã truy cập. / Authentication required.")
        response["WWW-Authenticate"] = "Bearer"
        return response
    try:
        feature = json.loads(request.body or b"null") if request.method in ("POST", "PUT", "PATCH") else None
        if feature is not None:
            kwargs["feature"] = feature
        return action(spec=registry.get(collection_id), editor=editing.Editor.of(request.user), **kwargs)
    except json.JSONDecodeError:
        return ogc_exception(400, "InvalidParameterValue", "Nội dung không phải JSON. / The body is not JSON.")
    except editing.EditRefused as refused:
        return ogc_exception(refused.status, refused.code, str(refused))


@require_http_methods(["GET", "HEAD", "POST", "OPTIONS"])
def collection_items(request, collection_id: str):
    if request.method == "POST":
        def create(**kwargs):
            feature_id = editing.feature_create(**kwargs)
            response = HttpResponse(status=201)
            response["Location"] = request.build_absolute_uri(f"/ogcapi/collections/{collection_id}/items/{feature_id}")
            return response
        return _edit(request, collection_id, create)
    return read_denial(request, collection_id) or _execute(
        request, itemtypes_api.get_collection_items, collection_id, skip_valid_check=True)


@require_safe
def collection_coverage(request, collection_id: str):
    return _execute(request, coverages_api.get_collection_coverage, collection_id, skip_valid_check=True)


@require_http_methods(["GET", "HEAD", "PUT", "PATCH", "DELETE"])
def collection_item(request, collection_id: str, item_id: str):
    if request.method in ("PUT", "PATCH"):
        def replace(**kwargs):
            editing.feature_replace(feature_id=item_id, partial=request.method == "PATCH", **kwargs)
            return HttpResponse(status=204)
        return _edit(request, collection_id, replace)
    if request.method == "DELETE":
        def delete(**kwargs):
            editing.feature_delete(feature_id=item_id, **kwargs)
            return HttpResponse(status=204)
        return _edit(request, collection_id, delete)
    return read_denial(request, collection_id) or _execute(
        request, itemtypes_api.get_collection_item, collection_id, item_id)
