"""Benchmark: importing N parcels (default 1,000,000) from a GeoPackage with `import_layer` against
GDAL's `ogr2ogr -f PostgreSQL` (COPY mode) on the same file, in the same run, same server.

Steps, in a database of its own (<name>_bench, dropped afterwards unless --keep):
  1. seed_demo --parcels N, then export_layer parcels to a GeoPackage (timed too);
  2. import_layer parcels FILE --mode replace (all checks, constraints, computed area, GiST index);
  3. ogr2ogr -f PostgreSQL with PG_USE_COPY into a new table with a GiST index (no checks);
  4. a raw COPY of the same rows into a table identical to land_parcel (the physical limit).
Prints wall time, rows/s, peak memory of each child and the ratio import_layer / ogr2ogr.
    .venv/bin/python bench/import_parcels.py [--parcels 1000000] [--keep]
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from seed_demo import ROOT, bench_database, connect, raw_copy_seconds  # noqa: E402  (bench/ is not a package)


def timed(command: list[str], env: dict) -> tuple[float, float]:
    """Run a child; its wall time (s) and peak resident memory (MB)."""
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os.execvpe(command[0], command, env)
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(command)}")
    return seconds, usage.ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parcels", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    if not shutil.which("ogr2ogr"):
        raise SystemExit("ogr2ogr is missing (apt-get install gdal-bin)")
    manage = [sys.executable, str(ROOT / "manage.py")]
    work = Path(tempfile.mkdtemp(prefix="bench-import-"))
    try:
        with bench_database(args.keep) as (cfg, env):
            print(f"seeding {args.parcels:,} parcels ...", flush=True)
            subprocess.run(manage + ["seed_demo", "--parcels", str(args.parcels), "-v0"], env=env, check=True,
                           stdout=subprocess.DEVNULL)
            gpkg = work / "parcels.gpkg"
            export_s, export_mb = timed(manage + ["export_layer", "parcels", str(gpkg)], env)
            size_mb = gpkg.stat().st_size / 1e6
            import_s, import_mb = timed(manage + ["import_layer", "parcels", str(gpkg), "--mode", "replace", "-v0"], env)
            pg = (f"PG:host={cfg['HOST']} port={cfg['PORT']} dbname={cfg['NAME']} user={cfg['USER']} "
                  f"password={cfg['PASSWORD']}")
            ogr_s, ogr_mb = timed(["ogr2ogr", "-f", "PostgreSQL", pg, str(gpkg), "-nln", "ogr_parcels",
                                   "-lco", "GEOMETRY_NAME=geom", "-lco", "SPATIAL_INDEX=GIST", "-gt", "65536"],
                                  {**env, "PG_USE_COPY": "YES"})
            conn = connect(cfg, cfg["NAME"])
            with conn, conn.cursor() as cur:
                cur.execute("SELECT (SELECT count(*) FROM land_parcel), (SELECT count(*) FROM ogr_parcels)")
                ours, theirs = cur.fetchone()
            copy_s, _ = raw_copy_seconds(conn)
            conn.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    n = args.parcels
    print(f"export_layer parcels -> GeoPackage: {export_s:.1f} s ({n / export_s:,.0f} rows/s), "
          f"peak {export_mb:,.0f} MB, file {size_mb:,.0f} MB")
    print(f"import_layer (replace, all checks): {import_s:.1f} s ({ours / import_s:,.0f} rows/s), peak {import_mb:,.0f} MB")
    print(f"ogr2ogr -f PostgreSQL (COPY):       {ogr_s:.1f} s ({theirs / ogr_s:,.0f} rows/s), peak {ogr_mb:,.0f} MB")
    print(f"raw COPY into an identical land_parcel (its checks, area, indexes): {copy_s:.1f} s "
          f"({ours / copy_s:,.0f} rows/s): the physical limit for this table")
    print(f"ratio import_layer / ogr2ogr: {import_s / ogr_s:.2f}x  (rows: {ours:,} vs {theirs:,})")
    print(f"ratio import_layer / raw COPY into the same table: {import_s / copy_s:.2f}x")


if __name__ == "__main__":
    main()
