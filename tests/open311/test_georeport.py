"""Open311 GeoReport v2 as an app meets it (/open311/v2/): the citizen categories as services in JSON
and XML, a report posted with an API key and read back, the spec's refusals, the rate limit per
device and per address, statuses open/closed with the detailed status in status_notes, a merged
report following its primary, public updates only, photos only once published, paging, and no
personal data anywhere. The workflow itself is driven through incidents.services, as the IOC would."""
import io
import json
import xml.etree.ElementTree as ET

import pytest
from django.test import override_settings
from django.utils import timezone
from PIL import Image

from incidents import services
from incidents.models import Incident, IncidentCategory
from incidents.services import Actor
from layers.registry import ROLE_IOC, officer
from open311 import keys

pytestmark = pytest.mark.django_db

API = "/open311/v2"
DONG_XOAI = (106.884, 11.535)  # provincial capital (DOMAIN.md), inside the province's bounding box
PHONE = "0912345678"
OPERATOR = Actor("op.nguyen", frozenset({ROLE_IOC}))
ENVIRONMENT = Actor("cb.moitruong", frozenset({officer("environment")}))


@pytest.fixture
def api_key():
    return keys.api_key_create(name="Ứng dụng thử")[1]


@pytest.fixture
def media_dir(settings, tmp_path):
    settings.GEO_MEDIA_DIR = tmp_path
    return tmp_path


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


def post(client, key, fmt="json", ip="198.51.100.7", **fields):
    data = {"api_key": key, "service_code": "environment", "lat": DONG_XOAI[1], "long": DONG_XOAI[0],
            "description": "Rác thải đổ bên đường", "device_id": "may-1", "first_name": "Văn A",
            "last_name": "Nguyễn", "phone": PHONE, "email": "a@example.vn"} | fields
    return client.post(f"{API}/requests.{fmt}", {k: v for k, v in data.items() if v is not None}, REMOTE_ADDR=ip)


def posted(client, key, **fields) -> str:
    response = post(client, key, **fields)
    assert response.status_code == 200, response.content.decode()
    return response.json()[0]["service_request_id"]


def read(client, code, fmt="json"):
    response = client.get(f"{API}/requests/{code}.{fmt}")
    assert response.status_code == 200, response.content.decode()
    assert PHONE not in response.content.decode() and "a@example.vn" not in response.content.decode()
    return response.json()[0] if fmt == "json" else ET.fromstring(response.content).find("request")


def incident(code) -> Incident:
    return Incident.objects.get(tracking_code=code)


def test_services_list_the_citizen_categories_in_json_and_xml(client):
    IncidentCategory.objects.filter(code="riot").update(citizen=False)  # the IOC's own, not citizens'
    listed = client.get(f"{API}/services.json")
    assert listed.status_code == 200 and listed["Content-Type"] == "application/json; charset=utf-8"
    services_ = {s["service_code"]: s for s in listed.json()}
    assert "riot" not in services_ and {"environment", "fire", "traffic"} <= services_.keys()
    environment = services_["environment"]
    assert environment["service_name"] == "Ô nhiễm môi trường" and environment["metadata"] is False
    assert environment["type"] == "realtime" and environment["group"] == "Quy trình có thời hạn"
    assert "Rác thải" in environment["keywords"]  # the code list's synonyms
    xml = client.get(f"{API}/services.xml")
    assert xml["Content-Type"] == "text/xml; charset=utf-8" and xml.content.startswith(b'<?xml version="1.0"')
    root = ET.fromstring(xml.content)
    assert root.tag == "services"
    codes = [s.findtext("service_code") for s in root.findall("service")]
    assert codes == list(services_) and root.find("service/metadata").text == "false"
    english = client.get(f"{API}/services.json?locale=en").json()
    assert {s["service_code"]: s["service_name"] for s in english}["environment"] == "Environmental pollution"


def test_a_service_definition_and_an_unknown_service(client):
    definition = client.get(f"{API}/services/environment.json?jurisdiction_id=binhphuoc.gov.vn")
    assert definition.json() == {"service_code": "environment", "attributes": []}
    unknown = client.get(f"{API}/services/volcano.xml")
    assert unknown.status_code == 404
    error = ET.fromstring(unknown.content).find("error")
    assert error.findtext("code") == "404" and "volcano" in error.findtext("description")
    assert client.get(f"{API}/services.json?jurisdiction_id=hanoi.gov.vn").status_code == 404


def test_an_app_posts_a_report_and_reads_it_back_without_personal_data(client, api_key):
    before = timezone.now()
    response = post(client, api_key, address_string="Đường Phú Riềng Đỏ, Đồng Xoài")
    assert response.status_code == 200
    [answer] = response.json()
    code = answer["service_request_id"]
    assert code.startswith("PA-") and answer["account_id"] is None and code in answer["service_notice"]
    row = incident(code)
    assert row.channel == "app" and row.reporter.phone == PHONE and row.reporter.device_id == "may-1"
    assert row.reporter.name == "Văn A Nguyễn" and row.reporter.address_ip == "198.51.100.7"
    request = read(client, code)
    assert request["status"] == "open" and request["status_notes"] == "Mới tiếp nhận."
    assert request["service_code"] == "environment" and request["service_name"] == "Ô nhiễm môi trường"
    assert request["agency_responsible"] == "Sở Tài nguyên và Môi trường"
    assert (request["lat"], request["long"]) == (DONG_XOAI[1], DONG_XOAI[0])
    assert request["address"] == "Đường Phú Riềng Đỏ, Đồng Xoài" and request["media_url"] is None
    assert request["requested_datetime"].endswith("+07:00")  # the province's offset
    assert timezone.datetime.fromisoformat(request["requested_datetime"]) >= before.replace(microsecond=0)
    assert request["expected_datetime"]  # the service level: 72 h for environment, normal priority
    xml = read(client, code, "xml")
    assert xml.findtext("service_request_id") == code and xml.findtext("status") == "open"
    # The XML answer to a post, for clients that only speak XML.
    answer_xml = ET.fromstring(post(client, api_key, fmt="xml").content)
    assert answer_xml.tag == "service_requests" and answer_xml.findtext("request/service_request_id").startswith("PA-")


@pytest.mark.parametrize("fields, status, words", [
    ({"api_key": None}, 403, "api_key"),
    ({"api_key": "not-a-key"}, 403, "api_key"),
    ({"service_code": None}, 400, "service_code"),
    ({"service_code": "volcano"}, 404, "volcano"),
    ({"lat": None, "long": None, "address_string": "Đồng Xoài"}, 400, "lat"),
    ({"lat": "north", "long": "east"}, 400, "Invalid location"),
    ({"lat": 21.03, "long": 105.85}, 400, "outside"),  # Hà Nội
    ({"description": ""}, 400, "description"),
    ({"jurisdiction_id": "hanoi.gov.vn"}, 404, "jurisdiction_id"),
])
def test_bad_posts_are_refused_as_the_spec_says_and_write_nothing(client, api_key, fields, status, words):
    count = Incident.objects.count()
    response = post(client, api_key, **fields)  # fields may replace the key
    assert response.status_code == status
    [error] = response.json()
    assert error["code"] == status and words.lower() in error["description"].lower()
    assert " / " in error["description"]  # Vietnamese, then English
    assert Incident.objects.count() == count


def test_a_revoked_key_may_no_longer_post(client, api_key):
    assert keys.api_key_revoke(prefix=api_key[:8]) == 1
    assert post(client, api_key).status_code == 403


@override_settings(GEO_OPEN311_RATE_PER_DEVICE=(2, 600), GEO_OPEN311_RATE_PER_IP=(3, 3600))
def test_reports_are_rate_limited_per_device_and_per_address(client, api_key):
    ip = "203.0.113.9"
    assert post(client, api_key, ip=ip, description="").status_code == 400  # a refused post does not count
    for _ in range(2):
        assert post(client, api_key, ip=ip, device_id="may-A").status_code == 200
    refused = post(client, api_key, ip=ip, device_id="may-A")
    assert refused.status_code == 429 and 0 < int(refused["Retry-After"]) <= 600
    [error] = refused.json()
    assert error["code"] == 429 and "quá nhiều" in error["description"] and "Too many" in error["description"]
    assert post(client, api_key, ip=ip, device_id="may-B").status_code == 200  # the address's third
    assert post(client, api_key, ip=ip, device_id="may-C").status_code == 429  # the address's limit
    assert post(client, api_key, ip="203.0.113.10", device_id="may-C").status_code == 200
    assert post(client, api_key, ip="203.0.113.10", device_id="may-A").status_code == 429  # the device, elsewhere


def test_status_turns_closed_when_rejected_or_published_with_the_detailed_status(client, api_key, media_dir):
    rejected = posted(client, api_key)
    services.incident_act(incident_id=incident(rejected).pk, action="reject", actor=OPERATOR, note="Không đúng sự thật")
    request = read(client, rejected)
    assert request["status"] == "closed" and request["status_notes"] == "Từ chối (không hợp lệ)."

    response = client.post(f"{API}/requests.json", {
        "api_key": api_key, "service_code": "environment", "lat": DONG_XOAI[1], "long": DONG_XOAI[0],
        "description": "Cống bốc mùi", "device_id": "may-2", "phone": PHONE,
        "media": io.BytesIO(jpeg())}, REMOTE_ADDR="198.51.100.8")
    assert response.status_code == 200, response.content
    code = response.json()[0]["service_request_id"]
    pk = incident(code).pk
    assert incident(code).photos.count() == 1
    services.incident_act(incident_id=pk, action="verify", actor=OPERATOR)
    services.incident_act(incident_id=pk, action="forward", actor=OPERATOR, agency="environment")
    services.incident_act(incident_id=pk, action="handle", actor=ENVIRONMENT, result="Đã nạo vét cống")
    request = read(client, code)
    assert request["status"] == "open" and request["media_url"] is None  # the photo is not published yet
    assert "nạo vét" not in json.dumps(request, ensure_ascii=False)  # nor the result
    services.incident_act(incident_id=pk, action="review", actor=OPERATOR)
    services.incident_act(incident_id=pk, action="publish", actor=OPERATOR)
    request = read(client, code)
    assert request["status"] == "closed"
    assert request["status_notes"] == "Đã công khai kết quả. Kết quả: Đã nạo vét cống"
    photo = incident(code).photos.get()
    assert request["media_url"] == f"http://testserver/phan-anh/anh/{photo.pk}"
    closed = client.get(f"{API}/requests.json?status=closed&service_request_id=&start_date="
                        f"{timezone.localdate().isoformat()}").json()
    assert {rejected, code} <= {r["service_request_id"] for r in closed}


def test_a_merged_report_follows_its_primary(client, api_key):
    primary, duplicate = posted(client, api_key), posted(client, api_key, device_id="may-3")
    services.incident_act(incident_id=incident(duplicate).pk, action="merge", actor=OPERATOR,
                          primary_id=incident(primary).pk)
    request = read(client, duplicate)
    assert request["status"] == "open"  # its primary is still being worked
    assert request["status_notes"] == f"Trùng, đã gộp vào phản ánh {primary}. Mới tiếp nhận."
    since = timezone.localtime().replace(microsecond=0) - timezone.timedelta(minutes=5)
    open_now = client.get(f"{API}/requests.json", {"status": "open", "start_date": since.isoformat()}).json()
    assert {primary, duplicate} <= {r["service_request_id"] for r in open_now}
    services.incident_act(incident_id=incident(primary).pk, action="reject", actor=OPERATOR, note="Đã xử lý xong")
    assert read(client, duplicate)["status"] == "closed"
    open_now = client.get(f"{API}/requests.json", {"status": "open", "start_date": since.isoformat()}).json()
    assert not {primary, duplicate} & {r["service_request_id"] for r in open_now}


def test_request_updates_list_public_steps_only(client, api_key):
    start = timezone.localtime().replace(microsecond=0) - timezone.timedelta(seconds=5)
    code = posted(client, api_key)
    pk = incident(code).pk
    services.incident_act(incident_id=pk, action="verify", actor=OPERATOR)
    services.incident_act(incident_id=pk, action="forward", actor=OPERATOR, agency="environment")
    services.incident_note(incident_id=pk, actor=OPERATOR, note="Ghi chú nội bộ: gọi lại người dân")
    services.incident_act(incident_id=pk, action="handle", actor=ENVIRONMENT, result="Đã thu gom rác")
    services.incident_act(incident_id=pk, action="review", actor=OPERATOR)
    services.incident_act(incident_id=pk, action="publish", actor=OPERATOR)
    response = client.get(f"{API}/servicerequestupdates.json", {"start_date": start.isoformat()})
    assert response.status_code == 200
    body = response.content.decode()
    assert "nội bộ" not in body and PHONE not in body and "op.nguyen" not in body
    mine = [u for u in response.json() if u["service_request_id"] == code]
    assert [u["status"] for u in mine] == ["open", "open", "open", "closed"]  # report, verify, forward, publish
    assert mine[0]["description"].startswith("Mới tiếp nhận.") and mine[2]["description"] == "Đã chuyển cơ quan xử lý."
    assert mine[-1]["description"] == "Đã công khai kết quả. Kết quả: Đã thu gom rác"
    assert all(u["updated_datetime"].endswith("+07:00") and u["update_id"] for u in mine)
    xml = ET.fromstring(client.get(f"{API}/servicerequestupdates.xml", {"start_date": start.isoformat()}).content)
    assert xml.tag == "service_request_updates"
    assert code in [u.findtext("service_request_id") for u in xml.findall("request_update")]
    too_long = client.get(f"{API}/servicerequestupdates.json?start_date=2026-01-01&end_date=2026-06-01")
    assert too_long.status_code == 400 and "90" in too_long.json()[0]["description"]


def test_reports_of_categories_citizens_cannot_see_are_not_served(client, api_key):
    code = posted(client, api_key)
    IncidentCategory.objects.filter(code="environment").update(citizen=False)
    assert client.get(f"{API}/requests/{code}.json").status_code == 404
    assert client.get(f"{API}/requests.json?service_request_id={code}").json() == []
    assert post(client, api_key).status_code == 404


def test_paging_and_a_fixed_number_of_queries(client, api_key, django_assert_max_num_queries, media_dir):
    start = (timezone.localtime() - timezone.timedelta(seconds=5)).isoformat(timespec="seconds")
    codes = [services.incident_report(category="traffic", lon=DONG_XOAI[0], lat=DONG_XOAI[1], channel="app",
                                      actor=Actor.citizen("app"), description=f"Ổ gà số {n}",
                                      reporter={"phone": PHONE}, photos=[jpeg()]).tracking_code for n in range(5)]
    for code in codes[:2]:  # two published photos, one merged report
        Incident.objects.get(tracking_code=code).photos.update(public=True)
    services.incident_act(incident_id=incident(codes[4]).pk, action="merge", actor=OPERATOR,
                          primary_id=incident(codes[0]).pk)
    pages = []
    for page in (1, 2, 3):
        with django_assert_max_num_queries(6):  # session-free: incidents, primaries, photos (+ savepoints)
            response = client.get(f"{API}/requests.json", {"service_code": "traffic", "start_date": start,
                                                           "page_size": 2, "page": page})
        pages.append([r["service_request_id"] for r in response.json()])
        assert PHONE not in response.content.decode()
    assert [len(p) for p in pages] == [2, 2, 1] and sorted(c for p in pages for c in p) == sorted(codes)
    everything = client.get(f"{API}/requests.json", {"service_code": "traffic", "start_date": start}).json()
    assert sum(1 for r in everything if r["media_url"]) == 3  # two own photos, and the merged one's primary's
    assert client.get(f"{API}/requests.json?page=0").status_code == 400
    assert client.get(f"{API}/requests.json?status=pending").status_code == 400
    assert client.get(f"{API}/requests.json?start_date=yesterday").status_code == 400


def test_discovery_points_at_this_endpoint(client):
    document = client.get(f"{API}/discovery.json").json()
    [endpoint] = document["endpoints"]
    assert endpoint["url"] == "http://testserver/open311/v2/" and "application/json" in endpoint["formats"]
    assert ET.fromstring(client.get(f"{API}/discovery.xml").content).findtext("endpoints/endpoint/type") == "production"


def test_dates_with_an_unencoded_offset_and_methods_the_api_does_not_have(client):
    # "+07:00" typed into a URL arrives as " 07:00"; the request is still understood.
    assert client.get(f"{API}/requests.json?start_date=2026-11-01T00:00:00+07:00").status_code == 200
    refused = client.delete(f"{API}/requests.json")
    assert refused.status_code == 405 and "GET" in refused["Allow"] and refused.json()[0]["code"] == 405
    assert client.head(f"{API}/services.json").status_code == 200
