"""The items answer built by PostGIS (ogcapi.features) and pygeoapi's provider on Django's connection
(ogcapi.provider): the same features, counts, links, CRSs and filters as a client expects, in one
statement, with no database connection or credentials of pygeoapi's own."""
import gzip
import json

import pytest
from django.contrib.gis.geos import Polygon
from django.db import connection

from education.models import School
from land.models import Parcel
from ogcapi import config, features

pytestmark = pytest.mark.django_db
ITEMS = "/ogcapi/collections/parcels/items"
BOX = (106.85, 11.50, 106.92, 11.56)  # around Đồng Xoài, lon/lat degrees
BBOX = ",".join(map(str, BOX))


def in_box():
    return Parcel.objects.filter(geom__intersects=Polygon.from_bbox(BOX))


def get(client, url, status=200, **params):
    response = client.get(url, params)
    assert response.status_code == status, response.content[:500]
    return response


def test_the_configuration_holds_no_database_connection():
    text = config.committed_yaml()
    assert "password" not in text and "${DB_" not in text and "PostgreSQL" not in text
    providers = [p for r in config.load(base_url="http://x/ogcapi")["resources"].values()
                 for p in r.get("providers", []) if p["type"] == "feature"]
    assert providers and all(p["name"] == config.PROVIDER and set(p["data"]) == {"layer"} for p in providers)


def test_a_page_is_one_statement_on_djangos_connection(client, django_assert_max_num_queries):
    from pygeoapi.provider import sql as pygeoapi_sql

    get(client, ITEMS, limit=5)  # the session's statement timeout is set on the first request
    with django_assert_max_num_queries(1):
        page = get(client, ITEMS, limit=1000, bbox=BBOX).json()
    assert page["numberReturned"] == min(1000, in_box().count())
    with django_assert_max_num_queries(2):  # the raster catalogue (the role's API), the page
        get(client, ITEMS, limit=5, f="html")
    assert pygeoapi_sql.get_engine.cache_info().currsize == 0  # pygeoapi never opened a pool


def test_features_match_the_database_in_order_with_links(client):
    page = get(client, ITEMS, limit=7, offset=3, bbox=BBOX, sortby="-area_m2,map_sheet_no")
    expected = list(in_box().order_by("-area_m2", "map_sheet_no", "id")[3:10])
    assert [f["id"] for f in page.json()["features"]] == [p.pk for p in expected]
    first = page.json()["features"][0]
    assert first["properties"]["land_use_code"] == expected[0].land_use_id
    assert first["properties"]["area_m2"] == pytest.approx(expected[0].area_m2)
    assert "id" not in first["properties"] and first["geometry"]["type"] == "MultiPolygon"
    # Coordinates as stored, not rounded (the as-of reads and single features give the same).
    assert first["geometry"]["coordinates"][0][0][0] == pytest.approx(list(expected[0].geom[0][0][0]), abs=1e-12)
    links = {link["rel"]: link["href"] for link in page.json()["links"]}
    assert "offset=10" in links["next"] and "offset=0" in links["prev"] and "sortby=-area_m2,map_sheet_no" in links["next"]
    assert links["collection"].endswith("/ogcapi/collections/parcels") and "f=html" in links["alternate"]
    assert page["Content-Type"] == "application/geo+json" and page.json()["timeStamp"].endswith("Z")
    assert page["Content-Crs"] == f"<{config.CRS84}>"


def test_number_matched_is_exact_when_cheap_and_left_out_beyond_the_cap(client, monkeypatch):
    total = in_box().count()  # a few hundred parcels of the 3,000 seeded (tests/conftest.py)
    assert total > 40
    monkeypatch.setattr(features, "COUNT_CAP", 40)
    over = get(client, ITEMS, limit=10, bbox=BBOX).json()
    assert "numberMatched" not in over and any(link["rel"] == "next" for link in over["links"])
    last = get(client, ITEMS, limit=10, offset=total - 3, bbox=BBOX).json()  # a short page tells the count
    assert last["numberMatched"] == total and last["numberReturned"] == 3
    assert not any(link["rel"] == "next" for link in last["links"])
    hits = get(client, ITEMS, resulttype="hits", bbox=BBOX).json()  # asked for: counted exactly
    assert hits["numberMatched"] == total and hits["features"] == []
    monkeypatch.setattr(features, "COUNT_CAP", 10_000)
    exact = get(client, ITEMS, limit=10, bbox=BBOX).json()
    assert exact["numberMatched"] == total


@pytest.mark.parametrize("sortby", [None, "-area_m2,map_sheet_no", "address"])
def test_a_page_is_the_same_cut_from_the_counted_matches_or_from_the_table(client, monkeypatch, sortby):
    """Up to the cap the page is cut from the matches the count found, beyond it from the table: the
    same features in the same order either way (ogcapi.features.page_statement)."""
    order = [*(sortby.split(",") if sortby else []), "id"]
    expected = [p.pk for p in in_box().order_by(*order)[5:12]]
    query = {"limit": 7, "offset": 5, "bbox": BBOX, **({"sortby": sortby} if sortby else {})}
    for cap in (10_000, 40):  # a few hundred parcels in the box: under, then over the cap
        monkeypatch.setattr(features, "COUNT_CAP", cap)
        page = get(client, ITEMS, **query).json()
        assert [f["id"] for f in page["features"]] == expected, cap
        assert ("numberMatched" in page) == (cap == 10_000)


def test_output_crs_is_transformed_by_postgis_in_its_axis_order(client):
    parcel = Parcel.objects.order_by("id").first()
    x, y = parcel.geom[0][0][0]
    lat_lon = get(client, ITEMS, limit=1, crs="http://www.opengis.net/def/crs/EPSG/0/4326")
    assert lat_lon["Content-Crs"] == "<http://www.opengis.net/def/crs/EPSG/0/4326>"
    assert lat_lon.json()["features"][0]["geometry"]["coordinates"][0][0][0] == pytest.approx([y, x], abs=1e-12)
    vn2000 = get(client, ITEMS, limit=1, crs="http://www.opengis.net/def/crs/EPSG/0/3405").json()
    easting, northing = parcel.geom.transform(3405, clone=True)[0][0][0]
    assert vn2000["features"][0]["geometry"]["coordinates"][0][0][0] == pytest.approx([easting, northing], abs=1e-3)


def test_a_bbox_in_another_crs_selects_the_same_place(client):
    envelope = Polygon.from_bbox(BOX)
    envelope.srid = 4326
    projected = envelope.transform(3405, clone=True).extent
    page = get(client, ITEMS, limit=1000, bbox=",".join(map(str, projected)),
               **{"bbox-crs": "http://www.opengis.net/def/crs/EPSG/0/3405"}).json()
    around = Polygon.from_bbox(projected)
    around.srid = 3405
    expected = Parcel.objects.filter(geom__intersects=around.transform(4326, clone=True).envelope)
    assert sorted(f["id"] for f in page["features"]) == sorted(expected.values_list("id", flat=True))
    lat_first = get(client, ITEMS, limit=1000, bbox=f"{BOX[1]},{BOX[0]},{BOX[3]},{BOX[2]}",
                    **{"bbox-crs": "http://www.opengis.net/def/crs/EPSG/0/4326"}).json()
    assert lat_first["numberMatched"] == in_box().count()


def test_property_filters_q_properties_and_skip_geometry(client):
    page = get(client, ITEMS, limit=1000, land_use_code="ODT", properties="land_use_code", skipGeometry="true").json()
    assert page["numberMatched"] == Parcel.objects.filter(land_use_id="ODT").count()
    assert all(f["properties"] == {"land_use_code": "ODT"} and f["geometry"] is None for f in page["features"])
    found = get(client, "/ogcapi/collections/schools/items", limit=1000, q="tiểu HỌC").json()
    assert found["numberMatched"] == School.objects.filter(name__icontains="tiểu học").count() > 0


def test_cql2_text_and_json_filters(client):
    text = get(client, ITEMS, limit=1000, filter="land_use_code = 'ODT' AND area_m2 > 300").json()
    expected = Parcel.objects.filter(land_use_id="ODT", area_m2__gt=300)
    assert sorted(f["id"] for f in text["features"]) == sorted(expected.values_list("id", flat=True))
    cql = {"op": "in", "args": [{"property": "land_use_code"}, ["ODT", "ONT"]]}
    as_json = get(client, ITEMS, limit=1, filter=json.dumps(cql), **{"filter-lang": "cql2-json"}).json()
    assert as_json["numberMatched"] == Parcel.objects.filter(land_use_id__in=["ODT", "ONT"]).count()
    both = get(client, ITEMS, limit=1000, bbox=BBOX, filter="land_use_code = 'ODT'").json()
    assert both["numberMatched"] == in_box().filter(land_use_id="ODT").count()


@pytest.mark.parametrize("query", [
    {"filter": "nothing = 1"}, {"filter": "land_use_code = 'ODT' OR 1 IN (SELECT 1)"}, {"filter": "pg_sleep(1) = 1"},
    {"filter": "area_m2 > 'abc'"}, {"filter": "land_use_code ="}, {"filter": "x", "filter-lang": "sql"},
    {"filter": "land_use_code = 'ODT'", "filter-crs": "EPSG:4326"}, {"filter-lang": "cql2-json"},
])
def test_filters_the_server_cannot_answer_are_400_in_two_languages(client, query):
    body = get(client, ITEMS, status=400, **query).json()
    assert body["code"] == "InvalidParameterValue" and " / " in body["description"]


def test_a_filter_does_not_reveal_an_internal_layer(client):
    assert get(client, "/ogcapi/collections/water_valves/items", status=404, filter="nothing = 1").json()["code"] == \
        "NotFound"


def test_the_html_page_is_filtered_through_the_provider(client):
    school = School.objects.order_by("id").first()
    other = School.objects.exclude(name=school.name).order_by("id").first()
    page = get(client, "/ogcapi/collections/schools/items", f="html", limit=50,
               filter=f"name = '{school.name}'").content.decode()
    assert school.name in page and other.name not in page
    one = get(client, f"/ogcapi/collections/schools/items/{school.pk}", f="html").content.decode()
    assert school.name in one


def test_the_filtered_html_pages_link_to_the_next_page_of_the_same_filter(client):
    """An officer paging through a filtered list stays in the filter (Next, Prev and the JSON link)."""
    import html
    import re

    use = Parcel.objects.values_list("land_use_id", flat=True).order_by("id").first()
    matching = Parcel.objects.filter(land_use_id=use).count()
    assert matching > 4
    query = {"f": "html", "limit": 2, "filter": f"land_use_code = '{use}'", "filter-lang": "cql2-text"}
    first = get(client, "/ogcapi/collections/parcels/items", **query).content.decode()
    hrefs = {text: html.unescape(href) for href, text in
             re.findall(r'<a role="button" href="([^"]+)">(Trang sau|Next|Trang trước|Prev)</a>', first)}
    following = hrefs.get("Trang sau") or hrefs.get("Next")
    assert following and "filter=land_use_code" in following and "filter-lang=cql2-text" in following, hrefs
    second = client.get(following, HTTP_ACCEPT="text/html,application/xhtml+xml")  # as a browser follows it
    assert second.status_code == 200
    ids = [int(i) for i in re.findall(r'/ogcapi/collections/parcels/items/(\d+)"', second.content.decode())]
    assert ids and set(Parcel.objects.filter(pk__in=ids).values_list("land_use_id", flat=True)) == {use}
    back = re.findall(r'<a role="button" href="([^"]+)">(?:Trang trước|Prev)</a>', second.content.decode())
    assert back and "filter=land_use_code" in html.unescape(back[0])
    as_json = re.search(r'<a href="([^"]+)">json</a>', first)
    assert as_json and "filter=land_use_code" in html.unescape(as_json.group(1))


def test_queryables_and_conformance_advertise_the_filters(client):
    queryables = get(client, "/ogcapi/collections/parcels/queryables")
    assert queryables["Content-Type"] == "application/schema+json"
    names = set(queryables.json()["properties"])
    assert names == {"geometry", "id", "commune_code", "map_sheet_no", "parcel_no", "land_use_code", "address",
                     "area_m2"}
    assert queryables.json()["$id"].endswith("/ogcapi/collections/parcels/queryables")
    conformance = get(client, "/ogcapi/conformance").json()["conformsTo"]
    assert {"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
            "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
            "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json"} <= set(conformance)
    openapi = get(client, "/ogcapi/openapi", f="json").json()
    items = openapi["paths"]["/collections/parcels/items"]["get"]["parameters"]
    lang = next(p for p in items if p.get("name") == "filter-lang")
    assert "cql-text" in lang["schema"]["enum"]  # GDAL's OAPIF driver filters on the server only then


def test_large_pages_are_gzipped_and_limited_in_size(client, settings):
    plain = get(client, ITEMS, limit=500)
    packed = client.get(ITEMS, {"limit": 500}, HTTP_ACCEPT_ENCODING="gzip")
    assert packed["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed["Vary"]
    document, unpacked = plain.json(), json.loads(gzip.decompress(packed.content))
    assert unpacked["features"] == document["features"]
    settings.GEO_MAX_RESPONSE_BYTES = 10_000
    assert get(client, ITEMS, status=400, limit=500).json()["code"] == "ResponseTooLarge"


def test_output_crs_axis_orders_are_resolved_once():
    features.crs_srid.cache_clear()
    features.resolve_output_crs()
    assert features.crs_srid.cache_info().currsize == len(config.OUTPUT_CRS)
    assert features.crs_srid("http://www.opengis.net/def/crs/EPSG/0/4326") == (4326, True)
    assert features.crs_srid(config.CRS84) == (4326, False)
    assert connection.vendor == "postgresql"
