"""CQL2 filters (OGC API Features Part 3) from real clients against the platform served by gunicorn:
GDAL's OAPIF driver turns an OGR attribute filter into a server-side `filter`, OWSLib passes
CQL2 text and JSON; each gets exactly the features the database says match."""
import json
import os
import shutil
import subprocess

import pytest
from django.contrib.gis.geos import Polygon
from owslib.ogcapi.features import Features

from education.models import School
from land.models import Parcel

pytestmark = pytest.mark.django_db


def gdal(*args: str, cwd) -> subprocess.CompletedProcess:
    if not shutil.which("ogr2ogr"):
        pytest.fail("ogr2ogr missing: make test installs gdal-bin")
    # CPL_DEBUG logs every URL the driver fetches (its "HTTP: Fetch(...)" lines) on stderr.
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=120, cwd=cwd,
                          env={**os.environ, "CPL_DEBUG": "ON"})


def test_gdal_sends_an_attribute_filter_to_the_server(platform_url, tmp_path):
    where = "level = 'primary' AND students > 500"
    out = tmp_path / "schools.geojson"
    run = gdal("ogr2ogr", "-f", "GeoJSON", str(out), f"OAPIF:{platform_url}/ogcapi", "schools", "-where", where,
               cwd=tmp_path)
    fetched = [line for line in run.stderr.splitlines() if "Fetch(" in line and "/collections/schools/items" in line]
    assert any("filter=" in line and "filter-lang=" in line for line in fetched), fetched  # filtered by the server
    names = sorted(f["properties"]["name"] for f in json.loads(out.read_text(encoding="utf-8"))["features"])
    expected = sorted(School.objects.filter(level_id="primary", students__gt=500).values_list("name", flat=True))
    assert names == expected and 0 < len(names) < School.objects.count()


def test_gdal_filters_with_text_in_vietnamese_and_a_quote(platform_url, tmp_path):
    school = School.objects.order_by("id").first()
    name = school.name.replace("'", "''")
    run = gdal("ogrinfo", "-ro", "-al", "-so", "-where", f"name = '{name}'", f"OAPIF:{platform_url}/ogcapi",
               "schools", cwd=tmp_path)
    assert "Feature Count: 1" in run.stdout, run.stdout[-500:]


def test_owslib_filters_with_cql2_text(platform_url):
    api = Features(f"{platform_url}/ogcapi")
    page = api.collection_items("schools", limit=1000, filter="students >= 1000 AND district_code <> '689'")
    expected = School.objects.filter(students__gte=1000).exclude(district_id="689")
    assert sorted(f["id"] for f in page["features"]) == sorted(expected.values_list("id", flat=True))
    assert page["numberMatched"] == expected.count() > 0


def test_owslib_filters_with_cql2_json_and_a_spatial_predicate(platform_url):
    api = Features(f"{platform_url}/ogcapi")
    box = (106.85, 11.50, 106.92, 11.56)  # around Đồng Xoài, lon/lat degrees
    x1, y1, x2, y2 = box
    ring = [[x1, y1], [x2, y1], [x2, y2], [x1, y2], [x1, y1]]
    cql = {"op": "and", "args": [
        {"op": "s_intersects", "args": [{"property": "geometry"}, {"type": "Polygon", "coordinates": [ring]}]},
        {"op": "=", "args": [{"property": "land_use_code"}, "ODT"]}]}
    page = api.collection_items("parcels", limit=1000, filter=json.dumps(cql), **{"filter-lang": "cql2-json"})
    expected = Parcel.objects.filter(geom__intersects=Polygon.from_bbox(box), land_use_id="ODT")
    assert sorted(f["id"] for f in page["features"]) == sorted(expected.values_list("id", flat=True))
    assert expected.exists()


def test_owslib_gets_a_400_for_a_hostile_filter(platform_url):
    import requests

    for hostile in ("name = 'x' OR 1 IN (SELECT 1)", "pg_sleep(1) = 1", "secret = 1", "name = 'x'; DROP TABLE x"):
        response = requests.get(f"{platform_url}/ogcapi/collections/schools/items", {"filter": hostile}, timeout=30)
        assert response.status_code == 400, (hostile, response.text[:300])
        assert response.json()["code"] == "InvalidParameterValue" and " / " in response.json()["description"]
