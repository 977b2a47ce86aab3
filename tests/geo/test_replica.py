"""Reads on a streaming replica, writes and a writer's own reads on the primary (issue 12, part 5).

The test starts its own small pair of embedded PostgreSQL clusters: a primary (initdb, as
scripts/pg.sh creates the platform's) and a hot standby made from it with `pg_basebackup -R`, both on
free ports in a temporary directory, removed at the end. (A base backup of the platform's own cluster
would copy every database in it, benchmark databases of several GB included.) The platform is
migrated and seeded on the primary and served by gunicorn with GEO_REPLICA_URLS naming the standby.

Which database answered is seen in the answers: the standby's replay is paused, so a row written on
the primary exists there only; an anonymous read does not see it (the standby answered), the writer
does (the primary answered)."""
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg2
import pytest
import requests
from jwcrypto import jwt

from tests.conftest import ROOT, _free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PASSWORD = "replica-test-password"


def as_server(*command: str, **kwargs) -> subprocess.CompletedProcess:
    """Run a PostgreSQL program as the postgres OS user when we are root (it refuses to run as root)."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    done = subprocess.run([*prefix, *command], capture_output=True, text=True,
                          env={**os.environ, "PGPASSWORD": PASSWORD}, **kwargs)
    if done.returncode:
        pytest.fail(f"{Path(command[0]).name} failed: {done.stderr[-2000:]}")
    return done


def server_owned(path: Path) -> Path:
    path.mkdir(mode=0o700)
    if os.geteuid() == 0:
        shutil.chown(path, "postgres", "postgres")
    return path


def url(port: int, database: str = "geo") -> str:
    return f"postgres://geo:{PASSWORD}@127.0.0.1:{port}/{database}"


def sql(port: int, statement: str, *params, database: str = "geo"):
    with psycopg2.connect(url(port, database)) as connection, connection.cursor() as cursor:
        cursor.execute(statement, params)
        rows = cursor.fetchall() if cursor.description else None
    connection.close()
    return rows


def wait_until(check, what: str):
    deadline = time.monotonic() + 120
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.2)


@pytest.fixture(scope="module")
def clusters():
    """(primary port, standby port): a fresh primary and its streaming hot standby."""
    if not (PG_BIN / "initdb").exists():
        pytest.fail("PostgreSQL 15 is not installed (make test installs it)")
    top = Path(tempfile.mkdtemp(prefix="geo-replica-"))
    top.chmod(0o755)  # the postgres user works inside
    primary, standby, sockets = top / "primary", top / "standby", server_owned(top / "run")
    server_owned(primary), server_owned(standby)
    primary_port, standby_port = _free_port(), _free_port()
    password_file = top / "password"
    password_file.write_text(PASSWORD + "\n")
    password_file.chmod(0o644)
    try:
        as_server(str(PG_BIN / "initdb"), "-D", str(primary), "-U", "geo", f"--pwfile={password_file}",
                  "--auth=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8")
        with open(primary / "postgresql.conf", "a") as conf:
            # initdb's pg_hba.conf already admits replication connections from 127.0.0.1 (scram-sha-256).
            conf.write(f"listen_addresses = '127.0.0.1'\nport = {primary_port}\nunix_socket_directories = '{sockets}'\n"
                       "wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\n"
                       "fsync = off\nshared_buffers = 64MB\n")  # a throwaway cluster: no fsync
        as_server(str(PG_BIN / "pg_ctl"), "-D", str(primary), "-l", str(top / "run" / "primary.log"), "-w", "start")
        connection = psycopg2.connect(url(primary_port, "postgres"))
        connection.autocommit = True
        connection.cursor().execute("CREATE DATABASE geo")
        connection.close()
        # The standby: a base backup of the primary, -R writing its primary_conninfo and standby.signal.
        as_server(str(PG_BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary_port), "-U", "geo",
                  "-D", str(standby), "-R", "-X", "stream")
        with open(standby / "postgresql.conf", "a") as conf:
            conf.write(f"port = {standby_port}\n")
        as_server(str(PG_BIN / "pg_ctl"), "-D", str(standby), "-l", str(top / "run" / "standby.log"), "-w", "start")
        assert sql(standby_port, "SELECT pg_is_in_recovery()") == [(True,)]
        yield primary_port, standby_port
    finally:
        for data in (standby, primary):
            if (data / "postmaster.pid").exists():
                as_server(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(top, ignore_errors=True)


@pytest.fixture(scope="module")
def platform(clusters):
    """The platform under gunicorn (as `make run` serves it) on the primary, reading from the standby."""
    primary_port, standby_port = clusters
    env = {**os.environ, "DATABASE_URL": url(primary_port), "GEO_REPLICA_URLS": url(standby_port),
           "DJANGO_SETTINGS_MODULE": "geo.settings.test", "GEO_ALLOWED_HOSTS": "127.0.0.1"}
    # Migrations run with the replica configured: they must go to the primary only (the standby is
    # read-only, so any attempt there fails). The standby then holds the schema by streaming.
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([sys.executable, "manage.py", "seed_demo", "--parcels", "100", "-v0"], cwd=ROOT,
                   env={**env, "GEO_REPLICA_URLS": ""}, check=True, capture_output=True)
    caught_up(primary_port, standby_port)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "geo.asgi:application", "--worker-class", "geo.asgi.Worker",
         "--bind", f"127.0.0.1:{port}", "--workers", "1", "--timeout", "120"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"

    def up():
        if server.poll() is not None:
            pytest.fail("the platform did not start: " + server.stderr.read().decode()[-3000:])
        try:
            return requests.get(f"{base}/healthz", timeout=10).status_code == 200
        except requests.RequestException:
            return False

    wait_until(up, "the platform to start")
    yield {"base": base, "env": env, "primary": primary_port, "standby": standby_port}
    server.terminate()
    server.wait(timeout=60)


def caught_up(primary_port: int, standby_port: int) -> None:
    """Wait until the standby has replayed everything the primary has written so far."""
    (target,) = sql(primary_port, "SELECT pg_current_wal_lsn()::text")[0]
    wait_until(lambda: sql(standby_port, "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", target)[0][0],
               "the standby to replay the primary's writes")


class replay_paused:
    """The standby stops replaying (it keeps receiving): what is written meanwhile exists on the primary only."""

    def __init__(self, platform):
        self.platform = platform

    def __enter__(self):
        sql(self.platform["standby"], "SELECT pg_wal_replay_pause()")
        wait_until(lambda: sql(self.platform["standby"], "SELECT pg_get_wal_replay_pause_state()")[0][0] == "paused",
                   "the standby's replay to pause")

    def __exit__(self, *exc):
        sql(self.platform["standby"], "SELECT pg_wal_replay_resume()")
        caught_up(self.platform["primary"], self.platform["standby"])


def bearer(base: str, roles: list[str]) -> dict:
    """An access token of the platform's own issuer (the key in var/, shared with the server)."""
    import django
    from django.conf import settings

    if not settings.configured:
        django.setup()
    from accounts.tokens import signing_key

    now = int(time.time())
    claims = {"iss": f"{base}/o", "aud": settings.GEO_OIDC_AUDIENCE, "iat": now, "nbf": now, "exp": now + 600,
              "sub": "replica-test", "client_id": "replica-test", "scope": "read write", "roles": roles}
    signed = jwt.JWT(header={"alg": "RS256", "typ": "at+jwt", "kid": signing_key().thumbprint()}, claims=claims)
    signed.make_signed_token(signing_key())
    return {"Authorization": f"Bearer {signed.serialize()}"}


def where_reads_go(request_factory, method: str, cookies: dict | None = None):
    """(the alias a read used inside the request, the response) through the pinning middleware."""
    from geo.pinning import PrimaryPinningMiddleware
    from layers import db

    seen = []

    def view(request):
        from django.http import HttpResponse

        seen.append(db.read_alias())
        return HttpResponse("")

    request = getattr(request_factory, method)("/")
    request.COOKIES.update(cookies or {})
    response = PrimaryPinningMiddleware(view)(request)
    assert not db.is_pinned()  # the pin ends with the request
    return seen[0], response


def test_pinning_rules(rf, settings):
    """The rules of layers/db.py and geo/pinning.py, in process (the aliases need not exist to be chosen;
    the atomic-block rule is checked against a real standby below)."""
    from geo.pinning import COOKIE
    from layers import db as routing

    settings.GEO_REPLICA_ALIASES = ["replica", "replica_2"]
    settings.GEO_PRIMARY_PIN_SECONDS = 10
    routing.unpin()
    first = routing.read_alias()
    assert first in ("replica", "replica_2") and routing.read_alias() == first  # sticky per thread
    routing.pin_to_primary()
    assert routing.read_alias() == "default"
    routing.unpin()
    assert routing.read_alias() == first
    settings.GEO_REPLICA_ALIASES = ["replica"]
    routing.unpin()

    alias, response = where_reads_go(rf, "get")
    assert alias == "replica" and COOKIE not in response.cookies  # an anonymous read: the replica, no cookie
    alias, response = where_reads_go(rf, "post")
    assert alias == "default" and response.cookies[COOKIE]["max-age"] == 10
    pin = response.cookies[COOKIE].value
    assert where_reads_go(rf, "get", {COOKIE: pin})[0] == "default"  # the writer's next read
    assert where_reads_go(rf, "get", {COOKIE: "1"})[0] == "replica"  # a forged cookie counts for nothing
    settings.GEO_PRIMARY_PIN_SECONDS = 0
    time.sleep(1.1)  # signed-cookie ages are whole seconds
    assert where_reads_go(rf, "get", {COOKIE: pin})[0] == "replica"  # the window has passed
    settings.GEO_REPLICA_ALIASES = []
    settings.GEO_PRIMARY_PIN_SECONDS = 10
    # no replicas, but tiles kept in the workers' memory: the writer's client is still sent through
    # Django (the lean path hands over a request with the cookie) until every worker heard of the write
    settings.GEO_FAST_PATH, settings.GEO_TILE_MEMORY_MB = True, 64
    alias, response = where_reads_go(rf, "post")
    assert alias == "default" and response.cookies[COOKIE]["max-age"] == 10
    settings.GEO_TILE_MEMORY_MB = 0
    assert where_reads_go(rf, "post")[1].cookies.get(COOKIE) is None  # neither: nothing changes
    settings.GEO_FAST_PATH, settings.GEO_TILE_MEMORY_MB = False, 64
    assert where_reads_go(rf, "post")[1].cookies.get(COOKIE) is None
    assert routing.read_alias() == "default"


def test_the_read_connection_is_the_standby_unless_pinned(platform):
    """In the platform's own process: read_connection() is a session in recovery (the standby), the
    primary once pinned or inside an atomic block; migrations are allowed on the primary only; the
    test database of a replica is its primary (TEST MIRROR)."""
    script = """
import json
from django.conf import settings
from django.db import router, transaction
from layers import db
def in_recovery():
    with db.read_connection().cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        return cursor.fetchone()[0]
answer = {"read": in_recovery()}
with transaction.atomic():
    answer["atomic"] = in_recovery()
db.pin_to_primary()
answer["pinned"] = in_recovery()
db.unpin()
answer["unpinned"] = in_recovery()
answer["migrate"] = [alias for alias in settings.DATABASES if router.allow_migrate(alias, "land")]
answer["mirror"] = settings.DATABASES["replica"]["TEST"]["MIRROR"]
print(json.dumps(answer))
"""
    done = subprocess.run([sys.executable, "manage.py", "shell", "-c", script], cwd=ROOT, env=platform["env"],
                          check=True, capture_output=True, text=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {
        "read": True, "atomic": False, "pinned": False, "unpinned": True, "migrate": ["default"], "mirror": "default"}


def test_anonymous_reads_come_from_the_standby(platform):
    base = platform["base"]
    (parcel_id, lon, lat, address), = sql(platform["primary"], "SELECT id, ST_X(p), ST_Y(p), address FROM "
                                                              "(SELECT id, address, ST_PointOnSurface(geom) p FROM land_parcel "
                                                              "ORDER BY id LIMIT 1) s")
    n = 2**16  # the parcel's z16 tile: its ETag names the layer version the tile shows
    tile = (f"{base}/tiles/parcels/16/{int((lon + 180) / 360 * n)}/"
            f"{int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)}.pbf")
    before = requests.get(tile, timeout=30).headers["ETag"]
    with replay_paused(platform):
        sql(platform["primary"], "UPDATE land_parcel SET address = %s WHERE id = %s", "Địa chỉ mới", parcel_id)
        panel = requests.get(f"{base}/api/parcels/at", params={"lon": lon, "lat": lat}, timeout=30).json()
        assert panel["id"] == parcel_id and panel["address"] == address  # the standby's copy, not yet replayed
        assert requests.get(f"{base}/api/parcels/{parcel_id}", timeout=30).json()["address"] == address
        assert requests.get(tile, timeout=30).headers["ETag"] == before  # the standby's version of the layer
    # replayed: the standby now answers with the new address, and the tile with the new version
    assert requests.get(f"{base}/api/parcels/{parcel_id}", timeout=30).json()["address"] == "Địa chỉ mới"
    assert requests.get(tile, timeout=30).headers["ETag"] != before
    sessions = sql(platform["standby"], "SELECT count(*) FROM pg_stat_activity WHERE datname = 'geo' "
                                        "AND backend_type = 'client backend' AND pid <> pg_backend_pid()")
    assert sessions[0][0] >= 1  # the platform holds its read session on the standby
    lean = sql(platform["standby"], "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'geo-fastpath'")
    assert lean[0][0] >= 1  # the panel by point took the lean path (geo/fastpath.py), reading there too


def test_a_writer_reads_its_write_at_once_others_when_replayed(platform):
    from layers.registry import officer

    base = platform["base"]
    items = f"{base}/ogcapi/collections/schools/items"  # a public layer: anonymous readers see its items
    model = requests.get(items, params={"limit": 1, "f": "json"}, timeout=30).json()["features"][0]
    school = {"type": "Feature", "geometry": model["geometry"],
              "properties": {**{k: v for k, v in model["properties"].items() if k != "id"},
                             "name": f"Trường thử bản sao {time.time_ns()}"}}
    writer = requests.Session()  # keeps cookies, as browsers, QGIS and GDAL do
    writer.headers.update(bearer(base, [officer("education")]))
    geojson = {"Content-Type": "application/geo+json"}
    with replay_paused(platform):
        created = writer.post(items, data=json.dumps(school), headers=geojson, timeout=30)
        assert created.status_code == 201, created.text
        item = created.headers["Location"]
        # The writer, at once: from the primary (its client carries the pin cookie the write set).
        read_back = writer.get(item, params={"f": "json"}, timeout=30)
        assert read_back.status_code == 200, "the writer read from the standby: is geo.pinning in MIDDLEWARE?"
        assert read_back.json()["properties"]["name"] == school["properties"]["name"]
        # Anyone else, meanwhile: from the standby, which has not replayed the write yet.
        assert requests.get(item, params={"f": "json"}, timeout=30).status_code == 404
        # An edit (PATCH) is likewise the writer's at once.
        patched = writer.patch(item, data=json.dumps({"type": "Feature", "geometry": None,
                                                      "properties": {"students": 1234}}), headers=geojson, timeout=30)
        assert patched.status_code in (200, 204), patched.text
        assert writer.get(item, params={"f": "json"}, timeout=30).json()["properties"]["students"] == 1234
    # replayed: everyone sees the edited feature
    seen = requests.get(item, params={"f": "json"}, timeout=30)
    assert seen.status_code == 200 and seen.json()["properties"]["students"] == 1234
