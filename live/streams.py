"""event_stream(): a layer's changes as a Server-Sent Events response (see live/__init__.py)."""
from __future__ import annotations

import asyncio
import json
from typing import Callable

import psycopg2
from asgiref.sync import sync_to_async
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

from layers import feed
from layers.registry import LayerSpec

from . import hub as hubs
from .hub import Entry

HEARTBEAT_SECONDS = hubs._setting("GEO_LIVE_HEARTBEAT_SECONDS", 15.0)
MAX_STREAMS = hubs._setting("GEO_LIVE_MAX_STREAMS", 2000)  # per server process
RETRY_MS = 3000

RELOAD = {
    "gone": "Các thay đổi sau mốc của bạn đã được dọn khỏi nhật ký; hãy tải lại dữ liệu. / The changes after "
            "your position were compacted away; reload the data.",
    "behind": "Bạn đã lỡ quá nhiều thay đổi; hãy tải lại dữ liệu. / You missed too many changes; reload the data.",
}


def _json_error(status: int, code: str, description: str) -> HttpResponse:
    return HttpResponse(json.dumps({"code": code, "description": description}, ensure_ascii=False),
                        status=status, content_type="application/json; charset=utf-8")


def resume_point(request: HttpRequest) -> str | None:
    """Where the client resumes: its Last-Event-ID header (EventSource sends it when it reconnects),
    else ?since= (a cursor of the change feed, or `latest`), else None (from now)."""
    return request.headers.get("Last-Event-ID") or request.GET.get("since") or None


def everything(entry: Entry) -> bool:
    return True


def as_is(entry: Entry) -> dict:
    return entry


class EventStreamResponse(StreamingHttpResponse):
    """The stream; closing it (the client left, however early) releases its place in the hub."""

    def __init__(self, subscription, release: Callable[[], None], reload: str | None):
        super().__init__(self._events(subscription, reload), content_type="text/event-stream; charset=utf-8")
        self._release = release
        self["Cache-Control"] = "no-store"
        self["X-Accel-Buffering"] = "no"  # a proxy in front (nginx) passes each event on at once

    def close(self):
        super().close()
        self._release()

    async def _events(self, subscription, reload: str | None):
        try:
            opening = f"retry: {RETRY_MS}\n"
            sent = subscription.delivered
            if reload is not None:
                opening += hubs.event("reload", subscription.delivered, json.dumps(
                    {"reason": reload, "message": RELOAD[reload], "since": str(subscription.delivered)},
                    ensure_ascii=False))
            else:
                # The position the stream starts from: EventSource resumes from here even before any event.
                opening += f"id: {subscription.delivered}\n\n"
            yield opening
            state = hubs.hub().layers.get(subscription.spec.id)
            while True:
                if subscription.pending:
                    chunk = "".join(subscription.pending)
                    subscription.pending.clear()
                    yield chunk
                    continue
                if subscription.closed:
                    return
                subscription.wake.clear()
                try:
                    await asyncio.wait_for(subscription.wake.wait(), HEARTBEAT_SECONDS)
                except TimeoutError:
                    # A comment keeps proxies and the client's timers from closing a quiet stream; the
                    # id moves the resume point on past changes this client does not follow.
                    position = max(subscription.delivered, state.delivered_safe if state else feed.START)
                    yield f": ping\nid: {position}\n\n" if position > sent else ": ping\n\n"
                    sent = max(sent, position)
        finally:
            self._release()


def _signed_in_now(request: HttpRequest) -> bool:
    """(sync, the request's thread) Whether the caller is signed in. Reading the session may open this
    thread's database connection, which would otherwise stay open as long as the stream: closed here."""
    try:
        return bool(getattr(request.user, "is_authenticated", False))
    finally:
        if not connection.in_atomic_block:
            connection.close()


async def _signed_in(request: HttpRequest) -> bool:
    return await sync_to_async(_signed_in_now)(request)


async def event_stream(request: HttpRequest, *, spec: LayerSpec, since: str | None = None,
                       accept: Callable[[Entry], bool] = everything,
                       render: Callable[[Entry], dict | None] = as_is) -> HttpResponse:
    """The response streaming `spec`'s changes that `accept` lets through, each as the JSON of
    `render(entry)` (None: skip it). `since`: a feed cursor or "latest"; None reads resume_point().
    The caller has already checked that the user may read the layer."""
    since = since if since is not None else resume_point(request)
    try:
        cursor = None if since in (None, feed.LATEST) else feed.parse_cursor(since.strip())
    except feed.BadCursor as error:
        return _json_error(400, "InvalidParameterValue", str(error))
    hub = hubs.hub()
    if hub.streams >= MAX_STREAMS:
        response = _json_error(503, "Unavailable", "Máy chủ đang phục vụ quá nhiều kết nối trực tiếp; thử lại sau "
                                                   "ít giây. / Too many live connections; retry in a few seconds.")
        response["Retry-After"] = "10"
        return response
    # Django's GZipMiddleware would compress each event as a gzip member of its own, which clients
    # handle unevenly; events are small, sent at once, and not compressed.
    request.META.pop("HTTP_ACCEPT_ENCODING", None)
    hub.streams += 1
    released = False
    subscription = None

    def release():
        nonlocal released
        if not released:
            released = True
            hub.loop.call_soon_threadsafe(_released, hub, subscription)

    try:
        signed_in = await _signed_in(request)
        subscription, reload = await hub.subscribe(
            spec, cursor, accept, render,
            catch_up_max=hubs.CATCH_UP_MAX if signed_in else min(hubs.CATCH_UP_MAX, hubs.ANONYMOUS_CATCH_UP_MAX))
    except feed.BadCursor as error:
        hub.streams -= 1
        return _json_error(400, "InvalidParameterValue", str(error))
    except (DatabaseError, psycopg2.Error):
        hub.streams -= 1
        response = _json_error(503, "Unavailable", "Cơ sở dữ liệu đang không sẵn sàng; thử lại sau ít giây. / "
                                                   "The database is unavailable; retry in a few seconds.")
        response["Retry-After"] = "5"
        return response
    except BaseException:
        hub.streams -= 1
        raise
    hub.open.add(subscription)
    return EventStreamResponse(subscription, release, reload)


def _released(hub, subscription) -> None:
    hub.streams -= 1
    hub.open.discard(subscription)
    hub.unsubscribe(subscription)
