"""The OGC API under /ogcapi/: every layer a collection, counts and paging right, internal layers
invisible without a role (404 anonymous, 403 signed in without the right)."""
import pytest
from django.contrib.auth.models import Group, User
from django.contrib.gis.geos import Polygon

from layers import registry
from layers.registry import ROLE_UTILITY
from ogcapi.features import COUNT_CAP

pytestmark = pytest.mark.django_db
PUBLIC = [s.id for s in registry.all_layers() if s.public]
INTERNAL = [s.id for s in registry.all_layers() if not s.public]


def get_json(client, url, status=200, **params):
    response = client.get(url, {"f": "json", **params})
    assert response.status_code == status, response.content[:500]
    return response.json()


@pytest.fixture
def utility_client(client):
    user = User.objects.create_user("pcbp-sync", password="x-unused-x")
    user.groups.add(Group.objects.get_or_create(name=ROLE_UTILITY)[0])
    client.force_login(user)
    return client


def test_landing_conformance_and_openapi(client):
    landing = get_json(client, "/ogcapi/")
    assert landing["title"] == "Nền tảng dữ liệu không gian tỉnh Bình Phước"
    assert {link["rel"] for link in landing["links"]} >= {"self", "conformance", "data", "service-desc"}
    conformance = get_json(client, "/ogcapi/conformance")["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in conformance
    openapi = get_json(client, "/ogcapi/openapi")
    assert "/collections/parcels/items" in openapi["paths"]


def test_english_on_request(client):
    assert get_json(client, "/ogcapi/", lang="en")["title"] == "Bình Phước province spatial data platform"


def test_anonymous_sees_exactly_the_public_collections(client):
    collections = get_json(client, "/ogcapi/collections")["collections"]
    assert sorted(c["id"] for c in collections) == sorted(PUBLIC)
    openapi = get_json(client, "/ogcapi/openapi")
    for layer_id in INTERNAL:
        assert not any(f"/collections/{layer_id}" in path for path in openapi["paths"])


@pytest.mark.parametrize("layer_id", INTERNAL)
def test_internal_layers_do_not_exist_for_anonymous(client, layer_id):
    for url in (f"/ogcapi/collections/{layer_id}", f"/ogcapi/collections/{layer_id}/items",
                f"/ogcapi/collections/{layer_id}/items/1"):
        body = get_json(client, url, status=404)
        assert body["code"] == "NotFound"


def test_a_signed_in_user_without_the_role_is_forbidden(client):
    client.force_login(User.objects.create_user("citizen", password="x-unused-x"))
    assert get_json(client, "/ogcapi/collections/water_valves/items", status=403)["code"] == "Forbidden"
    assert get_json(client, "/ogcapi/collections/parcels/items")["type"] == "FeatureCollection"


def test_a_utility_reads_its_network_but_not_the_cameras(utility_client):
    ids = {c["id"] for c in get_json(utility_client, "/ogcapi/collections")["collections"]}
    assert {"water_pipes", "water_valves", "power_lines", "substations"} <= ids
    assert "cameras" not in ids
    items = get_json(utility_client, "/ogcapi/collections/water_valves/items", limit=3)
    from utilities.models import WaterValve
    assert items["numberMatched"] == WaterValve.objects.count()
    get_json(utility_client, "/ogcapi/collections/cameras/items", status=403)


@pytest.mark.parametrize("layer_id", PUBLIC)
def test_every_public_collection_serves_its_features_with_counts_when_cheap(client, layer_id):
    model = registry.get(layer_id).model
    total = model.objects.count()
    assert total > 0
    page = get_json(client, f"/ogcapi/collections/{layer_id}/items", limit=7)
    if total <= COUNT_CAP:
        assert page["numberMatched"] == total
    else:  # counting would scan more than COUNT_CAP rows: left out (optional in OGC API Features)
        assert "numberMatched" not in page and any(link["rel"] == "next" for link in page["links"])
    assert page["numberReturned"] == len(page["features"]) == min(7, total)
    first = page["features"][0]
    assert first["geometry"]["type"] == registry.get(layer_id).geometry_type
    one = get_json(client, f"/ogcapi/collections/{layer_id}/items/{first['id']}")
    assert one["id"] == first["id"] and one["properties"] == first["properties"]
    assert client.get(f"/ogcapi/collections/{layer_id}/items", {"f": "html", "limit": 2}).status_code == 200


def test_paging_walks_the_whole_collection_without_gaps_or_repeats(client):
    from education.models import School
    seen, offset = [], 0
    while True:
        page = get_json(client, "/ogcapi/collections/schools/items", limit=100, offset=offset, sortby="id")
        seen += [f["id"] for f in page["features"]]
        next_links = [link for link in page["links"] if link["rel"] == "next"]
        if not next_links:
            break
        offset += 100
    assert seen == sorted(School.objects.values_list("id", flat=True))


def test_bbox_sortby_and_properties(client):
    from land.models import Parcel
    bbox = (106.85, 11.50, 106.92, 11.56)  # around Đồng Xoài
    expected = Parcel.objects.filter(geom__intersects=Polygon.from_bbox(bbox)).count()
    page = get_json(client, "/ogcapi/collections/parcels/items", bbox=",".join(map(str, bbox)),
                    limit=5, sortby="-area_m2", properties="land_use_code,area_m2")
    assert page["numberMatched"] == expected > 0
    areas = [f["properties"]["area_m2"] for f in page["features"]]
    assert areas == sorted(areas, reverse=True)
    assert set(page["features"][0]["properties"]) == {"land_use_code", "area_m2"}


def test_vietnamese_text_is_served_as_nfc_utf8(client):
    import unicodedata
    page = get_json(client, "/ogcapi/collections/admin_units/items", limit=50)
    names = [f["properties"]["name"] for f in page["features"]]
    assert "Thành phố Đồng Xoài" in names or any("Đồng" in n for n in names)
    assert all(unicodedata.is_normalized("NFC", n) for n in names)


def test_bad_parameters_get_a_clear_400_not_a_500(client):
    for params in ({"limit": "abc"}, {"offset": "-1"}, {"bbox": "1,2,3"}):
        response = client.get("/ogcapi/collections/parcels/items", {"f": "json", **params})
        assert response.status_code == 400, params
        assert response.json()["code"]
    assert get_json(client, "/ogcapi/collections/no_such_layer/items", status=404)["code"]
    assert client.post("/ogcapi/collections/parcels/items", {}).status_code == 401  # writes need a sign-in


def test_paths_without_a_trailing_slash_work_as_gdal_asks_them(client):
    assert client.get("/ogcapi/collections", {"f": "json"}).status_code == 200
    assert client.get("/ogcapi/collections/", {"f": "json"}).status_code == 200


def test_the_landing_page_answers_without_a_redirect(client):
    """QGIS's OAPIF provider does not follow the 301 from /ogcapi to /ogcapi/ (issue 9)."""
    bare, slashed = client.get("/ogcapi?f=json"), client.get("/ogcapi/?f=json")
    assert bare.status_code == slashed.status_code == 200
    assert bare.json()["links"] == slashed.json()["links"]


def test_features_are_served_as_geojson(client):
    """Items and an item in JSON are labelled application/geo+json (issue 9: they said application/json)."""
    assert client.get("/ogcapi/collections/schools/items?limit=2")["Content-Type"] == "application/geo+json"
    first = client.get("/ogcapi/collections/schools/items?limit=1").json()["features"][0]["id"]
    assert client.get(f"/ogcapi/collections/schools/items/{first}")["Content-Type"] == "application/geo+json"
    assert client.get("/ogcapi/collections/schools/items?f=html")["Content-Type"].startswith("text/html")
