"""An Open311 client library written elsewhere (georeport, from PyPI) against the platform under
gunicorn: it lists the services in JSON and XML, and reads back a report an app posted. georeport
does not post (its documentation says so), so the post is made as the spec describes it, a
form-encoded body, as apps do."""
import requests
from georeport import GeoReport

from tests.conftest import run_manage

JURISDICTION = "binhphuoc.gov.vn"
PHONE = "0987654321"


def test_an_open311_client_library_lists_services_and_reads_back_a_posted_report(platform_url, test_db_env):
    key = run_manage(test_db_env, "open311_key", "create", "Ứng dụng thử (georeport)").stdout.strip().splitlines()[-1]
    base = f"{platform_url}/open311/v2"
    client = GeoReport(base, jurisdiction=JURISDICTION, api_key=key)
    xml_client = GeoReport(base, jurisdiction=JURISDICTION, output_format="xml")

    services = {s["service_code"]: s for s in client.get_service_list()}
    assert services["environment"]["service_name"] == "Ô nhiễm môi trường"
    assert {s["service_code"] for s in xml_client.get_service_list()} == services.keys()
    assert client.get_service_definition("environment")["attributes"] == []

    posted = requests.post(f"{base}/requests.json", data={
        "api_key": key, "jurisdiction_id": JURISDICTION, "service_code": "environment", "lat": "11.535",
        "long": "106.884", "address_string": "Phường Tân Phú, Đồng Xoài", "device_id": "android-42",
        "first_name": "Thị B", "last_name": "Trần", "phone": PHONE,
        "description": "Khói đốt rác gần trường học <b>không</b> dứt"}, timeout=30)
    assert posted.status_code == 200, posted.text
    code = posted.json()[0]["service_request_id"]

    request = client.get_service_request(code)
    assert request["service_request_id"] == code and request["status"] == "open"
    assert request["description"] == "Khói đốt rác gần trường học <b>không</b> dứt"  # plain text, as typed
    assert request["address"] == "Phường Tân Phú, Đồng Xoài"
    xml_request = xml_client.get_service_request(code)
    assert xml_request["service_request_id"] == code and xml_request["status_notes"] == "Mới tiếp nhận."
    assert xml_request["description"] == request["description"]  # escaped in XML, read back intact
    [listed] = client.get_service_requests(service_request_id=code)
    assert listed["service_code"] == "environment"
    for answer in (request, xml_request, listed):
        assert PHONE not in str(answer) and "Trần" not in str(answer)
