"""Benchmark: what the change log (issue 10) costs writers, and how fast its feed reads.

(a) Importing N parcels (default 1,000,000) from a GeoPackage through the real import path
    (importers.services.layer_import, mode append, every check) into the same empty land_parcel,
    once with the change-log triggers disabled (ALTER TABLE ... DISABLE TRIGGER USER: the only user
    triggers of land_parcel are the log's) and once with them on, in the same run; the issue wants
    on/off <= 1.15x. Also the INSERT ... SELECT the triggers fire on, alone, and a raw COPY of the same
    rows with the triggers off and on (the physical limit, and the triggers' cost without the import).
(b) Reading a change feed of C changes (default 100,000: updates and deletes of parcels in
    transactions of 10,000) from a cursor, in pages of P (default 10,000), through layers.feed and
    through the HTTP endpoint /ogcapi/collections/parcels/changes (Django's full request path, test
    client, without and with gzip); the issue wants >= 50,000 changes/s. Printed twice: the time the
    platform takes to serve the pages, and that plus the client's json.loads of them.

Runs in a database of its own (<name>_bench_changelog, dropped afterwards unless --keep). The
GeoPackage is exported from seed_demo once and kept in the temporary directory for later runs.
No assertion on time: it prints figures and ratios, the fastest of --rounds (other work on a shared
machine only adds time), and the CPU time of this process plus its PostgreSQL backend when the
server runs on this machine (less disturbed by other work than wall time).
    .venv/bin/python bench/change_log.py [--parcels 1000000] [--changes 100000] [--page 10000] [--rounds 1]
"""
import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))  # the project, for Django
from seed_demo import PARCEL_COLUMNS, ROOT  # noqa: E402  (bench/ is not a package)
from seed_demo import bench_database as fresh_database  # noqa: E402

SEED = 2021
TABLE = "land_parcel"


def cached_file(parcels: int) -> Path:
    return Path(tempfile.gettempdir()) / "geo-bench" / f"parcels-{parcels}-seed{SEED}.gpkg"


@contextmanager
def bench_database(keep: bool):
    """A fresh, migrated database <name>_bench_changelog; yields an environment pointing at it."""
    with fresh_database(keep, "bench_changelog") as (_cfg, env):
        yield env


# -- the measuring half (Django set up on the benchmark database) ---------------------------------------

class Statements:
    """Wall time of the statements Django runs that write into land_parcel (the triggers fire there)."""

    def __init__(self):
        self.seconds = 0.0

    def __call__(self, execute, statement, params, many, context):
        text = statement if isinstance(statement, str) else statement.as_string(context["connection"].connection)
        started = time.perf_counter()
        try:
            return execute(statement, params, many, context)
        finally:
            if text.lstrip().startswith(f'INSERT INTO "{TABLE}"'):
                self.seconds += time.perf_counter() - started


def _empty(cursor) -> None:
    """land_parcel and the change log empty, ids from 1 again, dirty pages flushed: each run starts equal."""
    cursor.execute(f"TRUNCATE {TABLE} RESTART IDENTITY")
    cursor.execute("TRUNCATE layers_change, layers_layerversion RESTART IDENTITY")
    cursor.execute("CHECKPOINT")


def _log_triggers(cursor, enabled: bool) -> None:
    cursor.execute(f"ALTER TABLE {TABLE} {'ENABLE' if enabled else 'DISABLE'} TRIGGER USER")


def cpu_seconds(cursor) -> float | None:
    """CPU time so far of this process plus its PostgreSQL backend (read from /proc when the server
    runs on this machine, else None): less disturbed than wall time by other work on a shared machine."""
    cursor.execute("SELECT pg_backend_pid()")
    try:
        stat = Path(f"/proc/{cursor.fetchone()[0]}/stat").read_text()
    except OSError:
        return None
    utime, stime = stat.rsplit(")", 1)[1].split()[11:13]
    return time.process_time() + (int(utime) + int(stime)) / os.sysconf("SC_CLK_TCK")


def _function_seconds(cursor) -> float:
    """Time spent inside layers_log_insert since the counters were reset (track_functions = 'pl')."""
    time.sleep(1.2)  # a backend flushes its function statistics at most once a second, when idle
    cursor.execute("SELECT 1")
    time.sleep(1.2)
    cursor.execute("SELECT coalesce(sum(total_time), 0) / 1000 FROM pg_stat_user_functions "
                   "WHERE funcname = 'layers_log_insert'")
    return float(cursor.fetchone()[0])


def import_runs(path: Path, rounds: int) -> dict:
    from django.db import connection

    from importers.services import ImportOptions, layer_import

    figures = {"off": [], "on": [], "insert_off": [], "insert_on": [], "cpu_off": [], "cpu_on": [], "trigger": [],
               "rows": 0, "changes": 0, "log_mb": 0.0}
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal", [TABLE])
        print(f"user triggers on {TABLE} (disabled for the 'off' runs): "
              f"{', '.join(sorted(r[0] for r in cursor.fetchall()))}")
        cursor.execute("SET track_functions = 'pl'")
    order = [arm for i in range(rounds) for arm in (("off", "on") if i % 2 == 0 else ("on", "off"))]
    for arm in order:
        with connection.cursor() as cursor:
            _empty(cursor)
            _log_triggers(cursor, arm == "on")
            cursor.execute("SELECT pg_stat_reset_single_function_counters('layers_log_insert'::regproc)")
            cpu = cpu_seconds(cursor)
        statements = Statements()
        started = time.perf_counter()
        try:
            with connection.execute_wrapper(statements):
                report = layer_import(layer_id="parcels", path=path, options=ImportOptions(mode="append"))
        finally:
            with connection.cursor() as cursor:
                _log_triggers(cursor, True)
        seconds = time.perf_counter() - started
        with connection.cursor() as cursor:
            cpu = cpu_seconds(cursor) - cpu if cpu is not None else None
        if report.status != "done" or report.rejected:
            raise SystemExit(f"import {arm}: {report.status}, {report.rejected} rejected: {report.message}")
        figures[arm].append(seconds)
        figures[f"insert_{arm}"].append(statements.seconds)
        figures[f"cpu_{arm}"].append(cpu)
        figures["rows"] = report.accepted
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*), pg_total_relation_size('layers_change') FROM layers_change")
            changes, size = cursor.fetchone()
            if arm == "on":
                figures["changes"], figures["log_mb"] = changes, size / 1e6
                figures["trigger"].append(_function_seconds(cursor))
            elif changes:
                raise SystemExit(f"the 'off' run logged {changes} changes: the triggers were not disabled")
        print(f"  import with the change log {arm:>3}: {seconds:7.1f} s  (INSERT ... SELECT into {TABLE}: "
              f"{statements.seconds:.1f} s; CPU {cpu or 0:.1f} s)", flush=True)
    return figures


def raw_copy_runs() -> dict:
    """COPY the rows the import left, as text, into the emptied land_parcel with the triggers off, then on."""
    from django.db import connection, transaction

    figures = {}
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(tmp) / "parcels.tsv"
        with connection.cursor() as cursor, open(dump, "w", encoding="utf-8") as f:
            cursor.copy_expert(f"COPY (SELECT {PARCEL_COLUMNS} FROM {TABLE} ORDER BY id) TO STDOUT", f)
        for arm in ("off", "on"):
            with connection.cursor() as cursor:
                _empty(cursor)
                _log_triggers(cursor, arm == "on")
                cpu = cpu_seconds(cursor)
            started = time.perf_counter()
            try:
                with transaction.atomic(), connection.cursor() as cursor, open(dump, encoding="utf-8") as f:
                    cursor.copy_expert(f"COPY {TABLE} ({PARCEL_COLUMNS}) FROM STDIN", f)
            finally:
                with connection.cursor() as cursor:
                    _log_triggers(cursor, True)
                    cpu = cpu_seconds(cursor) - cpu if cpu is not None else None
            figures[arm] = time.perf_counter() - started
            figures[f"cpu_{arm}"] = cpu
            print(f"  raw COPY, change log {arm:>3}: {figures[arm]:7.1f} s (CPU {cpu or 0:.1f} s)", flush=True)
    return figures


def make_changes(count: int, per_transaction: int) -> tuple[int, int]:
    """`count` changes to the parcels, in transactions of `per_transaction`: nine updates (the
    address) for one delete. Returns (updates, deletes)."""
    from django.db import connection, transaction

    updates = deletes = 0
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT min(id) FROM {TABLE}")
        first = cursor.fetchone()[0]
    done = 0
    while done < count:
        n = min(per_transaction, count - done)
        low, high = first + done, first + done + n  # ids [low, high): the next n parcels
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {TABLE} WHERE id >= %s AND id < %s AND id %% 10 = 0", [low, high])
            deletes += cursor.rowcount
            cursor.execute(f"UPDATE {TABLE} SET address = address || ' (đã sửa)' "
                           f"WHERE id >= %s AND id < %s AND id %% 10 <> 0", [low, high])
            updates += cursor.rowcount
        done += n
    return updates, deletes


def wait_until_deliverable(timeout: float = 300.0) -> float:
    """Changes are delivered once no transaction that could commit below them is running (the
    feed's snapshot rule; on a shared server another database's long transaction holds it back)."""
    from django.db import connection

    started = time.perf_counter()
    while True:
        with connection.cursor() as cursor:
            cursor.execute("SELECT (SELECT max(txid) FROM layers_change) < "
                           "pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
            if cursor.fetchone()[0]:
                return time.perf_counter() - started
        if time.perf_counter() - started > timeout:
            raise SystemExit("the changes did not become deliverable: a long transaction is running on the server")
        time.sleep(0.5)


PATHS = ("layers.feed (Python API)", "GET .../parcels/changes (identity)", "GET .../parcels/changes (gzip)")


def feed_runs(changes: int, page: int, rounds: int) -> dict:
    """Read the feed of `changes` changes after a cursor, `rounds` times through each path (layers.feed,
    HTTP plain and gzip): per read (changes, pages, seconds serving them, seconds including the
    client's json.loads)."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from layers import feed, registry

    spec = registry.get("parcels")
    start = feed_cursor_latest(feed, spec)
    print(f"(b) making {changes:,} changes (updates and deletes of parcels, {page:,} per transaction) ...", flush=True)
    updates, deletes = make_changes(changes, page)
    waited = wait_until_deliverable()
    if waited > 1:
        print(f"  (waited {waited:.1f} s for other transactions on the server to end)")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE layers_change, {TABLE}")
    figures = {"updates": updates, "deletes": deletes, "rounds": rounds, "vacuum": time.perf_counter() - started,
               **{label: [] for label in PATHS}}
    settings.ALLOWED_HOSTS = ["testserver"]
    client = Client()
    url = f"/ogcapi/collections/{spec.id}/changes"
    client.get(url, {"since": "latest"})  # the first request loads the URL resolver, middleware, pygeoapi
    for _ in range(rounds):
        figures[PATHS[0]].append(feed_read_all(feed, spec, start, page))
        for label, encoding in zip(PATHS[1:], ("identity", "gzip")):
            read = pages = size = 0
            serving = parsing = 0.0
            cursor = str(start)
            while True:
                started = time.perf_counter()
                response = client.get(url, {"since": cursor, "limit": page}, HTTP_ACCEPT_ENCODING=encoding)
                serving += time.perf_counter() - started
                if response.status_code != 200:
                    raise SystemExit(f"{url}: {response.status_code} {response.content[:300]!r}")
                started = time.perf_counter()
                body = response.content
                body = json.loads(gzip.decompress(body) if response.get("Content-Encoding") == "gzip" else body)
                parsing += time.perf_counter() - started
                read += len(body["changes"])
                pages += 1
                size += len(response.content)
                cursor = body["next"]
                if not body["more"]:
                    break
            figures[label].append((read, pages, serving, serving + parsing))
            figures[f"MB {encoding}"] = size / 1e6
        print(f"  read {', '.join(f'{label}: {figures[label][-1][2]:.2f} s' for label in PATHS)}", flush=True)
    return figures


# The feed's Python API (layers/feed.py): kept in two small functions so a change of its names
# touches only these.
def feed_cursor_latest(feed, spec):
    return feed.latest_cursor()


def feed_read_all(feed, spec, since, page: int) -> tuple[int, int, float, float]:
    """Every change after `since`, page by page, as a client of the Python API reads them."""
    read = pages = 0
    serving = parsing = 0.0
    cursor = since
    while True:
        started = time.perf_counter()
        result = feed.changes_since(spec, cursor, limit=page)
        serving += time.perf_counter() - started
        started = time.perf_counter()
        read += len(json.loads(result.changes))  # the page is JSON text
        parsing += time.perf_counter() - started
        pages += 1
        cursor = result.next
        if not result.more:
            return read, pages, serving, serving + parsing


def measure(path: Path, rounds: int, changes: int, page: int, feed_rounds: int) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo.settings")
    django.setup()

    if rounds:
        print(f"(a) importing {path.name} ({path.stat().st_size / 1e6:,.0f} MB) into the same empty {TABLE}, "
              f"{rounds} round(s) ...", flush=True)
        figures = import_runs(path, rounds)
        copies = raw_copy_runs()
    else:  # the feed only: the parcels loaded once, with the change log on
        from django.db import connection

        from importers.services import ImportOptions, layer_import

        print(f"loading {path.name} ...", flush=True)
        with connection.cursor() as cursor:
            _empty(cursor)
        report = layer_import(layer_id="parcels", path=path, options=ImportOptions(mode="append"))
        if report.status != "done" or report.rejected:
            raise SystemExit(f"import: {report.status}, {report.rejected} rejected: {report.message}")
    feed = feed_runs(changes, page, feed_rounds) if changes else None
    if rounds:
        report_import(figures, copies, rounds)
    if feed:
        report_feed(feed, page)


def report_import(figures: dict, copies: dict, rounds: int) -> None:
    n = figures["rows"]
    # The fastest of the rounds: on a shared machine, other work only ever adds time.
    off, on = min(figures["off"]), min(figures["on"])
    insert_off, insert_on = min(figures["insert_off"]), min(figures["insert_on"])
    cpu = {arm: min(figures[f"cpu_{arm}"]) if None not in figures[f"cpu_{arm}"] else None for arm in ("off", "on")}
    trigger = min(figures["trigger"]) if figures["trigger"] else 0.0

    def row(label, seconds, base, cpu_s=None, cpu_base=None, note=""):
        cpu_text = f"{cpu_s:9.1f} {cpu_s / cpu_base:6.2f}x" if cpu_s is not None and cpu_base else f"{'':16}"
        print(f"{label:40} {seconds:8.1f} {n / seconds:10,.0f} {seconds / base:6.2f}x {cpu_text}{note}")

    print()
    if rounds > 1:
        print("every round (s): " + "; ".join(f"{arm} {', '.join(f'{v:.1f}' for v in figures[arm])}"
                                             for arm in ("off", "on")) + " (the table shows the fastest)")
    print(f"{'':40} {'seconds':>8} {'rows/s':>10} {'ratio':>7} {'CPU s':>9} {'ratio':>7}")
    row("import_layer, change log off", off, off, cpu["off"], cpu["off"])
    row("import_layer, change log on", on, off, cpu["on"], cpu["off"], "   (issue: <= 1.15x)")
    row("  its INSERT ... SELECT, log off", insert_off, insert_off)
    row("  its INSERT ... SELECT, log on", insert_on, insert_off)
    print(f"{'    of which in layers_log_insert()':40} {trigger:8.1f}")
    row("raw COPY of the same rows, log off", copies["off"], copies["off"], copies["cpu_off"], copies["cpu_off"])
    row("raw COPY of the same rows, log on", copies["on"], copies["off"], copies["cpu_on"], copies["cpu_off"])
    print(f"import_layer (log on) / raw COPY (log on): {on / copies['on']:.2f}x; change log after the import: "
          f"{figures['changes']:,} rows, {figures['log_mb']:,.0f} MB ({figures['log_mb'] * 1e6 / max(n, 1):.0f} "
          "bytes per change, indexes included)")


def report_feed(feed: dict, page: int) -> None:
    print()
    print(f"feed of {feed['updates'] + feed['deletes']:,} changes ({feed['updates']:,} updates with their feature, "
          f"{feed['deletes']:,} deletes), pages of {page:,}, fastest of {feed['rounds']} read(s) "
          f"(issue: >= 50,000 changes/s):")
    print(f"{'':38} {'changes':>8} {'pages':>5} {'served s':>9} {'changes/s':>10} {'+ json.loads s':>15} "
          f"{'changes/s':>10}")
    for label in PATHS:
        read, pages, serving, total = min(feed[label], key=lambda r: r[2])
        print(f"{label:38} {read:>8,} {pages:>5} {serving:9.2f} {read / serving:10,.0f} {total:15.2f} "
              f"{read / total:10,.0f}")
    if feed["rounds"] > 1:
        print("every read (served s): " + "; ".join(
            f"{label.split(' (')[-1].rstrip(')')} {', '.join(f'{r[2]:.2f}' for r in feed[label])}" for label in PATHS))
    print(f"HTTP bodies: {feed['MB identity']:,.1f} MB, gzip {feed['MB gzip']:,.1f} MB; VACUUM ANALYZE after the "
          f"changes (as autovacuum would): {feed['vacuum']:.1f} s")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parcels", type=int, default=1_000_000)
    parser.add_argument("--changes", type=int, default=100_000, help="changes in the feed read (0: skip part b)")
    parser.add_argument("--page", type=int, default=10_000, help="changes per feed page")
    parser.add_argument("--rounds", type=int, default=1,
                        help="import rounds, off/on then on/off alternately (0: skip part a, the feed only)")
    parser.add_argument("--feed-rounds", type=int, default=2, help="reads of the feed through each path")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    parser.add_argument("--measure-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_only:
        measure(args.measure_only, args.rounds, args.changes, args.page, args.feed_rounds)
        return
    if args.changes > args.parcels:
        raise SystemExit("--changes cannot exceed --parcels (each change touches another parcel)")
    gpkg = cached_file(args.parcels)
    manage = [sys.executable, str(ROOT / "manage.py")]
    with bench_database(args.keep) as env:
        # The file's parcels need the province's communes; the parcels themselves come from the file.
        print(f"seeding the demo province{'' if gpkg.exists() else f' with {args.parcels:,} parcels'} ...", flush=True)
        subprocess.run(manage + ["seed_demo", "--parcels", str(1 if gpkg.exists() else args.parcels), "-v0"],
                       env=env, check=True, stdout=subprocess.DEVNULL)
        if not gpkg.exists():
            gpkg.parent.mkdir(parents=True, exist_ok=True)
            partial = gpkg.with_suffix(".part.gpkg")
            subprocess.run(manage + ["export_layer", "parcels", str(partial)], env=env, check=True,
                           stdout=subprocess.DEVNULL)
            partial.rename(gpkg)
        else:
            print(f"(reusing {gpkg})")
        subprocess.run([sys.executable, __file__, "--measure-only", str(gpkg), "--rounds", str(args.rounds),
                        "--changes", str(args.changes), "--page", str(args.page),
                        "--feed-rounds", str(args.feed_rounds)], env=env, check=True, cwd=ROOT)


if __name__ == "__main__":
    main()
