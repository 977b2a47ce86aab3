"""The workers share a burst of connections (geo.asgi.FairAcceptLoop): 8 clients connecting together (as
a load balancer's pool or wrk opens them) are served by both workers, not all by the first to wake."""
import asyncio
import os
import socket
from pathlib import Path

import pytest

from geo.asgi import FairAcceptLoop
from tests.conftest import serve_platform, stop_platform

pytestmark = pytest.mark.django_db


def children(pid: int) -> list[int]:
    return [int(child) for task in Path(f"/proc/{pid}/task").iterdir()
            for child in (task / "children").read_text().split()]


def established_inodes(port: int) -> set[str]:
    """Inodes of the server side of the established TCP connections on local port `port`."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
                inodes.add(fields[9])
    return inodes


def connections_per_worker(workers: list[int], port: int) -> list[int]:
    ours = established_inodes(port)
    counts = []
    for pid in workers:
        fds = Path(f"/proc/{pid}/fd")
        counts.append(sum(1 for fd in fds.iterdir()
                          if (target := os.readlink(fd)).startswith("socket:[") and target[8:-1] in ours))
    return sorted(counts)


def test_a_burst_of_connections_is_shared_by_the_workers(test_db_env):
    server, base = serve_platform(test_db_env, workers=2)
    try:
        port = int(base.rsplit(":", 1)[1])
        workers = children(server.pid)
        assert len(workers) == 2
        spreads = []
        for _ in range(20):
            clients = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(8)]  # together
            try:
                for client in clients:
                    client.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                for client in clients:
                    assert client.recv(4096).startswith(b"HTTP/1.1 200")
                spreads.append(connections_per_worker(workers, port))
            finally:
                for client in clients:
                    client.close()
        assert all(sum(spread) == 8 for spread in spreads), spreads
        # asyncio's own loop put all 8 on one worker in 32 bursts of 40; this one split 40 of 40 4:4 or
        # 3:5, while a clean-clone test run loaded both cores
        assert sum(1 for fewer, _more in spreads if fewer >= 3) >= 15, spreads
    finally:
        stop_platform(server)


class _CountingLoop(FairAcceptLoop):
    """FairAcceptLoop noting the pauses it takes (seconds, summed)."""

    paused = 0.0

    def call_later(self, delay, callback, *args, **kwargs):
        if getattr(callback, "__func__", None) is FairAcceptLoop._accept_again:
            self.paused += delay
        return super().call_later(delay, callback, *args, **kwargs)


def test_a_busy_worker_keeps_accepting_a_flood_of_connections():
    """Pausing up to 2 ms after each accept capped a worker that serves connections (event streams) at
    about 500 accepts a second: a crowd reconnecting, or a proxy opening a connection per request,
    overflowed the backlog. The pauses now stay within their budget, and every connection is accepted."""
    loop = _CountingLoop()
    held, accepted, flood = 6, [], 400

    class Holder(asyncio.Protocol):
        def connection_made(self, transport):
            accepted.append(transport)

    async def scenario():
        server = await loop.create_server(Holder, "127.0.0.1", 0, backlog=1024)
        port = server.sockets[0].getsockname()[1]
        started = loop.time()
        clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(held)]
        while len(accepted) < held:
            await asyncio.sleep(0.01)

        def connect_all():
            return [socket.create_connection(("127.0.0.1", port)) for _ in range(flood)]

        clients += await loop.run_in_executor(None, connect_all)
        while len(accepted) < held + flood:
            await asyncio.sleep(0.001)
        elapsed = loop.time() - started
        for client in clients:
            client.close()
        server.close()
        return elapsed

    try:
        elapsed = loop.run_until_complete(scenario())
    finally:
        for transport in accepted:
            transport.close()
        loop.close()
    assert len(accepted) == held + flood
    # the budget: PAUSE_BUDGET at once, and as much again each second (the old way paused ~0.8 s here)
    assert loop.paused <= FairAcceptLoop.PAUSE_BUDGET * (1 + elapsed) + 1e-9, (loop.paused, elapsed)
    assert loop.paused > 0  # it still pauses while serving connections (the burst test relies on it)
