"""Benchmark: `seed_demo --parcels N` (default 1,000,000) against the physical limit, a raw
`COPY ... FROM` of the same parcel rows into an identical table, in the same run.

Runs in its own database (<name>_bench on the same server, dropped afterwards unless --keep),
never in the platform's.
Prints wall time, rows/s, the child's peak memory and the ratio seed / raw COPY for the parcels.
    .venv/bin/python bench/seed_demo.py [--parcels 1000000]
"""
import argparse
import os
from contextlib import contextmanager
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dj_database_url
import psycopg2
from psycopg2 import sql

ROOT = Path(__file__).resolve().parent.parent


def base_url() -> str:
    url = os.environ.get("DATABASE_URL") or (ROOT / "var" / "database.url").read_text().strip()
    return url


def connect(cfg: dict, dbname: str):
    return psycopg2.connect(host=cfg["HOST"], port=cfg["PORT"], user=cfg["USER"], password=cfg["PASSWORD"],
                            dbname=dbname)


PARCEL_COLUMNS = "commune_code, map_sheet_no, parcel_no, land_use_code, address, geom"


def raw_copy_seconds(conn) -> tuple[float, int]:
    """The physical limit for loading parcels: dump land_parcel's rows to a file, then time a plain
    COPY of them into an identical table (same checks, generated area, indexes, foreign keys)."""
    with tempfile.TemporaryDirectory() as tmp, conn.cursor() as cur:
        dump = Path(tmp) / "parcels.tsv"
        with open(dump, "w", encoding="utf-8") as f:
            cur.copy_expert(f"COPY (SELECT {PARCEL_COLUMNS} FROM land_parcel ORDER BY id) TO STDOUT", f)
        cur.execute("DROP TABLE IF EXISTS bench_parcel; CREATE TABLE bench_parcel (LIKE land_parcel INCLUDING ALL)")
        cur.execute("ALTER TABLE bench_parcel ADD FOREIGN KEY (commune_code) REFERENCES places_adminunit (gso_code), "
                    "ADD FOREIGN KEY (land_use_code) REFERENCES land_landusecode (code)")
        conn.commit()
        started = time.perf_counter()
        with open(dump, encoding="utf-8") as f:
            cur.copy_expert(f"COPY bench_parcel ({PARCEL_COLUMNS}) FROM STDIN", f)
        conn.commit()
        seconds = time.perf_counter() - started
        cur.execute("SELECT count(*) FROM bench_parcel")
        return seconds, cur.fetchone()[0]


@contextmanager
def bench_database(keep: bool, suffix: str = "bench"):
    """A fresh database <name>_<suffix> on the platform's server, migrated; yields (its settings, an
    environment pointing manage.py at it). Dropped afterwards unless `keep`."""
    url = base_url()
    cfg = dj_database_url.parse(url)
    name = f"{cfg['NAME']}_{suffix}"

    def admin(statement):
        conn = connect(cfg, "postgres")
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(sql.SQL(statement).format(sql.Identifier(name)))
        conn.close()

    admin("DROP DATABASE IF EXISTS {}")
    admin("CREATE DATABASE {}")
    env = {**os.environ, "DATABASE_URL": url.rsplit("/", 1)[0] + "/" + name}
    try:
        subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v0"], env=env, check=True)
        yield {**cfg, "NAME": name}, env
    finally:
        if keep:
            print(f"(benchmark database {name} kept; drop it when done)")
        else:
            admin("DROP DATABASE {}")


def seed_then_measure(script: str, *, parcels: int, keep: bool, measure_args: list[str]) -> None:
    """In a fresh benchmark database seeded with `parcels` parcels, run `script --measure-only
    measure_args` (a benchmark's measuring half, which then sets Django up on that database)."""
    with bench_database(keep) as (_cfg, env):
        print(f"seeding {parcels:,} parcels ...", flush=True)
        subprocess.run([sys.executable, str(ROOT / "manage.py"), "seed_demo", "--parcels", str(parcels), "-v0"],
                       env=env, check=True, stdout=subprocess.DEVNULL)
        subprocess.run([sys.executable, script, "--measure-only", *measure_args], env=env, check=True, cwd=ROOT)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parcels", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    args = parser.parse_args()
    with bench_database(args.keep) as (cfg, env):
        started = time.perf_counter()
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        subprocess.run([sys.executable, str(ROOT / "manage.py"), "seed_demo", "--parcels", str(args.parcels), "-v0"],
                       env=env, check=True)
        seed_s = time.perf_counter() - started
        peak_mb = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before) / 1024
        conn = connect(cfg, cfg["NAME"])
        copy_s, copied = raw_copy_seconds(conn)
        conn.close()
    print(f"seed_demo --parcels {args.parcels:,}: {seed_s:.1f} s for the whole province "
          f"({args.parcels / seed_s:,.0f} parcels/s), peak memory {peak_mb:,.0f} MB")
    print(f"raw COPY of the same {copied:,} parcel rows into an identical table: {copy_s:.1f} s "
          f"({copied / copy_s:,.0f} rows/s)")
    print(f"ratio seed_demo / raw COPY: {seed_s / copy_s:.2f}x")


if __name__ == "__main__":
    main()
