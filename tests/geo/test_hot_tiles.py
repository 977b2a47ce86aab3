"""Tiles kept in a worker's memory (geo/hot_tiles.py): served with no round trip to the database, only
while they show the layer's current version, forgotten when the change log's connection is lost or
stops answering; in-process on the test database (writes committed by a connection of their own) and
on a live server."""
import asyncio
import os
import signal
import time

import mapbox_vector_tile
import psycopg2
import pytest
import requests
from django.conf import settings as django_settings
from django.db import connection

from geo import hot_tiles
from tests.geo.test_fastpath import fresh_pools, through_lean_path, tile_of  # noqa: F401 (fixture)
from tiles.services import Tile

pytestmark = pytest.mark.django_db


def other_connection():
    db = connection.settings_dict
    return psycopg2.connect(dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"], host=db["HOST"],
                            port=db["PORT"])


def committed(statement: str, args=()) -> list:
    """Run `statement` on a connection of its own and commit (the test's own writes roll back and
    notify nobody)."""
    conn = other_connection()
    try:
        with conn, conn.cursor() as cursor:
            cursor.execute(statement, args)
            return cursor.fetchall() if cursor.description else []
    finally:
        conn.close()


async def until(condition, what: str, seconds: float = 20) -> None:
    """Wait for `condition()` (events of the event loop: a notification, a reconnection)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"still waiting for {what}"
        await asyncio.sleep(0.02)


@pytest.fixture
def parcel_tile():
    """(a parcel's id, its land-use code, the path of the z16 tile holding it, (z, x, y)); its land use
    is put back at the end. The last parcel: the versions of the first are counted by other tests, and
    these writes are committed."""
    (parcel_id, use, lon, lat), = committed("SELECT id, land_use_code, ST_X(p), ST_Y(p) FROM (SELECT id, "
                                            "land_use_code, ST_PointOnSurface(geom) AS p FROM land_parcel "
                                            "ORDER BY id DESC LIMIT 1) AS s")
    z, x, y = tile_of(lon, lat, 16)
    yield parcel_id, use, f"/tiles/parcels/{z}/{x}/{y}.pbf", (z, x, y)
    committed("UPDATE land_parcel SET land_use_code = %s WHERE id = %s AND land_use_code <> %s", [use, parcel_id, use])


def drawn_use(body: bytes, parcel_id: int) -> str:
    features = mapbox_vector_tile.decode(body)["parcels"]["features"]
    return next(f["properties"]["land_use_code"] for f in features if f["id"] == parcel_id)


def locked_tables():
    """A transaction holding the tile cache and the layer versions: a statement reading them waits."""
    conn = other_connection()
    with conn.cursor() as cursor:
        cursor.execute("LOCK TABLE tiles_cachedtile, layers_layerversion IN ACCESS EXCLUSIVE MODE")
    return conn


def test_a_kept_tile_needs_no_database_until_a_write_to_its_layer_commits(settings, fresh_pools, parcel_tile):
    from geo import fastpath

    settings.GEO_STATEMENT_TIMEOUT_MS = 300
    parcel_id, use, path, (z, x, y) = parcel_tile
    other = "/tiles/parcels/{}/{}/{}.pbf".format(z, x + 1, y)
    new_use = "TMD" if use != "TMD" else "ODT"

    async def scenario():
        hot = fastpath._pools.hot
        try:
            await through_lean_path("GET", other, {})  # starts the pools, and the change log's connection
            await until(lambda: hot.listening, "the versions")
            _, (status, headers, body) = await through_lean_path("GET", path, {})
            etag = dict(headers)["etag"]
            assert status == 200 and hot.get("parcels", z, x, y) is not None
            held = locked_tables()
            try:  # the kept tile, and a 304 from its version: no statement, so nothing waits
                assert await through_lean_path("GET", path, {}) == (False, (status, headers, body))
                revalidated = await through_lean_path("GET", path, {"If-None-Match": etag})
                assert revalidated[1][0] == 304
                # a tile not kept goes to the database, which waits for the lock until the timeout
                assert (await through_lean_path("GET", "/tiles/parcels/{}/{}/{}.pbf".format(z, x, y + 1), {}))[1][0] == 503
            finally:
                held.rollback()
                held.close()
            version = hot.version("parcels")
            committed("UPDATE land_parcel SET land_use_code = %s WHERE id = %s", [new_use, parcel_id])
            await until(lambda: hot.version("parcels") not in (None, version), "the notification")
            _, (status, headers, body) = await through_lean_path("GET", path, {})
            assert status == 200 and dict(headers)["etag"] != etag and drawn_use(body, parcel_id) == new_use
            assert hot.get("parcels", z, x, y).version == hot.version("parcels") == version + 1
        finally:
            await fastpath.close()

    asyncio.run(scenario())


def test_nothing_is_served_from_memory_while_the_change_log_connection_is_lost(settings, fresh_pools, parcel_tile,
                                                                             monkeypatch):
    """Closed by the server, or silent (its backend stopped): the kept tiles are dropped at once, the
    tiles come from the database, and memory serves again once the connection is back."""
    from geo import fastpath

    settings.GEO_STATEMENT_TIMEOUT_MS = 300
    monkeypatch.setattr(hot_tiles, "PING_SECONDS", 0.5)
    monkeypatch.setattr(hot_tiles, "RETRY_SECONDS", 0.1)
    _, _, path, (z, x, y) = parcel_tile

    async def kept_again(hot):
        await until(lambda: hot.listening, "the versions")
        assert (await through_lean_path("GET", path, {}))[1][0] == 200
        assert hot.get("parcels", z, x, y) is not None

    async def from_the_database(hot):
        assert hot.get("parcels", z, x, y) is None and not hot.tiles
        held = locked_tables()
        try:
            assert (await through_lean_path("GET", path, {}))[1][0] == 503
        finally:
            held.rollback()
            held.close()

    async def scenario():
        hot = fastpath._pools.hot
        try:
            await through_lean_path("GET", path, {})
            await kept_again(hot)
            committed("SELECT pg_terminate_backend(%s)", [hot.connection.get_server_pid()])  # closed
            await until(lambda: not hot.listening, "the connection's loss")
            await from_the_database(hot)
            await kept_again(hot)
            pid = hot.connection.get_server_pid()
            os.kill(pid, signal.SIGSTOP)  # silent: open, but no answer to the ping
            try:
                await until(lambda: not hot.listening, "the ping's timeout")
                await from_the_database(hot)
            finally:
                os.kill(pid, signal.SIGCONT)
            await kept_again(hot)
        finally:
            await fastpath.close()

    asyncio.run(scenario())


def test_a_version_read_overtaken_by_a_notification_is_thrown_away(fresh_pools):
    from geo import fastpath

    async def scenario():
        hot = hot_tiles.HotTiles(2**20)
        conn = await fastpath.asyncpg.connect(**fastpath._connection_options("default"))
        held = locked_tables()
        try:
            reading = asyncio.create_task(hot._read(conn, ["parcels"]))  # waits for the lock
            await asyncio.sleep(0.2)
            hot._notified(None, 0, hot_tiles.CHANNEL, "parcels 123")  # a write committed meanwhile
            held.rollback()
            await reading
            assert hot.version("parcels") is None and hot.stale == {"parcels"}  # read again, not believed
            await hot._read(conn, ["parcels"])
            assert hot.version("parcels") is not None
        finally:
            held.close()
            await conn.close()

    asyncio.run(scenario())


def test_memory_is_bounded_and_keeps_only_the_current_version():
    hot = hot_tiles.HotTiles(10 * (1000 + hot_tiles.ENTRY_BYTES))
    hot.versions = {"parcels": 7}
    for x in range(12):
        hot.keep("parcels", 16, x, 0, Tile(b"t" * 1000, 7))
    assert [key[2] for key in hot.tiles] == list(range(2, 12))  # the oldest two dropped
    assert hot.size == 10 * (1000 + hot_tiles.ENTRY_BYTES) <= hot.max_bytes
    hot.keep("parcels", 16, 5, 0, Tile(b"u" * 500, 7))  # replaced: counted once
    assert hot.size == 9 * (1000 + hot_tiles.ENTRY_BYTES) + 500 + hot_tiles.ENTRY_BYTES
    hot.keep("parcels", 16, 99, 0, Tile(b"old", 6))  # a replica behind the primary answered it
    hot.keep("parcels", 16, 98, 0, Tile(b"mine", None))  # a transaction's own writes
    hot.keep("schools", 16, 1, 0, Tile(b"s", 3))  # a layer whose version is not known here
    hot.keep("parcels", 16, 97, 0, Tile(b"x" * hot.max_bytes, 7))  # larger than the whole bound
    assert {key[2] for key in hot.tiles} == set(range(2, 12))
    assert hot.get("parcels", 16, 5, 0).gzipped == b"u" * 500
    hot._notified(None, 0, hot_tiles.CHANNEL, "parcels 42")
    assert hot.get("parcels", 16, 5, 0) is None and hot.version("parcels") is None
    hot.versions["parcels"] = 8
    assert hot.get("parcels", 16, 5, 0) is None  # kept for version 7
    assert hot_tiles.HotTiles(0).enabled is False


def test_an_anonymous_reader_of_the_live_server_sees_a_committed_write(platform_url, parcel_tile):
    """gunicorn's workers each keep tiles; a write reaches them all through the change log."""
    parcel_id, use, path, _ = parcel_tile
    new_use = "TMD" if use != "TMD" else "ODT"
    first = [requests.get(platform_url + path, timeout=30) for _ in range(6)]  # both workers keep it
    assert {r.status_code for r in first} == {200} and len({r.headers["ETag"] for r in first}) == 1
    # a live worker answers from memory: with the tables it would read locked, the tile still comes
    # (a worker without it waits for the lock: not counted)
    lock = locked_tables()
    try:
        from_memory = 0
        for _ in range(6):
            try:
                answer = requests.get(platform_url + path, timeout=3)
            except requests.Timeout:
                continue
            from_memory += answer.status_code == 200 and answer.content == first[0].content
    finally:
        lock.rollback()
        lock.close()
    assert from_memory, "no worker served the tile from memory"
    committed("UPDATE land_parcel SET land_use_code = %s WHERE id = %s", [new_use, parcel_id])
    deadline = time.monotonic() + django_settings.GEO_PRIMARY_PIN_SECONDS  # the longest a reader may see it
    while True:
        answers = [requests.get(platform_url + path, timeout=30) for _ in range(6)]
        if all(a.headers["ETag"] != first[0].headers["ETag"] for a in answers):
            break
        assert time.monotonic() < deadline, "a worker still serves the tile from before the write"
        time.sleep(0.05)
    assert {drawn_use(a.content, parcel_id) for a in answers} == {new_use}
