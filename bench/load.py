"""HTTP load for bench/speed.py: N clients, each a thread with one keep-alive connection
(http.client), sending GETs for a fixed time after a warm-up; reports requests/s, p50 and p95.

Paths come from a list made beforehand (the same list for every server measured). `fresh=True` hands
out each path once, in order, across the clients (tiles never asked before); otherwise each client
draws paths at random from the list, with its own seeded generator.
"""
from __future__ import annotations

import http.client
import itertools
import random
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Result:
    requests: int  # answered inside the measured window
    seconds: float
    latencies: list[float] = field(repr=False)  # seconds, one per request measured
    statuses: dict[int, int]
    reused: int = 0  # fresh paths handed out again because the list ran out

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile_ms(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000

    @property
    def errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if not 200 <= status < 400)


class FreshPaths:
    """Each path once, in order, shared by the clients; resumes where the last measure stopped."""

    def __init__(self, paths: list[str], on_wrap=None):
        """`on_wrap()` is called (the clients waiting) each time the list runs out and starts again,
        e.g. to empty a server's cache so that the repeats are not answered from it."""
        self.paths, self.position, self.lock = paths, 0, threading.Lock()
        self.reused, self.on_wrap = 0, on_wrap

    def take(self) -> str:
        with self.lock:
            if self.position >= len(self.paths):
                self.reused += 1
                if self.on_wrap and self.position % len(self.paths) == 0:
                    self.on_wrap()
            path = self.paths[self.position % len(self.paths)]
            self.position += 1
            return path


def run(host: str, port: int, paths: list[str] | FreshPaths, *, clients: int, seconds: float, warmup: float,
        headers: dict[str, str] | None = None, seed: int = 12, stop_when_done: bool = False) -> Result:
    """GET `paths` on host:port from `clients` threads for `warmup` + `seconds`; only requests that
    start after the warm-up are counted. `stop_when_done`: stop once every fresh path was asked."""
    headers = {"Accept-Encoding": "gzip", "Connection": "keep-alive", **(headers or {})}
    start = time.perf_counter()
    measure_from, stop_at = start + warmup, start + warmup + seconds
    latencies: list[list[float]] = [[] for _ in range(clients)]
    statuses: list[dict[int, int]] = [{} for _ in range(clients)]
    fresh = paths if isinstance(paths, FreshPaths) else None
    reused_before = fresh.reused if fresh else 0
    failures: list[BaseException] = []

    def client(index: int) -> None:
        rng = random.Random(seed * 1000 + index)
        connection = http.client.HTTPConnection(host, port, timeout=120)
        try:
            for _ in itertools.count():
                now = time.perf_counter()
                if now >= stop_at:
                    return
                if stop_when_done and fresh and fresh.position >= len(fresh.paths):
                    return
                path = fresh.take() if fresh else rng.choice(paths)
                sent = time.perf_counter()
                try:
                    connection.request("GET", path, headers=headers)
                    response = connection.getresponse()
                    response.read()
                except (http.client.HTTPException, OSError):
                    connection.close()  # the server closed the keep-alive connection: open another
                    connection = http.client.HTTPConnection(host, port, timeout=120)
                    statuses[index][599] = statuses[index].get(599, 0) + 1
                    continue
                done = time.perf_counter()
                if sent >= measure_from and done <= stop_at:
                    latencies[index].append(done - sent)
                    statuses[index][response.status] = statuses[index].get(response.status, 0) + 1
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
                    connection = http.client.HTTPConnection(host, port, timeout=120)
        except BaseException as exc:  # noqa: BLE001 — reported by the caller, not swallowed
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    merged: dict[int, int] = {}
    for per_client in statuses:
        for status, n in per_client.items():
            merged[status] = merged.get(status, 0) + n
    all_latencies = [x for per_client in latencies for x in per_client]
    return Result(len(all_latencies), seconds, all_latencies, merged,
                  reused=(fresh.reused - reused_before) if fresh else 0)
