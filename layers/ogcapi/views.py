"""pygeoapi behind a thin Django adapter that decides, per request, which collections exist.

pygeoapi has no access control, so each caller gets an API built from the configuration of the
layers its roles may read (cached per role set): internal layers are absent from the landing page,
the collection list, the OpenAPI document and every items URL of a caller without the role.
"""
from __future__ import annotations

from functools import lru_cache

import pygeoapi.api as core_api
import pygeoapi.api.coverages as coverages_api
import pygeoapi.api.itemtypes as itemtypes_api
from csp.constants import SELF, UNSAFE_INLINE
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe
from pygeoapi.api import API, APIRequest, apply_gzip
from pygeoapi.openapi import get_oas

from importers.selectors import raster_coverages
from layers import registry
from layers.access import read_denial

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


@require_safe
def collection_items(request, collection_id: str):
    return read_denial(request, collection_id) or _execute(
        request, itemtypes_api.get_collection_items, collection_id, skip_valid_check=True)


@require_safe
def collection_coverage(request, collection_id: str):
    return _execute(request, coverages_api.get_collection_coverage, collection_id, skip_valid_check=True)


@require_safe
def collection_item(request, collection_id: str, item_id: str):
    return read_denial(request, collection_id) or _execute(
        request, itemtypes_api.get_collection_item, collection_id, item_id)
