"""Benchmark: live push (issue 11) from commit to the client's receipt, 1,000 concurrent SSE clients.

The platform is started as `make run` starts it (gunicorn, geo.asgi's uvicorn worker, --workers 2) on a
database of its own (<name>_bench_live: migrated, a small seed_demo, features added up to --features).
Then, each a process of its own:
- clients: --whole clients follow the whole layer and the rest follow one feature each, over raw
  asyncio sockets, as an ioc_operator; each records when it receives each (feature id, version). For
  the incidents layer (the default) these are the IOC's own streams: the wall map's /ioc/live and a
  citizen's status page /phan-anh/<tracking code>/live (no account); for another layer
  /live/collections/<layer> and ?feature=<id>;
- baseline: a bare psycopg2 LISTEN on the change log's channel, recording when each transaction's
  notification arrives (the floor: PostgreSQL's own delivery, no HTTP, no fan-out);
- writer: --rate feature changes per second for --seconds through layers.writes.feature_replace,
  round-robin over the followed features, recording each change's commit time (after COMMIT returns).
Latency = receipt - commit, per event per client that should get it (the whole-layer clients every
change, a feature's follower that feature's). Lost = expected deliveries never received (after a
drain of --drain seconds). Times are CLOCK_MONOTONIC, shared by the processes of one machine.
No assertion: it prints figures. On a shared machine, other work only adds time.
    .venv/bin/python bench/live_push.py [--clients 1000] [--whole 100] [--rate 100] [--seconds 60] [--layer cameras]
"""
import argparse
import asyncio
import json
import os
import random
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def percentiles(values: list[float]) -> str:
    if not values:
        return "no samples"
    values = sorted(values)
    at = lambda q: values[min(len(values) - 1, int(q * len(values)))]  # noqa: E731
    return (f"p50 {at(0.50) * 1000:7.1f} ms  p95 {at(0.95) * 1000:7.1f} ms  p99 {at(0.99) * 1000:7.1f} ms  "
            f"max {values[-1] * 1000:7.1f} ms  ({len(values):,} samples)")


def django_setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo.settings")
    import django

    django.setup()


# -- roles, each run as `live_push.py --role <role>` in a process of its own ----------------------------

def role_prepare(args) -> None:
    """Features up to --features, an ioc_operator with a session; prints {"cookie", "features", "codes"}."""
    django_setup()
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.test import Client
    from psycopg2 import sql

    from layers import registry

    spec = registry.get(args.layer)
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(spec.table)))
        have = cursor.fetchone()[0]
        if have == 0:
            sys.exit(f"the layer {args.layer} is empty after seed_demo; nothing to copy")
        if args.layer == "cameras" and have < args.features:
            cursor.execute("INSERT INTO safety_camera (camera_code, point_code, purpose, phase, district_code, road_name, "
                           "status, geom) SELECT 'BENCH-' || n, c.point_code, c.purpose, c.phase, c.district_code, "
                           "c.road_name, c.status, c.geom FROM generate_series(1, %s) n, "
                           "LATERAL (SELECT * FROM safety_camera ORDER BY id LIMIT 1) c", [args.features - have])
        if args.layer == "incidents" and have < args.features:  # one report per citizen: copies of the first
            columns = [f.column for f in spec.model._meta.concrete_fields if f.column not in ("id", "tracking_code")]
            cursor.execute(sql.SQL("INSERT INTO {t} (tracking_code, {c}) SELECT 'BENCH-' || n, {c} FROM "
                                   "generate_series(1, %s) n, LATERAL (SELECT * FROM {t} ORDER BY id LIMIT 1) i").format(
                t=sql.Identifier(spec.table), c=sql.SQL(", ").join(map(sql.Identifier, columns))),
                [args.features - have])
        code = sql.SQL("tracking_code" if args.layer == "incidents" else "NULL")
        cursor.execute(sql.SQL("SELECT id, {} FROM {} ORDER BY id LIMIT %s").format(code, sql.Identifier(spec.table)),
                       [args.features])
        rows = cursor.fetchall()
        features, codes = [row[0] for row in rows], {row[0]: row[1] for row in rows}
    user, _ = User.objects.get_or_create(username="bench-live-operator")
    user.groups.add(Group.objects.get_or_create(name=registry.ROLE_IOC)[0])
    client = Client()
    client.force_login(user)
    print(json.dumps({"cookie": client.cookies["sessionid"].value, "features": features, "codes": codes}))


def role_writer(args) -> None:
    """--rate changes a second for --seconds, on --threads threads; prints the changes as JSON."""
    django_setup()
    from django.db import connection, transaction

    from layers import registry, writes
    from layers.editing import Editor

    spec = registry.get(args.layer)
    editor = Editor.system("bench-live")
    features = json.loads(args.features_json)
    total = int(args.rate * args.seconds)
    written, lock = [], threading.Lock()
    start = time.monotonic() + 0.5

    def work(offset: int):
        try:
            for n in range(offset, total, args.threads):
                delay = start + n / args.rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                feature_id = features[n % len(features)]
                with transaction.atomic():
                    w = writes.feature_replace(spec=spec, editor=editor, feature_id=feature_id, partial=True,
                                               feature={"type": "Feature", "properties": {args.property: f"bench {n}"}})
                    with connection.cursor() as cursor:
                        cursor.execute("SELECT pg_current_xact_id()::text")
                        txid = cursor.fetchone()[0]
                committed = time.monotonic()
                with lock:
                    written.append((w.feature_id, w.version, txid, committed, committed - (start + n / args.rate)))
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(args.threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    json.dump(written, sys.stdout)


def role_baseline(args) -> None:
    """LISTEN until stdin closes; prints {txid: receipt time}."""
    import select

    import dj_database_url
    import psycopg2

    db = dj_database_url.parse(os.environ["DATABASE_URL"])
    conn = psycopg2.connect(dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"], host=db["HOST"],
                            port=db["PORT"])
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("LISTEN layers_change")
    received = {}
    print("ready", flush=True)
    while True:
        readable, _, _ = select.select([conn, sys.stdin], [], [])
        now = time.monotonic()
        if sys.stdin in readable:
            break
        conn.poll()
        for note in conn.notifies:
            layer, _, txid = note.payload.partition(" ")
            if layer == args.layer:
                received.setdefault(txid, now)
        conn.notifies.clear()
    json.dump(received, sys.stdout)


async def sse_client(host: str, port: int, path: str, cookie: str, record: dict, opened: asyncio.Event,
                     failures: list, followed: int | None = None) -> None:
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError as error:
        failures.append(str(error))
        opened.set()
        return
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nCookie: sessionid={cookie}\r\n"
                 "Accept: text/event-stream\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        failures.append(head.split(b"\r\n", 1)[0].decode())
        opened.set()
        writer.close()
        return
    chunked = b"transfer-encoding: chunked" in head.lower()
    opened.set()
    buffer = b""
    try:
        while True:
            if chunked:
                size = int((await reader.readline()).strip() or b"0", 16)
                if size == 0:
                    break
                data = await reader.readexactly(size + 2)
                buffer += data[:-2]
            else:
                data = await reader.read(65536)
                if not data:
                    break
                buffer += data
            now = time.monotonic()
            *messages, buffer = buffer.split(b"\n\n")
            for message in messages:
                if b"event: change" not in message:
                    continue
                for line in message.split(b"\n"):
                    if line.startswith(b"data: "):
                        entry = json.loads(line[6:])
                        # /live/collections: the change entry; /ioc/live: the wall map's feature;
                        # a citizen's stream: {"changed", "version"} of the one report it follows.
                        feature_id = entry.get("feature_id", entry.get("id", followed))
                        version = entry.get("version") or (entry.get("properties") or {}).get("version")
                        record.setdefault((feature_id, version), now)
    except (asyncio.CancelledError, ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


async def run_clients(args) -> None:
    host, port = "127.0.0.1", args.port
    features = json.loads(args.features_json)
    codes = json.loads(args.codes_json)
    if args.layer == "incidents":
        whole, one = "/ioc/live", lambda feature: f"/phan-anh/{codes[str(feature)]}/live"
    else:
        whole, one = f"/live/collections/{args.layer}", lambda feature: f"/live/collections/{args.layer}?feature={feature}"
    plans = [(whole, None) for _ in range(args.whole)]
    plans += [(one(features[i % len(features)]), features[i % len(features)]) for i in range(args.clients - args.whole)]
    records = [dict() for _ in plans]
    failures: list = []
    gate = asyncio.Semaphore(50)  # connecting, not connected: all stay open together

    async def one(i):
        opened = asyncio.Event()
        async with gate:
            task = asyncio.create_task(sse_client(host, port, plans[i][0], args.cookie, records[i], opened, failures,
                                                  plans[i][1]))
            await opened.wait()
        return task

    started = time.monotonic()
    tasks = await asyncio.gather(*(one(i) for i in range(len(plans))))
    print(json.dumps({"ready": time.monotonic() - started, "failures": failures[:5], "failed": len(failures)}),
          flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)  # until told to stop
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    out = [{"feature": feature, "got": [[f, v, t] for (f, v), t in record.items()]}
           for (_, feature), record in zip(plans, records)]
    with open(args.out, "w") as file:
        json.dump(out, file)
    print("done", flush=True)


def role_clients(args) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, args.clients + 1000)), hard))
    asyncio.run(run_clients(args))


# -- the conductor ---------------------------------------------------------------------------------------

@contextmanager
def bench_database(keep: bool):
    """A fresh, migrated, seeded database <name>_bench_live; yields an environment pointing at it."""
    sys.path.insert(0, str(ROOT / "bench"))
    from seed_demo import bench_database as fresh_database

    with fresh_database(keep, "bench_live") as (_cfg, env):
        env = {**env, "GEO_ALLOWED_HOSTS": "127.0.0.1"}
        subprocess.run([sys.executable, str(ROOT / "manage.py"), "seed_demo", "--parcels", "1000", "-v0"], env=env,
                       check=True)
        yield env


def me(role: str, args, *extra) -> list[str]:
    return [sys.executable, __file__, "--role", role, "--layer", args.layer, *extra]


def conduct(args) -> None:
    with bench_database(args.keep) as env, tempfile.TemporaryDirectory() as tmp:
        prepared = json.loads(subprocess.run(me("prepare", args, "--features", str(args.clients - args.whole)),
                                             env=env, check=True, capture_output=True, text=True, cwd=ROOT).stdout)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        log = open(Path(tmp) / "server.log", "w")
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "geo.asgi:application", "--worker-class", "geo.asgi.Worker",
             "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers), "--preload", "--timeout", "120"],
            cwd=ROOT, env=env, stdout=log, stderr=log)
        try:
            import requests

            deadline = time.monotonic() + 60
            while True:
                try:
                    if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    sys.exit("the server did not start: " + (Path(tmp) / "server.log").read_text()[-2000:])
                time.sleep(0.3)
            features = json.dumps(prepared["features"])
            baseline = subprocess.Popen(me("baseline", args), env=env, cwd=ROOT, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)
            assert baseline.stdout.readline().strip() == "ready"
            clients = subprocess.Popen(
                me("clients", args, "--port", str(port), "--cookie", prepared["cookie"], "--features-json", features,
                   "--codes-json", json.dumps(prepared["codes"]),
                   "--clients", str(args.clients), "--whole", str(args.whole), "--out", str(Path(tmp) / "clients.json")),
                env=env, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            ready = json.loads(clients.stdout.readline())
            print(f"{args.clients:,} SSE clients connected in {ready['ready']:.1f} s "
                  f"({args.whole} whole layer, {args.clients - args.whole} one feature each); "
                  f"refused: {ready['failed']} {ready['failures']}")
            time.sleep(1)
            print(f"writing {args.rate:g} changes/s for {args.seconds:g} s on {args.layer} ...", flush=True)
            written = json.loads(subprocess.run(
                me("writer", args, "--property", args.property, "--rate", str(args.rate), "--seconds", str(args.seconds), "--threads",
                   str(args.threads), "--features-json", features),
                env=env, cwd=ROOT, check=True, capture_output=True, text=True).stdout)
            time.sleep(args.drain)
            clients.stdin.write("stop\n")
            clients.stdin.flush()
            assert clients.stdout.readline().strip() == "done"
            clients.wait()
            baseline.stdin.close()
            notified = json.loads(baseline.stdout.read())
            baseline.wait()
            results = json.loads((Path(tmp) / "clients.json").read_text())
        finally:
            server.terminate()
            server.wait(timeout=60)

    commit = {(f, v): t for f, v, _, t, _ in written}
    lag = [late for *_, late in written]
    by_feature: dict = {}
    for f, v, *_ in written:
        by_feature.setdefault(f, []).append(v)
    latencies, lost, whole_latencies, feature_latencies = [], 0, [], []
    for client in results:
        got = {(f, v): t for f, v, t in client["got"]}
        expected = commit if client["feature"] is None else {(client["feature"], v): commit[(client["feature"], v)]
                                                             for v in by_feature.get(client["feature"], [])}
        for key, committed in expected.items():
            if key in got:
                latency = got[key] - committed
                latencies.append(latency)
                (whole_latencies if client["feature"] is None else feature_latencies).append(latency)
            else:
                lost += 1
    base = [notified[txid] - t for _, _, txid, t, _ in written if txid in notified]
    print(f"changes committed: {len(written):,} in {args.seconds:g} s "
          f"(writer behind its schedule: median {statistics.median(lag) * 1000:.1f} ms, max {max(lag) * 1000:.1f} ms)")
    print(f"live push, every client   {percentiles(latencies)}")
    print(f"  whole-layer clients     {percentiles(whole_latencies)}")
    print(f"  one-feature clients     {percentiles(feature_latencies)}")
    print(f"baseline (bare LISTEN)    {percentiles(base)}")
    print(f"lost deliveries: {lost:,} of {lost + len(latencies):,}; baseline notifications missing: "
          f"{len(written) - len(base)}")
    if base and latencies:
        q = lambda values, p: sorted(values)[min(len(values) - 1, int(p * len(values)))]  # noqa: E731
        print(f"live / baseline: p50 {q(latencies, .5) / q(base, .5):.1f}x  p99 {q(latencies, .99) / q(base, .99):.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--whole", type=int, default=100, help="clients following the whole layer")
    parser.add_argument("--rate", type=float, default=100, help="changes per second")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--layer", default="incidents")
    parser.add_argument("--property", default="", help="the text property the writer changes (default: address "
                                                        "for incidents, road_name for cameras)")
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--threads", type=int, default=4, help="writer threads")
    parser.add_argument("--drain", type=float, default=5, help="seconds to wait for the last events")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.add_argument("--role", default="conduct", help=argparse.SUPPRESS)
    for hidden in ("--port", "--cookie", "--features-json", "--codes-json", "--out", "--features"):
        parser.add_argument(hidden, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.port:
        args.port = int(args.port)
    if args.features:
        args.features = int(args.features)
    args.property = args.property or {"incidents": "address", "cameras": "road_name"}.get(args.layer, "name")
    {"conduct": conduct, "prepare": role_prepare, "writer": role_writer, "baseline": role_baseline,
     "clients": role_clients}[args.role](args)


if __name__ == "__main__":
    random.seed(2021)
    main()
