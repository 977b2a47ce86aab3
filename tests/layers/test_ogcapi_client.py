"""An independent OGC API client (OWSLib) pages through a collection served by gunicorn."""
import pytest
from owslib.ogcapi.features import Features

from education.models import School

pytestmark = pytest.mark.django_db

def test_owslib_pages_through_the_schools(platform_url):
    api = Features(f"{platform_url}/ogcapi")
    assert "schools" in {c["id"] for c in api.collections()["collections"]}
    assert "cameras" not in {c["id"] for c in api.collections()["collections"]}
    ids, offset = [], 0
    while True:
        page = api.collection_items("schools", limit=150, offset=offset, sortby=("id", "asc"))
        assert page["numberMatched"] == 438
        ids += [f["id"] for f in page["features"]]
        if page["numberReturned"] < 150:
            break
        offset += 150
    assert ids == sorted(School.objects.values_list("id", flat=True))
    names = {f["properties"]["name"] for f in api.collection_items("schools", limit=500)["features"]}
    assert "Trung tâm Giáo dục thường xuyên tỉnh Bình Phước" in names


def test_gdal_reads_a_collection(platform_url, tmp_path):
    """ogr2ogr (GDAL's OAPIF driver) downloads the tourism POIs as a peer client would."""
    import shutil
    import subprocess

    if not shutil.which("ogr2ogr"):
        pytest.fail("ogr2ogr missing: make test installs gdal-bin")
    out = tmp_path / "pois.geojson"
    subprocess.run(["ogr2ogr", "-f", "GeoJSON", str(out), f"OAPIF:{platform_url}/ogcapi", "tourism_pois"],
                   check=True, capture_output=True, timeout=120)
    import json

    features = json.loads(out.read_text(encoding="utf-8"))["features"]
    assert len(features) == 72
    assert "Núi Bà Rá" in {f["properties"]["name"] for f in features}
