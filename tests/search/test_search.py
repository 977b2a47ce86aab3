"""The citizens' search box: names with or without diacritics, any case, typos; parcel identity;
coordinates in WGS84 and VN-2000 TM-3; nothing found says so with suggestions."""
import pytest
from pyproj import Transformer

from land.models import Parcel

pytestmark = pytest.mark.django_db


def first(client, q, **params):
    results = client.get("/api/search", {"q": q, **params}).json()["results"]
    return results[0] if results else None


@pytest.mark.parametrize("query", ["Thành phố Đồng Xoài", "dong xoai", "DONG XOAI", "Đồng xoài", "dong xaoi", "Dong Xoia"])
def test_place_names_with_or_without_diacritics_case_or_typos(client, query):
    assert first(client, query)["label"] == "Thành phố Đồng Xoài"


def test_roads_and_sights(client):
    assert first(client, "quoc lo 14")["label"] == "Quốc lộ 14"
    assert first(client, "ĐT741")["label"] == "Đường tỉnh 741"  # as people write it
    assert first(client, "ql13")["label"] == "Quốc lộ 13"
    assert first(client, "TX Binh Long")["label"] == "Thị xã Bình Long"
    assert first(client, "ba ra")["label"] == "Núi Bà Rá"


def test_parcel_identity_typed_or_with_a_commune_name(client):
    parcel = Parcel.objects.select_related("commune").order_by("id")[10]
    by_code = first(client, f"{parcel.commune_id} {parcel.map_sheet_no} {parcel.parcel_no}")
    assert by_code["kind"] == "parcel" and by_code["parcel_id"] == parcel.pk
    short = parcel.commune.name.split(" ", 1)[1]
    response = client.get("/api/search", {"q": f"{short} tờ {parcel.map_sheet_no} thửa {parcel.parcel_no}"}).json()
    assert parcel.pk in [r["parcel_id"] for r in response["results"]]
    assert client.get("/api/search", {"q": f"{parcel.commune_id} 999 9999"}).json()["results"] == []


def test_coordinates_in_wgs84_and_vn2000(client):
    assert first(client, "11.535, 106.884")["lat"] == pytest.approx(11.535)
    assert first(client, "106.884 11.535")["lon"] == pytest.approx(106.884)
    x, y = Transformer.from_crs(4326, 9212, always_xy=True).transform(106.884, 11.535)
    hit = first(client, f"{x:.2f} {y:.2f}")
    assert (hit["lon"], hit["lat"]) == (pytest.approx(106.884, abs=1e-7), pytest.approx(11.535, abs=1e-7))
    x, y = Transformer.from_crs(4326, 3405, always_xy=True).transform(106.884, 11.535)
    hit = first(client, f"{x:.2f}, {y:.2f}", crs="3405")
    assert hit["lon"] == pytest.approx(106.884, abs=1e-7)
    assert first(client, "21.0, 105.8")["outside"] is True
    assert client.get("/api/search", {"q": "x", "crs": "4326"}).status_code == 400


def test_nothing_found_says_so_and_suggests(client):
    response = client.get("/api/search", {"q": "dong xxxxxx"}).json()
    assert response["results"] == [] and response["suggestions"]
    assert any("Đồng" in s for s in response["suggestions"])
    assert client.get("/api/search", {"q": ""}).json()["results"] == []
