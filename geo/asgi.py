"""The platform as an ASGI application, served by gunicorn with `geo.asgi.Worker` (scripts/serve.sh).

Event streams (paths under /live/ and /ioc/live, and paths ending in /live such as a citizen's
/phan-anh/<code>/live; see live/) run on the event loop through Django's ASGI handler: thousands of
open streams cost no thread each. Anonymous GETs of public tiles, items pages and the parcel panel take
the lean path of geo/fastpath.py (the same answers without the middleware stack). Every other request runs
Django's WSGI application in a pool of GEO_WSGI_THREADS threads per process (a2wsgi), as a threaded
WSGI server would: each thread keeps its persistent database connection (CONN_MAX_AGE), which Django's
ASGI handler cannot (it runs each sync view in a new thread, so connections would be opened per
request and leak), and WhiteNoise, which has no ASGI support, serves static files as before.

A stream never ends by itself, so the worker ends them when the server stops (the clients reconnect
with Last-Event-ID), and ordinary requests keep their grace period.
"""
import asyncio
import json
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo.settings")

from a2wsgi import WSGIMiddleware  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from uvicorn.server import Server  # noqa: E402
from uvicorn_worker import UvicornWorker  # noqa: E402

# Served on the event loop by Django's ASGI handler; views there are async (live.streams).
EVENT_STREAM_PREFIXES = ("/live/", "/ioc/live")
EVENT_STREAM_SUFFIX = "/live"


def is_event_stream(path: str) -> bool:
    return path.startswith(EVENT_STREAM_PREFIXES) or path.endswith(EVENT_STREAM_SUFFIX)


django_asgi = get_asgi_application()
django_wsgi = WSGIMiddleware(get_wsgi_application(), workers=settings.GEO_WSGI_THREADS)

from . import fastpath  # noqa: E402  (after Django is set up)


async def _lifespan(receive, send) -> None:
    from live import hub

    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            hub.stop()
            await fastpath.close()
            await send({"type": "lifespan.shutdown.complete"})
            return


# Opening a stream runs the middleware and the read check on a thread of its own, with a database
# connection that the view closes before the stream starts: at most this many at once per process,
# so a thousand clients reconnecting together do not exhaust the database's connections.
_opening = None


async def _event_stream(scope, receive, send):
    global _opening
    if _opening is None:
        _opening = asyncio.Semaphore(int(os.environ.get("GEO_LIVE_OPENING", "8")))
    await _opening.acquire()
    held = True

    async def send_then_release(message):
        nonlocal held
        if held and message["type"] == "http.response.start":
            held = False
            _opening.release()
        await send(message)

    try:
        await django_asgi(scope, receive, send_then_release)
    finally:
        if held:
            _opening.release()


# Citizens' and apps' posts (a report with three photos at most) are refused by size before a thread
# or a temporary file is spent on them; the officers' file imports (/data/) keep their own, larger limit.
SMALL_BODY_PREFIXES = ("/phan-anh/", "/open311/", "/ioc/")
SMALL_BODY_BYTES = int(os.environ.get("GEO_MAX_REPORT_BODY_BYTES", 32 * 1024**2))


async def _refuse(send, status: int, vi: str, en: str) -> None:
    body = json.dumps({"code": status, "description": f"{vi} / {en}"}, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _body_refusal(scope) -> tuple[int, str, str] | None:
    """Why a request's body is refused before anything reads it, or None."""
    if scope["method"] in ("GET", "HEAD", "OPTIONS"):
        return None
    if is_event_stream(scope["path"]):
        return 405, "Luồng sự kiện chỉ nhận GET.", "Event streams take GET only."
    if scope["path"].startswith(SMALL_BODY_PREFIXES):
        headers = dict(scope["headers"])
        length = headers.get(b"content-length", b"")
        if not length.isdigit():
            return (411, "Cần Content-Length.", "Content-Length is required.") if headers.get(b"transfer-encoding") \
                else None
        if int(length) > SMALL_BODY_BYTES:
            return 413, f"Nội dung lớn hơn {SMALL_BODY_BYTES // 1024**2} MB.", \
                f"The body is larger than {SMALL_BODY_BYTES // 1024**2} MB."
    return None


async def application(scope, receive, send):
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
    elif scope["type"] == "http" and (refusal := _body_refusal(scope)):
        await _refuse(send, *refusal)
    elif scope["type"] == "http" and is_event_stream(scope["path"]):
        await _event_stream(scope, receive, send)
    elif scope["type"] == "http" and fastpath.ENABLED:
        await fastpath.serve(scope, receive, send, django_wsgi)  # Django's unless a plain public read
    else:
        await django_wsgi(scope, receive, send)


class _Server(Server):
    async def shutdown(self, sockets=None) -> None:
        from live import hub

        hub.close_streams()  # before uvicorn waits for every open response to finish
        await super().shutdown(sockets)


class FairAcceptLoop(asyncio.SelectorEventLoop):
    """asyncio's event loop, accepting one connection each time the listening socket is readable, and
    pausing its accepts a moment (PAUSE_SECONDS per connection it already serves, at most 4) while it
    serves some. asyncio accepts up to the listen backlog at once, so the first worker to wake took a
    whole burst: 8 clients connecting together all landed on one of two workers (half the machine idle)
    in 32 bursts of 40. The socket is shared and every worker is woken by a connection: one at a time,
    the idlest first, they share a burst, even while the others wait for a core.

    The pauses are budgeted (PAUSE_BUDGET seconds of them per second, as many at most at once): a
    worker that serves some connections, as one holding event streams always does, would otherwise
    accept no more than about 500 connections a second, too few for a reconnecting crowd or a proxy
    that opens a connection per request. Past the budget it accepts one at a time without pausing."""

    PAUSE_SECONDS = 0.0005
    PAUSE_BUDGET = 0.1

    def __init__(self, selector=None):
        super().__init__(selector)
        self._budget, self._budget_at = self.PAUSE_BUDGET, self.time()

    def _accept_connection(self, protocol_factory, sock, sslcontext=None, server=None, backlog=100, *args):
        fd = sock.fileno()
        super()._accept_connection(protocol_factory, sock, sslcontext, server, 1, *args)
        served = getattr(server, "_active_count", 0)  # CPython 3.11 and 3.12; none: no pauses
        if not served or fd == -1 or not self._reading(fd):  # not reading: asyncio's own back-off (EMFILE)
            return
        pause = min(served, 4) * self.PAUSE_SECONDS
        if self._spend(pause):
            self._remove_reader(fd)
            self.call_later(pause, self._accept_again, protocol_factory, sock, sslcontext, server, backlog, *args)

    def _reading(self, fd: int) -> bool:
        key = self._selector.get_map().get(fd)
        return key is not None and key.data[0] is not None

    def _spend(self, pause: float) -> bool:
        """Whether the budget has `pause` seconds left (then spent)."""
        now = self.time()
        budget = min(self.PAUSE_BUDGET, self._budget + (now - self._budget_at) * self.PAUSE_BUDGET)
        spent = budget >= pause
        self._budget, self._budget_at = budget - pause if spent else budget, now
        return spent

    def _accept_again(self, protocol_factory, sock, sslcontext, server, backlog, *args) -> None:
        if sock.fileno() != -1 and server.is_serving():  # not closed meanwhile (the worker stopping)
            self._start_serving(protocol_factory, sock, sslcontext, server, backlog, *args)


class Worker(UvicornWorker):
    """gunicorn's worker: uvicorn (httptools when installed) on FairAcceptLoop, ending event streams at
    shutdown. Client addresses are the peers' own: X-Forwarded-For is not believed (rate limits count
    real addresses)."""

    CONFIG_KWARGS = {**UvicornWorker.CONFIG_KWARGS, "proxy_headers": False, "loop": "geo.asgi:FairAcceptLoop"}

    async def _serve(self) -> None:
        import sys

        from gunicorn.arbiter import Arbiter

        self.config.app = self.wsgi
        server = _Server(config=self.config)
        self._install_sigquit_handler()
        await server.serve(sockets=self.sockets)
        if not server.started:
            sys.exit(Arbiter.WORKER_BOOT_ERROR)
