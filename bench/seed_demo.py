"""Benchmark: `seed_demo --parcels N` (default 1,000,000) against the physical limit, a raw
`COPY ... FROM` of the same parcel rows into an identical, empty table (land_parcel's checks, generated
geodesic area, indexes, foreign keys and change-log triggers: the seed logs every row too), in the
same run. The seed's time also covers generating the province (every other layer included).

Runs in its own database (<name>_bench on the same server, dropped afterwards unless --keep),
never in the platform's.
Prints wall time, rows/s, the child's peak memory and the ratio seed / raw COPY for the parcels.
    .venv/bin/python bench/seed_demo.py [--parcels 1000000] [--keep] [--json PATH]
"""
import argparse
import json
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


# The change log's triggers (layers/changelog.py) as the platform attaches them to land_parcel: every
# platform load pays for its log, so the raw COPY it is compared with pays for it too.
LOG_TRIGGERS = (
    ("INSERT", "REFERENCING NEW TABLE AS new_rows", "layers_log_insert"),
    ("UPDATE", "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows", "layers_log_update"),
    ("DELETE", "REFERENCING OLD TABLE AS old_rows", "layers_log_delete"),
    ("TRUNCATE", "", "layers_log_truncate"),
)


def dump_parcels(conn, path: Path) -> None:
    """land_parcel's rows (the columns a load writes) as COPY text."""
    with conn.cursor() as cur, open(path, "w", encoding="utf-8") as f:
        cur.copy_expert(f"COPY (SELECT {PARCEL_COLUMNS} FROM land_parcel ORDER BY id) TO STDOUT", f)


def identical_parcel_table(conn, name: str = "bench_parcel", change_log: bool = True) -> None:
    """(Re)create `name` identical to land_parcel: columns, generated geodesic area, checks, indexes,
    foreign keys (checked row by row, as a plain COPY does) and, with `change_log`, its log triggers."""
    with conn.cursor() as cur:
        cur.execute(sql.SQL("DROP TABLE IF EXISTS {t}; CREATE TABLE {t} (LIKE land_parcel INCLUDING ALL)").format(
            t=sql.Identifier(name)))
        cur.execute(sql.SQL("ALTER TABLE {} ADD FOREIGN KEY (commune_code) REFERENCES places_adminunit (gso_code), "
                            "ADD FOREIGN KEY (land_use_code) REFERENCES land_landusecode (code)").format(
            sql.Identifier(name)))
        for event, referencing, function in LOG_TRIGGERS if change_log else ():
            cur.execute(sql.SQL("CREATE TRIGGER {trigger} AFTER {event} ON {t} {referencing} FOR EACH STATEMENT "
                                "EXECUTE FUNCTION {function}({layer})").format(
                trigger=sql.Identifier(f"{name}_log_{event.lower()}"), event=sql.SQL(event), t=sql.Identifier(name),
                referencing=sql.SQL(referencing), function=sql.Identifier(function), layer=sql.Literal(name)))
    conn.commit()


def forget_bench_log(conn, name: str = "bench_parcel") -> None:
    """Remove what the raw COPY's triggers logged (the benchmark table is not a layer: its changes must
    not stay in the change log that later benchmarks on this database read)."""
    with conn.cursor() as cur:
        cur.execute("DELETE FROM layers_change WHERE layer_id = %s", [name])
        cur.execute("DELETE FROM layers_layerversion WHERE layer_id = %s", [name])
    conn.commit()


def raw_copy_seconds(conn, *, change_log: bool = True) -> tuple[float, int]:
    """The physical limit for loading parcels: dump land_parcel's rows to a file, then time a plain
    COPY of them into an identical, empty table (same checks, generated area, indexes, foreign keys
    and, with `change_log`, the change log's triggers, which every platform load pays for too)."""
    with tempfile.TemporaryDirectory() as tmp, conn.cursor() as cur:
        dump = Path(tmp) / "parcels.tsv"
        dump_parcels(conn, dump)
        identical_parcel_table(conn, change_log=change_log)
        started = time.perf_counter()
        with open(dump, encoding="utf-8") as f:
            cur.copy_expert(f"COPY bench_parcel ({PARCEL_COLUMNS}) FROM STDIN", f)
        conn.commit()
        seconds = time.perf_counter() - started
        cur.execute("SELECT count(*) FROM bench_parcel")
        copied = cur.fetchone()[0]
        conn.commit()
        forget_bench_log(conn)
        return seconds, copied


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
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON (for bench/speed.py)")
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
    if args.json:
        write_json(args.json, [{"what": f"seed {args.parcels:,} parcels", "platform_s": round(seed_s, 2),
                                "raw_copy_s": round(copy_s, 2)}])


def write_json(path: str, rows: list[dict]) -> None:
    """The figures for bench/speed.py: {"rows": [{"what": ..., "platform_s": ..., "raw_copy_s": ...}]}."""
    Path(path).write_text(json.dumps({"rows": rows}, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
