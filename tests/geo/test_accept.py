"""The workers share a burst of connections (geo.asgi.FairAcceptLoop): 8 clients connecting together (as
a load balancer's pool or wrk opens them) are served by both workers, not all by the first to wake."""
import os
import socket
from pathlib import Path

import pytest

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
