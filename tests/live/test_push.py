"""Live push (live/, GET /live/collections/{id}): an operator's open stream receives edits made
elsewhere through the one write service; the OGC API's read rules; resuming by Last-Event-ID loses
nothing, also when transactions commit in the opposite order of their changes; a long unrelated
transaction does not hold events back; Chromium's EventSource receives them.

The server is the ASGI one `make run` starts (tests/live/conftest.py). Its hub reads only committed
changes, so the edits here are committed by other threads (their own connections), on cameras rows
whose codes start with LIVE-, removed afterwards with their change-log entries.
"""
import json
import queue
import threading
import time
from types import SimpleNamespace

import httpx
import pytest
from django.contrib.auth.models import Group, User
from django.db import connection, transaction
from django.test import Client
from httpx_sse import connect_sse

from layers import feed, registry, writes
from layers.editing import Editor
from layers.registry import ROLE_IOC, officer
from tests.browser import new_page, sign_in, wait_until
from tests.threads import in_thread

LAYER = "cameras"
PATH = f"/live/collections/{LAYER}"
SPEC = registry.get(LAYER)
EDITOR = Editor.system("kiem-thu-live")
WAIT = 60  # seconds before a test gives up waiting for an event (a hang guard, not a speed check)


def _sql(statement: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def _camera_feature(code: str) -> dict:
    """A new camera like the first seeded one, with another code."""
    (properties, geometry), = _sql(
        "SELECT json_build_object('camera_code', %s::text, 'point_code', point_code, 'purpose', purpose, "
        "'phase', phase, 'district_code', district_code, 'road_name', road_name, 'status', status), "
        "ST_AsGeoJSON(geom) FROM safety_camera ORDER BY id LIMIT 1", [code])
    return {"type": "Feature", "geometry": json.loads(geometry), "properties": properties}


def create_camera(code: str) -> writes.Written:
    return in_thread(writes.feature_create, spec=SPEC, editor=EDITOR, feature=_camera_feature(code))


def rename_road(feature_id: int, road: str) -> writes.Written:
    return in_thread(writes.feature_replace, spec=SPEC, editor=EDITOR, feature_id=feature_id, partial=True,
                     feature={"type": "Feature", "properties": {"road_name": road}})


@pytest.fixture
def world(django_db_setup, django_db_blocker, live_url):
    """Autocommit on the test database (no test transaction: the server must see what is written), an
    operator, an officer without the cameras role, their sessions; afterwards the database as it was."""
    with django_db_blocker.unblock():
        first_change = _sql("SELECT coalesce(max(id), 0) FROM layers_change")[0][0]
        people = {}
        for name, role in (("live-van-hanh", ROLE_IOC), ("live-can-bo-dat", officer("land"))):
            user = User.objects.create_user(name, password="mat-khau-live-1")
            user.groups.add(Group.objects.get_or_create(name=role)[0])
            client = Client()
            client.force_login(user)
            people[name] = client.cookies["sessionid"].value
        try:
            yield SimpleNamespace(url=live_url, operator={"sessionid": people["live-van-hanh"]},
                                  officer={"sessionid": people["live-can-bo-dat"]}, first_change=first_change)
        finally:
            _sql("DELETE FROM safety_camera WHERE camera_code LIKE 'LIVE-%%'")
            _sql("DELETE FROM layers_change WHERE layer_id = %s AND id > %s", [LAYER, first_change])
            User.objects.filter(username__startswith="live-").delete()


class Listener:
    """An SSE client on its own thread (httpx + httpx-sse), collecting events as they arrive."""

    def __init__(self, url: str, cookies: dict, last_event_id: str | None = None):
        self.events: queue.Queue = queue.Queue()
        self.last_id: str | None = last_event_id
        self.opened = threading.Event()
        self.status: int | None = None
        self._stop = threading.Event()
        headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
        self._thread = threading.Thread(target=self._run, args=(url, cookies, headers), daemon=True)
        self._thread.start()
        assert self.opened.wait(WAIT), "the stream did not open"

    def _run(self, url, cookies, headers):
        with httpx.Client(cookies=cookies, timeout=httpx.Timeout(10, read=30)) as client:
            with connect_sse(client, "GET", url, headers=headers) as source:
                self.status = source.response.status_code
                for message in source.iter_sse():
                    if self._stop.is_set():
                        return
                    if message.id:
                        self.last_id = message.id
                    self.opened.set()  # the first message tells where the stream starts
                    if message.event != "message":
                        self.events.put(SimpleNamespace(event=message.event, id=message.id,
                                                        data=json.loads(message.data)))

    def next(self, matching=lambda event: True) -> SimpleNamespace:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            try:
                event = self.events.get(timeout=0.2)
            except queue.Empty:
                continue
            if matching(event):
                return event
        pytest.fail("no matching event arrived")

    def all_of(self, written: list) -> list:
        """The events of every one of `written`, in the order they arrived (others are passed over)."""
        wanted = {(w.feature_id, w.version) for w in written}
        got = []
        while wanted:
            event = self.next(lambda e: e.event == "change" and (e.data["feature_id"], e.data["version"]) in wanted)
            wanted.discard((event.data["feature_id"], event.data["version"]))
            got.append(event)
        return got

    def drain(self) -> list:
        """Events received so far (the stream stays open)."""
        events = []
        while True:
            try:
                events.append(self.events.get_nowait())
            except queue.Empty:
                return events

    def close(self) -> None:
        """Drop the connection (the next heartbeat, within a second here, ends the thread)."""
        self._stop.set()
        self._thread.join(WAIT)


def of(written: writes.Written):
    return lambda event: (event.event == "change" and event.data["feature_id"] == written.feature_id
                          and event.data["version"] == written.version)


def wait_for_position(listener: Listener, cursor: str) -> None:
    """Until the stream's resume point (ids of events and heartbeats) has passed `cursor`."""
    deadline = time.monotonic() + WAIT
    while not (listener.last_id and feed.parse_cursor(listener.last_id) >= feed.parse_cursor(cursor)):
        assert time.monotonic() < deadline, "the resume point never passed the change"
        time.sleep(0.2)


def test_an_operator_receives_an_edit_made_elsewhere_as_it_is_committed(world):
    listener = Listener(world.url + PATH, world.operator)
    try:
        created = create_camera("LIVE-1")
        event = listener.next(of(created))
        assert event.data["op"] == "I" and event.data["feature"]["properties"]["camera_code"] == "LIVE-1"
        renamed = rename_road(created.feature_id, "Quốc lộ 14 (đã sửa)")
        event = listener.next(of(renamed))
        assert event.data["op"] == "U" and renamed.version == created.version + 1
        assert event.data["feature"]["properties"]["road_name"] == "Quốc lộ 14 (đã sửa)"
        assert event.data["feature"]["version"] == renamed.version
        feed.parse_cursor(event.id)  # every id is a cursor the client can resume from
    finally:
        listener.close()


def test_the_stream_obeys_the_read_rules_of_the_layer(world):
    with httpx.Client(base_url=world.url, timeout=30) as anonymous:
        missing = anonymous.get(PATH)
        assert missing.status_code == 404 and "Collection not found" in missing.json()["description"]
        assert anonymous.get("/live/collections/khong-co-lop-nay").status_code == 404
    with httpx.Client(base_url=world.url, cookies=world.officer, timeout=30) as land_officer:
        denied = land_officer.get(PATH)
        assert denied.status_code == 403 and "You may not read this layer" in denied.json()["description"]
    with httpx.Client(base_url=world.url, cookies=world.operator, timeout=30) as operator:
        for bad in ({"Last-Event-ID": "abc"}, {"Last-Event-ID": "1.2.3"}):
            refused = operator.get(PATH, headers=bad)
            assert refused.status_code == 400 and " / " in refused.json()["description"], bad
        assert operator.get(PATH, params={"since": "-1"}).status_code == 400
        assert operator.get(PATH, params={"since": f"{2**62}.0"}).status_code == 400  # never handed out
        assert operator.post(PATH).status_code in (403, 405)  # no CSRF token: refused either way


def test_reconnecting_with_last_event_id_gets_exactly_the_changes_missed(world):
    listener = Listener(world.url + PATH, world.operator)
    try:
        camera = create_camera("LIVE-2")
        seen = listener.next(of(camera))
        wait_for_position(listener, seen.data["cursor"])
    finally:
        listener.close()
    resume = listener.last_id
    missed = [rename_road(camera.feature_id, f"Đường {n}") for n in range(3)]

    back = Listener(world.url + PATH, world.operator, last_event_id=resume)
    try:
        received = [back.next(of(written)) for written in missed]
        wait_for_position(back, received[-1].data["cursor"])
        extra = [event for event in back.drain() if event.event == "change"]
    finally:
        back.close()
    assert [(e.data["feature_id"], e.data["version"]) for e in received] == \
        [(w.feature_id, w.version) for w in missed]
    assert [e.data["feature"]["properties"]["road_name"] for e in received] == ["Đường 2"] * 3  # current
    assert extra == []  # each once


def test_transactions_committing_out_of_order_lose_nothing_live_or_on_resume(world):
    """T1 takes the lower change number, T2 the higher and commits first: the feed's trap."""
    first, second = create_camera("LIVE-3"), create_camera("LIVE-4")
    listener = Listener(world.url + PATH, world.operator)
    t1_wrote, t1_commit, results = threading.Event(), threading.Event(), {}

    def t1():
        with transaction.atomic():
            results["t1"] = writes.feature_replace(spec=SPEC, editor=EDITOR, feature_id=first.feature_id,
                                                   partial=True, feature={"type": "Feature",
                                                                          "properties": {"road_name": "T1"}})
            t1_wrote.set()
            t1_commit.wait(WAIT)
        connection.close()

    thread = threading.Thread(target=t1)
    try:
        resume = listener.last_id  # the position the stream opened at
        assert resume is not None
        thread.start()
        assert t1_wrote.wait(WAIT)
        t2 = rename_road(second.feature_id, "T2")
        assert listener.next(of(t2))  # T2 arrives while T1, older, is still open
        t1_commit.set()
        thread.join(WAIT)
        assert listener.next(of(results["t1"]))
    finally:
        t1_commit.set()
        listener.close()
    in_change_order = _sql("SELECT feature_id FROM layers_change WHERE layer_id = %s AND feature_id IN (%s, %s) "
                           "AND version > 1 ORDER BY id", [LAYER, first.feature_id, second.feature_id])
    assert in_change_order == [(first.feature_id,), (second.feature_id,)]  # T1's change number is the lower
    # A client that was away during both, resuming from where it was before them, gets both.
    back = Listener(world.url + PATH, world.operator, last_event_id=resume)
    try:
        arrived = back.all_of([t2, results["t1"]])
        # In the feed's order: T1 (the older transaction) first, although it committed last.
        assert [e.data["feature_id"] for e in arrived] == [first.feature_id, second.feature_id]
    finally:
        back.close()


def test_a_long_unrelated_transaction_does_not_hold_events_back(world):
    listener = Listener(world.url + PATH, world.operator)
    began, end = threading.Event(), threading.Event()

    def long_transaction():
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_current_xact_id()")  # a transaction id, as any writer holds
            began.set()
            end.wait(WAIT * 2)
        connection.close()

    thread = threading.Thread(target=long_transaction)
    thread.start()
    try:
        assert began.wait(WAIT)
        camera = create_camera("LIVE-5")
        event = listener.next(of(camera))
        # Pushed ahead: the change feed would not serve it yet (its id is the safe position, before it).
        assert feed.parse_cursor(event.id) < feed.parse_cursor(event.data["cursor"])
    finally:
        end.set()
        thread.join(WAIT)
        listener.close()
    # Once the long transaction ends, the resume point moves past the change (no replay).
    back = Listener(world.url + PATH, world.operator, last_event_id=event.id)
    try:
        assert back.next(of(camera))  # resuming from before it: the client gets it again, never loses it
        wait_for_position(back, event.data["cursor"])
    finally:
        back.close()


def test_chromium_event_source_receives_an_edit(world, chromium):
    page = new_page(chromium)
    try:
        sign_in(page, world.url, "live-van-hanh", "mat-khau-live-1")
        page.evaluate("""() => {
            window.changes = [];
            window.source = new EventSource('/live/collections/cameras');
            window.source.addEventListener('change', (e) => window.changes.push(JSON.parse(e.data)));
        }""")
        wait_until(page, "window.source.readyState === EventSource.OPEN")
        camera = create_camera("LIVE-6")
        wait_until(page, f"window.changes.some(c => c.feature_id === {camera.feature_id} && c.op === 'I')", WAIT)
        page.evaluate("window.source.close()")
        assert page.outside_requests == [] and page.errors == []
    finally:
        page.context.close()


@pytest.mark.django_db
def test_a_change_pushed_ahead_reads_the_same_as_from_the_change_feed():
    """Whichever way a change reaches a client (the feed's safe path or pushed ahead), it reads the same."""
    from live import hub

    page = feed.changes_since(SPEC, None, 5)
    from_feed = [hub._entry(change) for change in json.loads(page.changes)]
    assert len(from_feed) == 5 and from_feed[0]["feature"]["type"] == "Feature"
    txids = sorted({feed.parse_cursor(entry["cursor"]).txid for entry in from_feed})
    ahead = [entry for _, entry in hub._ahead_entries(SPEC, txids, feed.START)]
    assert ahead[:5] == from_feed


def test_an_anonymous_client_cannot_make_the_hub_replay_the_whole_log(world):
    """Resuming from the log's start costs the hub one page per 1,000 changes: an anonymous client is
    told to reload past 1,000 (GEO_LIVE_ANONYMOUS_CATCH_UP_MAX); a signed-in operator is caught up. The
    seed wrote more than 1,000 roads (a public layer)."""
    anonymous = Listener(world.url + "/live/collections/roads", {}, last_event_id="0.0")
    try:
        told = anonymous.next()
        assert told.event == "reload" and told.data["reason"] == "behind"
    finally:
        anonymous.close()
    operator = Listener(world.url + "/live/collections/roads", world.operator, last_event_id="0.0")
    try:
        first = operator.next()
        assert first.event == "change" and first.data["op"] in ("I", "T")
    finally:
        operator.close()


def test_open_streams_hold_no_database_connection(world):
    """Thousands of open streams must not take the database's connections (100 by default): what a
    stream's opening reads (the session, the read check) is closed before it streams. Streams of a
    signed-in operator, the case that reads the session."""
    def backends() -> int:
        return _sql("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")[0][0]

    first = Listener(world.url + PATH, world.operator)  # the hub's own connections open with the first
    more = []
    try:
        time.sleep(1)
        before = backends()
        more = [Listener(world.url + PATH, world.operator) for _ in range(8)]
        time.sleep(1)
        assert backends() - before <= 1, "open streams keep database connections"
    finally:
        for listener in [first, *more]:
            listener.close()
