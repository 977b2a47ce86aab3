"""The lean path (geo/fastpath.py) answers exactly what Django answers, and only the plain public reads:
- on a live server: the platform served as `make run` serves it (lean path on) against the same
  platform with GEO_FAST_PATH=0, request by request on the test database (status, every header as sent,
  body decompressed) for tiles, parcel panels and OGC API items pages, plain and gzip, revalidated, in
  English, refused, of layers an anonymous caller may not read, with odd paths, methods and cookies;
- in-process, the same requests through geo.fastpath.serve with a Django that records being asked:
  which requests the lean path answers itself (and that those answers equal Django's), which it hands
  over; tiles it renders are kept in the cache; a statement cut off by the timeout is a 503."""
import asyncio
import gzip
import http.client
import logging
import math
import re
from urllib.parse import unquote, urlsplit

import psycopg2
import pytest
from django.db import connection

from tests.conftest import serve_platform, stop_platform
from tiles.models import CachedTile

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def django_url(test_db_env):
    """The same platform with the lean path off: Django answers everything."""
    server, base = serve_platform({**test_db_env, "GEO_FAST_PATH": "0"}, workers=1)
    yield base
    stop_platform(server)


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


def normalised(path: str, status: int, headers: list[tuple[str, str]], body: bytes):
    """(status, the headers as sent but for the per-response ones, the body decompressed). The CSP's
    directives as a set (Django writes them in a set's order, which differs between processes); a new
    CSRF cookie's random value and expiry blanked; the length of a gzipped panel dropped (Django pads
    gzip headers at random against BREACH; tiles are stored compressed, so theirs is kept); an items
    page's time stamp blanked and the server in its links named alike (so its length dropped too)."""
    kept = []
    encoding = dict((k.lower(), v) for k, v in headers).get("content-encoding")
    for name, value in headers:
        name = name.lower()
        if name in ("date", "server") or (name == "content-length" and (encoding == "gzip" or "/items" in path)
                                          and not path.startswith("/tiles/")):
            continue
        if name == "content-security-policy":
            value = frozenset(value.split("; "))
        if name == "set-cookie":
            value = re.sub(r"=\w+; expires=[^;]+;", "=…; expires=…;", value)
        kept.append((name, value))
    kept.sort(key=lambda item: item[0])  # stable: repeated headers keep their order
    if encoding == "gzip" and body:
        body = gzip.decompress(body)
    # an items page's time stamp is the time of its answer (same width: same length); its links name
    # the server the test asked (they are equal when both are asked as the same host)
    body = re.sub(rb'"timeStamp":"[^"]+"', b'"timeStamp":"..."', body)
    return status, kept, re.sub(rb"http://127\.0\.0\.1(:\d+)?/", b"http://server/", body)


def difference(got, expected) -> str:
    """Where two normalised answers first differ (for the assertion's message)."""
    for part, (a, b) in enumerate(zip(got, expected)):
        if a != b:
            if isinstance(a, bytes):
                at = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
                return f"body at {at}: {a[max(0, at - 80):at + 80]!r} against {b[max(0, at - 80):at + 80]!r}"
            return f"part {part}: {a!r} against {b!r}"
    return ""


def over_http(base: str, method: str, path: str, headers: dict):
    """The answer as the server sent it (http.client: repeated headers and whitespace kept)."""
    host, port = urlsplit(base).hostname, urlsplit(base).port
    conn = http.client.HTTPConnection(host, port, timeout=30)
    try:
        conn.putrequest(method, path, skip_host="Host" in headers, skip_accept_encoding=True)
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.endheaders()
        response = conn.getresponse()
        return normalised(path, response.status, response.getheaders(), response.read())
    finally:
        conn.close()


async def through_lean_path(method: str, path: str, headers: dict):
    """One request through geo.fastpath.serve in the running event loop: (handed to Django?, the
    answer, normalised)."""
    from geo import fastpath

    split = urlsplit(path)
    scope = {"type": "http", "method": method, "path": unquote(split.path), "raw_path": split.path.encode(),
             "query_string": split.query.encode(), "http_version": "1.1", "scheme": "http",
             "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 5000), "root_path": "",
             "headers": [(k.lower().encode("latin-1"), v.encode("latin-1"))
                         for k, v in {"Host": "127.0.0.1", **headers}.items()]}
    sent, deferred = [], []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    async def django(*_):
        deferred.append(path)

    await fastpath.serve(scope, receive, send, django)
    if deferred:
        return True, None
    start, body = sent
    return False, normalised(path, start["status"], [(k.decode("latin-1"), v.decode("latin-1"))
                                                     for k, v in start["headers"]], body["body"])


async def in_process(requests_: list[tuple[str, str, dict]]):
    """Each request through geo.fastpath.serve on fresh pools: (handed to Django?, the answer)."""
    from geo import fastpath

    try:
        return [await through_lean_path(method, path, headers) for method, path, headers in requests_]
    finally:
        await fastpath.close()


def a_point_on(table: str) -> tuple[float, float]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM {table} "
                       "ORDER BY id LIMIT 1) s")
        return cursor.fetchone()


@pytest.fixture
def fresh_pools(monkeypatch):
    from geo import fastpath

    monkeypatch.setattr(fastpath, "_pools", fastpath._Pools())
    monkeypatch.setattr(fastpath, "ENABLED", True)


def test_tiles_and_panels_answer_as_django_answers(platform_url, django_url, fresh_pools, caplog):
    lon, lat = a_point_on("land_parcel")
    z, x, y = tile_of(lon, lat, 16)
    parcels = f"/tiles/parcels/{z}/{x}/{y}.pbf"
    vlon, vlat = a_point_on("utilities_watervalve")
    internal = "/tiles/water_valves/{}/{}/{}.pbf".format(*tile_of(vlon, vlat, 16))
    panel = f"/api/parcels/at?lon={lon}&lat={lat}"
    gz, plain = {"Accept-Encoding": "gzip"}, {"Accept-Encoding": "identity"}
    etag = dict(over_http(platform_url, "GET", parcels, gz)[1])["etag"]
    lean = [  # answered by the lean path
        (parcels, gz), (parcels, plain), (parcels, {**gz, "Accept-Language": "en"}),
        (parcels, {**gz, "If-None-Match": etag}),  # current: 304 from the version alone
        (parcels, {**plain, "If-None-Match": etag.removeprefix("W/")}),
        (parcels, {**gz, "If-None-Match": 'W/"parcels-0-WebMercatorQuad-1-0-0"'}),  # stale
        (parcels + "?lang=en&x=1", gz),
        ("/tiles/parcels/3/6/3.pbf", gz),  # above the layer's first zoom: empty
        ("/tiles/parcels/{}/{}/{}.pbf".format(*tile_of(lon, lat, 18)), gz),  # deeper than the cache keeps
        ("/tiles/parcels/{}/{}/{}.pbf".format(*tile_of(lon, lat, 15)), gz),
        ("/tiles/schools/10/812/478.pbf", gz),
        (panel, gz), (panel, plain), (panel, {**gz, "Accept-Language": "en-GB,en;q=0.9"}),
        (panel, {**gz, "Cookie": "django_language=en; csrftoken=" + "a" * 32}),
        (panel, {**gz, "Cookie": "csrftoken=abc"}),  # malformed: a new one is sent, as Django does
        ("/api/parcels/at?lon=0&lat=0", gz),  # no parcel: 404
    ]
    django = [  # handed to Django
        ("/tiles/parcels/31/0/0.pbf", gz), ("/tiles/parcels/2/9/0.pbf", gz),  # no such tile: 400
        ("/tiles/nope/16/1/1.pbf", gz), ("/tiles/%C4%91%E1%BA%A5t/16/1/1.pbf", gz),  # no such layer: 404
        ("/tiles/parcels/16/1/1.pbf/", gz),
        (internal, gz),  # not for anonymous callers: 404, as if it did not exist
        (panel + "&lon=999", gz),  # the last value counts, as in Django: 400
        ("/api/parcels/at?lon=nan&lat=11.5", gz), ("/api/parcels/at?lon=abc&lat=1", gz),
        ("/api/parcels/at?lat=11.5", gz), ("/api/parcels/at?lon=1e999&lat=11.5", gz),
        (panel + "".join(f"&f{i}=1" for i in range(1001)), gz),  # too many fields: 400
        (panel, {**gz, "Host": "evil.example"}), (parcels, {**gz, "Host": "evil.example"}),  # 400
        (panel, {**gz, "Cookie": "sessionid=nosuchsession"}), (parcels, {**gz, "Authorization": "Bearer x"}),
        (parcels, {**gz, "Cookie": "geo_primary=1"}),  # a client that wrote: through Django (geo/pinning.py)
    ]
    items = "/ogcapi/collections/parcels/items"
    box = f"bbox={lon - 0.002},{lat - 0.002},{lon + 0.002},{lat + 0.002}"
    lean += [
        (f"{items}?f=json&limit=5", gz), (f"{items}?limit=5", plain), (f"{items}?f=json&limit=3&{box}", gz),
        (f"{items}?f=json&limit=2&offset=3&{box}&sortby=-area_m2,parcel_no", gz),
        (f"{items}?{box}&properties=parcel_no,area_m2&crs=http://www.opengis.net/def/crs/EPSG/0/9212", gz),
        (f"{items}?{box}&skipGeometry=true&limit=1000", gz), (f"{items}?{box}&resulttype=hits", gz),
        (f"{items}?f=json&limit=1000", gz), (f"{items}?f=json&limit=1000", plain),  # large: built on a thread
        (f"{items}?f=json&bbox={lat - 0.002},{lon - 0.002},{lat + 0.002},{lon + 0.002}"
         "&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/4326&crs=http://www.opengis.net/def/crs/EPSG/0/4326", gz),
        (f"{items}?f=json&q=ph%C6%B0%E1%BB%9Dng&limit=2", {**gz, "Accept-Language": "en"}),  # q=phường
        (f"{items}?f=json&lang=en&offset=999999", gz),  # past the end
        ("/ogcapi/collections/schools/items?f=json", gz),
    ]
    django += [
        (f"{items}?f=html&limit=2", gz), (f"{items}?limit=2", {**gz, "Accept": "text/html"}),
        (f"{items}?filter=area_m2%3E100&limit=2", gz), (f"{items}?parcel_no=1", gz),
        (f"{items}?datetime=2026-01-01T00:00:00Z", gz),
        (f"{items}?limit=abc", gz), (f"{items}?nope=1", gz), (f"{items}?bbox=1,2,3", gz),  # 400
        (f"{items}?limit=2" + "".join(f"&f{i}=1" for i in range(1001)), gz),
        ("/ogcapi/collections/water_valves/items?f=json", gz), ("/ogcapi/collections/nope/items", gz),  # 404
        (f"{items}?f=json", {**gz, "Cookie": "sessionid=nosuchsession"}),
        ("/ogcapi/collections/parcels", gz), ("/ogcapi/collections/parcels/items/1", gz),
    ]
    cases = [("GET", p, h) for p, h in lean + django] + [("HEAD", parcels, gz), ("HEAD", panel, gz)]
    seen = asyncio.run(in_process(cases))
    # what it hands over, it hands over by rule, not by failing (which would log an error)
    assert not [r.getMessage() for r in caplog.records if r.name == "geo.fastpath" and r.levelno >= logging.ERROR]
    for (method, path, headers), (deferred, answer) in zip(cases, seen):
        expected = over_http(django_url, method, path, headers)
        got = over_http(platform_url, method, path, headers)
        assert got == expected, (method, path, headers, difference(got, expected))
        assert deferred == ((path, headers) not in lean or method != "GET"), (method, path, headers)
        if not deferred:
            assert answer == expected, (path, headers)
    assert {expected[0] for expected in (over_http(django_url, m, p, h) for m, p, h in cases)} == {200, 304, 400, 401, 404}


def test_a_get_with_a_body_goes_to_django_without_an_error(fresh_pools, caplog):
    """Reading a body is Django's (its size limit: 400), not the lean path's failure."""
    items = "/ogcapi/collections/parcels/items?f=json&limit=2"
    seen = asyncio.run(in_process([("GET", items, {"Content-Length": "20000000"}),
                                   ("GET", items, {"Transfer-Encoding": "chunked"}), ("GET", items, {})]))
    assert [deferred for deferred, _ in seen] == [True, True, False]
    assert not [r.getMessage() for r in caplog.records if r.name == "geo.fastpath" and r.levelno >= logging.ERROR]


def test_a_token_holder_reads_what_anonymous_callers_may_not(platform_url, django_url):
    """An Authorization header goes to Django (the token's roles), whichever way is on."""
    from tests.geo.test_replica import bearer

    vlon, vlat = a_point_on("utilities_watervalve")
    internal = "/tiles/water_valves/{}/{}/{}.pbf".format(*tile_of(vlon, vlat, 16))
    for base in (platform_url, django_url):
        assert over_http(base, "GET", internal, {})[0] == 404
        assert over_http(base, "GET", internal, bearer(base, ["utility"]))[0] == 200


def test_a_tile_rendered_on_the_lean_path_is_kept(fresh_pools):
    lon, lat = a_point_on("land_parcel")
    z, x, y = tile_of(lon, lat, 17)
    db = connection.settings_dict
    other = psycopg2.connect(dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"], host=db["HOST"],
                             port=db["PORT"])
    with other, other.cursor() as cursor:  # committed, unlike this test's own writes
        cursor.execute("DELETE FROM tiles_cachedtile WHERE layer_id = 'parcels' AND z = %s AND x = %s AND y = %s",
                       [z, x, y])
    other.close()
    (deferred, (status, headers, body)), = asyncio.run(in_process([("GET", f"/tiles/parcels/{z}/{x}/{y}.pbf", {})]))
    assert not deferred and status == 200 and body
    kept = CachedTile.objects.get(layer_id="parcels", z=z, x=x, y=y)  # stored before serve() returned
    assert gzip.decompress(bytes(kept.data)) == body
    assert dict(headers)["etag"] == f'"parcels-{kept.version}-WebMercatorQuad-{z}-{x}-{y}"'


def test_a_statement_cut_off_by_the_timeout_is_a_503(settings, fresh_pools):
    """The lean path's connections carry GEO_STATEMENT_TIMEOUT_MS; a panel waiting behind a lock longer
    than that is answered as geo.middleware answers a timeout, nothing handed to Django."""
    settings.GEO_STATEMENT_TIMEOUT_MS = 300
    lon, lat = a_point_on("land_parcel")
    with connection.cursor() as cursor:  # held by this test's transaction until it rolls back
        cursor.execute("LOCK TABLE land_parcel IN ACCESS EXCLUSIVE MODE")
    panel = f"/api/parcels/at?lon={lon}&lat={lat}"
    (deferred, (status, headers, body)), = asyncio.run(in_process([("GET", panel, {})]))
    assert not deferred and status == 503
    assert dict(headers)["retry-after"] == "5" and "x-content-type-options" in dict(headers)
    assert b'"code": "Timeout"' in body
