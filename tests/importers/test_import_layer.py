"""import_layer: formats, coordinates, Vietnamese encodings, checks, modes, all or nothing."""
import csv
import signal
import subprocess
import sys
import time

import pytest
import shapely
from django.core.management import CommandError, call_command
from django.db import connection

from importers import vnencodings
from importers.models import ImportRecord
from layers import registry, writes
from layers.editing import Editor
from importers.services import ImportOptions, layer_import
from importers.safety import ImportRejected
from importers.sources import EncodingUnsure
from land.models import Parcel
from tests.conftest import ROOT
from tests.schema import parcel_table_definitions
from tourism.models import TourismPoi
from transport.models import Streetlight

from . import corpus

pytestmark = pytest.mark.django_db


def run(layer_id, path, **options):
    return layer_import(layer_id=layer_id, path=path, options=ImportOptions(**options))


def near_origin(geom) -> float:
    """Distance (degrees) from ORIGIN to the nearest vertex: the square's first corner."""
    return min(abs(x - corpus.ORIGIN[0]) + abs(y - corpus.ORIGIN[1]) for x, y in geom[0].exterior_ring.coords)


@pytest.mark.parametrize("encoding,cpg", [("tcvn3", None), ("vni", None), ("cp1258", "CP1258"), ("utf-8", "UTF-8"),
                                          ("utf-8", None)])
def test_zipped_shapefile_in_vn2000_with_vietnamese_text(tmp_path, encoding, cpg):
    frame = corpus.parcel_squares(8)
    path = corpus.write_shapefile_zip(frame, tmp_path / "thua.zip", encoding=encoding, cpg=cpg)
    report = run("parcels", path)
    assert report.written and report.accepted == 8 and report.rejected == 0
    assert report.source["encoding"] == encoding
    assert report.source["crs"].startswith("EPSG:9212")
    assert report.mapping == {"commune_code": "MaXa", "map_sheet_no": "SoTo", "parcel_no": "SoThua",
                              "land_use_code": "LoaiDat", "address": "DiaChi"}
    loaded = Parcel.objects.filter(map_sheet_no=900).order_by("parcel_no")
    assert [p.address for p in loaded] == corpus.NAMES
    # Independently: the first square's corner, back from VN-2000 to lon/lat, is ORIGIN.
    first = loaded[0]
    assert near_origin(first.geom) < 1e-8
    assert first.area_m2 == pytest.approx(600, rel=2e-3)  # 20 m x 30 m (TM-3 scale factor 0.9999)
    assert first.geom.geom_type == "MultiPolygon"  # promoted from Polygon


def test_unsure_encoding_asks_for_a_choice_showing_each_reading(tmp_path):
    frame = corpus.parcel_squares(1)
    frame["DiaChi"] = ["Tân"]  # reads plausibly as cp1258 and as TCVN3 ("Tõn")
    path = corpus.write_shapefile_zip(frame, tmp_path / "mo-ho.zip", encoding="cp1258")
    with pytest.raises(EncodingUnsure) as unsure:
        run("parcels", path)
    assert unsure.value.readings["cp1258"] == ["Tân"] or "Tân" in unsure.value.readings["cp1258"]
    assert any("Tõn" in r for r in unsure.value.readings["tcvn3"])
    report = run("parcels", path, encoding="cp1258")
    assert report.written and Parcel.objects.get(map_sheet_no=900).address == "Tân"


def test_dry_run_reports_everything_and_writes_nothing(tmp_path):
    frame = corpus.parcel_squares(6)
    frame.loc[2, "LoaiDat"] = "XYZ"
    path = corpus.write_shapefile_zip(frame, tmp_path / "thu.zip", encoding="tcvn3")
    before = Parcel.objects.count()
    report = run("parcels", path, dry_run=True)
    assert report.status == "dry_run" and report.total == 6 and report.rejected == 1
    assert report.reasons[0][0] == 3 and "XYZ" in report.reasons[0][1]
    assert Parcel.objects.count() == before
    assert ImportRecord.objects.get(pk=report.record_id).status == "dry_run"


def test_invalid_rows_stop_the_import_unless_skipped(tmp_path):
    frame = corpus.parcel_squares(6)
    x, y = frame.geometry[4].bounds[:2]
    frame.loc[4, "geometry"] = shapely.Polygon([(x, y), (x + 20, y + 20), (x + 20, y), (x, y + 20)])  # bow tie
    frame.loc[1, "SoThua"] = 1  # same identity as row 1
    path = corpus.write_shapefile_zip(frame, tmp_path / "loi.zip")
    before = Parcel.objects.count()
    report = run("parcels", path)
    assert report.status == "rejected" and report.accepted == 0 and Parcel.objects.count() == before
    reasons = dict(report.reasons)
    assert "Self-intersection" in reasons[5] or "không hợp lệ" in reasons[5]
    assert "trùng" in reasons[1] or "trùng" in reasons[2]
    report = run("parcels", path, skip_invalid=True)
    assert report.written and report.accepted == 3 and report.rejected == 3
    assert Parcel.objects.count() == before + 3
    with open(report.rejects_file, encoding="utf-8-sig") as f:
        rejects = list(csv.DictReader(f))
    assert {r["row"] for r in rejects} == {"1", "2", "5"}
    assert all(r["reason"] for r in rejects) and rejects[0]["DiaChi"] in corpus.NAMES


def test_repair_on_request(tmp_path):
    frame = corpus.parcel_squares(2)
    x, y = frame.geometry[1].bounds[:2]
    frame.loc[1, "geometry"] = shapely.Polygon([(x, y), (x + 20, y + 20), (x + 20, y), (x, y + 20)])
    path = corpus.write_shapefile_zip(frame, tmp_path / "sua.zip")
    report = run("parcels", path, repair=True)
    assert report.written and report.accepted == 2 and report.repaired == 1
    assert Parcel.objects.get(map_sheet_no=900, parcel_no=2).geom.valid


def test_no_crs_is_a_clear_error_and_crs_option_fixes_it(tmp_path):
    path = corpus.write_shapefile_zip(corpus.parcel_squares(2), tmp_path / "noprj.zip", prj=False)
    with pytest.raises(ImportRejected, match="--crs"):
        run("parcels", path)
    assert run("parcels", path, crs="EPSG:9212").accepted == 2


@pytest.mark.parametrize("srid", [4756, 3405, 5897, 9212])
def test_every_vn2000_form(tmp_path, srid):
    path = corpus.write_shapefile_zip(corpus.parcel_squares(2, crs=srid), tmp_path / f"vn{srid}.zip")
    report = run("parcels", path)
    assert report.written, report.reasons
    first = Parcel.objects.get(map_sheet_no=900, parcel_no=1)
    assert near_origin(first.geom) < 1e-8


def test_outside_province_and_swapped_coordinates_are_reported(tmp_path):
    features = corpus.poi_features(3)
    features[1]["geometry"]["coordinates"] = [105.0, 21.0]  # Hà Nội
    features[2]["geometry"]["coordinates"] = [corpus.ORIGIN[1], corpus.ORIGIN[0]]  # lat, lon
    path = corpus.geojson(tmp_path / "poi.geojson", features)
    report = run("tourism_pois", path, mapping={"name": "Tên", "category": "Loại"})
    reasons = dict(report.reasons)
    assert "ngoài phạm vi tỉnh" in reasons[2]
    assert "đảo ngược" in reasons[3]


def test_bad_coordinates_and_z_values(tmp_path):
    features = corpus.poi_features(4)
    features[0]["geometry"]["coordinates"] = [corpus.ORIGIN[0], corpus.ORIGIN[1], 123.0]  # Z dropped
    features[1]["geometry"] = None
    features[2]["geometry"]["coordinates"] = [500.0, 11.6]
    features[3]["geometry"] = {"type": "LineString", "coordinates": [[106.9, 11.6], [106.91, 11.61]]}
    path = corpus.geojson(tmp_path / "xau.geojson", features)
    report = run("tourism_pois", path, mapping={"name": "Tên", "category": "Loại"}, skip_invalid=True)
    assert report.accepted == 1
    reasons = dict(report.reasons)
    assert "no geometry" in reasons[2] and "out of range" in reasons[3] and "wrong geometry type" in reasons[4]
    assert not TourismPoi.objects.get(name=f"{corpus.NAMES[0]} 0").geom.hasz


def test_fields_match_ignoring_case_and_diacritics_and_explicit_map_wins(tmp_path):
    features = corpus.poi_features(2)
    for f in features:
        f["properties"] = {"TÊN": f["properties"]["Tên"], "category": "hotel", "Địa_Chỉ": "Đồng Xoài", "ghi_chu": "x"}
    path = corpus.geojson(tmp_path / "ten.geojson", features)
    report = run("tourism_pois", path)
    assert report.mapping == {"name": "TÊN", "category": "category", "address": "Địa_Chỉ"}
    assert run("tourism_pois", path, mapping={"description": "ghi_chu"}, mode="replace").mapping["description"] == "ghi_chu"
    with pytest.raises(ImportRejected, match="nope"):
        run("tourism_pois", path, mapping={"name": "nope"})


def test_missing_required_column_is_refused(tmp_path):
    frame = corpus.parcel_squares(2).drop(columns=["LoaiDat"])
    path = corpus.write_shapefile_zip(frame, tmp_path / "thieu.zip")
    with pytest.raises(ImportRejected, match="land_use_code"):
        run("parcels", path)


def test_replace_and_upsert(tmp_path):
    lights = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [106.884 + i * 1e-4, 11.535]},
               "properties": {"light_code": f"NEW-{i}", "circuit": "T1", "lamp_type": "led", "wattage_w": 100,
                              "status": "operating"}} for i in range(3)]
    path = corpus.geojson(tmp_path / "den.geojson", lights)
    assert run("streetlights", path, mode="replace").accepted == 3
    assert Streetlight.objects.count() == 3
    lights[0]["properties"]["wattage_w"] = 250
    lights.append({**lights[1], "properties": {**lights[1]["properties"], "light_code": "NEW-9"}})
    path = corpus.geojson(tmp_path / "den2.geojson", lights)
    report = run("streetlights", path, mode="upsert", key=("light_code",))
    assert report.accepted == 4 and Streetlight.objects.count() == 4
    assert Streetlight.objects.get(light_code="NEW-0").wattage_w == 250
    with pytest.raises(ImportRejected, match="--key"):
        run("streetlights", path, mode="upsert")


def test_a_big_replace_builds_the_indexes_after_the_load_and_can_be_undone(tmp_path, settings):
    """From GEO_BULK_REBUILD_INDEXES_FROM rows a whole-layer replace drops the parcel table's secondary
    indexes, its identity constraint and foreign keys, loads, then builds them again: the table ends
    with the same definitions, the replaced parcels are logged with their before-image, and undoing
    the import brings them back with their ids."""
    settings.GEO_BULK_REBUILD_INDEXES_FROM = 5
    definitions = parcel_table_definitions()
    assert any("gist" in d for _, d in definitions[0]) and any(d.startswith("FOREIGN KEY") for _, d in definitions[1])
    first = run("parcels", corpus.write_shapefile_zip(corpus.parcel_squares(6), tmp_path / "to900.zip"))
    assert first.accepted == 6 and parcel_table_definitions() == definitions
    old = sorted(Parcel.objects.values_list("id", "map_sheet_no", "parcel_no", "address", "area_m2"))
    frame = corpus.parcel_squares(8, sheet=901)
    frame.loc[7, "SoThua"] = 1  # the same parcel twice: refused by the identity check before anything is written
    duplicated = run("parcels", corpus.write_shapefile_zip(frame, tmp_path / "trung.zip"), mode="replace")
    assert not duplicated.written and [r for r, _ in duplicated.reasons] == [1, 8]
    assert sorted(Parcel.objects.values_list("id", "map_sheet_no", "parcel_no", "address", "area_m2")) == old
    report = run("parcels", corpus.write_shapefile_zip(corpus.parcel_squares(8, sheet=901), tmp_path / "to901.zip"),
                 mode="replace")
    assert report.written and report.accepted == 8
    assert set(Parcel.objects.values_list("map_sheet_no", flat=True)) == {901}
    assert parcel_table_definitions() == definitions
    with connection.cursor() as cursor:
        cursor.execute("SELECT op, count(*), count(before) FROM layers_change WHERE layer_id = 'parcels' "
                       "AND record_id = %s GROUP BY op ORDER BY op", [report.record_id])
        assert cursor.fetchall() == [("D", len(old), len(old)), ("I", 8, 0)]
    undone = writes.undo_import(spec=registry.get("parcels"), editor=Editor.system("test"),
                                record_id=report.record_id)
    assert (undone.removed, undone.reinstated) == (8, len(old))
    assert sorted(Parcel.objects.values_list("id", "map_sheet_no", "parcel_no", "address", "area_m2")) == old


def test_geopackage_with_several_layers_needs_layer(tmp_path):
    path = tmp_path / "nhieu.gpkg"
    corpus.parcel_squares(3).to_file(path, layer="thua_dat", driver="GPKG")
    corpus.parcel_squares(2).to_file(path, layer="khac", driver="GPKG")
    with pytest.raises(ImportRejected, match="--layer"):
        run("parcels", path)
    assert run("parcels", path, layer="thua_dat").accepted == 3


def test_kml_csv_and_xlsx(tmp_path):
    report = run("tourism_pois", corpus.kml(tmp_path / "diem.kml"), mapping={"name": "Name"}, dry_run=True)
    assert report.total == 3 and report.rejected == 0 or "category" in str(report.reasons)
    rows = [[n, "hotel", corpus.ORIGIN[0] + i * 0.001, corpus.ORIGIN[1]] for i, n in enumerate(corpus.NAMES)]
    for encoding in ("utf-8", "tcvn3", "vni", "cp1258"):
        path = corpus.csv_file(tmp_path / f"diem-{encoding}.csv", rows, ["ten", "loai", "kinh_do", "vi_do"],
                               encoding=encoding)
        report = run("tourism_pois", path, mapping={"name": "ten", "category": "loai"}, dry_run=True)
        assert report.source["encoding"] == encoding and report.rejected == 0, (encoding, report.reasons)
    xlsx = corpus.xlsx(tmp_path / "diem.xlsx", rows, ["Tên", "Loại", "lon", "lat"])
    report = run("tourism_pois", xlsx, mapping={"name": "Tên", "category": "Loại"})
    assert report.accepted == len(corpus.NAMES)
    assert TourismPoi.objects.filter(name="Trảng cỏ Bù Lạch").count() >= 1
    wkt_rows = [["Điểm WKT", "hotel", f"POINT ({corpus.ORIGIN[0]} {corpus.ORIGIN[1]})"]]
    path = corpus.csv_file(tmp_path / "wkt.csv", wkt_rows, ["ten", "loai", "wkt"])
    with pytest.raises(ImportRejected, match="--crs"):
        run("tourism_pois", path, mapping={"name": "ten", "category": "loai"})
    assert run("tourism_pois", path, mapping={"name": "ten", "category": "loai"}, crs="4326").accepted == 1


def test_legacy_font_text_typed_into_excel_is_read_with_the_chosen_encoding(tmp_path):
    rows = [[vnencodings.unicode_to_tcvn3(n), "hotel", corpus.ORIGIN[0] + i * 0.001, corpus.ORIGIN[1]]
            for i, n in enumerate(corpus.NAMES)]
    path = corpus.xlsx(tmp_path / "vntime.xlsx", rows, ["ten", "loai", "lon", "lat"])
    report = run("tourism_pois", path, mapping={"name": "ten", "category": "loai"}, encoding="tcvn3")
    assert report.accepted == len(corpus.NAMES)
    assert set(corpus.NAMES) <= set(TourismPoi.objects.values_list("name", flat=True))


def test_every_import_is_recorded(tmp_path, django_user_model):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("can-bo", password="x-unused-x")
    path = corpus.write_shapefile_zip(corpus.parcel_squares(2), tmp_path / "ghi.zip")
    with pytest.raises(ImportRejected, match="không được sửa lớp này"):  # the edit role, as for every writer
        layer_import(layer_id="parcels", path=path, user=user)
    user.groups.add(Group.objects.get_or_create(name="officer:land")[0])
    report = layer_import(layer_id="parcels", path=path, user=user)
    record = ImportRecord.objects.get(pk=report.record_id)
    assert record.user == user and record.file_name == "ghi.zip" and len(record.sha256) == 64
    assert (record.accepted, record.rejected, record.status) == (2, 0, "done")
    assert record.duration_s > 0 and record.finished_at and record.source_crs.startswith("EPSG:9212")


def test_command_line(tmp_path, capsys):
    path = corpus.write_shapefile_zip(corpus.parcel_squares(4), tmp_path / "cli.zip", encoding="vni")
    call_command("import_layer", "parcels", str(path), "--dry-run", verbosity=0)
    out = capsys.readouterr().out
    assert "vni" in out and "Chạy thử" in out
    with pytest.raises(CommandError, match="Không có lớp"):
        call_command("import_layer", "nothing", str(path), verbosity=0)
    call_command("import_layer", "parcels", str(path), "--map", "address=DiaChi", verbosity=0)
    assert Parcel.objects.filter(map_sheet_no=900).count() == 4


def test_a_killed_import_leaves_the_layer_as_it_was(tmp_path, test_db_env):
    """The import runs in another process on the test database and is killed half way (SIGKILL)."""
    path = tmp_path / "lon.gpkg"
    corpus.parcel_squares(60_000, sheet=901).to_file(path, driver="GPKG")
    env = test_db_env
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM land_parcel")
        before = cursor.fetchone()[0]
    child = subprocess.Popen([sys.executable, "manage.py", "import_layer", "parcels", str(path), "--batch-size", "2000"],
                             cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    progress = b""
    while b"rows" not in progress or b"| 0/" in progress.split(b"\r")[-1]:
        progress += child.stderr.read1(4096)
        assert time.monotonic() < deadline and child.poll() is None, "the import finished or stalled before the kill"
    child.send_signal(signal.SIGKILL)
    child.wait()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM land_parcel")
        assert cursor.fetchone()[0] == before
