"""GET /ogcapi/collections/{id}/changes?since=<cursor>&limit=<n>: a layer's change feed (layers/feed.py).

A client that keeps a copy of a layer takes `since=latest` before its full copy (items), then asks
for the changes after the `next` cursor of each answer. JSON only: the page is written by PostgreSQL
and passed through (the feed serves 10,000 changes a page; no Python per change).
"""
from __future__ import annotations

import gzip
import json
import re
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from layers import feed
from layers.access import ogc_exception, readable_layer
from layers.formats import date_vi, whole_number_vi

from . import params

PARAMETERS = {"f", "lang", "since", "limit"}
_WHOLE_NUMBER = re.compile(r"\s*\+?[0-9]{1,19}\s*")


def _single(request: HttpRequest, name: str) -> str | None:
    values = request.GET.getlist(name)
    if len(values) > 1:
        raise params.BadParameter(f"Tham số {name} lặp lại. / Parameter {name} given more than once.")
    return values[0] if values else None


def _limit(text: str | None) -> int:
    """How many changes a page holds: the default when absent, at most GEO_CHANGES_MAX_LIMIT (a larger
    value is served as the maximum, as items are; the page says `more`)."""
    if text is None:
        return settings.GEO_CHANGES_DEFAULT_LIMIT
    if not _WHOLE_NUMBER.fullmatch(text) or int(text) < 1:
        most = settings.GEO_CHANGES_MAX_LIMIT
        raise params.BadParameter(f"limit phải là số nguyên từ 1 đến {whole_number_vi(most)}. / "
                                  f"limit must be a whole number from 1 to {most}.")
    return min(int(text), settings.GEO_CHANGES_MAX_LIMIT)


CHANGES_REL = "http://www.opengis.net/def/rel/ogc/1.0/changes"


def changes_link(request: HttpRequest, collection_id: str) -> dict:
    """The link from a collection of features to its change feed (in the collection's links)."""
    return {"rel": CHANGES_REL, "type": "application/json",
            "title": "Các thay đổi (đồng bộ) / Changes (synchronisation)",
            "href": request.build_absolute_uri(f"/ogcapi/collections/{collection_id}/changes")}


def _json(document: str, status: int = 200) -> HttpResponse:
    response = HttpResponse(document, status=status, content_type="application/json; charset=utf-8")
    response["Cache-Control"] = "no-store"  # a feed moves on; internal layers' changes stay private
    return response


def _gone(request: HttpRequest, collection_id: str, gone: feed.CursorGone) -> HttpResponse:
    base = request.build_absolute_uri(f"/ogcapi/collections/{collection_id}")
    since = date_vi(timezone.localtime(gone.compacted_before))
    return _json(json.dumps({
        "code": "Gone",
        "description": f"Nhật ký thay đổi trước ngày {since} đã được nén; con trỏ này cũ hơn phần còn giữ. "
                       "Hãy đồng bộ lại: lấy con trỏ mới (since=latest), tải bản sao đầy đủ (items) rồi theo dõi "
                       "thay đổi từ con trỏ đó. / The change log was compacted past this cursor: resynchronise "
                       "(take since=latest, make a full copy from items, then follow the changes from that cursor).",
        "links": [{"rel": "items", "type": "application/geo+json", "href": f"{base}/items"},
                  {"rel": "latest", "type": "application/json", "href": f"{base}/changes?since=latest"}],
    }, ensure_ascii=False), status=410)


@csrf_exempt
@require_safe
def collection_changes(request: HttpRequest, collection_id: str) -> HttpResponse:
    spec, denied = readable_layer(request, collection_id)  # unknown ids and rasters: 404
    if denied:
        return denied
    try:
        params.check_common(request.GET, PARAMETERS, formats=("json",))
        limit = _limit(_single(request, "limit"))
        since_text = _single(request, "since")
        since = None if since_text in (None, feed.LATEST) else feed.parse_cursor(since_text)
        if since_text == feed.LATEST:
            page = feed.Page(changes="[]", count=0, next=feed.latest_cursor(), more=False)
        else:
            page = feed.changes_since(spec, since, limit)
    except (params.BadParameter, feed.BadCursor) as error:
        return ogc_exception(400, "InvalidParameterValue", str(error))
    except feed.CursorGone as gone:
        return _gone(request, collection_id, gone)
    path = request.build_absolute_uri(request.path)
    links = [{"rel": "self", "type": "application/json", "href": request.build_absolute_uri()},
             {"rel": "collection", "type": "application/json",
              "href": request.build_absolute_uri(f"/ogcapi/collections/{collection_id}")}]
    if page.more:
        links.append({"rel": "next", "type": "application/json",
                      "href": f"{path}?{urlencode({'since': str(page.next), 'limit': limit})}"})
    # The envelope around PostgreSQL's array, as text: json.loads of a 10,000-change page costs more
    # than reading it.
    return _compressed(request, _json(f'{{"collection":{json.dumps(collection_id)},"changes":{page.changes},'
                                      f'"next":{json.dumps(str(page.next))},"more":{json.dumps(page.more)},'
                                      f'"numberReturned":{page.count},"links":{json.dumps(links)}}}'))


def _compressed(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """A page gzipped at level 1 for clients that accept it: pages are large and repetitive, level 1
    shrinks them ~6x at a fraction of the middleware's level-6 cost (it leaves encoded answers alone)."""
    patch_vary_headers(response, ["Accept-Encoding"])
    if len(response.content) < 1024 or "gzip" not in request.headers.get("Accept-Encoding", ""):
        return response
    response.content = gzip.compress(response.content, compresslevel=1, mtime=0)
    response["Content-Encoding"] = "gzip"
    return response
