"""Benchmark: speed where users feel it (issue 12), the platform against raw PostGIS and TiPg, in one run.

    .venv/bin/python bench/speed.py [--parcels 1000000] [--reuse] [--seconds 15] [--clients 1,8]

1. A benchmark database <name>_speed (bench/seed_demo.py's bench_database) seeded ONCE with
   `seed_demo --parcels N`, timed, then a raw COPY of the same parcel rows (the "seed" row). With
   --reuse an existing database holding N parcels is used as it is (its seed figures from last time).
2. The platform served as `make run` serves it: gunicorn geo.asgi:application, geo.asgi.Worker,
   --preload, 2 workers, default settings (geo.settings), on a free local port.
3. TiPg 1.6.1 in its own virtualenv (var/bench/tipg-venv, installed on first use), uvicorn with 2
   workers on the same database (collection public.land_parcel).
4. The raw SQL through pgbench with our statements (bench/pgbench/*.sql), the same points, boxes and
   tiles as the HTTP clients (tables in the schema bench_speed, drawn from the parcels inside the
   parcels' extent).
5. HTTP load from wrk (a C client, as pgbench is; `--client python` for bench/load.py's threads):
   1 and 8 keep-alive clients, a warm-up then a fixed time per measure.
6. The imports (bench/import_parcels.py --json) and the tile cache's miss cost (bench/tile_cache.py
   --json) from their own benchmarks, when present.
Prints the table, with the issue's targets, and writes it as Markdown to var/bench/speed.md.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import dj_database_url
import psycopg2
from psycopg2 import sql

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
import load  # bench/ is not a package: its modules are imported from its directory
from seed_demo import bench_database, connect

OUT = ROOT / "var" / "bench"
TIPG_VENV = OUT / "tipg-venv"
TIPG_VERSION = "1.6.1"
PGBENCH = Path(os.environ.get("PGBENCH", "/usr/lib/postgresql/15/bin/pgbench"))
SCRIPTS = BENCH / "pgbench"
NOT_AVAILABLE = "not available"


# --- the benchmark database -------------------------------------------------------------------------

def server_url() -> str:
    return os.environ.get("DATABASE_URL") or (ROOT / "var" / "database.url").read_text().strip()


def database_url(cfg: dict) -> str:
    return server_url().rsplit("/", 1)[0] + "/" + cfg["NAME"]


def parcel_count(cfg: dict) -> int | None:
    try:
        conn = connect(cfg, cfg["NAME"])
    except psycopg2.OperationalError:
        return None
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT to_regclass('land_parcel') IS NOT NULL")
            if not cur.fetchone()[0]:
                return None
            cur.execute("SELECT count(*) FROM land_parcel")
            return cur.fetchone()[0]
    finally:
        conn.close()


def seeded_database(parcels: int, suffix: str, reuse: bool) -> tuple[dict, dict, dict | None]:
    """(settings, environment for manage.py, seed figures) of a database holding `parcels` parcels;
    seeds a fresh one (timed, then a raw COPY of its parcel rows) unless `reuse` finds one."""
    figures_file = OUT / f"seed-{suffix}.json"
    cfg = {**dj_database_url.parse(server_url())}
    cfg["NAME"] = f"{cfg['NAME']}_{suffix}"
    env = {**os.environ, "DATABASE_URL": database_url(cfg)}
    if reuse:
        found = parcel_count(cfg)
        if found == parcels:
            print(f"reusing {cfg['NAME']} ({found:,} parcels); migrating it to the current code", flush=True)
            subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
            figures = json.loads(figures_file.read_text()) if figures_file.exists() else None
            if figures and figures.get("parcels") != parcels:
                figures = None
            return cfg, env, figures
        print(f"--reuse: {cfg['NAME']} holds {found if found is not None else 'no'} parcels, not {parcels:,}; "
              "seeding it again", flush=True)
    from seed_demo import raw_copy_seconds

    with bench_database(keep=True, suffix=suffix) as (cfg, env):
        print(f"seeding {parcels:,} parcels into {cfg['NAME']} (seed_demo, timed) ...", flush=True)
        started = time.perf_counter()
        subprocess.run([sys.executable, "manage.py", "seed_demo", "--parcels", str(parcels), "-v0"],
                       cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        seed_s = time.perf_counter() - started
        print(f"  seed_demo: {seed_s:.1f} s; raw COPY of the same parcel rows ...", flush=True)
        conn = connect(cfg, cfg["NAME"])
        copy_s, copied = raw_copy_seconds(conn)
        with conn.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS bench_parcel")  # the COPY's target, not part of the data served
        conn.commit()
        conn.close()
        print(f"  raw COPY: {copy_s:.1f} s ({copied:,} rows)", flush=True)
    figures = {"parcels": parcels, "platform_s": seed_s, "raw_copy_s": copy_s}
    OUT.mkdir(parents=True, exist_ok=True)
    figures_file.write_text(json.dumps(figures))
    return cfg, env, figures


# --- what the clients ask: the same points, boxes and tiles for every server -----------------------

@dataclass
class Workload:
    extent: tuple[float, float, float, float]
    points: list[tuple[float, float]]  # on parcels (EPSG:4326 degrees)
    boxes: dict[int, list[tuple[float, float, float, float]]]  # limit -> boxes holding at least `limit` parcels
    box_side: dict[int, float]  # limit -> side of its boxes, degrees
    tiles: list[tuple[int, int, int]]  # distinct z15-16 tiles holding parcels, shuffled


def make_workload(conn, *, samples: int, max_tiles: int = 40_000, seed: int = 7) -> Workload:
    """Points on parcels drawn at random (repeatably), square boxes around them sized so that most hold
    more parcels than the page's limit, and distinct z15/z16 tiles holding parcels; stored in the
    schema bench_speed for pgbench."""
    rng = random.Random(seed)
    with conn.cursor() as cur:
        cur.execute("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) e FROM land_parcel) s")
        extent = cur.fetchone()
        cur.execute("SELECT count(*) FROM land_parcel")
        total = cur.fetchone()[0]
        share = min(100.0, 100.0 * samples * 1.5 / max(total, 1))
        cur.execute("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM land_parcel "
                    "TABLESAMPLE BERNOULLI (%s) REPEATABLE (%s)) s", [share, seed])
        points = cur.fetchall()
        rng.shuffle(points)
        points = points[:samples]
        boxes, sides = {}, {}
        for limit in (100, 1000):
            for side in (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5):
                counts = []
                for lon, lat in points[:25]:
                    cur.execute("SELECT count(*) FROM land_parcel WHERE ST_Intersects(geom, ST_MakeEnvelope(%s, %s, %s, %s, 4326))",
                                [lon - side / 2, lat - side / 2, lon + side / 2, lat + side / 2])
                    counts.append(cur.fetchone()[0])
                if statistics.median(counts) >= 1.5 * limit:
                    break
            sides[limit] = side
            boxes[limit] = [(round(lon - side / 2, 6), round(lat - side / 2, 6), round(lon + side / 2, 6),
                             round(lat + side / 2, 6)) for lon, lat in points[:2000]]
        # Every z15/z16 tile holding the centre of a parcel's box (enough distinct tiles that no uncached
        # measure runs out), in a repeatable random order.
        cur.execute("""
            SELECT DISTINCT z, floor((lon + 180) / 360 * 2 ^ z)::int,
                   floor((1 - ln(tan(radians(lat)) + 1 / cos(radians(lat))) / pi()) / 2 * 2 ^ z)::int
            FROM (SELECT (ST_XMin(geom) + ST_XMax(geom)) / 2 AS lon, (ST_YMin(geom) + ST_YMax(geom)) / 2 AS lat
                  FROM land_parcel) c, (VALUES (15), (16)) AS zoom(z)""")
        tiles = sorted(cur.fetchall())
        rng.shuffle(tiles)
        tiles = tiles[:max_tiles]
        cur.execute("DROP SCHEMA IF EXISTS bench_speed CASCADE; CREATE SCHEMA bench_speed")
        cur.execute("CREATE TABLE bench_speed.point (n int PRIMARY KEY, lon float8, lat float8)")
        cur.executemany("INSERT INTO bench_speed.point VALUES (%s, %s, %s)",
                        [(i + 1, lon, lat) for i, (lon, lat) in enumerate(points)])
        for limit, rows in boxes.items():
            cur.execute(sql.SQL("CREATE TABLE {} (n int PRIMARY KEY, minx float8, miny float8, maxx float8, maxy float8)")
                        .format(sql.Identifier("bench_speed", f"bbox_{limit}")))
            cur.executemany(sql.SQL("INSERT INTO {} VALUES (%s, %s, %s, %s, %s)").format(
                sql.Identifier("bench_speed", f"bbox_{limit}")), [(i + 1, *b) for i, b in enumerate(rows)])
        cur.execute("CREATE TABLE bench_speed.tile (n int PRIMARY KEY, z int, x int, y int)")
        cur.executemany("INSERT INTO bench_speed.tile VALUES (%s, %s, %s, %s)", [(i + 1, *t) for i, t in enumerate(tiles)])
        cur.execute("ANALYZE bench_speed.point; ANALYZE bench_speed.tile; ANALYZE land_parcel; ANALYZE planning_zoningzone")
    conn.commit()
    return Workload(extent, points, boxes, sides, tiles)


# --- servers -----------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, server: subprocess.Popen, what: str, log: Path, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                if response.status == 200:
                    return
        except OSError:  # not listening yet, or still starting its workers
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            raise SystemExit(f"{what} did not start (see {log})")
        time.sleep(0.5)


def start_platform(env: dict) -> tuple[subprocess.Popen, int]:
    """The platform as scripts/serve.sh serves it (gunicorn, the uvicorn worker of geo/asgi.py,
    --preload, access log on), 2 workers, default settings, against the benchmark database."""
    port = free_port()
    log = OUT / "platform.log"
    server_env = {**env, "GEO_ALLOWED_HOSTS": "127.0.0.1"}
    server_env.pop("DJANGO_SETTINGS_MODULE", None)  # geo.settings, as make run
    with open(log, "w") as out:  # the server keeps its own copy of the descriptor
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "geo.asgi:application", "--worker-class", "geo.asgi.Worker",
             "--bind", f"127.0.0.1:{port}", "--workers", "2", "--preload", "--timeout", "120",
             "--access-logfile", "-", "--error-logfile", "-"],
            cwd=ROOT, env=server_env, stdout=out, stderr=subprocess.STDOUT)
    wait_until_up(f"http://127.0.0.1:{port}/healthz", server, "the platform", log)
    return server, port


def http_client(wanted: str) -> str:
    """The HTTP load client to use: wrk (installed from Debian when missing and we are root), else Python."""
    if wanted == "wrk" and not load.wrk_available() and os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing wrk (Debian package) ...", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], capture_output=True, check=False)
    if wanted == "wrk" and not load.wrk_available():
        print("wrk is not available: measuring with the Python client (its own cost counts in every HTTP figure)")
        return "python"
    return wanted


def tipg_ready() -> bool:
    python = TIPG_VENV / "bin" / "python"
    if not python.exists():
        return False
    probe = subprocess.run([str(python), "-c", "import importlib.metadata as m, uvicorn; print(m.version('tipg'))"],
                           capture_output=True, text=True, check=False)
    return probe.returncode == 0 and probe.stdout.strip() == TIPG_VERSION


def install_tipg() -> None:
    """TiPg 1.6.1 and uvicorn in var/bench/tipg-venv, apart from the platform's packages (PyPI only)."""
    if tipg_ready():
        return
    print(f"installing TiPg {TIPG_VERSION} into {TIPG_VENV} ...", flush=True)
    shutil.rmtree(TIPG_VENV, ignore_errors=True)
    base = getattr(sys, "_base_executable", None) or shutil.which("python3") or sys.executable
    subprocess.run([base, "-m", "venv", str(TIPG_VENV)], check=True)
    subprocess.run([str(TIPG_VENV / "bin" / "pip"), "install", "-q", f"tipg=={TIPG_VERSION}", "uvicorn"], check=True)
    if not tipg_ready():
        raise SystemExit(f"TiPg {TIPG_VERSION} could not be installed into {TIPG_VENV}")


def start_tipg(cfg: dict) -> tuple[subprocess.Popen, int]:
    """TiPg on the benchmark database: uvicorn, 2 workers, only the parcels table published."""
    port = free_port()
    log = OUT / "tipg.log"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp"),
           "DATABASE_URL": database_url(cfg).replace("postgres://", "postgresql://", 1),
           "TIPG_DB_SCHEMAS": '["public"]', "TIPG_DB_TABLES": '["public.land_parcel"]',
           "TIPG_DB_EXCLUDE_FUNCTION_SCHEMAS": '["public", "pg_temp"]'}
    with open(log, "w") as out:
        server = subprocess.Popen(
            [str(TIPG_VENV / "bin" / "uvicorn"), "tipg.main:app", "--host", "127.0.0.1", "--port", str(port),
             "--workers", "2"], cwd=OUT, env=env, stdout=out, stderr=subprocess.STDOUT)
    wait_until_up(f"http://127.0.0.1:{port}/collections/public.land_parcel", server, "TiPg", log)
    return server, port


def stop(server: subprocess.Popen | None) -> None:
    if server and server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()


# --- raw SQL through pgbench ------------------------------------------------------------------------

@dataclass
class Measure:
    per_second: float
    p50_ms: float
    p95_ms: float
    errors: int = 0
    note: str = ""


def pgbench(cfg: dict, script: Path, variables: dict[str, int], *, clients: int, seconds: float,
            warmup: float) -> Measure:
    """pgbench -c clients -T seconds on `script` (simple protocol, as psycopg2), after a warm-up run;
    p50/p95 from its per-transaction log."""
    env = {**os.environ, "PGHOST": cfg["HOST"] or "127.0.0.1", "PGPORT": str(cfg["PORT"] or 5432),
           "PGUSER": cfg["USER"], "PGPASSWORD": cfg["PASSWORD"], "PGDATABASE": cfg["NAME"]}
    common = [str(PGBENCH), "-n", "-M", "simple", "-c", str(clients), "-j", str(min(clients, 2)), "-f", str(script)]
    for name, value in variables.items():
        common += ["-D", f"{name}={value}"]
    if warmup:
        subprocess.run([*common, "-T", str(max(1, round(warmup)))], env=env, check=True, capture_output=True)
    with tempfile.TemporaryDirectory() as tmp:
        prefix = Path(tmp) / "tx"
        done = subprocess.run([*common, "-T", str(max(1, round(seconds))), "-l", f"--log-prefix={prefix}"],
                              env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"pgbench {script.name} failed:\n{done.stdout}\n{done.stderr}")
        latencies = []
        for log in Path(tmp).glob("tx.*"):
            for line in log.read_text().splitlines():
                fields = line.split()
                if len(fields) >= 3 and fields[2].isdigit():
                    latencies.append(int(fields[2]) / 1000)
    tps = float(re.search(r"tps = ([\d.]+)", done.stdout).group(1))
    failed = re.search(r"number of failed transactions: (\d+)", done.stdout)
    latencies.sort()
    pick = (lambda q: latencies[min(len(latencies) - 1, round(q * (len(latencies) - 1)))]) if latencies else (lambda q: float("nan"))
    return Measure(tps, pick(0.5), pick(0.95), int(failed.group(1)) if failed else 0)


def cache_key_join(conn) -> tuple[list[str], str]:
    """The cache table's key columns (its widest unique index, read from the catalogue so the look-up
    follows the table as it changes: a surrogate id is never the key a tile is asked by) and the join
    of the key copy to it."""
    with conn.cursor() as cur:
        cur.execute("""
            SELECT array_agg(a.attname ORDER BY k.ord) FROM pg_index i
            CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
            WHERE i.indrelid = 'tiles_cachedtile'::regclass AND i.indisunique
            GROUP BY i.indexrelid ORDER BY count(*) DESC LIMIT 1""")
        row = cur.fetchone()
    columns = row[0] if row else ["id"]
    join = " AND ".join(f"t.{psycopg2.extensions.quote_ident(c, conn)} = k.{psycopg2.extensions.quote_ident(c, conn)}"
                        for c in columns)
    return columns, join


def copy_cache_keys(conn, columns: list[str]) -> int:
    with conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_speed.cache_key")
        cur.execute(sql.SQL("CREATE TABLE bench_speed.cache_key AS SELECT row_number() OVER ()::int AS n, {} "
                            "FROM tiles_cachedtile").format(sql.SQL(", ").join(map(sql.Identifier, columns))))
        cur.execute("ALTER TABLE bench_speed.cache_key ADD PRIMARY KEY (n)")
        cur.execute("SELECT count(*) FROM bench_speed.cache_key")
        count = cur.fetchone()[0]
    conn.commit()
    return count


class VersionsMoving:
    """While in use, the parcels layer's version moves every `every` seconds, as an edit moves it (the
    change log's pending version and its notification, committed): every tile the platform kept, in
    its cache table or in a worker's memory, is then out of date. An uncached measure that asks more
    tiles than the list holds repeats a tile only after the version has moved since its first time
    (the list lasts longer than `every`), so every answer is rendered. wrk cannot run a callback when
    its list runs out, and emptying the cache table would leave the workers' memory."""

    def __init__(self, cfg: dict, every: float = 3.0):
        self.cfg, self.every, self.stopped, self.thread = cfg, every, threading.Event(), None

    def __enter__(self):
        conn = connect(self.cfg, self.cfg["NAME"])
        self.move(conn)  # the tiles served before (a warm-up, an earlier measure) out of date at once

        def run():
            try:
                while not self.stopped.wait(self.every):
                    self.move(conn)
            finally:
                conn.close()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        return self

    def move(self, conn) -> None:
        with conn.cursor() as cur:
            cur.execute("SELECT layers_bump_version('parcels', clock_timestamp()), "
                        "pg_notify('layers_change', 'parcels ' || pg_current_xact_id()::text)")
        conn.commit()

    def __exit__(self, *exc):
        self.stopped.set()
        self.thread.join()


# What a tile asked again in an uncached measure was (the list ran out): rendered again all the same.
AGAIN = {"platform": ", each after the layer's version moved (rendered again)", "tipg": " (TiPg keeps no tiles)"}


def empty_tile_cache(conn) -> None:
    with conn.cursor() as cur:
        cur.execute("TRUNCATE tiles_cachedtile")
    conn.commit()


def fetch_json(port: int, path: str) -> dict | None:
    try:
        with urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                                           headers={"Accept": "application/geo+json"}), timeout=120) as r:
            return json.loads(r.read())
    except (OSError, ValueError) as exc:
        print(f"  check: {path} -> {exc}", flush=True)
        return None


def check_answers(conn, servers: dict[str, int], work: Workload, panel_paths: list[str], items_paths: dict) -> None:
    """The servers answer what the raw SQL answers, on a few of the requests measured: the same parcel
    for a point, as many features for a box (the page's limit or all in the box)."""
    with conn.cursor() as cur:
        for (lon, lat), path in list(zip(work.points, panel_paths))[:3]:
            cur.execute("SELECT id FROM land_parcel WHERE ST_Intersects(geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326)) "
                        "LIMIT 1", [lon, lat])
            panel = fetch_json(servers["platform"], path) or {}
            print(f"  check: parcel at {lon:.5f}, {lat:.5f}: raw SQL id {cur.fetchone()[0]}, platform id "
                  f"{panel.get('id')}, {len(panel.get('zones') or [])} zone(s)", flush=True)
        for limit, boxes in work.boxes.items():
            for i, b in enumerate(boxes[:2]):
                cur.execute("SELECT count(*) FROM land_parcel WHERE ST_Intersects(geom, ST_MakeEnvelope(%s, %s, %s, %s, 4326))", b)
                matched = cur.fetchone()[0]
                got = {system: fetch_json(port, items_paths[limit][system][i]) or {} for system, port in servers.items()}
                print(f"  check: box {i + 1} limit {limit}: raw SQL {min(matched, limit)} of {matched}; " + "; ".join(
                    f"{system} {len(answer.get('features') or [])} of {answer.get('numberMatched', '?')}"
                    for system, answer in got.items()), flush=True)


# --- the other benchmarks' figures -------------------------------------------------------------------

def helper_figures(script: str, args: list[str], env: dict) -> list[dict] | str:
    """Rows of another benchmark run with --json, or why there are none."""
    path = BENCH / script
    if not path.exists():
        return NOT_AVAILABLE + f" ({script} missing)"
    if "--json" not in subprocess.run([sys.executable, str(path), "--help"], capture_output=True, text=True,
                                      cwd=ROOT, check=False).stdout:
        return NOT_AVAILABLE + f" ({script} has no --json yet)"
    out = OUT / (Path(script).stem + ".json")
    out.unlink(missing_ok=True)
    print(f"running bench/{script} {' '.join(args)} ...", flush=True)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, str(path), *args, "--json", str(out)], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=False)
    (OUT / (Path(script).stem + ".log")).write_text(done.stdout + done.stderr)
    print(f"  ({time.perf_counter() - started:.0f} s)", flush=True)
    if done.returncode != 0 or not out.exists():
        return NOT_AVAILABLE + f" (bench/{script} failed, see var/bench/{Path(script).stem}.log)"
    return json.loads(out.read_text()).get("rows", [])


# --- the table --------------------------------------------------------------------------------------

def cell(m: Measure | None) -> str:
    if m is None:
        return "—"
    text = f"{m.per_second:,.1f} ({m.p50_ms:.1f} / {m.p95_ms:.1f})"
    if m.errors:
        text += f" [{m.errors} errors]"
    if m.note:
        text += f" [{m.note}]"
    return text


def ratio(a: Measure | None, b: Measure | None) -> float | None:
    if a is None or b is None or not b.per_second:
        return None
    return a.per_second / b.per_second


def fmt_ratio(r: float | None) -> str:
    return "—" if r is None else f"{r:.2f}x"


def verdict(checks: list[tuple[str, bool | None]]) -> tuple[str, str]:
    """(target text, PASS / FAIL / n/a) from (target, met?) pairs; None = not measured."""
    text = "; ".join(t for t, _ in checks)
    if any(ok is None for _, ok in checks):
        return text, "n/a"
    return text, "PASS" if all(ok for _, ok in checks) else "FAIL"


def render(rows: list[list[str]], header: list[str]) -> tuple[str, str]:
    """(plain text, Markdown) of the same table."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths))
    text = "\n".join([line(header), "  ".join("-" * w for w in widths), *map(line, rows)])
    md = "\n".join(["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
                    *("| " + " | ".join(str(c) for c in r) + " |" for r in rows)])
    return text, md


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parcels", type=int, default=1_000_000)
    parser.add_argument("--suffix", default="speed", help="the benchmark database is <name>_<suffix>")
    parser.add_argument("--reuse", action="store_true", help="use the benchmark database if it holds --parcels parcels")
    parser.add_argument("--drop", action="store_true", help="drop the benchmark database at the end (default: kept)")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database (the default; for BENCH_ARGS)")
    parser.add_argument("--seconds", type=float, default=15, help="measured time per figure")
    parser.add_argument("--warmup", type=float, default=2, help="warm-up before each figure")
    parser.add_argument("--clients", default="1,8")
    parser.add_argument("--cached-tiles", type=int, default=500, help="tiles put in the cache for the cached-tiles row")
    parser.add_argument("--import-parcels", type=int, default=200_000)
    parser.add_argument("--skip-import", action="store_true", help="leave out bench/import_parcels.py")
    parser.add_argument("--skip-tile-cache", action="store_true", help="leave out bench/tile_cache.py")
    parser.add_argument("--client", choices=["wrk", "python"], default="wrk",
                        help="HTTP load client: wrk (C; installed with apt-get when missing and root) or bench/load.py's own")
    args = parser.parse_args()
    clients = [int(c) for c in args.clients.split(",")]
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    load_before = os.getloadavg()

    phases: dict[str, float] = {}
    mark = time.perf_counter()

    def phase(name: str) -> None:
        nonlocal mark
        phases[name] = time.perf_counter() - mark
        mark = time.perf_counter()

    install_tipg()
    client = http_client(args.client)
    phase("TiPg install")
    cfg, env, seed = seeded_database(args.parcels, args.suffix, args.reuse)
    phase("database")
    conn = connect(cfg, cfg["NAME"])
    print("drawing points, boxes and tiles ...", flush=True)
    work = make_workload(conn, samples=20_000)
    phase("workload")
    print(f"  parcels' extent {tuple(round(v, 4) for v in work.extent)}; {len(work.points):,} points, "
          f"boxes of {work.box_side[100]}° (limit 100) and {work.box_side[1000]}° (limit 1000), "
          f"{len(work.tiles):,} distinct z15-16 tiles", flush=True)

    platform = tipg = None
    results: dict[tuple[str, str, int], Measure] = {}
    try:
        platform, platform_port = start_platform(env)
        tipg, tipg_port = start_tipg(cfg)
        servers = {"platform": platform_port, "tipg": tipg_port}

        def http(system: str, what: str, paths, *, n: int, headers=None) -> None:
            if client == "wrk":
                result = load.run_wrk("127.0.0.1", servers[system], paths, clients=n, seconds=args.seconds,
                                      warmup=args.warmup, headers=headers)
                note = f"{result.reused} tiles asked again{AGAIN[system]}" if result.reused else ""
                if result.errors:
                    note = (note + "; " if note else "") + f"{result.errors} failed"
            else:
                result = load.run("127.0.0.1", servers[system], paths, clients=n, seconds=args.seconds,
                                  warmup=args.warmup, headers=headers)
                bad = {s: c for s, c in result.statuses.items() if not 200 <= s < 400}
                note = f"{result.reused} tiles asked again{AGAIN[system]}" if result.reused else ""
                if bad:
                    note = (note + "; " if note else "") + "statuses " + ", ".join(f"{s}×{c}" for s, c in sorted(bad.items()))
            m = Measure(result.per_second, result.percentile_ms(0.5), result.percentile_ms(0.95), result.errors, note)
            results[(what, system, n)] = m
            print(f"  {what:<22} {system:<8} {n} client(s): {cell(m)}", flush=True)

        def raw(what: str, script: str | Path, variables: dict[str, int], *, n: int) -> None:
            m = pgbench(cfg, Path(script) if isinstance(script, Path) else SCRIPTS / script, variables,
                        clients=n, seconds=args.seconds, warmup=args.warmup)
            results[(what, "raw", n)] = m
            print(f"  {what:<22} raw SQL  {n} client(s): {cell(m)}", flush=True)

        panel_paths = [f"/api/parcels/at?lon={lon:.7f}&lat={lat:.7f}" for lon, lat in work.points[:5000]]
        box = lambda b: ",".join(f"{v:.6f}" for v in b)
        items_paths = {limit: {
            "platform": [f"/ogcapi/collections/parcels/items?f=json&limit={limit}&bbox={box(b)}" for b in boxes],
            "tipg": [f"/collections/public.land_parcel/items?f=geojson&limit={limit}&bbox={box(b)}" for b in boxes],
        } for limit, boxes in work.boxes.items()}
        geojson = {"Accept": "application/geo+json"}
        check_answers(conn, servers, work, panel_paths, items_paths)
        for n in clients:
            print(f"{n} client(s):", flush=True)
            raw("parcel panel", "parcel_panel.sql", {"points": len(work.points)}, n=n)
            http("platform", "parcel panel", panel_paths, n=n)
            for limit in (100, 1000):
                what = f"items limit={limit}"
                raw(what, "items.sql", {"boxes": len(work.boxes[limit]), "limit": limit}, n=n)
                http("platform", what, items_paths[limit]["platform"], n=n, headers=geojson)
                http("tipg", what, items_paths[limit]["tipg"], n=n, headers=geojson)

        # Uncached tiles: the platform's cache emptied before each measure, then each tile asked once.
        # The first measure walks the list from its start, the second from its end, so that they meet
        # only if the list runs short; a measure that runs out of tiles starts the list again (counted
        # in the row's note) while the layer's version moves every 3 s (VersionsMoving), so that a tile
        # asked again is rendered again. TiPg has no cache.
        print("tiles:", flush=True)
        # The last --cached-tiles tiles are left for the cached row: the platform's workers keep the tiles
        # they serve in memory (geo/hot_tiles.py), which emptying the cache table does not empty.
        fresh = work.tiles[:-args.cached_tiles]
        tile_paths = {"platform": [f"/tiles/parcels/{z}/{x}/{y}.pbf" for z, x, y in fresh],
                      "tipg": [f"/collections/public.land_parcel/tiles/WebMercatorQuad/{z}/{x}/{y}" for z, x, y in fresh]}
        for i, n in enumerate(clients):
            raw("tiles uncached z15-16", "tile_uncached.sql", {"tiles": len(work.tiles)}, n=n)
            empty_tile_cache(conn)
            for system, paths in tile_paths.items():
                with VersionsMoving(cfg) if system == "platform" else contextlib.nullcontext():
                    http(system, "tiles uncached z15-16", load.FreshPaths(paths[::-1] if i % 2 else paths), n=n)
        # Cached tiles: a set of tiles served once (filling the cache), then asked again at random.
        empty_tile_cache(conn)
        cached_paths = [f"/tiles/parcels/{z}/{x}/{y}.pbf" for z, x, y in work.tiles[-args.cached_tiles:]]
        filled = load.run("127.0.0.1", platform_port, load.FreshPaths(cached_paths), clients=1,
                          seconds=3600, warmup=0, stop_when_done=True)
        columns, join = cache_key_join(conn)
        cached_count = copy_cache_keys(conn, columns)
        script = OUT / "tile_cached.sql"
        script.write_text((SCRIPTS / "tile_cached.sql").read_text().replace("{key_join}", join))
        if cached_count < len(cached_paths) // 2:
            print(f"  WARNING: the cached row's look-ups read {cached_count} tiles, not about {len(cached_paths)}: "
                  "were they served from memory before (stored nowhere)?", flush=True)
        print(f"  {cached_count} tiles in the cache after serving {len(cached_paths)} "
              f"({filled.errors} errors; key: {', '.join(columns)})", flush=True)
        for n in clients:
            if cached_count:
                raw("tiles cached", script, {"cached": cached_count}, n=n)
            http("platform", "tiles cached", cached_paths, n=n)
    finally:
        stop(platform)
        stop(tipg)
        conn.close()

    phase("measures")
    # The other benchmarks, each in databases of its own named after ours.
    helper_env = {**os.environ, "DATABASE_URL": database_url(cfg)}
    miss = NOT_AVAILABLE + " (--skip-tile-cache)" if args.skip_tile_cache else helper_figures("tile_cache.py", [], helper_env)
    phase("tile_cache.py")
    imports = (NOT_AVAILABLE + " (--skip-import)" if args.skip_import else
               helper_figures("import_parcels.py", ["--parcels", str(args.import_parcels)], helper_env))
    phase("import_parcels.py")

    rows = []
    header = ["what", "clients", "platform req/s (p50 / p95 ms)", "raw SQL req/s (p50 / p95 ms)",
              "TiPg req/s (p50 / p95 ms)", "platform / raw", "platform / TiPg", "target", "result"]
    for what in ("parcel panel", "items limit=100", "items limit=1000", "tiles uncached z15-16", "tiles cached"):
        for n in clients:
            ours, raw_m, tipg_m = (results.get((what, s, n)) for s in ("platform", "raw", "tipg"))
            r_raw, r_tipg = ratio(ours, raw_m), ratio(ours, tipg_m)
            if what == "parcel panel":
                checks = [("≥0.7x raw", r_raw and r_raw >= 0.7)]
                if n == max(clients):
                    checks.append((f"p95 <10 ms at {n}", ours is not None and ours.p95_ms < 10))
            elif what.startswith("items"):
                checks = [("≥0.5x raw", r_raw and r_raw >= 0.5), ("≥1x TiPg", r_tipg and r_tipg >= 1.0)]
            elif what.startswith("tiles uncached"):
                checks = [("≥0.8x raw", r_raw and r_raw >= 0.8), ("≥1x TiPg", r_tipg and r_tipg >= 1.0)]
            else:
                checks = [("≥0.5x the cache look-up", r_raw and r_raw >= 0.5)]
            target, result = verdict(checks)
            label = what + (f" (boxes {work.box_side[int(what.split('=')[1])]}°)" if what.startswith("items") else "")
            rows.append([label, n, cell(ours), cell(raw_m), cell(tipg_m), fmt_ratio(r_raw), fmt_ratio(r_tipg),
                         target, result])

    if isinstance(miss, str):
        rows.append(["tile cache miss cost, 1,000 vs 1,000,000 cached", "", miss, "", "", "", "", "same at both", "n/a"])
    else:
        rows.extend(miss_rows(miss))
    if isinstance(imports, str):
        rows.append([f"import {args.import_parcels:,} parcels", "", imports, "", "", "", "", "≥1.0x raw COPY; ≥0.5x ogr2ogr", "n/a"])
    else:
        rows.extend(import_rows(imports, args.import_parcels))
    if seed:
        r = seed["raw_copy_s"] / seed["platform_s"]
        rows.append([f"seed {seed['parcels']:,} parcels", "", f"{seed['platform_s']:.1f} s",
                     f"raw COPY {seed['raw_copy_s']:.1f} s", "", fmt_ratio(r), "", "(none)", ""])
    else:
        rows.append([f"seed {args.parcels:,} parcels", "", NOT_AVAILABLE + " (reused database, no figures kept)",
                     "", "", "", "", "(none)", ""])

    text, md = render(rows, header)
    load_after = os.getloadavg()
    about = (f"{args.parcels:,} parcels, {os.cpu_count()} CPUs, {args.seconds:g} s per figure after {args.warmup:g} s "
             f"warm-up; platform: gunicorn 2 workers; TiPg {TIPG_VERSION}: uvicorn 2 workers; raw SQL: pgbench; "
             f"HTTP client: {'wrk (1 thread, N connections)' if client == 'wrk' else 'bench/load.py (Python threads)'}; "
             f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after; whole run "
             f"{(time.perf_counter() - started) / 60:.1f} min (" + ", ".join(f"{k} {v:.0f} s" for k, v in phases.items()) + ")")
    print()
    print(text)
    print(about)
    print("req/s = requests (tiles, transactions) per second; p50 / p95 latency in ms; ratios of throughput.")
    (OUT / "speed.md").write_text(f"# bench/speed.py\n\n{about}\n\n{md}\n\nreq/s = requests (tiles, transactions) "
                                  "per second; p50 / p95 latency in ms; ratios of throughput.\n")
    print(f"(written to {OUT / 'speed.md'})")
    if args.drop:
        admin = connect(cfg, "postgres")
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(cfg["NAME"])))
        admin.close()
    else:
        print(f"(benchmark database {cfg['NAME']} kept: --reuse uses it again; drop it when done)")


def miss_rows(rows: list[dict]) -> list[list[str]]:
    """bench/tile_cache.py's rows (a miss's store + evict, a hit's look-up, at each cache size); the
    target, judged on the miss at the largest size: the same p50 as at the smallest (within 1.5x)."""
    out, misses = [], []
    for row in rows:
        if "p50_ms" in row:
            shown = f"p50 {row['p50_ms']:.3f} ms / p95 {row.get('p95_ms', float('nan')):.3f} ms"
        else:
            shown = ", ".join(f"{k} {v}" for k, v in row.items() if k != "what")
        out.append([row.get("what", ""), "", shown, "", "", "", "", "", ""])
        if "miss" in row.get("what", "") and "p50_ms" in row and "cached_tiles" in row:
            misses.append((row["cached_tiles"], row["p50_ms"], len(out) - 1))
    if len(misses) >= 2:
        (small, small_ms, _), (large, large_ms, at) = min(misses), max(misses)
        out[at][5] = f"{large_ms / small_ms:.2f}x the miss at {small:,}"
        out[at][7] = f"miss costs the same at {small:,} and {large:,} cached (≤1.5x)"
        out[at][8] = "PASS" if large_ms <= 1.5 * small_ms else "FAIL"
    return out


def import_rows(rows: list[dict], parcels: int) -> list[list[str]]:
    """bench/import_parcels.py's rows: the platform's import against a raw COPY and ogr2ogr (seconds;
    ratios of throughput, so 2.0x means twice as fast)."""
    out = []
    for row in rows:
        ours, copy_s, ogr_s = row.get("platform_s"), row.get("raw_copy_s"), row.get("ogr2ogr_s")
        r_copy = copy_s / ours if ours and copy_s else None
        r_ogr = ogr_s / ours if ours and ogr_s else None
        if ogr_s is None:  # not a row of the table (e.g. a replace): figures only
            target, result = "—", ""
        else:
            target, result = verdict([("≥1.0x raw COPY", None if r_copy is None else r_copy >= 1.0),
                                      ("≥0.5x ogr2ogr", None if r_ogr is None else r_ogr >= 0.5)])
        out.append([row.get("what") or f"import {parcels:,} parcels", "",
                    (f"{ours:.1f} s" + (f" ({row['platform_inside_s']:.1f} s inside the command)"
                                        if row.get("platform_inside_s") else "")) if ours else "—", f"raw COPY {copy_s:.1f} s" if copy_s else "—",
                    f"ogr2ogr {ogr_s:.1f} s" if ogr_s else "—", fmt_ratio(r_copy), fmt_ratio(r_ogr) + (" (vs ogr2ogr)" if r_ogr else ""),
                    target, result])
    return out


if __name__ == "__main__":
    main()
