"""Hostile files are refused with a clear message, within the configured limits, nothing extracted."""
import pytest

from importers.services import ImportOptions, layer_import
from importers.safety import ImportRejected
from land.models import Parcel

from . import corpus

pytestmark = pytest.mark.django_db


def refused(layer, path, match, **options):
    before = Parcel.objects.count()
    with pytest.raises(ImportRejected, match=match):
        layer_import(layer_id=layer, path=path, options=ImportOptions(**options))
    assert Parcel.objects.count() == before


@pytest.mark.parametrize("kind,match", [("traversal", "không an toàn"), ("absolute", "không an toàn"),
                                        ("bomb", "zip bomb"), ("entries", "too many entries"),
                                        ("corrupt", "corrupt")])
def test_hostile_archives(tmp_path, kind, match):
    refused("parcels", corpus.hostile_zip(tmp_path / f"{kind}.zip", kind), match)
    assert not (tmp_path / "etc").exists() and not list(tmp_path.glob("*.shp"))


def test_xml_entities_in_kml_and_xlsx(tmp_path):
    refused("tourism_pois", corpus.kml(tmp_path / "xxe.kml", entity=True), "ENTITY")
    rows = [["A", "hotel", 106.9, 11.6]]
    refused("tourism_pois", corpus.xlsx_with_entity(tmp_path / "xxe.xlsx", rows, ["ten", "loai", "lon", "lat"]), "ENTITY")


def test_formula_cells(tmp_path):
    rows = [["A", "hotel", 106.9, 11.6], ["=cmd|' /C calc'!A0", "hotel", 106.9, 11.6]]
    refused("tourism_pois", corpus.csv_file(tmp_path / "f.csv", rows, ["ten", "loai", "lon", "lat"]), "công thức",
            mapping={"name": "ten", "category": "loai"})
    refused("tourism_pois", corpus.xlsx(tmp_path / "f.xlsx", rows[:1], ["ten", "loai", "lon", "lat"], formula_cell="A2"),
            "công thức", mapping={"name": "ten", "category": "loai"})


def test_negative_numbers_are_not_formulas(tmp_path):
    rows = [["A", "hotel", "106.9", "11.6", "-5"]]
    path = corpus.csv_file(tmp_path / "n.csv", rows, ["ten", "loai", "lon", "lat", "cao_do"])
    report = layer_import(layer_id="tourism_pois", path=path,
                          options=ImportOptions(mapping={"name": "ten", "category": "loai"}, dry_run=True))
    assert report.rejected == 0


def test_size_limit_and_unknown_formats(tmp_path, settings):
    settings.GEO_IMPORT_LIMITS = {**settings.GEO_IMPORT_LIMITS, "max_file_bytes": 1000}
    path = corpus.write_shapefile_zip(corpus.parcel_squares(40), tmp_path / "lon.zip")
    refused("parcels", path, "quá lớn")
    other = tmp_path / "a.exe"
    other.write_bytes(b"MZ")
    refused("parcels", other, "không được hỗ trợ")
    empty = tmp_path / "rong.geojson"
    empty.write_bytes(b"")
    refused("parcels", empty, "rỗng|too large")


def test_a_file_that_is_not_what_it_says(tmp_path):
    fake = tmp_path / "gia.gpkg"
    fake.write_bytes(b"this is not a geopackage" * 100)
    refused("parcels", fake, "nội dung là CSV")
