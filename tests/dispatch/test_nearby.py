"""GET /ioc/dispatch/nearby on the demo province: who may ask, what bad questions get, what the IOC
page receives, and how many queries one answer costs."""
import pytest

from accounts.services import DEPARTMENTS
from dispatch import routing
from dispatch.models import ResponseUnit
from layers import registry
from layers.registry import ROLE_ADMIN, ROLE_IOC, ROLE_MANAGER, ROLE_UTILITY, officer
from tests.layers.test_editing import bearer

pytestmark = pytest.mark.django_db
URL = "/ioc/dispatch/nearby"
READERS = {ROLE_IOC, ROLE_MANAGER, ROLE_ADMIN, officer("public_security"), officer("fire"), officer("health")}


def centre_of_dong_xoai() -> tuple[float, float]:
    """Where the provincial fire police's engines wait (the demo seed puts them in Đồng Xoài)."""
    unit = ResponseUnit.objects.get(unit_code="CC-PC07-01")
    return unit.station.geom.x + 0.004, unit.station.geom.y + 0.003


@pytest.mark.parametrize("role", sorted({ROLE_IOC, ROLE_MANAGER, ROLE_ADMIN, ROLE_UTILITY, "citizen"}
                                        | {officer(d) for d in DEPARTMENTS}))
def test_only_those_who_may_read_response_units_ask(client, role):
    lon, lat = centre_of_dong_xoai()
    response = client.get(URL, {"lon": lon, "lat": lat}, **bearer([] if role == "citizen" else [role]))
    assert response.status_code == (200 if role in READERS else 403), role
    if role in READERS:
        # The cameras layer is not the fire and health officers' to read.
        cameras = response.json()["cameras"]
        assert (cameras is None) == (not registry.get("cameras").readable_by({role}))


def test_anonymous_callers_are_told_nothing_exists(client):
    assert client.get(URL, {"lon": 106.9, "lat": 11.5}).status_code == 404


@pytest.mark.parametrize("query, words", [
    ({"lon": "106,9", "lat": 11.5}, "phải là một số"),
    ({"lon": "nan", "lat": 11.5}, "must be a number"),
    ({"lat": 11.5}, "Thiếu tham số lon"),
    ({"lon": 105.0, "lat": 10.8}, "ngoài tỉnh Bình Phước"),
    ({"lon": 106.9, "lat": 11.5, "radius": 5001}, "không quá 5000 m"),
    ({"lon": 106.9, "lat": 11.5, "radius": -1}, "radius must be"),
    ({"lon": 106.9, "lat": 11.5, "kinds": "fire,tank"}, "tank"),
    ({"lon": 106.9, "lat": 11.5, "units": 500}, "units"),
])
def test_bad_questions_get_a_clear_400(client, query, words):
    response = client.get(URL, query, **bearer([ROLE_IOC]))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "InvalidParameterValue" and words in body["description"] and " / " in body["description"]


def test_the_ioc_page_gets_units_clinics_and_cameras_with_their_ways(client, django_assert_num_queries):
    lon, lat = centre_of_dong_xoai()
    ioc = bearer([ROLE_IOC])
    routing.ensure_graph()  # built once per roads version; this test counts the queries of an answer
    # Version check and graph (2), kind codes, units, clinics, snapping, routes, cameras (6).
    with django_assert_num_queries(8):
        response = client.get(URL, {"lon": lon, "lat": lat, "radius": 3000, "kinds": "fire,rescue"}, **ioc)
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    body = response.json()
    units, clinics, cameras = body["units"], body["clinics"], body["cameras"]
    assert 1 <= len(units) <= 5 and {u["kind"] for u in units} <= {"fire", "rescue"}
    assert all(u["status"] == "available" for u in units)
    times = [u["travel_s"] for u in units]
    assert times == sorted(times) and all(t > 0 for t in times)
    for unit in units:
        route = unit["route"]
        assert route["type"] == "LineString" and route["coordinates"][0] == [unit["lon"], unit["lat"]]
        assert route["coordinates"][-1] == [lon, lat]
        assert unit["road_m"] + unit["off_road_m"] >= unit["straight_m"] * 0.99  # never shorter than a straight line
    assert len(clinics) == 3 and clinics[0]["travel_s"] <= clinics[1]["travel_s"] <= clinics[2]["travel_s"]
    assert clinics[0]["clinic_type_vi"] and clinics[0]["route"]["type"] == "LineString"
    assert all(c["distance_m"] <= 3000 for c in cameras)
    assert [c["distance_m"] for c in cameras] == sorted(c["distance_m"] for c in cameras)
    # The same question with a busier page: more units never cost more queries.
    with django_assert_num_queries(7):
        assert client.get(URL, {"lon": lon, "lat": lat, "units": 10}, **ioc).status_code == 200


def test_every_district_has_fire_police_and_ambulances():
    from collections import defaultdict

    kinds = defaultdict(set)
    for district, kind in ResponseUnit.objects.values_list("district_id", "kind_id"):
        kinds[district].add(kind)
    assert len(kinds) == 11 and all({"fire", "police", "ambulance"} <= k for k in kinds.values())
    assert ResponseUnit.objects.filter(kind="rescue").exists()
