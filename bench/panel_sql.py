"""The parcel panel in-process, before and after issue 12: `python bench/panel_sql.py [--calls 500]`
prints the mean time per panel of
  - before: a `SELECT 1` health check, the parcel query, zones_over (zone geometries fetched and
    parsed) and the panel assembled and encoded in Python (three round trips);
  - after: planning.selectors.panel_at_point, the panel built as JSON by PostgreSQL (one round trip);
both at the same points (inside parcels of the database in DATABASE_URL), on one connection."""
import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500)
    args = parser.parse_args()
    import django

    django.setup()
    from django.db import connection

    from land.models import Parcel
    from land.selectors import parcel_at
    from planning.selectors import panel_at_point
    from tests.planning.test_parcel_panel import python_panel

    ids = list(Parcel.objects.values_list("id", flat=True).order_by("id")[:20000])
    rng = random.Random(12)
    points = [(p.x, p.y) for p in (Parcel.objects.get(pk=pk).geom.point_on_surface
                                   for pk in rng.sample(ids, min(args.calls, len(ids))))]

    def before(lon, lat):
        connection.is_usable()  # what CONN_HEALTH_CHECKS sent first in every request
        return json.dumps(python_panel(parcel_at(lon, lat), max_vertices=2000), ensure_ascii=False)

    def after(lon, lat):
        return panel_at_point(lon, lat)

    for name, panel in (("before (3 round trips, Python)", before), ("after (1 statement, JSON from PostGIS)", after)):
        for lon, lat in points[:20]:
            panel(lon, lat)  # warm the caches
        start = time.perf_counter()
        for lon, lat in points:
            panel(lon, lat)
        elapsed = time.perf_counter() - start
        print(f"{name:40s} {1000 * elapsed / len(points):7.2f} ms per panel, {len(points) / elapsed:7.1f} panels/s"
              f" ({len(points)} calls)")


if __name__ == "__main__":
    main()
