"""The hub: one per server process, between the change log and the process's event streams.

A thread of its own holds one PostgreSQL connection that LISTENs on `layers_change` (the change-log
triggers notify "<layer id> <txid>" at commit, layers/changelog.py) and a second one (Django's, of
this thread) that reads the log. For each layer someone follows it keeps:

- the *safe cursor*: every change up to it was read by the rule of layers.feed.changes_since (only
  transactions below the snapshot's xmin), so nothing can still appear below it; changes already
  pushed ahead are not read again. Every event's
  SSE `id:` is a subscriber's safe position, and resuming from it never loses a change;
- the changes pushed *ahead*: a notification names a transaction that has committed, so its changes
  are read and sent at once even while an unrelated long transaction holds the xmin (and with it the
  safe cursor) back. They are remembered until the safe cursor passes them and are not sent twice by
  this process; a client that resumes from a safe id may get one again (each event carries the
  feature id and version, so it knows).

A notification is read once for all the layer's subscribers; each subscriber's `accept`/`render`
run on this thread (keep them quick: no query per change), and one callback per batch hands the
events to the event loop. A sweep every GEO_LIVE_SWEEP_SECONDS moves the safe cursors on without
notifications (a long transaction that ended, a notification lost while the connection was down).
A subscriber whose bounded queue overflows (a slow client) is closed; it resumes by Last-Event-ID.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import os
import queue
import select
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Callable

import psycopg2
import psycopg2.extensions
from django.conf import settings
from django.db import DatabaseError, InterfaceError, connection
from psycopg2 import sql

from layers import feed
from layers.registry import LayerSpec

log = logging.getLogger(__name__)

CHANNEL = "layers_change"
OPS = {"insert": "I", "update": "U", "delete": "D", "truncate": "T"}
PAGE = 1000


def _setting(name: str, default):
    return type(default)(getattr(settings, name, os.environ.get(name, default)))


SWEEP_SECONDS = _setting("GEO_LIVE_SWEEP_SECONDS", 1.0)
QUEUE_SIZE = _setting("GEO_LIVE_QUEUE_SIZE", 2000)         # events waiting for one slow client
CATCH_UP_MAX = _setting("GEO_LIVE_CATCH_UP_MAX", 20000)    # changes read to resume one client
# An anonymous client resumes from at most this far back (else it reloads): nobody without an account
# can make the hub page through the whole log for every connection it opens.
ANONYMOUS_CATCH_UP_MAX = _setting("GEO_LIVE_ANONYMOUS_CATCH_UP_MAX", 1000)
AHEAD_MAX = _setting("GEO_LIVE_AHEAD_MAX", 20000)          # changes pushed ahead, per layer

Entry = dict  # {"cursor", "op", "feature_id", "version", "at", "feature"}, see live/__init__.py


class Reload(Exception):
    """The client's cursor is older than what the log still holds (or too far behind to replay)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def event(name: str, cursor: feed.Cursor | None, data: str) -> str:
    """One SSE message; `data` is one line of JSON."""
    return (f"id: {cursor}\n" if cursor is not None else "") + f"event: {name}\ndata: {data}\n\n"


@dataclass(eq=False)
class Subscription:
    """One event stream. Fields marked (hub) are the hub thread's, (loop) the event loop's."""

    spec: LayerSpec
    accept: Callable[[Entry], bool]
    render: Callable[[Entry], dict | None]
    loop: asyncio.AbstractEventLoop
    catch_up_max: int = CATCH_UP_MAX       # changes read at most to resume it
    position: feed.Cursor = feed.START     # (hub) every accepted change up to here is queued
    failed: bool = False                   # (hub) its accept/render raised: the stream closes
    pending: deque = field(default_factory=deque)   # (loop) SSE messages not yet sent
    wake: asyncio.Event = field(default_factory=asyncio.Event)  # (loop)
    delivered: feed.Cursor = feed.START    # (loop) the position, once the messages before it are queued
    closed: str = ""                       # (loop) why the stream ends ("" while open)

    def push(self, messages: list[str], position: feed.Cursor | None, failed: bool = False) -> None:
        """(loop) Queue messages; close the stream when the client cannot keep up."""
        if self.closed:
            return
        if failed:
            self.closed = "error"
        self.pending.extend(messages)
        if position is not None and position > self.delivered:
            self.delivered = position
        if len(self.pending) > QUEUE_SIZE:
            self.pending.clear()
            self.closed = "slow"
        self.wake.set()


@dataclass(eq=False)
class LayerState:
    spec: LayerSpec
    safe: feed.Cursor
    ahead: dict = field(default_factory=dict)   # (txid, id) -> entry pushed ahead of the safe cursor
    subscribers: set = field(default_factory=set)
    delivered_safe: feed.Cursor = feed.START     # (loop) the safe cursor whose events are all queued


def _entry(change: dict) -> Entry:
    return {"cursor": change["cursor"], "op": OPS[change["op"]], "feature_id": change["id"],
            "version": change["version"], "at": change["time"], "feature": change["feature"]}


# The changes of given (committed) transactions, shaped as layers.feed's entries, with the current
# feature of inserts and updates (the same GeoJSON as the feed).
_AHEAD = """
SELECT c.txid, c.id, c.op, c.feature_id, c.version, (to_json(c.at AT TIME ZONE 'UTC') #>> '{{}}') || 'Z',
    CASE WHEN f.id IS NULL THEN NULL ELSE
        '{{"type":"Feature","id":' || f.id || ',"version":' || coalesce(v.version, 1)
        || ',"geometry":' || coalesce(ST_AsGeoJSON(f.geom, 15), 'null') || ',"properties":' || {properties} || '}}' END
FROM layers_change c
LEFT JOIN LATERAL (SELECT * FROM {table} f WHERE c.op IN ('I', 'U') AND f.id = c.feature_id LIMIT 1) f ON true
LEFT JOIN LATERAL (SELECT h.version FROM layers_change h WHERE h.layer_id = %(layer)s
                   AND h.feature_id = c.feature_id AND f.id IS NOT NULL ORDER BY h.id DESC LIMIT 1) v ON true
WHERE c.layer_id = %(layer)s AND (c.txid, c.id) > (%(txid)s, %(id)s) AND {which}
ORDER BY c.txid, c.id
LIMIT %(limit)s
"""


# Notified transactions, or (None) every transaction past the cursor that has committed: after a
# notification may have been missed (a new follower, a reconnection, the sweep).
_NOTIFIED = sql.SQL("c.txid = ANY(%(txids)s)")
_COMMITTED = sql.SQL("pg_xact_status(c.txid::text::xid8) = 'committed'")


def _ahead_entries(spec: LayerSpec, txids: list[int] | None, after: feed.Cursor) -> list[tuple[feed.Cursor, Entry]]:
    """The changes after `after` of transactions `txids` (None: of every committed one)."""
    statement = sql.SQL(_AHEAD).format(table=sql.Identifier(spec.table), which=_COMMITTED if txids is None else _NOTIFIED,
                                       properties=feed.properties_sql(spec))  # the feed's own properties
    with connection.cursor() as cursor:
        cursor.execute(statement, {"layer": spec.id, "txids": txids, "txid": after.txid, "id": after.change_id,
                                   "limit": AHEAD_MAX})
        rows = cursor.fetchall()
    return [(feed.Cursor(txid, change_id), {
        "cursor": f"{txid}.{change_id}", "op": op, "feature_id": feature_id, "version": version, "at": at,
        "feature": json.loads(feature) if feature is not None else None})
        for txid, change_id, op, feature_id, version, at, feature in rows]


# The safe path: the positions of the layer's changes between a cursor and the snapshot's xmin (the
# rule of layers.feed.changes_since, which the catch-up of a resuming client uses), without features.
_SAFE_KEYS = """
WITH safe AS MATERIALIZED (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS xmin),
keys AS MATERIALIZED (
    SELECT c.txid, c.id FROM layers_change c
    WHERE c.layer_id = %(layer)s AND (c.txid, c.id) > (%(txid)s, %(id)s) AND c.txid < (SELECT xmin FROM safe)
    ORDER BY c.txid, c.id LIMIT %(limit)s)
SELECT (SELECT xmin FROM safe), (SELECT coalesce(array_agg(ARRAY[txid, id] ORDER BY txid, id), '{}') FROM keys)
"""


def _safe_keys(spec: LayerSpec, after: feed.Cursor) -> tuple[int, list[tuple[int, int]]]:
    with connection.cursor() as cursor:
        cursor.execute(_SAFE_KEYS, {"layer": spec.id, "txid": after.txid, "id": after.change_id, "limit": PAGE})
        xmin, keys = cursor.fetchone()
    return xmin, [tuple(key) for key in keys]


class Hub:
    """The process's hub (see the module docstring); `hub()` gives it."""

    def __init__(self):
        self.loop: asyncio.AbstractEventLoop | None = None
        self.layers: dict[str, LayerState] = {}        # (hub)
        self.commands: queue.SimpleQueue = queue.SimpleQueue()
        self.streams = 0                               # (loop) event streams open or opening
        self.open: set[Subscription] = set()           # (loop) the open ones
        self._wake_read, self._wake_write = socket.socketpair()
        self._wake_read.setblocking(False)
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    # -- the event loop's side ------------------------------------------------------------------------

    def _start(self) -> None:
        loop = asyncio.get_running_loop()
        if self._thread is None:
            self.loop = loop
            self._thread = threading.Thread(target=self._run, name="live-hub", daemon=True)
            self._thread.start()
        elif loop is not self.loop:
            raise RuntimeError("the live hub serves one event loop per process")

    def _command(self, *command) -> None:
        self.commands.put(command)
        try:
            self._wake_write.send(b"x")
        except BlockingIOError:  # the hub has plenty of wake-ups pending already
            pass

    async def subscribe(self, spec: LayerSpec, since: feed.Cursor | None, accept, render, *,
                        catch_up_max: int = CATCH_UP_MAX) -> tuple[Subscription, str | None]:
        """A new subscription with the changes after `since` (None: from now) queued; raises
        feed.BadCursor. The second value is the reason to reload, when the client must resync."""
        self._start()
        subscription = Subscription(spec, accept, render, self.loop, catch_up_max=catch_up_max)
        answer: concurrent.futures.Future = concurrent.futures.Future()
        self._command("subscribe", subscription, since, answer)
        try:
            reload = await asyncio.wrap_future(answer)
        except asyncio.CancelledError:  # the client left while it was being caught up
            self.unsubscribe(subscription)
            raise
        return subscription, reload

    def unsubscribe(self, subscription: Subscription) -> None:
        subscription.closed = subscription.closed or "gone"
        self._command("unsubscribe", subscription)

    def stop(self) -> None:
        self._stopping.set()
        self._command("stop")

    def _deliver(self, state: LayerState, safe: feed.Cursor | None, batch: list) -> None:
        """(loop) One hand-over from the hub thread: each subscriber's messages, in order."""
        for subscription, messages, position, failed in batch:
            subscription.push(messages, position, failed)
        if safe is not None and safe > state.delivered_safe:
            state.delivered_safe = safe

    def _post(self, state: LayerState, safe: feed.Cursor | None, batch: list) -> None:
        if batch or safe is not None:
            self.loop.call_soon_threadsafe(self._deliver, state, safe, batch)

    # -- the hub thread ---------------------------------------------------------------------------------

    def _listen(self):
        db = settings.DATABASES["default"]
        conn = psycopg2.connect(dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"], host=db["HOST"] or None,
                                port=db["PORT"] or None, application_name="geo live hub",
                                **(db.get("OPTIONS") or {}))
        conn.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_AUTOCOMMIT)
        with conn.cursor() as cursor:
            cursor.execute(sql.SQL("LISTEN {}").format(sql.Identifier(CHANNEL)))
        return conn

    def _run(self) -> None:
        listener = None
        while not self._stopping.is_set():
            try:
                listener = self._listen()
                # Whatever committed while no one listened comes through the safe cursors.
                for state in list(self.layers.values()):
                    self._advance(state, None)
                self._serve(listener)
            except (psycopg2.Error, DatabaseError, InterfaceError):
                log.exception("live hub: database connection lost; reconnecting")
                time.sleep(1)
            except Exception:
                # A bug here must not leave every stream of the process silent: log it, start over
                # (the safe cursors resend nothing twice and lose nothing).
                log.exception("live hub: unexpected failure; restarting")
                time.sleep(1)
            finally:
                if listener is not None:
                    listener.close()
                    listener = None
                connection.close()

    def _serve(self, listener) -> None:
        next_sweep = time.monotonic() + SWEEP_SECONDS
        while not self._stopping.is_set():
            readable, _, _ = select.select([listener, self._wake_read], [], [],
                                           max(0.0, next_sweep - time.monotonic()))
            if self._wake_read in readable:
                try:
                    while self._wake_read.recv(4096):
                        pass
                except BlockingIOError:
                    pass
            self._commands()
            notified: dict[str, set[int]] = {}
            if listener in readable:
                listener.poll()
                while listener.notifies:
                    layer_id, _, txid = listener.notifies.pop(0).payload.partition(" ")
                    if layer_id in self.layers and txid.isdigit():
                        notified.setdefault(layer_id, set()).add(int(txid))
            for layer_id, txids in notified.items():
                self._advance(self.layers[layer_id], sorted(txids))
            if time.monotonic() >= next_sweep:
                for state in list(self.layers.values()):
                    self._advance(state, None)
                next_sweep = time.monotonic() + SWEEP_SECONDS

    def _commands(self) -> None:
        while True:
            try:
                command = self.commands.get_nowait()
            except queue.Empty:
                return
            if command[0] == "subscribe":
                _, subscription, since, answer = command
                try:
                    answer.set_result(self._subscribe(subscription, since))
                except feed.BadCursor as error:
                    answer.set_exception(error)
                except BaseException as error:
                    answer.set_exception(error)  # the view answers 503; the hub reconnects
                    raise
            elif command[0] == "unsubscribe":
                state = self.layers.get(command[1].spec.id)
                if state is not None:
                    state.subscribers.discard(command[1])
                    if not state.subscribers:
                        del self.layers[state.spec.id]

    def _render(self, subscription: Subscription, entry: Entry, encoded: dict) -> str | None:
        """The event's JSON for this subscriber, or None when it does not follow this change. One
        render function (e.g. the wall map's, shared by every operator's stream) renders and encodes a
        change once for all the subscribers that use it."""
        if subscription.failed:
            return None
        try:
            if not subscription.accept(entry):
                return None
            key = (subscription.render, id(entry))
            if key not in encoded:
                data = subscription.render(entry)
                # The entry is kept with its JSON: while `encoded` lives, its id names no other entry.
                encoded[key] = (entry, None if data is None else json.dumps(data, ensure_ascii=False,
                                                                             separators=(",", ":")))
        except Exception:
            # A domain's accept/render failing ends that stream (the client sees it close), not the hub.
            log.exception("live: accept/render of layer %s failed; closing the stream", subscription.spec.id)
            subscription.failed = True
            return None
        return encoded[key][1]

    def _advance(self, state: LayerState, txids: list[int] | None) -> None:
        """Move the layer's safe cursor to the feed's end, then push the changes of the notified
        transactions (None: of every committed one) that the safe cursor has not reached ("ahead");
        fan both out in one hand-over."""
        safe_changes = []
        while True:
            xmin, keys = _safe_keys(state.spec, state.safe)
            # Changes pushed ahead come from memory; only the others are read (with their features).
            unseen = [key for key in keys if key not in state.ahead]
            fetched = {}
            if unseen:
                wanted = set(unseen)
                fetched = {key: entry for key, entry in (
                    ((cursor.txid, cursor.change_id), entry) for cursor, entry in
                    _ahead_entries(state.spec, sorted({txid for txid, _ in unseen}), state.safe)) if key in wanted}
            for key in keys:
                if key in fetched:
                    safe_changes.append((feed.Cursor(*key), fetched[key], True))
                elif key in state.ahead:
                    safe_changes.append((feed.Cursor(*key), state.ahead.pop(key), False))
            if len(keys) < PAGE:
                state.safe = max(state.safe, feed.Cursor(xmin, 0))
                break
            state.safe = feed.Cursor(*keys[-1])
        for key in [key for key in state.ahead if feed.Cursor(*key) <= state.safe]:
            del state.ahead[key]  # passed by the safe cursor (compacted meanwhile, or read above)
        ahead = []
        pending = None if txids is None else [txid for txid in txids if txid >= state.safe.txid]
        if pending != [] and len(state.ahead) < AHEAD_MAX:
            for cursor, entry in _ahead_entries(state.spec, pending, state.safe):
                if (cursor.txid, cursor.change_id) not in state.ahead:
                    state.ahead[(cursor.txid, cursor.change_id)] = entry
                    ahead.append(entry)
        if not safe_changes and not ahead and state.safe == state.delivered_safe:
            return
        encoded: dict = {}
        batch = []
        for subscription in state.subscribers:
            messages = []
            for cursor, entry, new in safe_changes:
                if cursor <= subscription.position:
                    continue
                subscription.position = cursor
                if new and (data := self._render(subscription, entry, encoded)) is not None:
                    messages.append(event("change", cursor, data))
            if state.safe > subscription.position:
                subscription.position = state.safe
            for entry in ahead:
                if (data := self._render(subscription, entry, encoded)) is not None:
                    messages.append(event("change", subscription.position, data))
            if messages or subscription.failed:
                batch.append((subscription, messages, None, subscription.failed))
        self._post(state, state.safe, batch)

    def _subscribe(self, subscription: Subscription, since: feed.Cursor | None) -> str | None:
        """(hub) Register the subscription and queue what it missed since `since`."""
        state = self.layers.get(subscription.spec.id)
        if state is None:
            state = self.layers[subscription.spec.id] = LayerState(subscription.spec, feed.latest_cursor())
            # What committed past the safe cursor while no one here followed the layer: ahead at once.
            self._advance(state, None)
        reload = None
        messages = []
        encoded: dict = {}
        if since is None:
            position = state.safe
        else:
            try:
                position, messages = self._catch_up(subscription, since, encoded)
            except Reload as error:
                reload, position, messages = error.reason, state.safe, []
        subscription.position = max(position, state.safe)
        # Changes already pushed ahead to the others, which the catch-up did not reach.
        for key, entry in sorted(state.ahead.items()):
            if feed.Cursor(*key) > position and (data := self._render(subscription, entry, encoded)) is not None:
                messages.append(event("change", subscription.position, data))
        state.subscribers.add(subscription)
        self._post(state, None, [(subscription, messages, subscription.position, subscription.failed)])
        return reload

    def _catch_up(self, subscription: Subscription, since: feed.Cursor, encoded: dict):
        messages, read = [], 0
        while True:
            try:
                page = feed.changes_since(subscription.spec, since, PAGE)
            except feed.CursorGone:
                raise Reload("gone")
            for change in json.loads(page.changes):
                entry = _entry(change)
                if (data := self._render(subscription, entry, encoded)) is not None:
                    messages.append(event("change", feed.parse_cursor(entry["cursor"]), data))
            read += page.count
            since = page.next
            if not page.more:
                return since, messages
            if read >= subscription.catch_up_max or len(messages) >= QUEUE_SIZE:
                raise Reload("behind")


_hub: Hub | None = None
_hub_lock = threading.Lock()


def hub() -> Hub:
    global _hub
    with _hub_lock:
        if _hub is None:
            _hub = Hub()
        return _hub


def close_streams() -> None:
    """(loop) End every open stream of this process (the server stops; clients reconnect)."""
    if _hub is not None:
        for subscription in list(_hub.open):
            subscription.closed = subscription.closed or "shutdown"
            subscription.wake.set()


def stop() -> None:
    """Stop the process's hub (the ASGI lifespan's shutdown)."""
    if _hub is not None:
        _hub.stop()
