"""HTTP load for bench/speed.py: N clients, each with one keep-alive connection, sending GETs for a
fixed time after a warm-up; reports requests/s, p50 and p95. run_wrk() drives wrk (C, as pgbench is
for the raw SQL: the client's own cost stays out of the servers' figures); run() is the Python client
(a thread per client, http.client), used when wrk is missing and to fill the tile cache.

Paths come from a list made beforehand (the same list for every server measured). `fresh=True` hands
out each path once, in order, across the clients (tiles never asked before); otherwise each client
draws paths at random from the list, with its own seeded generator.
"""
from __future__ import annotations

import http.client
import itertools
import os
import random
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path


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


# --- wrk: a C load generator, as pgbench is for the raw SQL ------------------------------------------
WRK_SCRIPT = Path(__file__).resolve().parent / "wrk_paths.lua"


@dataclass
class WrkResult:
    """What wrk measured: requests in the measured window, their p50/p95, failures, fresh paths reused."""

    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    errors: int  # non-2xx/3xx answers and socket errors
    reused: int = 0

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile_ms(self, q: float) -> float:
        return {0.5: self.p50_ms, 0.95: self.p95_ms}[q]


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def run_wrk(host: str, port: int, paths: list[str] | FreshPaths, *, clients: int, seconds: float,
            warmup: float, headers: dict[str, str] | None = None, seed: int = 12) -> WrkResult:
    """As run(), with wrk (one thread, `clients` keep-alive connections): a warm-up run, then the
    measured run. Fresh paths continue where the last run stopped; they are never asked twice unless
    the list runs out (counted in `reused`; wrk cannot empty a cache in between)."""
    fresh = paths if isinstance(paths, FreshPaths) else None
    listed = fresh.paths if fresh else paths
    with tempfile.NamedTemporaryFile("w", suffix=".paths", delete=False) as f:
        f.write("\n".join(listed) + "\n")
    extra = [a for k, v in (headers or {}).items() for a in ("-H", f"{k}: {v}")]

    def once(duration: float) -> list[str]:
        mode = ["fresh", str(fresh.position)] if fresh else ["random", str(seed)]
        done = subprocess.run(["wrk", "-t1", f"-c{clients}", f"-d{max(1, round(duration))}s", "--timeout", "120s",
                               *extra, "-s", str(WRK_SCRIPT), f"http://{host}:{port}", "--", f.name, *mode],
                              capture_output=True, text=True, check=True)
        fields = next(line.split() for line in done.stdout.splitlines() if line.startswith("RESULT"))
        if fresh:
            fresh.position += int(fields[7])
        return fields

    try:
        if warmup:
            once(warmup)
        reused_before = max(0, (fresh.position - len(listed))) if fresh else 0
        requests, secs, p50, p95, status_errors, socket_errors, _ = once(seconds)[1:]
    finally:
        os.unlink(f.name)
    reused = max(0, fresh.position - len(listed)) - reused_before if fresh else 0
    errors = int(status_errors) + int(socket_errors)
    return WrkResult(int(requests), float(secs), float(p50), float(p95), errors, reused)
