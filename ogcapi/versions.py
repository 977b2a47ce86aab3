"""A feature's versions (OGC API Features, versioned features): the list of its versions, one
version as GeoJSON, and reverting the feature to an earlier version. The history comes from the
change log (layers/history.py); a revert is a write (layers/writes.py), a new version of its own."""
from __future__ import annotations

import datetime as dt
import json

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from layers import history, registry, writes
from layers.access import ogc_exception, read_denial

from . import params
from .views import _bad_parameter, _edit, _layer_ids, _written, feature_response, gone, item_url

DEFAULT_LIMIT, MAX_LIMIT = 100, 1000
MAX_VERSION = 2**31 - 1  # layers_change.version is an integer


def _not_found() -> HttpResponse:
    return ogc_exception(404, "NotFound", "Không tìm thấy đối tượng hoặc phiên bản. / Feature or version not found.")


def _readable(request, collection_id: str, item_id: str):
    """(spec, feature id, None) when the caller may read the layer's features, else (.., the answer)."""
    if denied := read_denial(request, collection_id):
        return None, None, denied
    fid = params.check_feature_id(item_id)
    if collection_id not in _layer_ids() or fid is None:
        return None, None, _not_found()
    return registry.get(collection_id), fid, None


def _utc(at: dt.datetime | None) -> str | None:
    return at.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z") if at else None


@csrf_exempt
@require_safe
def item_versions(request, collection_id: str, item_id: str):
    """The feature's versions, oldest first; who made each only for callers who may edit the layer."""
    spec, fid, refused = _readable(request, collection_id, item_id)
    if refused:
        return refused
    try:
        params.check_common(request.GET, {"f", "lang", "limit", "offset"}, formats=("json",))
        limit = params._integer("limit", request.GET["limit"], 1, MAX_LIMIT) if "limit" in request.GET \
            else DEFAULT_LIMIT
        offset = params._integer("offset", request.GET["offset"], 0, params.MAX_OFFSET) \
            if "offset" in request.GET else 0
    except params.BadParameter as error:
        return _bad_parameter(error)
    found, more = history.versions(spec, fid, limit=limit, offset=offset)
    if not found and offset == 0:
        return _not_found()
    editor = spec.editable_by(registry.roles_of(request.user))
    base = item_url(request, collection_id, fid, "/versions")
    versions = [{"version": v.version, "op": v.op, "time": _utc(v.at), "source": v.source or None,
                 **({"by": v.actor} if editor else {}),
                 "links": [{"rel": "version-item", "type": "application/geo+json", "href": f"{base}/{v.version}"}]}
                for v in found]
    links = [{"rel": "self", "type": "application/json", "href": f"{base}?offset={offset}&limit={limit}"},
             {"rel": "latest-version", "type": "application/geo+json", "href": item_url(request, collection_id, fid)}]
    if more:
        links.append({"rel": "next", "type": "application/json", "href": f"{base}?offset={offset + limit}&limit={limit}"})
    document = {"type": "FeatureVersions", "collection": collection_id, "id": fid, "versions": versions,
                "numberReturned": len(versions), "links": links}
    return HttpResponse(json.dumps(document, ensure_ascii=False), content_type="application/json")


@csrf_exempt
@require_safe
def item_version(request, collection_id: str, item_id: str, version: str):
    """One version of the feature as a GeoJSON Feature (the live row for the current version); 410
    for a deletion's tombstone."""
    spec, fid, refused = _readable(request, collection_id, item_id)
    if refused:
        return refused
    try:
        params.check_common(request.GET, {"f", "lang"}, formats=("json",))
    except params.BadParameter as error:
        return _bad_parameter(error)
    number = int(version)
    if not 0 < number <= MAX_VERSION:
        return _not_found()
    found = history.feature_version(spec, fid, number)
    if found.state == "gone":
        return gone(request, collection_id, fid, found.version)
    if found.state == "missing":
        return _not_found()
    return feature_response(request, collection_id, fid, found)


@csrf_exempt  # _edit checks CSRF for browser sessions
@require_POST
def item_revert(request, collection_id: str, item_id: str, version: str):
    """Bring the feature back to `version`, as a new version (editors only; If-Match honoured)."""
    number = int(version) if len(version) < 12 else 0

    def revert(**kwargs):
        if not 0 < number <= MAX_VERSION:
            return _not_found()
        written = writes.feature_revert(feature_id=item_id, version=number, **kwargs)
        deleted = history.item_state(kwargs["spec"], written.feature_id)[0] is False
        body = {"id": written.feature_id, "version": written.version, "deleted": deleted,
                "links": [{"rel": "version", "type": "application/geo+json",
                           "href": item_url(request, collection_id, written.feature_id,
                                            f"/versions/{written.version - 1 if deleted else written.version}")}]}
        response = _written(200, written, body)
        if deleted:  # no live feature, no entity tag to match
            del response["ETag"]
        return response
    return _edit(request, collection_id, revert, body=False, conditional=True)
