"""Tiles kept in a worker process's memory for the lean path (geo/fastpath.py): a cache hit, and a 304,
with no round trip to the database.

A tile is kept with the layer version it shows (tiles/services.py) and served from memory only while
that version is the layer's current one as this process knows it. The process learns versions from
the primary, on a connection of its own that LISTENs to the change log's channel (layers/changelog.py:
each committed write notifies "<layer id> <txid>" at commit, after the layer's version moved):
- on (re)connection: LISTEN first, then every layer's version read;
- on a notification: the layer's version is forgotten at once (none of its tiles is served from
  memory any more), then read again. A read that a later notification overtook is thrown away;
- while the connection is down, and until the versions are read again, nothing is served from memory,
  and what was kept is dropped. A connection that stops answering without closing is found by a ping
  after PING_SECONDS without news, unanswered within PING_SECONDS, and closed.
So an anonymous reader sees a committed write once its notification has reached the process (within
milliseconds, as a reader of a replica sees it within the replica's lag); a writer reads through Django
(its session, pinned to the primary), never from here.

Bounded: GEO_TILE_MEMORY_MB per process (tiles and their keys), the oldest kept dropped first; tiles
deeper than the database cache keeps are not kept here either. 0 turns it off."""
from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable

import asyncpg

from layers import registry

log = logging.getLogger(__name__)

CHANNEL = "layers_change"  # layers/changelog.py
NAME = "geo-hot-tiles"  # the listening connection's application_name
PING_SECONDS = 5.0
RETRY_SECONDS = 1.0
ENTRY_BYTES = 250  # a kept tile's key, entry and object, besides its bytes

# Every layer's version, as layers.selectors.LAYER_VERSION reads one (never written: 0).
VERSIONS = ("SELECT l.id, coalesce(v.version, 0) FROM unnest($1::text[]) AS l(id) "
            "LEFT JOIN layers_layerversion AS v ON v.layer_id = l.id")

_CONNECTION_FAILED = (asyncpg.PostgresError, asyncpg.exceptions.InterfaceError, OSError, TimeoutError)


class HotTiles:
    """One process's tiles in memory (see the module's doc); run() keeps its versions current."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.tiles: dict[tuple[str, int, int, int], object] = {}  # key -> tiles.services.Tile, oldest first
        self.size = 0
        self.versions: dict[str, int] = {}  # layer -> its current version, while the connection holds
        self.turns: dict[str, int] = {}  # layer -> notifications seen: a read begun before one is stale
        self.stale: set[str] = set()  # layers notified whose version is being read again
        self.listening = False  # connected, and every layer's version read since
        self.connection: asyncpg.Connection | None = None  # the change log's, while open
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task | None = None

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    # -- reads and writes (on the event loop) ---------------------------------------------------------
    def get(self, layer_id: str, z: int, x: int, y: int):
        """The kept tile when it shows the layer's current version, else None."""
        tile = self.tiles.get((layer_id, z, x, y))
        if tile is not None and tile.version == self.versions.get(layer_id):
            return tile
        return None

    def version(self, layer_id: str) -> int | None:
        """The layer's current version, when known here."""
        return self.versions.get(layer_id)

    def keep(self, layer_id: str, z: int, x: int, y: int, tile) -> None:
        """Keep `tile` if it shows the layer's current version (a replica behind the primary may answer
        an older one), dropping the oldest kept beyond the bound."""
        cost = len(tile.gzipped) + ENTRY_BYTES
        if tile.version is None or tile.version != self.versions.get(layer_id) or cost > self.max_bytes:
            return
        key = (layer_id, z, x, y)
        old = self.tiles.pop(key, None)
        if old is not None:
            self.size -= len(old.gzipped) + ENTRY_BYTES
        self.tiles[key] = tile
        self.size += cost
        while self.size > self.max_bytes:
            self.size -= len(self.tiles.pop(next(iter(self.tiles))).gzipped) + ENTRY_BYTES

    def forget(self) -> None:
        """Serve nothing from memory until the versions are read again."""
        self.listening = False
        self.versions.clear()
        self.tiles.clear()
        self.size = 0

    # -- the versions ------------------------------------------------------------------------------------
    def _notified(self, _connection, _pid, _channel, payload: str) -> None:
        layer_id = payload.partition(" ")[0]
        self.turns[layer_id] = self.turns.get(layer_id, 0) + 1
        self.versions.pop(layer_id, None)
        self.stale.add(layer_id)
        if self._wake is not None:
            self._wake.set()

    async def _read(self, connection, layer_ids: list[str]) -> None:
        turns = {layer_id: self.turns.get(layer_id, 0) for layer_id in layer_ids}
        for layer_id, version in await connection.fetch(VERSIONS, layer_ids, timeout=PING_SECONDS):
            if self.turns.get(layer_id, 0) == turns[layer_id]:  # else a newer read is due
                self.versions[layer_id] = version

    def start(self, connect: Callable[[], Awaitable[asyncpg.Connection]]) -> None:
        """Run run(connect) on the event loop, once."""
        if self.enabled and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self.run(connect), name="hot tiles")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def run(self, connect: Callable[[], Awaitable[asyncpg.Connection]]) -> None:
        """Listen, reconnecting after a failure; never returns (cancel it)."""
        self._wake = asyncio.Event()
        while True:
            connection = None
            try:
                connection = self.connection = await asyncio.wait_for(connect(), PING_SECONDS)
                await self._follow(connection)
            except _CONNECTION_FAILED as failure:
                log.warning("hot tiles: the change log's connection failed (%s); tiles come from the database",
                            failure.__class__.__name__)
            except Exception:  # noqa: BLE001 — a bug here must not leave stale tiles served: start over
                log.exception("hot tiles: unexpected failure; tiles come from the database")
            finally:
                self.forget()
                self.connection = None
                if connection is not None:
                    connection.terminate()
            await asyncio.sleep(RETRY_SECONDS)

    async def _follow(self, connection: asyncpg.Connection) -> None:
        lost = asyncio.Event()

        def closed(_connection) -> None:
            self.forget()  # before any other request runs
            lost.set()
            self._wake.set()

        connection.add_termination_listener(closed)
        # bounded as the connect and the reads are (a LISTEN that hangs: start over)
        await asyncio.wait_for(connection.add_listener(CHANNEL, self._notified), PING_SECONDS)
        self.stale.clear()
        await self._read(connection, [spec.id for spec in registry.all_layers()])
        self.listening = True
        while not lost.is_set():
            self._wake.clear()
            if self.stale:
                layer_ids, self.stale = sorted(self.stale), set()
                await self._read(connection, layer_ids)
                continue
            try:
                await asyncio.wait_for(self._wake.wait(), PING_SECONDS)
            except TimeoutError:
                await connection.fetchval("SELECT 1", timeout=PING_SECONDS)
        raise ConnectionError("the change log's connection closed")
