"""The parcel panel: numbers checked against geometry computed independently (shapely + pyproj)."""
import pytest
import shapely
from pyproj import Geod

from land.models import Parcel
from planning.models import ZoningZone

pytestmark = pytest.mark.django_db
GEOD = Geod(ellps="WGS84")


def geodesic_area(geom) -> float:
    """Area in m² on the WGS84 ellipsoid, by pyproj (independent of PostGIS)."""
    return abs(GEOD.geometry_area_perimeter(geom)[0])


def split_parcel():
    """A parcel that two or more zones share (the demo grid of zones cuts some parcels)."""
    for parcel in Parcel.objects.order_by("id")[:3000]:
        if ZoningZone.objects.filter(geom__intersects=parcel.geom).count() >= 2:
            return parcel
    pytest.fail("no parcel split by zones in the demo province")


def test_panel_of_a_parcel_split_by_zones(client):
    parcel = split_parcel()
    panel = client.get(f"/api/parcels/{parcel.pk}").json()
    assert panel["identity"] == {"commune_code": parcel.commune_id, "commune": parcel.commune.name,
                                 "district": parcel.commune.parent.name, "map_sheet_no": parcel.map_sheet_no,
                                 "parcel_no": parcel.parcel_no}
    parcel_shape = shapely.from_wkb(bytes(parcel.geom.wkb))
    assert panel["area_m2"] == pytest.approx(geodesic_area(parcel_shape), abs=0.006)  # rounded to cm²
    assert panel["land_use"]["code"] == parcel.land_use_id and panel["land_use"]["name_vi"]
    assert len(panel["zones"]) >= 2
    footprint = floor_area = 0.0
    for row in panel["zones"]:
        zone = ZoningZone.objects.get(zone_code=row["zone_code"], geom__intersects=parcel.geom)
        overlap = shapely.intersection(parcel_shape, shapely.from_wkb(bytes(zone.geom.wkb)))
        assert row["share_m2"] == pytest.approx(geodesic_area(overlap), abs=0.011)
        assert row["share_pct"] == pytest.approx(100 * row["share_m2"] / panel["area_m2"], abs=0.01)
        if zone.building_density_pct is not None:
            footprint += row["share_m2"] * zone.building_density_pct / 100
            floor_area += row["share_m2"] * zone.building_density_pct / 100 * (zone.max_floors or 0)
    assert sum(r["share_pct"] for r in panel["zones"]) == pytest.approx(100, abs=0.1)  # zones tile the parcel here
    if panel["buildable"]["footprint_m2"] is not None:
        assert panel["buildable"]["footprint_m2"] == pytest.approx(footprint, abs=0.05)
        assert panel["buildable"]["floor_area_m2"] == pytest.approx(floor_area, abs=0.5)


def test_panel_by_point_and_errors(client):
    parcel = Parcel.objects.order_by("id").first()
    inside = parcel.geom.point_on_surface
    assert client.get("/api/parcels/at", {"lon": inside.x, "lat": inside.y}).json()["id"] == parcel.pk
    assert client.get("/api/parcels/at", {"lon": 106.0, "lat": 10.0}).status_code == 404
    assert client.get("/api/parcels/at", {"lon": "x"}).status_code == 400
    assert client.get("/api/parcels/999999999").status_code == 404
    assert "owner" not in client.get(f"/api/parcels/{parcel.pk}").content.decode()  # no personal data


def test_one_page_pdf_report(client):
    parcel = split_parcel()
    response = client.get(f"/api/parcels/{parcel.pk}/report.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = response.content
    assert pdf.startswith(b"%PDF") and b"/Count 1" in pdf  # one page
    assert f"parcel {parcel.commune_id}/{parcel.map_sheet_no}/{parcel.parcel_no}".encode() in pdf
    assert b"DejaVu" in pdf  # the bundled font with Vietnamese glyphs is embedded
    assert client.get("/api/parcels/999999999/report.pdf").status_code == 404
