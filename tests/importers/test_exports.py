"""export_layer: formats, reprojection, filters, and the round trip export -> import."""
import zipfile

import geopandas as gpd
import pytest
from django.core.management import call_command
from django.db import connection

from importers.exports import layer_export
from importers.services import ImportOptions, layer_import
from land.models import Parcel
from layers import registry
from places.selectors import admin_unit_wkb
from planning.models import ZoningZone

pytestmark = pytest.mark.django_db


COLUMNS = "commune_code, map_sheet_no, parcel_no, land_use_code, address"


def attributes() -> list:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {COLUMNS} FROM land_parcel ORDER BY {COLUMNS}")
        return cursor.fetchall()


def largest_shift_deg() -> float:
    """How far (degrees) any reloaded parcel lies from the one it was exported from (Hausdorff)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(ST_HausdorffDistance(a.geom, b.geom)) FROM before_export a JOIN land_parcel b "
                       "USING (commune_code, map_sheet_no, parcel_no)")
        return cursor.fetchone()[0]


@pytest.mark.parametrize("fmt,suffix,srid", [("gpkg", ".gpkg", None), ("shp", ".zip", 9212), ("geojson", ".geojson", None),
                                             ("csv", ".csv", None), ("gpkg", ".gpkg", 3405)])
def test_parcels_round_trip(tmp_path, fmt, suffix, srid):
    before = attributes()
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE before_export AS SELECT * FROM land_parcel")
    out = tmp_path / f"parcels{suffix}"
    report = layer_export(spec=registry.get("parcels"), fmt=fmt, out_path=out, srid=srid)
    assert report.features == len(before)
    options = ImportOptions(mode="replace", crs="EPSG:4326" if fmt == "csv" else None)
    result = layer_import(layer_id="parcels", path=out, options=options)
    assert result.written and result.accepted == len(before), result.reasons
    assert attributes() == before
    assert largest_shift_deg() < 1e-8  # ~1 mm: reprojection and back, and text coordinates, lose nothing


def test_shapefile_export_is_utf8_with_cpg_and_vn2000(tmp_path):
    out = tmp_path / "zoning.zip"
    call_command("export_layer", "zoning", str(out), "--crs", "9212", verbosity=0)
    with zipfile.ZipFile(out) as archive:
        assert sorted(n.rsplit(".", 1)[1] for n in archive.namelist()) == ["cpg", "dbf", "prj", "shp", "shx"]
        assert archive.read("zoning.cpg").decode().strip().upper().replace("-", "") == "UTF8"
    frame = gpd.read_file(f"zip://{out}")
    assert frame.crs.to_epsg() == 9212
    assert set(frame["plan_name"]) == set(ZoningZone.objects.values_list("plan_name", flat=True))
    assert 400_000 < frame.total_bounds[0] < 700_000  # TM-3 eastings, metres


def test_filters_by_unit_and_bbox(tmp_path):
    unit = admin_unit_wkb("689")  # Đồng Xoài
    report = layer_export(spec=registry.get("schools"), fmt="geojson", out_path=tmp_path / "dx.geojson", unit_wkb=unit)
    from education.models import School
    assert report.features == School.objects.filter(district_id="689").count() > 0
    bbox = (106.85, 11.50, 106.92, 11.56)
    from django.contrib.gis.geos import Polygon
    report = layer_export(spec=registry.get("parcels"), fmt="gpkg", out_path=tmp_path / "box.gpkg", bbox=bbox)
    assert report.features == Parcel.objects.filter(geom__intersects=Polygon.from_bbox(bbox)).count() > 0
