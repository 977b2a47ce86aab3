"""Rows naming administrative units: unknown GSO codes, codes of the wrong level and rows without a
parent unit are refused row by row, with a message saying which."""
import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.core.management import CommandError, call_command

from education.models import School
from importers.services import ImportOptions, layer_import
from land.models import Parcel
from places.models import AdminUnit

from . import corpus
from .test_code_values import squares

pytestmark = pytest.mark.django_db


def run(layer_id, path, **options):
    return layer_import(layer_id=layer_id, path=path, options=ImportOptions(**options))


def test_units_without_a_known_parent_of_a_higher_level_are_refused(tmp_path):
    rows = [  # code, name, level, parent
        ("25901", "Xã Mới Một", "Xã", "689"),  # under an existing district
        ("25902", "Xã Không Huyện", "Xã", ""),  # no parent
        ("25903", "Xã Huyện Lạ", "Xã", "999"),  # parent nobody knows
        ("25904", "Phường Dưới Phường", "Phường", "25237"),  # a commune under a commune
        ("905", "Huyện Mới", "Huyện", "70"),
        ("25905", "Xã Của Huyện Mới", "Xã", "905"),  # its district comes in the same file
        ("25906", "Huyện Mã Xã", "Huyện", "70"),  # a commune-sized code for a district
        ("906", "Huyện Dưới Xã", "Huyện", "25237"),  # a district under a commune
    ]
    features = [{"type": "Feature", "geometry": geometry,
                 "properties": {"ma": code, "ten": name, "cap": level, "ma_cha": parent}}
                for (code, name, level, parent), geometry in zip(rows, squares(len(rows)))]
    path = corpus.geojson(tmp_path / "don-vi.geojson", features)
    mapping = {"gso_code": "ma", "name": "ten", "level": "cap", "parent_code": "ma_cha"}
    report = run("admin_units", path, mapping=mapping)
    assert report.status == "rejected" and not AdminUnit.objects.filter(gso_code__in=[r[0] for r in rows]).exists()
    reasons = dict(report.reasons)
    assert set(reasons) == {2, 3, 4, 7, 8}
    assert "thiếu đơn vị cấp trên" in reasons[2] and "no parent unit" in reasons[2]
    assert "'999' không có trong tệp hay trong danh mục" in reasons[3]
    assert "'25237' không phải đơn vị cấp trên của một xã" in reasons[4]
    assert "không phải mã GSO của một huyện (3 chữ số)" in reasons[7]
    assert "higher level" in reasons[8]
    report = run("admin_units", path, mapping=mapping, skip_invalid=True)
    assert report.written and report.accepted == 3
    assert AdminUnit.objects.get(gso_code="25905").parent_id == "905"
    assert AdminUnit.objects.get(gso_code="25901").parent.name == AdminUnit.objects.get(gso_code="689").name


def test_parcels_naming_no_commune_an_unknown_one_or_a_district_are_refused(tmp_path, capsys):
    frame = corpus.parcel_squares(4)
    frame["MaXa"] = [corpus.COMMUNE, "689", "99999", None]
    path = corpus.write_shapefile_zip(frame, tmp_path / "thua-sai-xa.zip")
    report = run("parcels", path, skip_invalid=True)
    assert report.accepted == 1 and Parcel.objects.filter(map_sheet_no=900).count() == 1
    reasons = dict(report.reasons)
    district = AdminUnit.objects.get(gso_code="689")
    assert f"commune_code: mã '689' là {district.name} (cấp huyện), không phải một xã" in reasons[2]
    assert "'99999' không có trong danh mục đơn vị hành chính" in reasons[3] and "unknown GSO commune code" in reasons[3]
    assert "thiếu mã xã" in reasons[4] and "every row must belong to a unit" in reasons[4]
    capsys.readouterr()
    with pytest.raises(CommandError, match="không ghi gì"):
        call_command("import_layer", "parcels", str(path), "--map", "map_sheet_no==901", verbosity=0)
    out = capsys.readouterr().out
    assert "dòng 2: commune_code: mã '689' là" in out and "dòng 4: commune_code: thiếu mã xã" in out


def test_schools_name_a_district_and_codes_that_lost_their_leading_zeros_are_padded(tmp_path):
    province = AdminUnit.objects.get(level="province")
    AdminUnit.objects.create(gso_code="012", name="Huyện Mã Ngắn", level_id="district", parent=province,
                             geom=MultiPolygon(Polygon.from_bbox((106.9, 11.5, 106.95, 11.55))))
    rows = [["Trường Một", "Tiểu học", 12, *corpus.ORIGIN],  # a number column: "012" read as 12
            ["Trường Hai", "Tiểu học", corpus.COMMUNE, *corpus.ORIGIN],  # a commune, not a district
            ["Trường Ba", "Tiểu học", "689", *corpus.ORIGIN]]
    path = corpus.xlsx(tmp_path / "truong.xlsx", rows, ["ten", "cap", "huyen", "lon", "lat"])
    report = run("schools", path, mapping={"name": "ten", "level": "cap", "district_code": "huyen"}, skip_invalid=True)
    assert report.accepted == 2 and "không phải một huyện" in dict(report.reasons)[2]
    assert School.objects.get(name="Trường Một").district_id == "012"
    assert School.objects.get(name="Trường Ba").district_id == "689"
