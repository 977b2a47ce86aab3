"""Benchmark: the citizens' look-up at N parcels (default 1,000,000), against the physical limit in the
same run, same database:
  - parcel + zoning look-up by point: `panel_at_point` (one statement) (what /api/parcels/at does, minus
    HTTP) vs the raw PostGIS queries for the same points (parcel by ST_Intersects, zones with their
    geodesic overlap areas);
  - vector tiles: `render_tile` (the platform's statement, no cache) vs a hand-written ST_AsMVT for the
    same tiles; then the same tiles served from the tile cache.
Prints p50/p95 latencies and the ratios.  .venv/bin/python bench/lookup.py [--parcels 1000000] [--samples 400]
"""
import argparse
import math
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))  # the project, for Django
from seed_demo import seed_then_measure  # noqa: E402  (bench/ is not a package)

RAW_PARCEL = """SELECT id, commune_code, map_sheet_no, parcel_no, land_use_code, area_m2, ST_AsGeoJSON(geom)
FROM land_parcel WHERE ST_Intersects(geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326)) LIMIT 1"""
RAW_ZONES = """SELECT z.zone_code, z.planned_land_use_code, z.max_floors, z.building_density_pct,
       ST_Area(ST_Intersection(z.geom, p.geom)::geography)
FROM planning_zoningzone z JOIN land_parcel p ON p.id = %s WHERE ST_Intersects(z.geom, p.geom)"""
RAW_TILE = """WITH b AS (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS web,
                      ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => 0.015625), 4326) AS ll)
SELECT ST_AsMVT(t, 'parcels', 4096, 'geom', 'id') FROM (
  SELECT l.id, l.commune_code, l.map_sheet_no, l.parcel_no, l.land_use_code, l.address, l.area_m2,
         ST_AsMVTGeom(ST_Transform(l.geom, 3857), b.web, 4096, 64, true) AS geom
  FROM land_parcel l, b WHERE l.geom && b.ll) t"""


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered) * 1000
    p95 = ordered[int(0.95 * (len(ordered) - 1))] * 1000
    return f"p50 {p50:.2f} ms, p95 {p95:.2f} ms"


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2 ** z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def measure(samples: int) -> None:
    """Runs inside the benchmark database (DATABASE_URL set by main)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo.settings")
    django.setup()
    from django.db import connection

    from land.models import Parcel
    from layers import registry
    from planning.selectors import panel_at_point
    from tiles import sql as tile_sql
    from tiles.services import tile_get

    rng = random.Random(7)
    ids = list(Parcel.objects.order_by("?").values_list("id", flat=True)[:samples])
    points = [p.geom.point_on_surface.coords for p in Parcel.objects.filter(id__in=ids)]
    rng.shuffle(points)

    def timed(fn, items):
        out = []
        for item in items:
            started = time.perf_counter()
            fn(item)
            out.append(time.perf_counter() - started)
        return out

    def ours(point):
        return panel_at_point(*point)

    def raw(point):
        with connection.cursor() as cursor:
            cursor.execute(RAW_PARCEL, point)
            row = cursor.fetchone()
            cursor.execute(RAW_ZONES, [row[0]])
            return row, cursor.fetchall()

    timed(ours, points[:20]), timed(raw, points[:20])  # warm caches
    ours_s, raw_s = timed(ours, points), timed(raw, points)
    print(f"look-up by point, {len(points)} points: platform {percentiles(ours_s)}; raw SQL {percentiles(raw_s)}; "
          f"ratio (p50) {statistics.median(ours_s) / statistics.median(raw_s):.2f}x")

    spec = registry.get("parcels")
    tiles = sorted({(16, *tile_of(lon, lat, 16)) for lon, lat in points})[: samples // 2]

    def ours_tile(t):
        return tile_sql.render_tile(spec, *t)

    def raw_tile(t):
        with connection.cursor() as cursor:
            cursor.execute(RAW_TILE, {"z": t[0], "x": t[1], "y": t[2]})
            return cursor.fetchone()[0]

    ours_t, raw_t = timed(ours_tile, tiles), timed(raw_tile, tiles)
    sizes = [len(bytes(raw_tile(t))) for t in tiles[:50]]
    print(f"parcel tiles z16, {len(tiles)} tiles (mean {statistics.mean(sizes) / 1024:.0f} KiB): platform render "
          f"{percentiles(ours_t)}; raw ST_AsMVT {percentiles(raw_t)}; ratio (p50) "
          f"{statistics.median(ours_t) / statistics.median(raw_t):.2f}x")
    for t in tiles:
        tile_get(spec, *t)  # fill the cache
    cached = timed(lambda t: tile_get(spec, *t), tiles)
    print(f"the same tiles from the cache: {percentiles(cached)}; ratio to raw ST_AsMVT (p50) "
          f"{statistics.median(cached) / statistics.median(raw_t):.2f}x")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parcels", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=400)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--measure-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_only:
        measure(args.samples)
        return
    seed_then_measure(__file__, parcels=args.parcels, keep=args.keep, measure_args=["--samples", str(args.samples)])


if __name__ == "__main__":
    main()
