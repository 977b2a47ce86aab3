"""The IOC's pages and their data as operators, officers and leaders meet them, over real HTTP against
the platform served as `make run` serves it (gunicorn with the ASGI worker, event streams on the loop):
one role matrix over every exit, the wall map's initial state, live events, actions with optimistic
locking, the agency page's isolation, the exports."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import time
import uuid

import pytest
import requests
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.conftest import run_manage

pytestmark = pytest.mark.django_db

DONG_XOAI = (106.884, 11.535)  # provincial capital, district 689 (DOMAIN.md)
ROLES = ("anonymous", "citizen", "officer", "other_officer", "manager", "ioc", "admin")


@pytest.fixture(scope="session")
def ioc_url(platform_url):
    """The platform as `make run` serves it (gunicorn with the ASGI worker, tests/conftest.py)."""
    return platform_url


# Users of every role, a signed-in session each, and an incident forwarded to the environment agency,
# all committed (another process) so the server sees them.
SETUP = """
import json
from django.contrib.auth.models import Group, User
from django.contrib.sessions.backends.db import SessionStore
from incidents import services
from incidents.services import Actor
tag = {tag!r}
groups = {{"citizen": [], "officer": ["officer:environment"], "other_officer": ["officer:transport"],
          "manager": ["manager"], "ioc": ["ioc_operator"], "admin": ["admin"]}}
sessions = {{}}
for role, names in groups.items():
    user = User.objects.create_user(f"{{role}}-{{tag}}", password="mat-khau-{{tag}}")
    for name in names:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    s = SessionStore()
    s["_auth_user_id"] = str(user.pk)
    s["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    s["_auth_user_hash"] = user.get_session_auth_hash()
    s.create()
    sessions[role] = s.session_key
op = Actor("op-" + tag, frozenset({{"ioc_operator"}}))
incident = services.incident_report(category="environment", lon={lon}, lat={lat}, channel="web",
    actor=Actor.citizen("web"), description="Rác thải đổ trộm {tag}",
    reporter={{"name": "Nguyễn Thị Bình", "phone": "0912000111"}})
services.incident_act(incident_id=incident.pk, action="forward", actor=op, agency="environment")
print(json.dumps({{"sessions": sessions, "incident": incident.pk, "code": incident.tracking_code}}))
"""


@pytest.fixture(scope="module")
def world(test_db_env):
    tag = uuid.uuid4().hex[:8]
    out = run_manage(test_db_env, "shell", "-c", SETUP.format(tag=tag, lon=DONG_XOAI[0], lat=DONG_XOAI[1]))
    data = json.loads(out.stdout.strip().splitlines()[-1])
    return {**data, "tag": tag}


def session(ioc_url, world, role) -> requests.Session:
    """A requests session signed in as `role` (with the CSRF cookie a browser would have)."""
    s = requests.Session()
    if role != "anonymous":
        s.cookies.set("sessionid", world["sessions"][role], domain="127.0.0.1")
    # A browser's CSRF cookie and the header its page sends (Django compares the two).
    token = uuid.uuid4().hex
    s.cookies.set("csrftoken", token, domain="127.0.0.1")
    s.headers["X-CSRFToken"] = token
    return s


PAGE = {"anonymous": 302, "citizen": 403, "officer": 403, "other_officer": 403, "manager": 200, "ioc": 200,
        "admin": 200}
DATA = {"anonymous": 404, "citizen": 403, "officer": 403, "other_officer": 403, "manager": 200, "ioc": 200,
        "admin": 200}
AGENCY_PAGE = {"anonymous": 302, "citizen": 403, "officer": 200, "other_officer": 200, "manager": 403, "ioc": 403,
               "admin": 200}
AGENCY_DATA = {**AGENCY_PAGE, "anonymous": 404}
DETAIL = {"anonymous": 404, "citizen": 403, "officer": 200, "other_officer": 404, "manager": 200, "ioc": 200,
          "admin": 200}
NOTE = {"anonymous": 404, "citizen": 403, "officer": 200, "other_officer": 403, "manager": 403, "ioc": 200,
        "admin": 200}
HOTLINE = {"anonymous": 404, "citizen": 403, "officer": 403, "other_officer": 403, "manager": 403, "ioc": 201,
           "admin": 201}
EXITS = {
    "page": ("GET", "/ioc/", PAGE),
    "incidents.json": ("GET", "/ioc/incidents.json", DATA),
    "detail": ("GET", "/ioc/incidents/{id}.json", DETAIL),
    "act": ("POST", "/ioc/incidents/{id}/act", NOTE),
    "hotline": ("POST", "/ioc/incidents", HOTLINE),
    "live": ("STREAM", "/ioc/live", DATA),
    "kpis.json": ("GET", "/ioc/kpis.json", DATA),
    "kpis.csv": ("GET", "/ioc/kpis.csv", DATA),
    "incidents.csv": ("GET", "/ioc/incidents.csv", DATA),
    "agency page": ("GET", "/ioc/co-quan/", AGENCY_PAGE),
    "agency json": ("GET", "/ioc/co-quan/incidents.json", AGENCY_DATA),
    "agency live": ("STREAM", "/ioc/live/co-quan", AGENCY_DATA),
    "board": ("GET", "/ioc/chi-huy/{id}", PAGE),
    "board json": ("GET", "/ioc/chi-huy/{id}.json", DATA),
    "board live": ("STREAM", "/ioc/live/chi-huy/{id}", DATA),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("exit_name", EXITS)
def test_every_exit_answers_each_role_as_the_matrix_says(ioc_url, world, exit_name, role):
    method, path, expected = EXITS[exit_name]
    url = ioc_url + path.format(id=world["incident"])
    s = session(ioc_url, world, role)
    if method == "GET":
        response = s.get(url, allow_redirects=False, timeout=30)
    elif method == "POST":
        body = ({"action": "note", "note": "Đã liên hệ người dân"} if exit_name == "act" else
                {"category": "traffic", "lon": DONG_XOAI[0], "lat": DONG_XOAI[1], "description": "Ổ gà lớn",
                 "name": "Trần Văn C", "phone": "0987000111"})
        response = s.post(url, json=body, allow_redirects=False, timeout=30)
    else:
        response = s.get(url, stream=True, timeout=30)
        if response.status_code != 200:
            response.content  # a refusal is a short JSON answer: read it
        response.close()
    assert response.status_code == expected[role], (exit_name, role, response.text[:300])
    if expected[role] == 302:
        assert response.headers["Location"].startswith("/accounts/login/?next=")
    if method == "STREAM" and expected[role] == 200:
        assert response.headers["Content-Type"].startswith("text/event-stream")
    if expected[role] in (403, 404) and exit_name in ("page", "agency page", "board"):
        assert "text/html" in response.headers["Content-Type"]  # a page, not JSON
    elif expected[role] in (403, 404):
        assert "/" in response.json()["description"]  # "Tiếng Việt. / English."
    # The reporter's name and phone leave only to IOC roles.
    if expected[role] == 200 and method == "GET":
        assert ("0912000111" in response.text) == (role in ("ioc", "admin") and exit_name in (
            "detail", "incidents.csv", "board json")), (exit_name, role)


def test_the_wall_map_state_lists_open_incidents_with_versions_and_overdue_in_a_fixed_number_of_queries(
        client, django_user_model):
    from django.contrib.auth.models import Group

    from incidents import services
    from incidents.services import Actor

    user = django_user_model.objects.create_user("op-map")
    user.groups.add(Group.objects.get_or_create(name="ioc_operator")[0])
    client.force_login(user)
    citizen = Actor.citizen("web")

    def report(n):
        return [services.incident_report(category="environment", lon=DONG_XOAI[0] + i * 1e-3, lat=DONG_XOAI[1],
                                         channel="web", actor=citizen, description=f"Rác {i}") for i in range(n)]

    report(2)
    client.get("/ioc/incidents.json")  # the first request of a session also touches the session
    with CaptureQueriesContext(connection) as few:
        assert client.get("/ioc/incidents.json").status_code == 200
    report(20)
    with CaptureQueriesContext(connection) as many:
        data = client.get("/ioc/incidents.json").json()
    assert len(many) == len(few) <= 6  # session, user, groups, cursor, the features: no query per incident
    # An overdue one (its due time passed) is marked by the server.
    late = services.incident_report(category="traffic", lon=DONG_XOAI[0], lat=DONG_XOAI[1] + 0.01, channel="hotline",
                                    actor=citizen, description="Ổ gà",
                                    reported_at=timezone.now() - dt.timedelta(days=10))
    data = client.get("/ioc/incidents.json").json()
    by_id = {f["id"]: f["properties"] for f in data["features"]}
    assert by_id[late.pk]["overdue"] is True and by_id[late.pk]["version"] == 1
    assert by_id[late.pk]["reported_text"][:10] == (timezone.localtime() - dt.timedelta(days=10)).strftime("%d/%m/%Y")
    assert "reporter" not in json.dumps(data) and data["cursor"].count(".") == 1
    # Overdue first: the overdue report comes before every open one that is not.
    order = [f["id"] for f in data["features"]]
    assert all(order.index(late.pk) < order.index(f["id"]) for f in data["features"]
               if f["properties"]["open"] and not f["properties"]["overdue"])


def _events(response, wanted, deadline_s=30):
    """Read SSE `change` events until wanted(data) holds; return that event's data."""
    start = time.monotonic()
    event = {}
    for line in response.iter_lines(decode_unicode=True):
        if line.startswith("event:"):
            event = {"event": line[6:].strip()}
        elif line.startswith("data:") and event.get("event") == "change":
            data = json.loads(line[5:])
            if wanted(data):
                return data
        assert time.monotonic() - start < deadline_s, "no matching event"
    raise AssertionError("stream ended")


REPORT = """
from incidents import services
from incidents.services import Actor
i = services.incident_report(category="{category}", lon={lon}, lat={lat}, channel="web", actor=Actor.citizen("web"),
                             description="{text}")
op = Actor("op", frozenset({{"ioc_operator"}}))
{then}
print(i.pk)
"""


def test_a_new_report_reaches_the_ioc_stream_and_only_its_own_agency(ioc_url, world, test_db_env):
    ioc = session(ioc_url, world, "ioc").get(f"{ioc_url}/ioc/live?since=latest", stream=True, timeout=60)
    mine = session(ioc_url, world, "officer").get(f"{ioc_url}/ioc/live/co-quan?since=latest", stream=True, timeout=60)
    other = session(ioc_url, world, "other_officer").get(f"{ioc_url}/ioc/live/co-quan?since=latest", stream=True,
                                                         timeout=60)
    text = f"Khói bụi {world['tag']}"
    pk = int(run_manage(test_db_env, "shell", "-c", REPORT.format(
        category="environment", lon=DONG_XOAI[0], lat=DONG_XOAI[1], text=text,
        then='services.incident_act(incident_id=i.pk, action="forward", actor=op, agency="environment")'
    )).stdout.split()[-1])
    first = _events(ioc, lambda d: d.get("id") == pk)
    assert first["properties"]["status"] == "received" and first["properties"]["description"] == text
    forwarded = _events(mine, lambda d: d.get("id") == pk)
    assert forwarded["status"] == "forwarded" and "reporter" not in forwarded
    # The transport officer's stream carries a later transport incident, never the environment one.
    marker = int(run_manage(test_db_env, "shell", "-c", REPORT.format(
        category="traffic", lon=DONG_XOAI[0], lat=DONG_XOAI[1], text="Ổ gà",
        then='services.incident_act(incident_id=i.pk, action="forward", actor=op, agency="transport")'
    )).stdout.split()[-1])
    seen = []
    _events(other, lambda d: seen.append(d["id"]) or d["id"] == marker)
    assert pk not in seen
    for r in (ioc, mine, other):
        r.close()


def test_actions_take_workflow_steps_and_a_stale_version_is_refused_with_412(ioc_url, world, test_db_env):
    op = session(ioc_url, world, "ioc")
    pk = int(run_manage(test_db_env, "shell", "-c", REPORT.format(
        category="urban_order", lon=DONG_XOAI[0], lat=DONG_XOAI[1], text="Lấn chiếm vỉa hè", then="")).stdout.split()[-1])
    detail = op.get(f"{ioc_url}/ioc/incidents/{pk}.json", timeout=30).json()
    assert [a["action"] for a in detail["actions"]][:2] == ["verify", "forward"] and detail["version"] == 1
    verified = op.post(f"{ioc_url}/ioc/incidents/{pk}/act", json={"action": "verify", "expected_version": 1},
                       timeout=30)
    assert verified.status_code == 200 and verified.json()["status"] == "verified"
    stale = op.post(f"{ioc_url}/ioc/incidents/{pk}/act", data={"action": "reject", "note": "Sai", "expected_version": "1"},
                    timeout=30)
    assert stale.status_code == 412 and "tải lại" in stale.json()["description"]
    wrong = op.post(f"{ioc_url}/ioc/incidents/{pk}/act", json={"action": "publish"}, timeout=30)
    assert wrong.status_code == 409 and " / " in wrong.json()["description"]
    bad = op.post(f"{ioc_url}/ioc/incidents/{pk}/act", data="{not json", headers={"Content-Type": "application/json"},
                  timeout=30)
    assert bad.status_code == 400
    priority = op.post(f"{ioc_url}/ioc/incidents/{pk}/act", json={"action": "priority", "priority": "urgent"},
                       timeout=30)
    assert priority.status_code == 200 and priority.json()["priority"] == "urgent"
    # No CSRF token: refused before anything is written.
    bare = requests.post(f"{ioc_url}/ioc/incidents/{pk}/act", json={"action": "verify"},
                         cookies={"sessionid": world["sessions"]["ioc"]}, timeout=30)
    assert bare.status_code == 403


def test_the_operator_sees_duplicates_nearby_and_merges_one(client, django_user_model):
    from django.contrib.auth.models import Group

    from incidents import services
    from incidents.services import Actor

    user = django_user_model.objects.create_user("op-merge")
    user.groups.add(Group.objects.get_or_create(name="ioc_operator")[0])
    client.force_login(user)
    first = services.incident_report(category="utilities", lon=DONG_XOAI[0], lat=DONG_XOAI[1], channel="web",
                                     actor=Actor.citizen("web"), description="Mất điện")
    again = services.incident_report(category="utilities", lon=DONG_XOAI[0] + 0.0005, lat=DONG_XOAI[1],
                                     channel="web", actor=Actor.citizen("web"), description="Mất điện cả khu")
    detail = client.get(f"/ioc/incidents/{again.pk}.json").json()
    assert [d["id"] for d in detail["duplicates"]][:1] == [first.pk]  # ~54 m apart: within 250 m
    merged = client.post(f"/ioc/incidents/{again.pk}/act", {"action": "merge", "primary_id": first.pk})
    assert merged.status_code == 200 and merged.json()["status"] == "merged"
    assert client.get(f"/ioc/incidents/{first.pk}.json").json()["supporters"] == 1


def test_exports_are_excel_ready_csv_with_vietnamese_headers(client, django_user_model):
    from django.contrib.auth.models import Group

    from incidents import services
    from incidents.services import Actor

    user = django_user_model.objects.create_user("leader-csv")
    user.groups.add(Group.objects.get_or_create(name="manager")[0])
    client.force_login(user)
    services.incident_report(category="environment", lon=106.8845, lat=11.5355, channel="hotline",
                             actor=Actor.citizen("web"), description="Khói, bụi", reporter={"phone": "0911222333"})
    response = client.get("/ioc/incidents.csv")
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff") and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(body[1:])))
    assert rows[0][:3] == ["Mã tra cứu", "Loại sự cố", "Quy trình"] and "Điện thoại" not in rows[0]  # a leader
    row = next(r for r in rows if r[3] == "Khói, bụi")
    assert row[-2:] == ["106,8845", "11,5355"] and row[6] == "Đường dây nóng"
    kpis = b"".join(client.get("/ioc/kpis.csv").streaming_content).decode("utf-8")
    assert kpis.startswith("\ufeffChỉ số điều hành IOC") and "Tỷ lệ đúng hạn (%)" in kpis
    assert client.get("/ioc/incidents.csv?days=abc").status_code == 400


def test_pages_are_vietnamese_first_with_the_english_toggle_and_no_inline_script(client, django_user_model):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("op-page")
    user.groups.add(Group.objects.get_or_create(name="ioc_operator")[0])
    client.force_login(user)
    page = client.get("/ioc/").content.decode()
    assert "bản đồ sự cố trực tiếp" in page and "Chế độ chỉ huy" not in page
    # Scripts only from the platform's own static files (the CSP allows no inline script), nothing remote.
    assert not re.search(r'<script(?![^>]*(src="/static/|type="application/json"))', page)
    assert not re.search(r'(src|href)="(https?:)?//', page)
    english = client.get("/ioc/?lang=en").content.decode()
    assert "live incident map" in english
