"""The lean path (issue 12) for what public maps and clients ask most: anonymous GETs of a public layer's
vector tiles (/tiles/<layer>/<z>/<x>/<y>.pbf), of its OGC API items pages as GeoJSON
(/ogcapi/collections/<layer>/items) and of the parcel panel (/api/parcels/at?lon=..&lat=..), answered
on the event loop over asyncpg. The usual way costs about 1.4 ms before any SQL runs (the hop
to a2wsgi's threads 0.4 ms, Django's request and sixteen middlewares 1.0 ms); this one about 0.1 ms.

The same answers as Django's, by construction:
- the same statements (tiles/sql.py, layers/selectors.py, planning/selectors.py, ogcapi/features.py)
  and the same steps as tiles.services.tile_get and tiles.views.tile_response (cache hit, render and
  store, 304 from the version alone; tiles also kept in the worker's memory, geo/hot_tiles.py) and
  ogcapi.views.collection_items (its parameter checks, and its answer built by
  ogcapi.views.items_answer), on the same databases (a replica when GEO_REPLICA_URLS
  names some; tiles are stored on the primary);
- the same read rule (LayerSpec.readable_by of an anonymous caller);
- the request parsed by Django's own WSGIRequest (host check against ALLOWED_HOSTS, query string,
  cookies, language) and the response finished by Django's own response middleware (security headers,
  CSP, X-Frame-Options, language, gzip);
- statements bounded by GEO_STATEMENT_TIMEOUT_MS, answered as geo.middleware answers a timeout.
Whatever is not that plain case goes to Django unchanged: a session cookie or an Authorization header,
a client pinned to the primary (geo/pinning.py), another method, a host or argument Django would
refuse, a layer an anonymous caller may not read, items as HTML or filtered by property values, CQL2 or
datetime (values typed by a column), and a request whose database work failed before anything was
sent. tests/geo/test_fastpath.py compares the two ways' answers on a live server.

GEO_FAST_PATH=0 turns it off (and it stays off when a database's OPTIONS ask for more than it passes
on). Each worker process opens at most GEO_FAST_PATH_CONNECTIONS connections per database it uses, and
as many again for items pages (statements beyond that wait their turn, no longer than the statement
timeout). A tile is kept after its answer is sent: a store that fails is logged and the tile rendered
again next time."""
from __future__ import annotations

import asyncio
import functools
import io
import logging
import re

import asyncpg
from a2wsgi.wsgi import build_environ
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.contrib.auth.models import AnonymousUser
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpRequest, HttpResponse
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.csrf import CsrfViewMiddleware
from django.middleware.gzip import GZipMiddleware
from django.middleware.security import SecurityMiddleware
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.cache import patch_vary_headers
from psycopg2 import sql as pgsql
from pygeoapi.api import APIRequest

from csp.middleware import CSPMiddleware
from layers import registry
from layers.selectors import LAYER_VERSION
from ogcapi import features
from ogcapi import params as ogcapi_params
from ogcapi import views as ogcapi_views
from planning import selectors as planning_selectors
from planning import views as planning_views
from tiles import services as tile_services
from tiles import sql as tile_sql
from tiles import views as tile_views

from . import hot_tiles, pinning
from .middleware import timed_out

log = logging.getLogger(__name__)

ENABLED = settings.GEO_FAST_PATH  # and the databases' OPTIONS supported (checked below)


# -- SQL for asyncpg ($1, $2 ... placeholders) ---------------------------------------------------
_NAMED = re.compile(r"%\((\w+)\)s|%%")


def numbered(statement: str | pgsql.Composable) -> tuple[str, list[str]]:
    """A statement written for psycopg2 (%(name)s placeholders, %% for %) as asyncpg takes it: the text
    with $1, $2 ... and the parameter names in that order."""
    names: list[str] = []

    def number(match: re.Match) -> str:
        if match.group(0) == "%%":
            return "%"
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    return _NAMED.sub(number, _text(statement)), names


def _text(part) -> str:
    """The text of a psycopg2 sql composition (identifiers quoted as PostgreSQL quotes them)."""
    if isinstance(part, str):
        return part
    if isinstance(part, pgsql.Composed):
        return "".join(_text(p) for p in part.seq)
    if isinstance(part, pgsql.SQL):
        return part.string
    if isinstance(part, pgsql.Identifier):
        return ".".join('"' + s.replace('"', '""') + '"' for s in part.strings)
    if isinstance(part, pgsql.Literal) and type(part.wrapped) is int:
        return str(part.wrapped)
    if isinstance(part, pgsql.Literal) and type(part.wrapped) is str and "\0" not in part.wrapped:
        return "'" + part.wrapped.replace("'", "''") + "'"  # the pools keep standard_conforming_strings on
    raise TypeError(f"not a statement part: {part!r}")


_POSITIONAL = re.compile(r"%s|%%")


def positional(statement: pgsql.Composable) -> str:
    """A statement written for psycopg2 with %s placeholders as asyncpg takes it ($1, $2 ... in order)."""
    count = 0

    def number(match: re.Match) -> str:
        nonlocal count
        if match.group(0) == "%%":
            return "%"
        count += 1
        return f"${count}"

    return _POSITIONAL.sub(number, _text(statement))


class _Statement:
    def __init__(self, statement):
        self.text, self.names = numbered(statement)

    def args(self, values: dict) -> list:
        return [values[name] for name in self.names]


_VERSION = _Statement(LAYER_VERSION)
_STORE = _Statement(tile_sql.CACHE_STORE)
# planning.selectors' prepared panel already numbers its parameters: lon, lat, the outline's vertices
_PANEL = numbered(planning_selectors.PANEL_AT_POINT)[0]
_tile_statements: dict[tuple[str, str], _Statement] = {}  # per layer: (layer id, kind) -> its statement


def _tile_statement(spec) -> _Statement:
    if (spec.id, "render") not in _tile_statements:
        _tile_statements[spec.id, "render"] = _Statement(tile_sql.tile_statement(spec))
    return _tile_statements[spec.id, "render"]


def _cached_or_rendered_statement(spec) -> _Statement:
    if (spec.id, "cached") not in _tile_statements:
        _tile_statements[spec.id, "cached"] = _Statement(tile_sql.cached_or_rendered_statement(spec))
    return _tile_statements[spec.id, "cached"]


# -- Connections -----------------------------------------------------------------------------------
class _Pools:
    """asyncpg pools of this worker process: reads (the replicas, else the primary) and the primary,
    planned once per statement (tiles, panels: one generic plan each); and reads of items pages, planned
    for each request's values as Django's statements are (a generic plan cannot know whether a box
    holds ten parcels or the whole province, and a page's best plan depends on it)."""

    def __init__(self):
        self.primary: asyncpg.Pool | None = None
        self.reads: list[asyncpg.Pool] = []
        self.page_reads: list[asyncpg.Pool] = []
        self.turn = 0
        self.lock = asyncio.Lock()
        self.hot = hot_tiles.HotTiles(settings.GEO_TILE_MEMORY_MB * 2**20)

    async def ready(self) -> None:
        if self.primary is not None:
            return
        async with self.lock:
            if self.primary is None:
                aliases = list(getattr(settings, "GEO_REPLICA_ALIASES", ())) or ["default"]
                self.page_reads = [await _pool(alias, plans="force_custom_plan") for alias in aliases]
                primary = await _pool("default")
                self.reads = [primary] if aliases == ["default"] else [await _pool(alias) for alias in aliases]
                self.primary = primary
                self.hot.start(functools.partial(asyncpg.connect, **_connection_options("default", name=hot_tiles.NAME)))

    def read(self) -> asyncpg.Pool:
        self.turn += 1
        return self.reads[self.turn % len(self.reads)]

    def page_read(self) -> asyncpg.Pool:
        self.turn += 1
        return self.page_reads[self.turn % len(self.page_reads)]


def _session_options(alias: str) -> dict[str, str] | None:
    """The server settings a database's OPTIONS ask for ("-c name=value" in `options`), or None when
    they ask for something the lean path does not pass on (it then stays off)."""
    options = dict(settings.DATABASES[alias].get("OPTIONS") or {})
    options.pop("sslmode", None)  # passed on as asyncpg's ssl
    if options.get("gssencmode") in ("disable", "prefer"):  # asyncpg has no GSS encryption: as "disable"
        options.pop("gssencmode")
    words = str(options.pop("options", "")).split()
    pairs = list(zip(words[::2], words[1::2]))
    if options or len(words) % 2 or any(flag != "-c" or "=" not in value for flag, value in pairs):
        return None
    return dict(value.split("=", 1) for value in words[1::2])


def _supported() -> bool:
    unsupported = [alias for alias in ["default", *getattr(settings, "GEO_REPLICA_ALIASES", ())]
                   if _session_options(alias) is None]
    if unsupported:
        log.warning("lean path off: the OPTIONS of database(s) %s are not passed on by it", ", ".join(unsupported))
    return not unsupported


def _connection_options(alias: str, plans: str = "force_generic_plan", name: str = "geo-fastpath") -> dict:
    """asyncpg's connection arguments for a database; `name`: the connection's application_name."""
    db = settings.DATABASES[alias]
    server_settings = {**_session_options(alias), "application_name": name,
                       # by default one generic plan for every point and tile (see planning.selectors._panel)
                       "plan_cache_mode": plans,
                       # small statements all (ogcapi.features._NO_PARALLEL_NO_JIT); literals in them
                       # are quoted for this (_text)
                       "max_parallel_workers_per_gather": "0", "jit": "off", "standard_conforming_strings": "on"}
    if settings.GEO_STATEMENT_TIMEOUT_MS:
        server_settings["statement_timeout"] = str(settings.GEO_STATEMENT_TIMEOUT_MS)
    if alias == "default":
        # its only writes are tiles kept in the cache, not worth waiting for the disk (tiles/sql.py)
        server_settings["synchronous_commit"] = "off"
    return dict(host=db["HOST"] or None, port=int(db["PORT"]) if db["PORT"] else None, user=db["USER"] or None,
                password=db["PASSWORD"] or None, database=db["NAME"], timeout=5, server_settings=server_settings,
                ssl=(db.get("OPTIONS") or {}).get("sslmode") or None)


async def _pool(alias: str, plans: str = "force_generic_plan") -> asyncpg.Pool:
    return await asyncpg.create_pool(**_connection_options(alias, plans), min_size=0,
                                     max_size=settings.GEO_FAST_PATH_CONNECTIONS, max_inactive_connection_lifetime=60,
                                     reset=_keep_session)


async def _keep_session(connection) -> None:
    """Nothing to reset when a connection goes back to its pool: the lean path opens no transaction,
    cursor, lock or listener and changes no setting (asyncpg's default reset costs a round trip)."""


_pools = _Pools()
# Failures of a connection rather than of a statement: tried once more on another connection.
_CONNECTION_LOST = (asyncpg.exceptions.ConnectionDoesNotExistError, asyncpg.exceptions.InterfaceError,
                    asyncpg.exceptions.CannotConnectNowError, ConnectionError)


def _waiting_limit() -> float | None:
    """Seconds a request may wait for a connection, and for an answer (the server's statement timeout
    ends a statement; this also ends a wait on a database that stopped answering)."""
    timeout = settings.GEO_STATEMENT_TIMEOUT_MS
    return timeout / 1000 + 1 if timeout else None


async def _fetchrow(pool_of, statement: str, *args):
    await _pools.ready()
    for attempt in (1, 2):
        pool = pool_of()
        try:
            # one deadline for the wait and the answer (asyncio.timeout: no task per request, unlike
            # the timeout arguments of acquire() and fetchrow())
            async with asyncio.timeout(_waiting_limit()), pool.acquire() as connection:
                return await connection.fetchrow(statement, *args)
        except _CONNECTION_LOST:
            if attempt == 2:
                raise


# -- Requests --------------------------------------------------------------------------------------
class _Defer(Exception):
    """Django answers this request."""


_SECURITY = SecurityMiddleware(lambda r: None)
_CSP = CSPMiddleware(lambda r: None)
_XFRAME = XFrameOptionsMiddleware(lambda r: None)
_GZIP = GZipMiddleware(lambda r: None)
_CSRF = CsrfViewMiddleware(lambda r: None)


_LEAN_PATHS = ("/tiles/", "/api/parcels/at", "/ogcapi/collections/")  # where lean answers may be


def _request(scope) -> WSGIRequest:
    """The request as Django sees it through a2wsgi (its own environ: path, query string, headers)."""
    return WSGIRequest(build_environ(scope, io.BytesIO()))


def _anonymous_get(scope) -> WSGIRequest | None:
    """Django's request for a plain anonymous GET of one of the lean paths, else None."""
    if scope["method"] != "GET" or not scope["path"].startswith(_LEAN_PATHS):
        return None
    request = _request(scope)
    if ("HTTP_AUTHORIZATION" in request.META or settings.SESSION_COOKIE_NAME in request.COOKIES
            or pinning.COOKIE in request.COOKIES):
        return None
    if request.META.get("CONTENT_LENGTH", "0") not in ("", "0") or "HTTP_TRANSFER_ENCODING" in request.META:
        return None  # a GET with a body (its reading and its refusals are Django's)
    try:
        request.get_host()  # DisallowedHost: Django answers 400
    except Exception:  # noqa: BLE001 — any refusal is Django's to make
        return None
    if settings.SECURE_SSL_REDIRECT and not request.is_secure():
        return None
    _CSRF.process_request(request)  # a malformed CSRF cookie is replaced in the answer, as Django does
    return request


@functools.lru_cache(maxsize=512)
def _language_of(cookie: str | None, accept_language: str) -> str:
    request = HttpRequest()
    if cookie is not None:
        request.COOKIES[settings.LANGUAGE_COOKIE_NAME] = cookie
    request.META["HTTP_ACCEPT_LANGUAGE"] = accept_language
    return translation.get_language_from_request(request)


def _language(request: WSGIRequest) -> str:
    """LocaleMiddleware's choice (the language cookie, else Accept-Language), remembered per pair: it
    depends on nothing else and costs 40 µs."""
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    return _language_of(cookie, request.META.get("HTTP_ACCEPT_LANGUAGE", ""))


@functools.lru_cache(maxsize=8)
def _policy_for(path_kind: str) -> tuple[tuple[str, str], ...]:
    response = HttpResponse()
    _CSP.process_response(_request_for_policy(path_kind), response)
    return tuple((k, v) for k, v in response.items() if k.lower().startswith("content-security-policy"))


def _request_for_policy(path_kind: str) -> HttpRequest:
    request = HttpRequest()
    request.path_info = request.path = path_kind
    return request


def _policy(request: WSGIRequest) -> tuple[tuple[str, str], ...]:
    """CSPMiddleware's header for the path's kind (its policy depends on settings and the path prefix
    only: these answers never use a nonce), built once (it costs 40 µs)."""
    return _policy_for(next(kind for kind in _LEAN_PATHS if request.path_info.startswith(kind)))


def _finish(request: WSGIRequest, response: HttpResponse, *, session_read: bool) -> HttpResponse:
    """Django's response middleware, in its order (geo/settings/base.py MIDDLEWARE, bottom up), for an
    anonymous GET answered by a view."""
    _XFRAME.process_response(request, response)
    _CSRF.process_response(request, response)
    if not response.streaming and not response.has_header("Content-Length"):  # CommonMiddleware
        response.headers["Content-Length"] = str(len(response.content))
    patch_vary_headers(response, ("Accept-Language",))  # LocaleMiddleware (no i18n_patterns)
    response.headers.setdefault("Content-Language", _language(request))
    if session_read:  # SessionMiddleware, when the view looked at the (empty) session
        patch_vary_headers(response, ("Cookie",))
    _GZIP.process_response(request, response)
    if not (settings.DEBUG and response.status_code in (404, 500)):  # CSPMiddleware (it skips debug pages)
        for name, value in _policy(request):
            response.headers.setdefault(name, value)
    _SECURITY.process_response(request, response)
    return response


def _public(layer_id: str):
    """The layer when an anonymous caller may read it, else _Defer (Django's 404)."""
    try:
        spec = registry.get(layer_id)
    except KeyError:
        raise _Defer from None
    if not spec.readable_by(registry.roles_of(AnonymousUser())):
        raise _Defer
    return spec


async def _tile(request: WSGIRequest, layer_id: str, z: int, x: int, y: int) -> HttpResponse:
    """tiles.views.tile for an anonymous caller, WebMercatorQuad."""
    spec = _public(layer_id)
    if not (0 <= z <= tile_views.MAX_ZOOM and 0 <= x < 2**z and 0 <= y < 2**z):
        raise _Defer  # Django's 400
    gzip_ok = tile_views.accepts_gzip(request)
    grid = tile_services.WEB_MERCATOR
    if tile_views._client_etags(request):
        await _pools.ready()
        version = _pools.hot.version(spec.id)
        version = await _version(spec.id) if version is None else version
        current = tile_views.tile_etag(spec, grid, z, x, y, version, gzip_ok)
        if tile_views.revalidated(request, current):
            return tile_views.not_modified(spec, current)
    tile, store = await _tile_get(spec, z, x, y)
    mvt = None
    if not (gzip_ok and tile.gzipped) and len(tile.gzipped) >= BIG_BODY // 4:  # decompressed on a thread
        mvt = await asyncio.get_running_loop().run_in_executor(None, tile.mvt)
    response = tile_views.tile_answer(spec, tile, gzip_ok, tile_views.tile_etag(spec, grid, z, x, y, tile.version,
                                                                                gzip_ok), mvt=mvt)
    response.store = store
    return response


async def _version(layer_id: str) -> int:
    version, _written = await _fetchrow(_pools.read, _VERSION.text, *_VERSION.args({"layer": layer_id}))
    return version or 0


async def _tile_get(spec, z: int, x: int, y: int):
    """tiles.services.tile_get in WebMercatorQuad outside any transaction: (the tile, its store to run
    after the answer is sent, or None)."""
    grid = tile_services.WEB_MERCATOR
    if z < tile_services.first_zoom(spec):
        return tile_services.Tile(b"", 0), None
    max_tiles = tile_services.cache_max_tiles()
    key = {"layer": spec.id, "tms": grid.id, "z": z, "x": x, "y": y}
    if z > tile_services.MAX_CACHED_ZOOM or max_tiles <= 0:
        version = await _version(spec.id)
        return tile_services.Tile(await _compressed(await _render(spec, z, x, y)), version), None
    await _pools.ready()
    if (kept := _pools.hot.get(spec.id, z, x, y)) is not None:
        return kept, None
    statement = _cached_or_rendered_statement(spec)
    version, _written, cached, mvt = await _fetchrow(
        _pools.read, statement.text, *statement.args({**tile_sql.tile_parameters(spec, z, x, y), "tms": grid.id}))
    if cached is not None:
        tile, store = tile_services.Tile(cached, version), None
    else:
        data = await _compressed(bytes(mvt))
        tile = tile_services.Tile(data, version)
        store = _STORE.args({**key, "version": version, "data": data, "max_tiles": max_tiles,
                             "sweep": tile_sql.EVICTION_SWEEP})
    _pools.hot.keep(spec.id, z, x, y, tile)
    return tile, store


BIG_BODY = 256 * 1024  # bytes: tiles and items pages this big are (de)compressed on a thread, not on the event loop


async def _compressed(mvt: bytes) -> bytes:
    if len(mvt) < BIG_BODY:
        return tile_services.compress(mvt)
    return await asyncio.get_running_loop().run_in_executor(None, tile_services.compress, mvt)


async def _render(spec, z: int, x: int, y: int) -> bytes:
    statement = _tile_statement(spec)
    row = await _fetchrow(_pools.read, statement.text, *statement.args(tile_sql.tile_parameters(spec, z, x, y)))
    return bytes(row[0])


_apis: dict[str, object] = {}  # base URL -> the API of no collections (ogcapi.views.collection_items)


async def _api_of(base_url: str):
    """pygeoapi's API the items view uses for `base_url`, built on a thread the first time (it reads
    and parses the configuration: tens of ms the event loop must not wait)."""
    if base_url not in _apis:
        if len(_apis) >= 32:  # hosts are ALLOWED_HOSTS' (any, in DEBUG): bounded as ogcapi.views._api is
            _apis.clear()
        _apis[base_url] = await asyncio.get_running_loop().run_in_executor(
            None, ogcapi_views._api, frozenset(), base_url, ())
    return _apis[base_url]


async def _items(request: WSGIRequest, collection_id: str) -> HttpResponse:
    """ogcapi.views.collection_items as JSON for an anonymous caller, without the parameters whose
    values take the type of a column (property=value, a CQL2 filter) or another statement (datetime=),
    which Django answers: this statement binds numbers and text only."""
    spec = _public(collection_id)
    try:
        request.GET = ogcapi_params.check_items(spec, request.GET)
    except (ogcapi_params.BadParameter, SuspiciousOperation):  # e.g. too many fields
        raise _Defer from None  # Django's 400
    if any(name in request.GET for name in ("datetime", *ogcapi_params.FILTER_PARAMETERS)):
        raise _Defer
    api = await _api_of(request.build_absolute_uri("/ogcapi"))
    api_request = APIRequest.from_django(request, api.locales)
    if api_request.format not in (None, "json"):
        raise _Defer
    query = features.ItemsQuery.from_params(spec, request.GET)
    if query.equals:
        raise _Defer
    statement, values = features.page_statement(spec, query)
    page = features.page_of(await _fetchrow(_pools.page_read, positional(statement), *values))
    answer = functools.partial(ogcapi_views.items_answer, request, spec, api, api_request, query, page)
    if len(page.features) < BIG_BODY:
        return answer()
    return await asyncio.get_running_loop().run_in_executor(None, answer)  # compressed on a thread


async def _panel(request: WSGIRequest) -> HttpResponse:
    """planning.views.parcel_at_point; arguments it would refuse go to it."""
    try:
        lon, lat = float(request.GET["lon"]), float(request.GET["lat"])
    except (KeyError, ValueError, SuspiciousOperation):  # e.g. too many fields: Django's 400
        raise _Defer from None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise _Defer
    row = await _fetchrow(_pools.read, _PANEL, lon, lat, settings.GEO_PANEL_MAX_VERTICES)
    return planning_views._panel(row[0] if row else None)


async def _answer(request: WSGIRequest) -> HttpResponse | None:
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    try:
        if match.func is tile_views.tile:
            return _finish(request, await _tile(request, **match.kwargs), session_read=True)
        if match.func is planning_views.parcel_at_point:
            return _finish(request, await _panel(request), session_read=False)
        if match.func is ogcapi_views.collection_items:
            return _finish(request, await _items(request, **match.kwargs), session_read=True)
    except _Defer:
        return None
    except asyncpg.exceptions.QueryCanceledError as cancelled:
        if "statement timeout" not in str(cancelled):
            return None  # cancelled by someone: Django answers
        return _finish(request, timed_out(), session_read=match.func is not planning_views.parcel_at_point)
    except TimeoutError:  # no connection free, or no answer, within the statement timeout
        return _finish(request, timed_out(), session_read=match.func is not planning_views.parcel_at_point)
    except (asyncpg.PostgresError, asyncpg.exceptions.InterfaceError, OSError) as exc:
        log.warning("lean path: %s; Django answers %s", exc.__class__.__name__, request.path_info)
        return None
    return None


async def serve(scope, receive, send, django) -> None:
    """Answer the request here when it is the plain case, else hand it to `django` (an ASGI app)."""
    try:
        request = _anonymous_get(scope)
        response = await _answer(request) if request is not None else None
    except Exception:  # noqa: BLE001 — whatever it is, Django answers it as it would have
        log.exception("lean path: Django answers %s", scope.get("path"))
        response = None
    if response is None:
        await django(scope, receive, send)
        return
    headers = [*response.items(), *(("Set-Cookie", c.output(header="").strip()) for c in response.cookies.values())]
    await send({"type": "http.response.start", "status": response.status_code,
                "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]})
    await send({"type": "http.response.body", "body": response.content})
    if store := getattr(response, "store", None):
        try:  # after the answer: the client does not wait for the cache
            await _fetchrow(lambda: _pools.primary, _STORE.text, *store)
        except (asyncpg.PostgresError, asyncpg.exceptions.InterfaceError, OSError) as exc:
            log.warning("lean path: the tile was not kept (%s)", exc.__class__.__name__)


async def close() -> None:
    """Close this process's connections (the server is stopping)."""
    await _pools.hot.stop()
    for pool in {*_pools.reads, *_pools.page_reads, _pools.primary} - {None}:
        await pool.close()


ENABLED = ENABLED and _supported()
if ENABLED:
    features.resolve_output_crs()  # pyproj's look-ups now, not on the event loop at a first crs=...
