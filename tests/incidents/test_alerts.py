"""Sensor and camera alerts as a machine meets them: it posts readings with its OAuth2 bearer token to
/ioc/alerts/; a reading over its rule's threshold for the rule's duration becomes one incident (the
immediate or timed process of the rule's category), later readings join it without duplicates, and a
new incident comes only after the alert has ended and its incident was closed. Bad input, wrong roles
and devices posting too fast are refused with a clear message and nothing written."""
import base64
import datetime as dt
import json
import threading
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from accounts.services import machine_client_create
from incidents import alerts, services
from incidents.layers import INCIDENTS
from incidents.models import AlertReading, Incident, IncidentUpdate, Status
from incidents.services import Actor
from layers import writes
from layers.editing import Editor
from layers.models import Change
from layers.registry import ROLE_IOC, ROLE_UTILITY
from tests.layers.test_editing import bearer
from tests.threads import in_thread as _in_thread

pytestmark = pytest.mark.django_db

URL = "/ioc/alerts/"
DONG_XOAI = (106.884, 11.535)  # inside district 689 (DOMAIN.md)
OPERATOR = Actor("op.tran", frozenset({ROLE_IOC}))


def sensor(scope="read write"):
    return bearer([alerts.ROLE_SENSOR], scope=scope)


def device() -> str:
    return f"WL-{uuid.uuid4().hex[:8]}"


def post(client, body, auth=None, raw=None):
    auth = sensor() if auth is None else auth
    return client.post(URL, raw if raw is not None else json.dumps(body), content_type="application/json", **auth)


def reading(dev, value, minutes_ago=0.0, rule="water_level_high", where=DONG_XOAI, **extra):
    at = timezone.now() - dt.timedelta(minutes=minutes_ago)
    return {"rule": rule, "device": dev, "value": value, "lon": where[0], "lat": where[1], "at": at.isoformat(),
            **extra}


def incidents_of(dev, rule="water_level_high"):
    return list(Incident.objects.filter(alert_key=f"{rule}:{dev}").order_by("reported_at"))


def test_a_water_level_over_its_threshold_for_five_minutes_becomes_one_flood_incident(client):
    # water_level_high: threshold 3.0 m for 300 s, category flood, priority high (codelists/alert_rule.csv)
    dev = device()
    assert post(client, reading(dev, 2.5, 58)).json()["state"] == "below threshold"
    first = post(client, reading(dev, 3.4, 55))
    assert first.status_code == 202 and first.json()["state"] == "waiting for duration"
    assert post(client, reading(dev, 3.5, 52)).status_code == 202  # 3 min over: still waiting
    created = post(client, reading(dev, 3.6, 49))  # 6 min over
    assert created.status_code == 201, created.content
    code = created.json()["incident"]
    incident = Incident.objects.get(tracking_code=code)
    assert (incident.category_id, incident.channel, incident.priority, incident.status) == (
        "flood", "sensor", "high", Status.RECEIVED)
    assert incident.district_id == "689" and incident.alert_key == f"water_level_high:{dev}"
    assert "3,6" in incident.description and "ngưỡng 3" in incident.description
    entry = Change.objects.get(layer_id="incidents", feature_id=incident.pk)
    assert (entry.source, entry.actor) == ("alert", "máy: t")  # bearer() signs for client id "t"

    # The alert goes on: no second incident; its timeline notes it at most every 10 minutes.
    for minutes_ago in (45, 38, 35, 20):
        joined = post(client, reading(dev, 3.7, minutes_ago))
        assert joined.status_code == 200 and joined.json() == {"incident": code, "state": "persisting",
                                                               "reading": joined.json()["reading"]}
    assert len(incidents_of(dev)) == 1
    # lines at 38 min (11 min after the report) and 20 min ago; not at 45 or 35 (under 10 min since the last)
    assert IncidentUpdate.objects.filter(incident=incident, kind="alert_repeat").count() == 2
    assert AlertReading.objects.filter(device=dev).count() == 8


def test_after_the_level_falls_and_the_incident_is_closed_a_new_rise_makes_a_new_incident(client):
    dev = device()
    post(client, reading(dev, 3.2, 40))
    code = post(client, reading(dev, 3.3, 34)).json()["incident"]
    assert post(client, reading(dev, 2.1, 30)).json()["state"] == "below threshold"
    # Back over while the incident is still open: it joins the open incident.
    joined = post(client, reading(dev, 3.1, 29))
    assert (joined.status_code, joined.json()["incident"], joined.json()["state"]) == (200, code, "persisting")
    incident = Incident.objects.get(tracking_code=code)
    services.incident_act(incident_id=incident.pk, action="command", actor=OPERATOR)
    services.incident_act(incident_id=incident.pk, action="close", actor=OPERATOR, result="Nước đã rút")
    assert post(client, reading(dev, 1.9, 25)).status_code == 202
    rising = post(client, reading(dev, 3.4, 20))
    assert rising.json()["state"] == "waiting for duration"  # the new rise must last 5 minutes again
    again = post(client, reading(dev, 3.5, 14))
    assert again.status_code == 201 and again.json()["incident"] != code
    assert [i.tracking_code for i in incidents_of(dev)] == [code, again.json()["incident"]]


def test_a_detection_closed_by_the_ioc_while_it_persists_is_not_reported_again_until_it_ends(client):
    # smoke_detected: no threshold (a detection), no duration, category fire (immediate), urgent
    dev = device()
    body = dict(rule="smoke_detected", value=None)
    created = post(client, reading(dev, **body, minutes_ago=50))
    assert created.status_code == 201
    incident = Incident.objects.get(tracking_code=created.json()["incident"])
    assert (incident.category_id, incident.priority, incident.channel) == ("fire", "urgent", "sensor")
    services.incident_act(incident_id=incident.pk, action="reject", actor=OPERATOR, note="Báo động giả")
    same = post(client, reading(dev, **body, minutes_ago=45))  # the same alarm, still sounding
    assert same.status_code == 200 and same.json()["incident"] == incident.tracking_code
    later = post(client, reading(dev, **body, minutes_ago=10))  # silent for 35 min: a new alarm
    assert later.status_code == 201 and later.json()["incident"] != incident.tracking_code
    assert len(incidents_of(dev, "smoke_detected")) == 2


def test_a_camera_detection_is_a_camera_incident_naming_the_camera(client):
    from safety.models import Camera

    camera = Camera.objects.order_by("pk").first()
    dev = device()
    answer = post(client, reading(dev, None, rule="camera_accident", where=(camera.geom.x, camera.geom.y),
                                  camera_code=camera.camera_code))
    assert answer.status_code == 201, answer.content
    incident = Incident.objects.get(tracking_code=answer.json()["incident"])
    assert incident.channel == "camera" and incident.category_id == "accident"
    assert camera.camera_code in incident.description
    unknown = post(client, reading(device(), None, rule="camera_accident", camera_code="CAM-NOPE"))
    assert unknown.status_code == 400 and "No camera" in unknown.json()["description"]


def test_a_machine_client_gets_its_token_from_the_provider_and_posts_in_its_name(client):
    machine = machine_client_create(name="cam-bien-muc-nuoc", roles=[alerts.ROLE_SENSOR])
    basic = base64.b64encode(f"{machine.client_id}:{machine.client_secret}".encode()).decode()
    token = client.post("/o/token/", {"grant_type": "client_credentials", "scope": "read write"},
                        HTTP_AUTHORIZATION=f"Basic {basic}")
    assert token.status_code == 200, token.content
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token.json()['access_token']}"}
    answer = post(client, reading(device(), None, rule="smoke_detected"), auth=auth)
    assert answer.status_code == 201, answer.content
    incident = Incident.objects.get(tracking_code=answer.json()["incident"])
    assert IncidentUpdate.objects.get(incident=incident, kind="report").actor == "máy: cam-bien-muc-nuoc"


def test_only_machines_with_the_sensor_role_and_the_write_scope_may_post(client, django_user_model):
    body = reading(device(), 2.0)
    anonymous = client.post(URL, json.dumps(body), content_type="application/json")
    assert anonymous.status_code == 401 and "Bearer" in anonymous["WWW-Authenticate"]
    assert post(client, body, auth={"HTTP_AUTHORIZATION": "Bearer not.a.token"}).status_code == 401
    for roles, scope, status in (([], "read write", 403), ([ROLE_UTILITY], "read write", 403),
                                 ([alerts.ROLE_SENSOR], "read", 403), ([alerts.ROLE_SENSOR], "read write", 202),
                                 ([ROLE_IOC], "read write", 202)):
        answer = post(client, reading(device(), 2.0), auth=bearer(roles, scope=scope))
        assert answer.status_code == status, (roles, scope, answer.content)
        if status == 403:
            assert " / " in answer.json()["description"]
    # A signed-in operator's browser session is no machine: bearer tokens only.
    operator = django_user_model.objects.create_user("op.session")
    operator.groups.add(__import__("django.contrib.auth.models", fromlist=["Group"]).Group.objects.get_or_create(
        name=ROLE_IOC)[0])
    client.force_login(operator)
    assert client.post(URL, json.dumps(body), content_type="application/json").status_code == 401


def test_bad_readings_are_refused_with_a_message_in_both_languages_and_nothing_is_written(client):
    dev = device()
    before = (AlertReading.objects.count(), Incident.objects.count())
    cases = [
        (reading(dev, 3.5, rule="no_such_rule"), "Unknown alert rule"),
        (reading(dev, "cao"), "must be a number"),
        (reading(dev, True), "must be a number"),
        (reading(dev, None), "must be a number"),
        (reading(dev, 3.5, where=(105.0, 10.0)), "outside Bình Phước"),
        (reading(dev, 3.5, where=(106.45, 12.25)), "outside Bình Phước"),  # in the bbox, across the border
        (reading(dev, 3.5, minutes_ago=-10), "in the future"),
        (reading(dev, 3.5, minutes_ago=90), "more than an hour old"),
        ({**reading(dev, 3.5), "at": "hôm qua"}, "ISO 8601"),
        (reading("bad device id!", 3.5), "Invalid device id"),
        ({"rule": "water_level_high", "device": dev}, "Missing fields"),
        ([1, 2], "JSON object"),
    ]
    for body, words in cases:
        answer = post(client, body)
        assert answer.status_code == 400, (body, answer.content)
        message = answer.json()["description"]
        assert words in message and " / " in message, (body, message)
    for raw, words in (("{not json", "not valid JSON"), (json.dumps({"pad": "x" * 70_000}), "64 KB")):
        answer = post(client, None, raw=raw)
        assert answer.status_code == 400 and words in answer.json()["description"]
    assert (AlertReading.objects.count(), Incident.objects.count()) == before


def test_a_device_posting_faster_than_once_a_second_is_slowed_down(client):
    dev = device()
    at = timezone.now() - dt.timedelta(minutes=5)
    assert post(client, {**reading(dev, 2.0), "at": at.isoformat()}).status_code == 202
    too_soon = post(client, {**reading(dev, 2.0), "at": (at + dt.timedelta(milliseconds=400)).isoformat()})
    assert too_soon.status_code == 429 and too_soon["Retry-After"] == "1"
    assert "one per second" in too_soon.json()["description"]
    older = post(client, {**reading(dev, 2.0), "at": (at - dt.timedelta(minutes=2)).isoformat()})
    assert older.status_code == 409
    assert post(client, {**reading(dev, 2.0), "at": (at + dt.timedelta(seconds=1)).isoformat()}).status_code == 202
    assert AlertReading.objects.filter(device=dev).count() == 2


def test_two_readings_of_one_device_arriving_at_once_make_one_incident():
    """Two threads, two connections, committed transactions, released together by a barrier: the
    advisory lock on the alert key lets one judge its reading first; the other then sees its
    reading (429, under a second apart) or its incident (200), never makes a second one."""
    dev = device()
    barrier = threading.Barrier(2)
    answers = []

    def machine_posts():
        try:
            client = Client()
            auth = sensor()
            barrier.wait(timeout=60)
            answers.append(post(client, {"rule": "smoke_detected", "device": dev, "value": 1, "lon": DONG_XOAI[0],
                                         "lat": DONG_XOAI[1]}, auth=auth))
        finally:
            connection.close()
    threads = [threading.Thread(target=machine_posts) for _ in range(2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        statuses = sorted(a.status_code for a in answers)
        assert statuses in ([200, 201], [201, 429]), [a.content for a in answers]
        made = _in_thread(lambda: list(Incident.objects.filter(alert_key=f"smoke_detected:{dev}")
                                       .values_list("tracking_code", flat=True)))
        assert made == [next(a.json()["incident"] for a in answers if a.status_code == 201)]
    finally:
        def clean():  # committed: leave the database as it was
            with writes.writing(Editor.system("test"), source=writes.ADMIN):
                for pk in Incident.objects.filter(alert_key=f"smoke_detected:{dev}").values_list("pk", flat=True):
                    writes.feature_delete(spec=INCIDENTS, editor=Editor.system("test"), feature_id=pk,
                                          source=writes.ADMIN)
            AlertReading.objects.filter(device=dev).delete()
        _in_thread(clean)
