"""Benchmark: what a tile cache miss costs the cache (render excluded: the one statement that stores
the tile and evicts the oldest beyond the maximum, tiles/sql.py store_tile) with 1,000 and with
1,000,000 tiles cached, the cache full to its maximum either way; and a hit's look-up at both sizes.

In a database of its own (<name>_tilecache, dropped afterwards unless --keep), seeded with a small
demo province: one real parcel tile (z16, the densest commune) is rendered and compressed once and
stored again and again under new keys; the cache is filled with generate_series rows (the oldest of
them, which the measured stores evict, carry the same real tile so evictions delete real-size rows).
Each store is its own transaction (autocommit, as in a request). Prints p50/p95 and the ratio.
    .venv/bin/python bench/tile_cache.py [--samples 2000] [--json PATH] [--keep]
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from seed_demo import ROOT, bench_database  # noqa: E402  (bench/ is not a package)

SIZES = (1_000, 1_000_000)
LAYER, TMS = "parcels", "WebMercatorQuad"
FILL_Z, STORE_Z = 22, 21  # keys of the filler rows and of the measured stores never meet


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def measure(samples: int) -> list[dict]:
    """In a process whose Django points at the benchmark database."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo.settings")
    import django

    django.setup()
    from django.db import connection

    from land.models import Parcel
    from layers import registry
    from tiles import services, sql

    parcel = Parcel.objects.filter(commune__name="Phường Tân Phú").first()
    centre = parcel.geom.point_on_surface
    z = 16
    x = int((centre.x + 180) / 360 * 2**z)
    y = int((1 - math.asinh(math.tan(math.radians(centre.y))) / math.pi) / 2 * 2**z)
    started = time.perf_counter()
    mvt = sql.render_tile(registry.get(LAYER), z, x, y)
    render_ms = (time.perf_counter() - started) * 1000
    data = services.compress(mvt)
    print(f"the stored tile: z{z} parcels, {len(mvt):,} bytes of MVT, {len(data):,} gzip-compressed "
          f"(rendered in {render_ms:.1f} ms, not part of what is measured)")
    rows = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce((SELECT version FROM layers_layerversion WHERE layer_id = %s), 0)", [LAYER])
        version = cursor.fetchone()[0]
    for size in SIZES:
        warm = min(200, samples // 10)
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE tiles_cachedtile")
            started = time.perf_counter()
            # The first rows (the oldest, evicted by the measured stores) carry the real tile.
            cursor.execute("INSERT INTO tiles_cachedtile (layer_id, tms, z, x, y, version, data) "
                           "SELECT %s, %s, %s, i, 0, %s, CASE WHEN i <= %s THEN %s ELSE '\\x00'::bytea END "
                           "FROM generate_series(1, %s) AS i",
                           [LAYER, TMS, FILL_Z, version, samples + warm, data, size])
            cursor.execute("VACUUM ANALYZE tiles_cachedtile")
            fill_s = time.perf_counter() - started
        timings = []
        for i in range(samples + warm):
            started = time.perf_counter()
            sql.store_tile(connection, LAYER, version, STORE_Z, i, 0, data, max_tiles=size, tms=TMS)
            if i >= warm:
                timings.append((time.perf_counter() - started) * 1000)
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM tiles_cachedtile")
            kept = cursor.fetchone()[0]
        lookups = []
        for i in range(samples):
            started = time.perf_counter()
            newest = samples + warm - 1 - i % min(size, samples)  # among the tiles still kept
            _, _, cached = sql.cached_tile(connection, LAYER, STORE_Z, newest, 0, TMS)
            lookups.append((time.perf_counter() - started) * 1000)
            assert cached == data
        assert kept <= size, f"the cache holds {kept:,} tiles, more than its maximum {size:,}"
        print(f"{size:>9,} cached (filled in {fill_s:.1f} s; {kept:,} after {samples + warm:,} stores): "
              f"miss store+evict p50 {statistics.median(timings):.3f} ms, p95 {percentile(timings, .95):.3f} ms; "
              f"hit look-up p50 {statistics.median(lookups):.3f} ms, p95 {percentile(lookups, .95):.3f} ms")
        rows.append({"what": f"tile cache miss (store + evict), {size:,} cached", "cached_tiles": size,
                     "samples": samples, "p50_ms": round(statistics.median(timings), 3),
                     "p95_ms": round(percentile(timings, .95), 3)})
        rows.append({"what": f"tile cache hit (look-up), {size:,} cached", "cached_tiles": size,
                     "samples": samples, "p50_ms": round(statistics.median(lookups), 3),
                     "p95_ms": round(percentile(lookups, .95), 3)})
    small, large = rows[0], rows[2]
    ratio = {"p50": round(large["p50_ms"] / small["p50_ms"], 2), "p95": round(large["p95_ms"] / small["p95_ms"], 2)}
    print(f"miss cost at {SIZES[1]:,} / at {SIZES[0]:,} cached tiles: p50 {ratio['p50']:.2f}x, p95 {ratio['p95']:.2f}x")
    rows.append({"what": f"tile cache miss cost, {SIZES[1]:,} / {SIZES[0]:,} cached", "ratio_p50": ratio["p50"],
                 "ratio_p95": ratio["p95"]})
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=2000, help="stores and look-ups timed per cache size")
    parser.add_argument("--parcels", type=int, default=20_000, help="parcels of the small seed (default 20,000)")
    parser.add_argument("--json", metavar="PATH", help='also write the figures as {"rows": [...]} (bench/speed.py)')
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    parser.add_argument("--measure-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_only:
        rows = measure(args.samples)
        if args.json:
            Path(args.json).write_text(json.dumps({"rows": rows}, indent=2) + "\n")
        return
    with bench_database(args.keep, suffix="tilecache") as (_cfg, env):
        print(f"seeding a small province ({args.parcels:,} parcels) ...", flush=True)
        subprocess.run([sys.executable, str(ROOT / "manage.py"), "seed_demo", "--parcels", str(args.parcels), "-v0"],
                       env=env, check=True, stdout=subprocess.DEVNULL)
        command = [sys.executable, __file__, "--measure-only", "--samples", str(args.samples)]
        if args.json:
            command += ["--json", str(Path(args.json).resolve())]
        subprocess.run(command, env=env, check=True, cwd=ROOT)


if __name__ == "__main__":
    main()
