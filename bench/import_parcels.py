"""Benchmark: importing N parcels (default 1,000,000) from a GeoPackage with `import_layer` against
a raw COPY of the same rows into a table identical to land_parcel and against GDAL's
`ogr2ogr -f PostgreSQL` (COPY mode) on the same file, in the same run, same server.

Steps, in a database of its own (<name>_bench, dropped afterwards unless --keep):
  1. seed_demo --parcels N, then export_layer parcels to a GeoPackage (timed too);
  2. "import": land_parcel emptied (TRUNCATE), then `import_layer parcels FILE --mode replace` with
     every check (geometry validity, vertex limit, code lists, administrative units, identity
     uniqueness, required fields, owner scoping, rejects report) and the change log on (every row
     logged with its source and import record, so the import can be undone);
  3. "replace": the same command again over the full layer: the N features it replaces are logged
     with their before-image (what undo restores), then the N new ones;
  4. ogr2ogr -f PostgreSQL with PG_USE_COPY into a new table with a GiST index (no checks, no log);
  5. the raw COPY: the same rows, dumped from land_parcel as COPY text, COPYed into `bench_parcel`,
     identical to land_parcel INCLUDING the change log's triggers (the platform pays for its log, so
     the raw COPY does too; it is fair): same checks, generated geodesic area, indexes, foreign keys
     (row by row, as a plain COPY checks them). For "import" into the empty table; for "replace" a
     DELETE of its rows then the COPY again, in one transaction.
platform_s is the command's wall time (a new Python process: Django's start-up included);
platform_inside_s the import's own duration as its record says.
    .venv/bin/python bench/import_parcels.py [--parcels 1000000] [--keep] [--json PATH]
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
from seed_demo import (  # noqa: E402  (bench/ is not a package)
    PARCEL_COLUMNS, ROOT, bench_database, connect, dump_parcels, forget_bench_log, identical_parcel_table,
    write_json,
)


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


def raw_copies(conn, dump: Path) -> tuple[float, float]:
    """Seconds of (COPY into the empty identical table, DELETE + COPY over its rows)."""
    identical_parcel_table(conn)
    copy = f"COPY bench_parcel ({PARCEL_COLUMNS}) FROM STDIN"
    with conn.cursor() as cur:
        started = time.perf_counter()
        with open(dump, encoding="utf-8") as f:
            cur.copy_expert(copy, f)
        conn.commit()
        into_empty = time.perf_counter() - started
        started = time.perf_counter()
        cur.execute("DELETE FROM bench_parcel")
        with open(dump, encoding="utf-8") as f:
            cur.copy_expert(copy, f)
        conn.commit()
        over_full = time.perf_counter() - started
    forget_bench_log(conn)
    return into_empty, over_full


def last_import_seconds(conn) -> float:
    with conn.cursor() as cur:
        cur.execute("SELECT duration_s FROM importers_importrecord ORDER BY id DESC LIMIT 1")
        return cur.fetchone()[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parcels", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON (for bench/speed.py)")
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
            conn = connect(cfg, cfg["NAME"])
            dump = work / "parcels.tsv"
            dump_parcels(conn, dump)
            with conn.cursor() as cur:
                cur.execute("TRUNCATE land_parcel")
            conn.commit()
            command = manage + ["import_layer", "parcels", str(gpkg), "--mode", "replace", "-v0"]
            import_s, import_mb = timed(command, env)
            import_inside_s = last_import_seconds(conn)
            replace_s, replace_mb = timed(command, env)
            replace_inside_s = last_import_seconds(conn)
            pg = (f"PG:host={cfg['HOST']} port={cfg['PORT']} dbname={cfg['NAME']} user={cfg['USER']} "
                  f"password={cfg['PASSWORD']}")
            ogr_s, ogr_mb = timed(["ogr2ogr", "-f", "PostgreSQL", pg, str(gpkg), "-nln", "ogr_parcels",
                                   "-lco", "GEOMETRY_NAME=geom", "-lco", "SPATIAL_INDEX=GIST", "-gt", "65536"],
                                  {**env, "PG_USE_COPY": "YES"})
            with conn.cursor() as cur:
                cur.execute("SELECT (SELECT count(*) FROM land_parcel), (SELECT count(*) FROM ogr_parcels)")
                ours, theirs = cur.fetchone()
            conn.commit()
            copy_s, copy_replace_s = raw_copies(conn, dump)
            conn.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    n = args.parcels
    print(f"export_layer parcels -> GeoPackage: {export_s:.1f} s ({n / export_s:,.0f} rows/s), "
          f"peak {export_mb:,.0f} MB, file {size_mb:,.0f} MB")
    print(f"import_layer into the emptied layer (all checks, change log): {import_s:.1f} s "
          f"(inside the import {import_inside_s:.1f} s; {ours / import_s:,.0f} rows/s), peak {import_mb:,.0f} MB")
    print(f"import_layer replacing the full layer:   {replace_s:.1f} s (inside {replace_inside_s:.1f} s), "
          f"peak {replace_mb:,.0f} MB")
    print(f"ogr2ogr -f PostgreSQL (COPY):       {ogr_s:.1f} s ({theirs / ogr_s:,.0f} rows/s), peak {ogr_mb:,.0f} MB")
    print(f"raw COPY into an identical empty land_parcel (checks, area, indexes, FKs, log triggers): {copy_s:.1f} s; "
          f"DELETE + COPY over its rows: {copy_replace_s:.1f} s")
    print(f"ratio import_layer / ogr2ogr: {import_s / ogr_s:.2f}x  (rows: {ours:,} vs {theirs:,})")
    print(f"ratio import_layer / raw COPY into the same table: {import_s / copy_s:.2f}x "
          f"(replace: {replace_s / copy_replace_s:.2f}x)")
    if args.json:
        write_json(args.json, [
            {"what": f"import {n:,} parcels", "platform_s": round(import_s, 2), "raw_copy_s": round(copy_s, 2),
             "ogr2ogr_s": round(ogr_s, 2), "platform_inside_s": round(import_inside_s, 2)},
            {"what": f"replace {n:,} parcels (old ones logged for undo)", "platform_s": round(replace_s, 2),
             "raw_copy_s": round(copy_replace_s, 2), "platform_inside_s": round(replace_inside_s, 2)},
        ])


if __name__ == "__main__":
    main()
