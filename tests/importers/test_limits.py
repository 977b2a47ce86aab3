"""Imports are bounded like every other write: a feature over its layer's vertex limit is refused
with the limit in the message (issue 8: a valid 1,000,000-vertex parcel was accepted, after which
a public click on it took 41 s)."""
import geopandas as gpd
import pytest
import shapely

from importers.services import ImportOptions, layer_import
from land.models import Parcel

from ..layers.test_bad_input import round_polygon

pytestmark = pytest.mark.django_db


def round_parcels(tmp_path, *vertex_counts):
    path = tmp_path / "tron.gpkg"
    circles = [shapely.MultiPolygon([round_polygon(106.95 + i * 0.001, 11.60, n)]) for i, n in enumerate(vertex_counts)]
    gpd.GeoDataFrame({"MaXa": ["25237"] * len(circles), "SoTo": [991] * len(circles),
                      "SoThua": list(range(1, len(circles) + 1)), "LoaiDat": ["ODT"] * len(circles)},
                     geometry=circles, crs=4326).to_file(path, driver="GPKG")
    return path


def test_a_million_vertex_parcel_is_refused_with_the_limit(tmp_path, settings):
    path = round_parcels(tmp_path, 1_000_000, 400)
    before = Parcel.objects.count()
    report = layer_import(layer_id="parcels", path=path, options=ImportOptions(
        mapping={"commune_code": "MaXa", "map_sheet_no": "SoTo", "parcel_no": "SoThua", "land_use_code": "LoaiDat"}))
    assert report.status == "rejected" and report.rejected == 1
    row, reason = report.reasons[0]
    assert row == 1 and "1.000.000 đỉnh" in reason and "10.000" in reason
    assert Parcel.objects.count() == before
    settings.GEO_MAX_VERTICES = {**settings.GEO_MAX_VERTICES, "parcels": 2_000_000}
    report = layer_import(layer_id="parcels", path=path, options=ImportOptions(dry_run=True, mapping={
        "commune_code": "MaXa", "map_sheet_no": "SoTo", "parcel_no": "SoThua", "land_use_code": "LoaiDat"}))
    assert report.rejected == 0  # the limit is a setting, per layer
