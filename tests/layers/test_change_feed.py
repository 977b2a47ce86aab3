"""The change feed (layers/feed.py, GET /ogcapi/collections/{id}/changes): every change exactly once, in
an order a client can apply, even when transactions commit in the opposite order of their change
numbers; compaction and 410 for cursors it overtook; the read rules of items; 400 for bad input.

The feed serves only changes of transactions that have ended (below the snapshot's xmin), so a test's
own uncommitted writes would never show: these tests write through separate connections that commit
(psycopg2, like any other client of the database) and remove what they wrote afterwards. The test
database is shared with the rest of the session, so they write `streetlights` (public: the HTTP
client needs no account) rows whose codes start with FEED-.
"""
import re
import threading
import time
from types import SimpleNamespace

import psycopg2
import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db import connection
from django.test import Client

from layers import feed, history, registry
from layers.registry import ROLE_UTILITY

LAYER = "streetlights"
URL = f"/ogcapi/collections/{LAYER}/changes"
SPEC = registry.get(LAYER)
OPS = {"I": "insert", "U": "update", "D": "delete", "T": "truncate"}


def _sql(statement: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


@pytest.fixture
def committed(django_db_setup, django_db_blocker):
    """Django's connection on the test database in autocommit (no test transaction), writers that are
    separate connections, every change so far deliverable, and afterwards the database as it was: the FEED- rows and every change-log
    entry written since, the layer's compaction horizon."""
    with django_db_blocker.unblock():
        # From a feed with nothing pending: the demo province's changes, committed when the session
        # began, wait for any older transaction on the server, and would otherwise come mid-test.
        wait_deliverable()
        first_change = _sql("SELECT coalesce(max(id), 0) FROM layers_change")[0][0]
        writers = []
        db = connection.settings_dict

        def writer():
            conn = psycopg2.connect(host=db["HOST"], port=db["PORT"], user=db["USER"], password=db["PASSWORD"],
                                    dbname=db["NAME"])
            writers.append(conn)
            return conn

        try:
            yield SimpleNamespace(writer=writer, first_change=first_change)
        finally:
            for conn in writers:
                conn.close()  # an open transaction rolls back
            _sql("DELETE FROM transport_streetlight WHERE light_code LIKE 'FEED-%%'")
            _sql("DELETE FROM layers_change WHERE id > %s", [first_change])
            _sql("DELETE FROM layers_change_horizon WHERE layer_id = %s", [LAYER])


def insert_light(cursor, code: str) -> int:
    """A new streetlight (a copy of the first one with another code) in the writer's transaction."""
    cursor.execute("INSERT INTO transport_streetlight (light_code, circuit, lamp_type, wattage_w, status, geom) "
                   "SELECT %s, circuit, lamp_type, wattage_w, status, geom FROM transport_streetlight "
                   "ORDER BY id LIMIT 1 RETURNING id", [code])
    return cursor.fetchone()[0]


def write(conn, *statements) -> list:
    """Run (callable(cursor) | (sql, params)) steps in one committed transaction; their results."""
    results = []
    with conn.cursor() as cursor:
        for step in statements:
            if callable(step):
                results.append(step(cursor))
            else:
                cursor.execute(*step)
                results.append(None)
    conn.commit()
    return results


def logged(first_change: int) -> list[tuple]:
    """The layer's change log since the test began, in feed order: (cursor, op, id, version)."""
    return [(f"{txid}.{change_id}", OPS[op], fid, version) for txid, change_id, op, fid, version in _sql(
        "SELECT txid, id, op, feature_id, version FROM layers_change WHERE layer_id = %s AND id > %s "
        "ORDER BY txid, id", [LAYER, first_change])]


def wait_deliverable(first_change: int = 0) -> None:
    """Until every transaction that wrote since `first_change` is below the snapshot's xmin. The xmin
    is the whole server's: on a server shared with other work (other databases' benchmarks), a long
    writing transaction holds the feed back (it never skips). The feed is right to wait, so is the
    test; it gives up after 10 minutes, naming the transaction."""
    deadline = time.monotonic() + 600
    while _sql("SELECT coalesce(max(txid), 0) >= pg_snapshot_xmin(pg_current_snapshot())::text::bigint "
               "FROM layers_change WHERE id > %s", [first_change])[0][0]:
        if time.monotonic() > deadline:
            oldest = _sql("SELECT datname, now() - xact_start, left(query, 100) FROM pg_stat_activity "
                          "WHERE backend_xid IS NOT NULL ORDER BY xact_start LIMIT 1")
            pytest.fail(f"a transaction on the server kept the feed back for 10 minutes: {oldest}")
        time.sleep(0.2)


def read_feed(since: feed.Cursor | None, limit: int = 1000) -> tuple[list[dict], feed.Cursor]:
    """Every change after `since` through layers.feed, page by page: (changes, the last next)."""
    import json

    changes = []
    while True:
        page = feed.changes_since(SPEC, since, limit)
        batch = json.loads(page.changes)
        assert len(batch) == page.count <= limit
        changes += batch
        assert page.next >= (since or feed.START)
        since = page.next
        if not page.more:
            return changes, since


def summary(changes: list[dict]) -> list[tuple]:
    return [(c["cursor"], c["op"], c["id"], c["version"]) for c in changes]


# -- paging ----------------------------------------------------------------------------------------------

def test_paging_over_http_gives_exactly_the_log_with_current_features(committed, django_assert_num_queries):
    client = Client()
    start = client.get(URL, {"since": "latest"}).json()
    assert start["changes"] == [] and start["more"] is False
    writer = committed.writer()
    a, b, c, d, e = write(writer, *[lambda cur, n=n: insert_light(cur, f"FEED-{n}") for n in range(5)])
    write(writer, ("UPDATE transport_streetlight SET wattage_w = 61 WHERE id = %s", [a]),
          ("UPDATE transport_streetlight SET wattage_w = 62 WHERE id IN (%s, %s)", [a, b]))
    f, = write(writer, ("DELETE FROM transport_streetlight WHERE id IN (%s, %s)", [c, d]),
               lambda cur: insert_light(cur, "FEED-5"))[1:]
    write(writer, ("UPDATE transport_streetlight SET wattage_w = 63 WHERE id = %s", [f]),
          ("DELETE FROM transport_streetlight WHERE id = %s", [e]))
    wait_deliverable(committed.first_change)

    client.get(URL, {"since": "latest"})  # the connection's one-off settings (statement timeout) first
    changes, pages, url = [], 0, f"{URL}?since={start['next']}&limit=3"
    while url:
        with django_assert_num_queries(1):  # one statement per page, however many changes
            response = client.get(url)
        assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
        body = response.json()
        assert body["collection"] == LAYER and len(body["changes"]) <= 3
        changes += body["changes"]
        pages += 1
        following = [link["href"] for link in body["links"] if link["rel"] == "next"]
        assert bool(following) == body["more"]
        url = following[0] if following else None
    # 5 inserts, 3 updates, 2 deletes + 1 insert, 1 update + 1 delete: 13 changes in 5 pages of 3.
    assert summary(changes) == logged(committed.first_change)
    assert len(changes) == 13 and pages == 5

    rows = dict(_sql("SELECT id, wattage_w FROM transport_streetlight WHERE light_code LIKE 'FEED-%%'"))
    assert set(rows) == {a, b, f}
    for change in changes:
        feature = change["feature"]
        if change["op"] in ("delete", "truncate") or change["id"] not in rows:
            assert feature is None  # a tombstone, or inserted and deleted since
            continue
        # The feature as it is now (whichever change of it this is), with its current version.
        assert feature["id"] == change["id"] and feature["type"] == "Feature"
        assert feature["version"] == history.current_version(SPEC, change["id"])
        assert feature["properties"]["wattage_w"] == rows[change["id"]]
        assert feature["properties"]["light_code"].startswith("FEED-")
        assert feature["geometry"]["type"] == "Point"
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", change["time"])
    assert {(c["id"], c["version"]) for c in changes if c["op"] == "delete"} == {(c, 2), (d, 2), (e, 2)}
    assert [c["version"] for c in changes if c["id"] == a] == [1, 2, 3]
    assert next(c for c in changes if c["id"] == a)["feature"]["version"] == 3

    # The last page's next goes on from there: nothing new, nothing again.
    last = client.get(URL, {"since": body["next"]}).json()
    assert last["changes"] == [] and last["more"] is False


def test_a_truncate_is_delivered_as_such(committed):
    since = feed.latest_cursor()
    # A TRUNCATE of the shared test layer would take the other tests' data: its log entry alone.
    _sql("INSERT INTO layers_change (layer_id, op, at, txid, actor, source) "
         "VALUES (%s, 'T', now(), pg_current_xact_id()::text::bigint, '', 'sql')", [LAYER])
    wait_deliverable(committed.first_change)
    changes, _ = read_feed(since)
    assert [(c["op"], c["id"], c["version"], c["feature"]) for c in changes] == [("truncate", None, None, None)]


# -- transactions committing out of order ---------------------------------------------------------------

def stalled_insert(committed, codes: list[str]):
    """T1 inserting `codes` in one statement, stopped after its first change-log entry: a third
    transaction holds an uncommitted entry with the number T1's second entry will take, so T1 waits
    on that unique key until `release()`. That is the window in which other writers of the layer take
    bigger change numbers and commit first (the log triggers hold the layer's version row only from
    the end of their statement). Returns (T1's connection, release(), done() -> T1's new ids)."""
    t0, t1 = committed.writer(), committed.writer()
    with t0.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence('layers_change', 'id'))")
        taken = cursor.fetchone()[0]
        cursor.execute("INSERT INTO layers_change (id, layer_id, op, at, txid, actor, source) "
                       "VALUES (%s, %s, 'T', now(), 0, '', 'sql')", [taken + 2, LAYER])
    ids = []

    def insert():
        with t1.cursor() as cursor:
            cursor.execute("INSERT INTO transport_streetlight (light_code, circuit, lamp_type, wattage_w, status, geom) "
                           "SELECT code, circuit, lamp_type, wattage_w, status, geom FROM transport_streetlight, "
                           "unnest(%s::text[]) WITH ORDINALITY AS c(code, n) WHERE transport_streetlight.id = "
                           "(SELECT min(id) FROM transport_streetlight) ORDER BY n RETURNING id", [codes])
            ids.extend(sorted(row[0] for row in cursor.fetchall()))

    thread = threading.Thread(target=insert)
    thread.start()
    deadline = time.monotonic() + 60
    while t0.get_backend_pid() not in _sql("SELECT pg_blocking_pids(%s)", [t1.get_backend_pid()])[0][0]:
        assert thread.is_alive() and time.monotonic() < deadline, "T1 did not stop at its second change"
        time.sleep(0.05)

    def release():
        t0.rollback()

    def done() -> list[int]:
        thread.join(60)
        assert not thread.is_alive() and len(ids) == len(codes)
        return ids

    return t1, release, done


def entries(*feature_ids) -> list[tuple[str, int]]:
    """(cursor, feature id) of the features' log entries, in feed order."""
    return [(f"{txid}.{change_id}", fid) for txid, change_id, fid in _sql(
        "SELECT txid, id, feature_id FROM layers_change WHERE layer_id = %s AND feature_id = ANY(%s) "
        "ORDER BY txid, id", [LAYER, list(feature_ids)])]


def test_a_change_committed_after_a_later_one_is_not_skipped(committed):
    """T1 writes first (smaller change numbers), T2 writes later (a bigger one) and commits first; a
    reader reads between the commits. Paging by change number alone would hand out T2's number and
    never show T1's changes."""
    since = feed.latest_cursor()
    t1, release, done = stalled_insert(committed, ["FEED-T1a", "FEED-T1b"])
    second, = write(committed.writer(), lambda cursor: insert_light(cursor, "FEED-T2"))  # T2 commits

    between, since = read_feed(since)
    assert between == []  # T2's change waits for T1, which could still commit below it

    release()
    first = done()
    t1.commit()
    wait_deliverable(committed.first_change)
    after, since = read_feed(since)
    order = entries(*first, second)
    (t1a, t1b, t2), numbers = order, [int(cursor.split(".")[1]) for cursor, _ in order]
    assert [t1a[1], t1b[1], t2[1]] == [*first, second]
    assert numbers[0] < numbers[1] < numbers[2]  # T1 took the smaller change numbers, and committed last
    assert [(c["cursor"], c["id"]) for c in after] == order
    assert read_feed(since)[0] == []  # nothing comes twice


def test_a_transaction_that_took_its_xid_first_but_wrote_last(committed):
    """The opposite assignment: T2 takes its transaction id first, T1 writes first (smaller change
    numbers); T2 commits first. T2's change may be delivered before T1 commits; T1's must follow."""
    since = feed.latest_cursor()
    t2 = committed.writer()
    with t2.cursor() as cursor:
        cursor.execute("SELECT pg_current_xact_id()")  # T2's xid, below T1's
    t1, release, done = stalled_insert(committed, ["FEED-T1a", "FEED-T1b"])
    second, = write(t2, lambda cursor: insert_light(cursor, "FEED-T2"))

    between, since = read_feed(since)
    # Only T2's change can be there (T1 is running); on a busy server even it may still wait.
    assert [c["id"] for c in between] in ([], [second])

    release()
    first = done()
    t1.commit()
    wait_deliverable(committed.first_change)
    after, since = read_feed(since)
    order = entries(*first, second)
    assert [fid for _, fid in order] == [second, *first]  # T2's smaller xid first, though its number is bigger
    assert int(order[0][0].split(".")[1]) > int(order[-1][0].split(".")[1])
    assert [(c["cursor"], c["id"]) for c in between + after] == order  # each once, in (txid, id) order
    assert read_feed(since)[0] == []


# -- retention --------------------------------------------------------------------------------------------

def test_compaction_keeps_versions_and_sends_old_cursors_to_resynchronise(committed, settings):
    client = Client()
    old = client.get(URL, {"since": "latest"}).json()["next"]
    writer = committed.writer()
    kept, gone = write(writer, lambda cur: insert_light(cur, "FEED-kept"), lambda cur: insert_light(cur, "FEED-gone"))
    write(writer, ("UPDATE transport_streetlight SET wattage_w = 71 WHERE id = %s", [kept]))
    write(writer, ("UPDATE transport_streetlight SET wattage_w = 72 WHERE id = %s", [kept]),
          ("DELETE FROM transport_streetlight WHERE id = %s", [gone]))
    wait_deliverable(committed.first_change)
    # A client that followed the feed up to here, before the compaction.
    caught_up = client.get(URL, {"since": old}).json()
    assert len(caught_up["changes"]) == 5 and not caught_up["more"]
    # Those five changes happened more than the retention ago.
    settings.GEO_CHANGE_LOG_RETENTION_DAYS = 30
    _sql("UPDATE layers_change SET at = at - interval '31 days' WHERE id > %s", [committed.first_change])

    call_command("compact_change_log", verbosity=0)

    # Each feature keeps its latest entry: kept's version 3, gone's tombstone (version 2).
    assert [(fid, op, version) for fid, op, version in _sql(
        "SELECT feature_id, op, version FROM layers_change WHERE id > %s ORDER BY id", [committed.first_change])] \
        == [(kept, "U", 3), (gone, "D", 2)]
    response = client.get(URL, {"since": old})
    assert response.status_code == 410
    body = response.json()
    assert body["code"] == "Gone" and "đồng bộ lại" in body["description"] and "resynchronise" in body["description"]
    assert {link["rel"] for link in body["links"]} == {"items", "latest"}
    # A client that had caught up, and a fresh one, go on.
    assert client.get(URL, {"since": caught_up["next"]}).json()["changes"] == []
    fresh = client.get(URL, {"since": "latest"}).json()["next"]

    write(writer, ("UPDATE transport_streetlight SET wattage_w = 73 WHERE id = %s", [kept]),
          (("INSERT INTO transport_streetlight (id, light_code, circuit, lamp_type, wattage_w, status, geom) "
            "SELECT %s, 'FEED-back', circuit, lamp_type, wattage_w, status, geom FROM transport_streetlight "
            "WHERE id = %s"), [gone, kept]))
    wait_deliverable(committed.first_change)
    for since in (caught_up["next"], fresh):
        page = client.get(URL, {"since": since}).json()
        # Versions go on from the entries compaction kept: kept 3 -> 4, gone's tombstone 2 -> 3.
        assert [(c["op"], c["id"], c["version"]) for c in page["changes"]] == [("update", kept, 4), ("insert", gone, 3)]
    assert history.current_version(SPEC, kept) == 4

    # Compacting again takes what is superseded now (kept's version 3, gone's tombstone), not the rest.
    call_command("compact_change_log", verbosity=0)
    assert [(fid, op, version) for fid, op, version in _sql(
        "SELECT feature_id, op, version FROM layers_change WHERE id > %s ORDER BY id", [committed.first_change])] \
        == [(kept, "U", 4), (gone, "I", 3)]
    horizon = feed.horizon(SPEC)
    call_command("compact_change_log", verbosity=0)
    assert feed.horizon(SPEC) == horizon
    assert client.get(URL, {"since": old}).status_code == 410
    assert client.get(URL, {"since": caught_up["next"]}).status_code == 200


def test_the_command_reports_in_both_languages(committed, capsys):
    call_command("compact_change_log", "--layer", LAYER, "--days", "365")
    out = capsys.readouterr().out
    assert "Đã nén nhật ký thay đổi" in out and "entries removed" in out


# -- read rules and bad input ------------------------------------------------------------------------------

@pytest.mark.django_db
def test_internal_layers_follow_the_read_rules_of_items(client):
    url = "/ogcapi/collections/water_valves/changes"
    assert client.get(url).status_code == 404
    assert client.get(url, {"since": "garbage"}).status_code == 404  # nothing said about an unseen layer
    client.force_login(User.objects.create_user("citizen", password="x-unused-x"))
    assert client.get(url).json()["code"] == "Forbidden"
    assert client.get(url).status_code == 403
    utility = User.objects.create_user("pcbp-sync", password="x-unused-x")
    utility.groups.add(Group.objects.get_or_create(name=ROLE_UTILITY)[0])
    client.force_login(utility)
    response = client.get(url, {"limit": 5})
    assert response.status_code == 200
    body = response.json()
    assert body["collection"] == "water_valves" and len(body["changes"]) <= 5
    assert client.get("/ogcapi/collections/cameras/changes").status_code == 403  # not a utility's layer


@pytest.mark.django_db
def test_unknown_collections_and_rasters_have_no_feed(client):
    from django.contrib.gis.geos import Polygon

    from importers.models import RasterCoverage

    # A raster of the catalogue (its file is never opened here): a collection, but not of features.
    RasterCoverage.objects.create(coverage_id="dem-feed", title="DEM", kind="dem", path="/nonexistent.tif",
                                  crs="EPSG:4326", width=1, height=1, band_count=1, dtype="float32",
                                  resolution_x=1, resolution_y=1, sha256="0" * 64,
                                  extent=Polygon.from_bbox((106.5, 11.3, 107.3, 12.1)))
    for collection in ("dem-feed", "no_such_layer"):
        response = client.get(f"/ogcapi/collections/{collection}/changes")
        assert response.status_code == 404 and response.json()["code"] == "NotFound"


@pytest.mark.django_db
@pytest.mark.parametrize("since", [
    "garbage", "", "1", "1.", ".1", "1.2.3", "-1.2", "1.-2", "+1.2", "1,2", "1.2 ", "١.٢", "0x10.1",
    "9" * 25 + ".1", "1." + "9" * 25, "9223372036854775808.0", "1.9223372036854775808",
    "1.2\n", "9223372036854775807.1",  # a bigint, but past every transaction the server has had
    "latest\x00",
])
def test_bad_cursors_are_refused_with_400(client, since):
    response = client.get(URL, {"since": since})
    assert response.status_code == 400, response.content[:200]
    body = response.json()
    assert body["code"] == "InvalidParameterValue" and " / " in body["description"]


@pytest.mark.django_db
@pytest.mark.parametrize("query", [
    {"limit": "0"}, {"limit": "-5"}, {"limit": "abc"}, {"limit": "1.5"}, {"limit": "9" * 30}, {"limit": ""},
    {"f": "html"}, {"f": "xml"}, {"since": ["latest", "latest"]}, {"sortby": "id"},
])
def test_bad_parameters_are_refused_with_400(client, query):
    response = client.get(URL, query)
    assert response.status_code == 400, response.content[:200]


def test_limits(committed, settings):
    client = Client()
    settings.GEO_CHANGES_DEFAULT_LIMIT, settings.GEO_CHANGES_MAX_LIMIT = 4, 6
    assert len(client.get(URL, {"f": "json"}).json()["changes"]) == 4
    body = client.get(URL, {"limit": 1000}).json()  # above the maximum: served as the maximum, as items are
    assert len(body["changes"]) == 6 and body["more"] is True
    assert "limit=6" in next(link["href"] for link in body["links"] if link["rel"] == "next")
    assert client.get(URL, {"limit": "0"}).json()["description"].startswith("limit phải là số nguyên từ 1 đến 6.")


@pytest.mark.django_db
def test_collections_link_their_change_feed(client):
    links = client.get("/ogcapi/collections/streetlights", {"f": "json"}).json()["links"]
    feed_link = next(link for link in links if link["rel"] == "http://www.opengis.net/def/rel/ogc/1.0/changes")
    assert feed_link["href"].endswith("/ogcapi/collections/streetlights/changes")
    assert feed_link["type"] == "application/json"
    listed = client.get("/ogcapi/collections", {"f": "json"}).json()["collections"]
    assert all(any(link["rel"].endswith("/changes") for link in c["links"]) for c in listed if c["id"] == "parcels")


@pytest.mark.django_db
def test_a_large_page_is_gzipped_for_clients_that_accept_it(client):
    import gzip
    import json as json_

    plain = client.get("/ogcapi/collections/streetlights/changes", {"limit": 200})
    packed = client.get("/ogcapi/collections/streetlights/changes", {"limit": 200}, HTTP_ACCEPT_ENCODING="gzip")
    assert plain.status_code == packed.status_code == 200 and "Content-Encoding" not in plain
    assert packed["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed["Vary"]
    assert json_.loads(gzip.decompress(packed.content)) == plain.json()
