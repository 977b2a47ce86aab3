"""Code-list cells as officers write them (codes, Vietnamese names with or without diacritics, English
names, synonyms), one value for every row, and the preview of rows as they will be stored."""
import csv
import json

import pytest
from django.core.management import CommandError, call_command

from education.models import School
from importers.services import ImportOptions, layer_import
from land.models import Parcel
from layers import registry
from layers.codelist_loader import CodeLookup, csv_path, fold
from places.models import AdminUnit

from . import corpus

pytestmark = pytest.mark.django_db

DISTRICT_LEVELS = ["Huyện", "Thị xã", "Thành phố", "District", "Quận", "huyen", "thi xa", "THÀNH PHỐ THUỘC TỈNH"]


def run(layer_id, path, **options):
    return layer_import(layer_id=layer_id, path=path, options=ImportOptions(**options))


def squares(n: int, *, step: float = 0.01) -> list:
    """n small squares (EPSG:4326 GeoJSON polygons) in a row east of corpus.ORIGIN, inside the province."""
    x, y = corpus.ORIGIN
    return [{"type": "Polygon", "coordinates": [[[x + i * step, y], [x + i * step + 0.005, y],
                                                 [x + i * step + 0.005, y + 0.005], [x + i * step, y + 0.005],
                                                 [x + i * step, y]]]} for i in range(n)]


def district_file(tmp_path, levels: list[str], *, name: str = "huyen.geojson"):
    """A district file as public data sets write it: GSO code, name, a Vietnamese level, the province."""
    features = [{"type": "Feature", "geometry": geometry,
                 "properties": {"MaHuyen": str(901 + i), "TenHuyen": f"{level} Thử {i}", "Cap": level, "MaTinh": "70"}}
                for i, (level, geometry) in enumerate(zip(levels, squares(len(levels))))]
    return corpus.geojson(tmp_path / name, features)


DISTRICT_MAP = {"gso_code": "MaHuyen", "name": "TenHuyen", "level": "Cap", "parent_code": "MaTinh"}


def test_a_district_file_with_vietnamese_and_english_levels_imports(tmp_path):
    path = district_file(tmp_path, DISTRICT_LEVELS)
    report = run("admin_units", path, mapping=DISTRICT_MAP)
    assert report.written and report.accepted == len(DISTRICT_LEVELS), report.reasons
    units = AdminUnit.objects.filter(gso_code__in=[str(901 + i) for i in range(len(DISTRICT_LEVELS))])
    assert {u.level_id for u in units} == {"district"} and units.count() == len(DISTRICT_LEVELS)
    assert AdminUnit.objects.get(gso_code="901").name == "Huyện Thử 0"
    resolved = {v["raw"]: v["code"] for v in report.value_map["level"]}
    assert resolved == {level: "district" for level in DISTRICT_LEVELS}


@pytest.mark.parametrize("encoding", ["tcvn3", "cp1258"])
def test_a_district_shapefile_in_a_legacy_encoding_imports_through_the_command(tmp_path, encoding, capsys):
    import geopandas as gpd
    import shapely

    levels = ["Huyện", "Thị xã", "Thành phố", "District"]
    frame = gpd.GeoDataFrame({"MaHuyen": [str(911 + i) for i in range(4)], "TenHuyen": [f"{lv} Bù Đăng {i}" for i, lv in
                                                                                   enumerate(levels)],
                              "Cap": levels, "MaTinh": ["70"] * 4},
                             geometry=[shapely.geometry.shape(g) for g in squares(4)], crs=4326)
    path = corpus.write_shapefile_zip(frame, tmp_path / "huyen.zip", encoding=encoding)
    call_command("import_layer", "admin_units", str(path), "--encoding", encoding,
                 *[f"--map={t}={s}" for t, s in DISTRICT_MAP.items()], verbosity=0)
    assert "Huyện → district (Huyện / thị xã / thành phố)" in capsys.readouterr().out
    units = dict(AdminUnit.objects.filter(gso_code__in=frame["MaHuyen"]).values_list("name", "level"))
    assert units == {f"{lv} Bù Đăng {i}": "district" for i, lv in enumerate(levels)}


def test_a_level_not_in_the_list_is_refused_naming_the_valid_codes(tmp_path):
    path = district_file(tmp_path, ["Huyện", "Làng"])
    report = run("admin_units", path, mapping=DISTRICT_MAP)
    assert report.status == "rejected" and not AdminUnit.objects.filter(gso_code__in=["901", "902"]).exists()
    reason = dict(report.reasons)[2]
    assert "'Làng'" in reason
    for listed in ("province (Tỉnh)", "district (Huyện / thị xã / thành phố)", "commune (Xã / phường / thị trấn)"):
        assert listed in reason
    assert [e["code"] for e in report.code_lists["level"]] == ["province", "district", "commune"]
    assert {v["raw"]: v["code"] for v in report.value_map["level"]} == {"Huyện": "district", "Làng": None}


def test_the_command_lists_the_valid_codes_and_loads_after_mapping(tmp_path, capsys):
    path = district_file(tmp_path, ["Huyện", "Làng"])
    args = ["import_layer", "admin_units", str(path)] + [f"--map={t}={s}" for t, s in DISTRICT_MAP.items()]
    with pytest.raises(CommandError):
        call_command(*args, verbosity=0)
    out = capsys.readouterr().out
    assert "Các mã hợp lệ của level" in out and "district: Huyện / thị xã / thành phố / District" in out
    assert "Làng → ?" in out and "Huyện → district" in out
    # The officer sets the level for every row instead: the file's "Làng" no longer matters.
    call_command(*args, "--set", "level=Huyện", verbosity=0)
    assert set(AdminUnit.objects.filter(gso_code__in=["901", "902"]).values_list("level", flat=True)) == {"district"}
    assert "level='district' (cố định / fixed)" in capsys.readouterr().out


def test_school_levels_by_name_abbreviation_and_grade(tmp_path):
    levels = {"Tiểu học": "primary", "tieu hoc": "primary", "TIỂU HỌC": "primary", "cấp 1": "primary",
              "THCS": "lower_secondary", "Cấp II": "lower_secondary", "THPT": "upper_secondary",
              "cap 3": "upper_secondary", "Mẫu giáo": "kindergarten", "Mầm non": "kindergarten",
              "Primary": "primary", "High school": "upper_secondary", "primary": "primary"}
    rows = [[f"Trường {i}", level, "689", corpus.ORIGIN[0] + i * 1e-3, corpus.ORIGIN[1]] for i, level in enumerate(levels)]
    path = corpus.csv_file(tmp_path / "truong.csv", rows, ["Tên trường", "Cấp học", "Mã huyện", "lon", "lat"])
    report = run("schools", path, mapping={"name": "Tên trường", "level": "Cấp học", "district_code": "Mã huyện"})
    assert report.written, report.reasons
    stored = dict(School.objects.filter(name__in=[r[0] for r in rows]).values_list("name", "level"))
    assert stored == {f"Trường {i}": code for i, code in enumerate(levels.values())}


def test_an_ambiguous_synonym_is_refused_with_its_candidates(tmp_path):
    rows = [["Trường A", "Trung học", "689", *corpus.ORIGIN], ["Trường B", "THCS", "689", *corpus.ORIGIN]]
    path = corpus.csv_file(tmp_path / "mo-ho.csv", rows, ["ten", "cap", "huyen", "lon", "lat"])
    report = run("schools", path, mapping={"name": "ten", "level": "cap", "district_code": "huyen"})
    assert report.status == "rejected" and report.rejected == 1
    reason = dict(report.reasons)[1]
    assert "lower_secondary (Trung học cơ sở)" in reason and "upper_secondary (Trung học phổ thông)" in reason
    assert "ambiguous" in reason


@pytest.mark.parametrize("spec_id,column", sorted({(s.id, c) for s in registry.all_layers() for c in s.code_lists}))
def test_every_code_list_accepts_its_codes_names_and_synonyms(spec_id, column):
    """Each code, each name (as written, without diacritics, upper case, English) resolves to its own
    code; each synonym too, or is ambiguous when the CSV gives it to several codes, never another code."""
    model = registry.get(spec_id).code_lists[column]
    lookup = CodeLookup.for_model(model)
    assert lookup.entries
    for entry in lookup.entries:
        for written in (entry.code, entry.code.lower(), entry.name_vi, fold(entry.name_vi), entry.name_vi.upper(),
                        entry.name_en, entry.name_en.lower()):
            assert lookup.resolve(written).entry == entry, (written, lookup.resolve(written))
    shared: dict[str, set[str]] = {}
    if csv_path(model).exists():
        with open(csv_path(model), encoding="utf-8") as f:
            for row in csv.DictReader(f):
                for synonym in filter(None, (s.strip() for s in (row.get("synonyms") or "").split("|"))):
                    shared.setdefault(fold(synonym), set()).add(row["code"])
    for key, codes in shared.items():
        resolution = lookup.resolve(key)
        if len(codes) > 1:
            assert resolution.ambiguous and {e.code for e in resolution.candidates} == codes, key
        else:
            assert resolution.entry is not None and resolution.entry.code in codes, (key, resolution)


@pytest.mark.parametrize("written,code", [
    ("Xã", "commune"), ("Phường", "commune"), ("Thị trấn", "commune"), ("Ward", "commune"), ("thi tran", "commune"),
    ("Town", "district"), ("City", "district"), ("Thành phố (thuộc tỉnh)", "district"), ("Tỉnh", "province"),
])
def test_admin_levels(written, code):
    from places.models import AdminLevel

    assert CodeLookup.for_model(AdminLevel).resolve(written).entry.code == code


@pytest.mark.parametrize("model_path,written,code", [
    ("transport.RoadClass", "QL", "national"), ("transport.RoadClass", "Tỉnh lộ", "provincial"),
    ("transport.RoadClass", "đường huyện", "district"), ("health.ClinicType", "Trạm y tế", "commune_station"),
    ("health.ClinicType", "TTYT", "district_centre"), ("tourism.PoiCategory", "Di tích", "heritage"),
    ("safety.CameraPurpose", "Phạt nguội", "violation"), ("layers.AssetStatus", "Hư hỏng", "fault"),
    ("transport.LampType", "đèn led", "led"), ("land.LandUseCode", "cln", "CLN"),
    ("land.LandUseCode", "Đất trồng cây lâu năm", "CLN"), ("land.LandUseCode", "dat o tai do thi", "ODT"),
])
def test_synonyms_of_other_lists(model_path, written, code):
    from django.apps import apps

    assert CodeLookup.for_model(apps.get_model(model_path)).resolve(written).entry.code == code


@pytest.mark.parametrize("model_path,written", [("health.ClinicType", "Bệnh viện"), ("transport.LampType", "Đèn cao áp"),
                                                ("safety.CameraPurpose", "Giám sát")])
def test_ambiguous_synonyms_pick_nothing(model_path, written):
    from django.apps import apps

    resolution = CodeLookup.for_model(apps.get_model(model_path)).resolve(written)
    assert resolution.entry is None and len(resolution.candidates) == 2


def test_a_fixed_value_for_every_row(tmp_path):
    frame = corpus.parcel_squares(4).drop(columns=["LoaiDat"])
    path = corpus.write_shapefile_zip(frame, tmp_path / "khong-loai.zip", encoding="tcvn3")
    report = run("parcels", path, mapping={"land_use_code": "=Đất trồng cây lâu năm"})
    assert report.written and report.fixed == {"land_use_code": "CLN"}
    assert set(Parcel.objects.filter(map_sheet_no=900).values_list("land_use", flat=True)) == {"CLN"}
    call_command("import_layer", "parcels", str(path), "--map", "land_use_code==ODT", "--mode", "upsert",
                 "--key", "commune_code,map_sheet_no,parcel_no", verbosity=0)
    assert set(Parcel.objects.filter(map_sheet_no=900).values_list("land_use", flat=True)) == {"ODT"}


def test_an_invalid_fixed_value_refuses_the_import_once_listing_the_codes(tmp_path):
    path = district_file(tmp_path, ["Huyện"])
    with pytest.raises(CommandError) as refused:
        call_command("import_layer", "admin_units", str(path), *[f"--map={t}={s}" for t, s in DISTRICT_MAP.items()
                                                                   if t != "level"], "--set", "level=Làng", verbosity=0)
    assert "Giá trị cố định level = 'Làng'" in str(refused.value) and "district (Huyện / thị xã / thành phố)" in str(refused.value)
    assert not AdminUnit.objects.filter(gso_code="901").exists()


def test_the_preview_shows_rows_as_they_will_be_stored(tmp_path):
    """The dry run the web page runs: decoded names (TCVN3 here) and each code with what it came from."""
    frame = corpus.parcel_squares(8)
    frame["LoaiDat"] = ["Đất ở tại đô thị", "ONT", "trong cay lau nam", "XYZ"] * 2
    path = corpus.write_shapefile_zip(frame, tmp_path / "xem-truoc.zip", encoding="tcvn3")
    report = run("parcels", path, dry_run=True, max_rows=2000)
    assert report.source["encoding"] == "tcvn3" and len(report.samples) == 5
    first = {c["column"]: c for c in report.samples[0]["cells"]}
    assert first["address"]["value"] == "Phường Tân Phú" and first["address"]["display"] == "Phường Tân Phú"
    assert first["land_use_code"]["display"] == "Đất ở tại đô thị → ODT (Đất ở tại đô thị)"
    assert first["commune_code"]["display"] == "25237 → Phường Tân Phú (xã)"
    assert {c["column"]: c["display"] for c in report.samples[1]["cells"]}["land_use_code"] == "ONT (Đất ở tại nông thôn)"
    assert {c["column"]: c["value"] for c in report.samples[2]["cells"]}["land_use_code"] == "CLN"
    fourth = report.samples[3]
    assert not fourth["ok"] and "XYZ" in fourth["problems"][0] and report.samples[0]["ok"]
    assert "53 mã: LUC, LUK" in fourth["problems"][0] and ", CLN, " in fourth["problems"][0]
    assert {v["raw"]: (v["code"], v["count"]) for v in report.value_map["land_use_code"]} == {
        "Đất ở tại đô thị": ("ODT", 2), "ONT": ("ONT", 2), "trong cay lau nam": ("CLN", 2), "XYZ": (None, 2)}
    assert len(report.code_lists["land_use_code"]) > 20  # the whole list, with names, once
    json.dumps([report.samples, report.value_map, report.code_lists, report.fixed])  # the job's state file takes it


@pytest.fixture
def land_officer(sign_in_officer):
    return sign_in_officer("land", "can-bo-ma")


def test_the_web_form_maps_a_column_to_a_fixed_value(client, land_officer, tmp_path):
    path = district_file(tmp_path, ["Làng", "Làng"])
    with open(path, "rb") as f:
        response = client.post("/data/upload", {"file": f, "target": "admin_units"})
    token = response["Location"].split("/")[3]
    form = {f"map_{t}": s for t, s in DISTRICT_MAP.items()}
    page = client.get(f"/data/upload/{token}/", {"layer": "admin_units", **form})
    report = page.context["report"]
    assert report.rejected == 2 and "district (Huyện / thị xã / thành phố)" in report.reasons[0][1]
    form["map_level"] = "=Thị xã"
    page = client.get(f"/data/upload/{token}/", {"layer": "admin_units", **form})
    report = page.context["report"]
    assert report.rejected == 0 and report.fixed == {"level": "district"}
    assert {c["column"]: c["display"] for c in report.samples[0]["cells"]}["level"] == \
        "Thị xã → district (Huyện / thị xã / thành phố)"
    response = client.post(f"/data/upload/{token}/start", {"layer": "admin_units", **form})
    assert client.get(response["Location"].rstrip("/") + ".json").json()["state"] == "done"
    assert set(AdminUnit.objects.filter(gso_code__in=["901", "902"]).values_list("level", flat=True)) == {"district"}
