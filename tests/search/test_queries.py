"""What citizens type into the map's search box (GET /api/search, as the page calls it) on the seeded
test province: addresses, parcel identities in any word order, schools and clinics, coordinates as
written on a land-use certificate, Vietnamese numbers, and input that must never break the server."""
import json
import math
import re

import pytest
from pyproj import Transformer

from education.models import School
from health.models import Clinic
from land.models import Parcel
from layers.formats import number_vi
from places.models import AdminUnit
from layers.text import fold

pytestmark = pytest.mark.django_db

HAMLET = re.compile(r"^(Khu phố|Ấp) (\d+),")


def search(client, q, **params):
    response = client.get("/api/search", {"q": q, **params})
    assert response.status_code == 200, (q, response.status_code)
    return json.loads(response.content, parse_constant=lambda c: pytest.fail(f"{c} in the answer to {q!r}"))


def results(client, q, **params):
    return search(client, q, **params)["results"]


@pytest.fixture
def tan_phu():
    """Phường Tân Phú of Đồng Xoài, the ward of the issue's examples."""
    return AdminUnit.objects.get(name="Phường Tân Phú", parent__name="Thành phố Đồng Xoài")


@pytest.fixture
def tan_phu_parcel(tan_phu):
    return Parcel.objects.select_related("commune", "land_use").filter(commune=tan_phu).order_by("map_sheet_no", "parcel_no")[7]


# 1. Addresses -----------------------------------------------------------------------------------

def _hamlet_of(parcel) -> tuple[str, int]:
    kind, number = HAMLET.match(parcel.address).groups()
    return kind, int(number)


@pytest.mark.parametrize("template", ["{kind} {n}, Phường Tân Phú", "{kind_plain} {n} phuong tan phu",
                                      "Phường Tân Phú, {kind} {n}", "kp {n} Tân Phú Đồng Xoài"])
def test_an_address_finds_the_parcels_of_that_neighbourhood(client, tan_phu, tan_phu_parcel, template):
    kind, n = _hamlet_of(tan_phu_parcel)
    assert kind == "Khu phố"  # a ward's neighbourhoods are khu phố (demo/services.py)
    hit = results(client, template.format(kind=kind, kind_plain=fold(kind), n=n))[0]
    same = Parcel.objects.filter(commune=tan_phu, address__startswith=f"Khu phố {n},")
    assert hit["kind"] == "hamlet" and hit["label"] == f"Khu phố {n}, Phường Tân Phú"
    assert hit["parcels"] == same.count() > 0
    minx, miny, maxx, maxy = hit["bbox"]
    pminx, pminy, pmaxx, pmaxy = tan_phu_parcel.geom.extent
    assert minx <= pminx and miny <= pminy and maxx >= pmaxx and maxy >= pmaxy and minx < maxx
    assert f"{same.count()} thửa" in hit["detail"] and "Thành phố Đồng Xoài" in hit["detail"]


def test_the_issue_address_and_an_unknown_neighbourhood(client, tan_phu):
    """'Khu phố 3, Phường Tân Phú' gives the parcels of khu phố 3 when the data has it; a khu phố
    no address names gives the ward itself, saying so."""
    answer = search(client, "Khu phố 3, Phường Tân Phú")
    if Parcel.objects.filter(commune=tan_phu, address__startswith="Khu phố 3,").exists():
        assert answer["results"][0]["label"] == "Khu phố 3, Phường Tân Phú"
    else:
        assert [r["label"] for r in answer["results"]] == ["Phường Tân Phú"] and answer["message"]
    answer = search(client, "Khu phố 98, Phường Tân Phú")
    assert [r["label"] for r in answer["results"]] == ["Phường Tân Phú"] and "Không tìm thấy" in answer["message"]


def test_a_hamlet_of_a_rural_commune(client):
    parcel = Parcel.objects.select_related("commune").filter(address__startswith="Ấp ").order_by("id").first()
    _, n = _hamlet_of(parcel)
    short = parcel.commune.name.split(" ", 1)[1]
    labels = [r["label"] for r in results(client, f"ap {n} {fold(short)}")]
    assert f"Ấp {n}, {parcel.commune.name}" in labels


# 2. Parcel identity, words in any order -----------------------------------------------------------

@pytest.mark.parametrize("template", [
    "tờ {s} thửa {p} Tân Phú", "thửa {p} tờ {s} Tân Phú", "Tân Phú thửa {p} tờ {s}", "to {s} thua {p} tan phu",
    "thua {p} to {s} tan phu", "Tờ bản đồ số {s}, thửa đất số {p}, Phường Tân Phú", "THỬA {p} TỜ {s} P. TÂN PHÚ",
    "thửa {p}, tờ {s}, Tân Phú, Đồng Xoài"])
def test_parcel_identity_in_any_order_with_or_without_diacritics(client, tan_phu_parcel, template):
    hit = results(client, template.format(s=tan_phu_parcel.map_sheet_no, p=tan_phu_parcel.parcel_no))[0]
    assert hit["kind"] == "parcel" and hit["parcel_id"] == tan_phu_parcel.pk
    assert hit["label"] == f"Thửa {tan_phu_parcel.parcel_no}, tờ {tan_phu_parcel.map_sheet_no}, Phường Tân Phú"


def test_a_district_name_picks_the_right_tan_phu(client):
    """Two communes are called Tân Phú (a ward of Đồng Xoài, a town of Đồng Phú): the district
    words choose."""
    town = AdminUnit.objects.get(name="Thị trấn Tân Phú")
    parcel = Parcel.objects.filter(commune=town).order_by("id").first()
    hits = results(client, f"thửa {parcel.parcel_no} tờ {parcel.map_sheet_no} Tân Phú Đồng Phú")
    assert [h["parcel_id"] for h in hits] == [parcel.pk]


def test_a_parcel_that_does_not_exist_in_a_known_ward(client, tan_phu):
    answer = search(client, "tờ 999 thửa 9999 Tân Phú")
    assert all(r["kind"] == "admin_unit" for r in answer["results"]) and answer["message"]


# 3. Schools and clinics ----------------------------------------------------------------------------

def test_schools_by_level_without_diacritics(client):
    hits = results(client, "truong tieu hoc")
    assert len(hits) == 10 and all(h["kind"] == "school" and h["label"].startswith("Trường Tiểu học") for h in hits)
    assert all("Tiểu học" in h["detail"] for h in hits)


@pytest.mark.parametrize("query", ["trường tiểu học Tân Phú", "truong tieu hoc tan phu", "TRƯỜNG CẤP 1 TÂN PHÚ"])
def test_a_school_by_level_and_place(client, query):
    expected = set(School.objects.filter(name="Trường Tiểu học Tân Phú").values_list("address", flat=True))
    assert expected  # the generator names a primary school after each large commune
    hits = results(client, query)
    top = [h for h in hits if h["label"] == "Trường Tiểu học Tân Phú"]
    assert hits[0]["label"] == "Trường Tiểu học Tân Phú" and {h["detail"].split(" · ")[1] for h in top} == expected


def test_school_abbreviations_and_district(client):
    assert results(client, "thcs tan phu")[0]["label"] == "Trường THCS Tân Phú"
    hits = results(client, "truong tieu hoc dong phu")
    in_dong_phu = School.objects.filter(level="primary", district__name="Huyện Đồng Phú").count()
    assert len(hits) == min(10, in_dong_phu) > 0
    assert all(h["label"].startswith("Trường Tiểu học") and "Huyện Đồng Phú" in h["detail"] for h in hits)


def test_clinics(client):
    hits = results(client, "tram y te")
    assert hits and all(h["kind"] == "clinic" and h["label"].startswith("Trạm Y tế") for h in hits)
    hits = results(client, "trạm y tế Tân Phú")
    assert hits[0]["kind"] == "clinic" and "Tân Phú" in hits[0]["label"]
    hospital = Clinic.objects.get(clinic_type="provincial_hospital")
    hit = results(client, "benh vien da khoa tinh")[0]
    assert hit["label"] == hospital.name and f"{hospital.beds} giường" in hit["detail"]
    assert (hit["lon"], hit["lat"]) == (pytest.approx(hospital.geom.x), pytest.approx(hospital.geom.y))


# 4. Coordinates -------------------------------------------------------------------------------------

# A point in Đồng Xoài and its VN-2000 / TM-3 106°15' coordinates (pyproj, EPSG:4326 -> EPSG:9212).
LON, LAT = 106.884, 11.535
EASTING, NORTHING = Transformer.from_crs(4326, 9212, always_xy=True).transform(LON, LAT)


@pytest.mark.parametrize("template", ["X: {x:.2f} Y: {y:.2f}", "X={x:.2f}, Y={y:.2f}", "{x:.2f} {y:.2f}",
                                      "Y: {y:.2f} X: {x:.2f}", "x {x:.2f}; y {y:.2f}", "{y:.2f}, {x:.2f}",
                                      "X = {xc} m, Y = {yc} m"])
def test_certificate_coordinates_x_is_the_northing(client, template):
    query = template.format(x=NORTHING, y=EASTING, xc=f"{NORTHING:.2f}".replace(".", ","),
                            yc=f"{EASTING:.2f}".replace(".", ","))
    hit = results(client, query)[0]
    assert hit["kind"] == "coordinate" and not hit.get("outside")
    assert (hit["lon"], hit["lat"]) == (pytest.approx(LON, abs=1e-6), pytest.approx(LAT, abs=1e-6))
    assert (hit["x"], hit["y"]) == (pytest.approx(NORTHING, abs=0.01), pytest.approx(EASTING, abs=0.01))
    assert hit["label"] == f"X: {number_vi(round(NORTHING, 2), digits=3)} m · Y: {number_vi(round(EASTING, 2), digits=3)} m"
    assert "WGS84" not in hit["detail"] and "VN-2000" in hit["detail"] and "106°15′" in hit["detail"]
    assert "EPSG:9212" in hit["detail"]


def test_the_issue_coordinates_and_vietnamese_thousands(client):
    by_plain = results(client, "X: 1275860 Y: 569030")[0]
    assert by_plain["label"] == "X: 1.275.860 m · Y: 569.030 m" and not by_plain.get("outside")
    by_dots = results(client, "1.275.860 569.030")[0]
    assert (by_dots["x"], by_dots["y"]) == (1275860, 569030)
    assert by_dots["lon"] == pytest.approx(by_plain["lon"]) and 11.25 < by_plain["lat"] < 12.35


def test_other_vn2000_zones_are_named(client):
    easting, northing = Transformer.from_crs(4326, 3405, always_xy=True).transform(LON, LAT)
    hit = results(client, f"X: {northing:.2f} Y: {easting:.2f}", crs="3405")[0]
    assert hit["lon"] == pytest.approx(LON, abs=1e-6) and "UTM múi 48N" in hit["detail"] and "WGS84" not in hit["detail"]


def test_degrees_are_wgs84_also_in_degrees_minutes_seconds(client):
    hit = results(client, "11.535, 106.884")[0]
    assert hit["detail"] == "WGS84" and hit["label"] == "Vĩ độ 11,535°, kinh độ 106,884°"
    # 11°32'06" = 11 + 32/60 + 6/3600 = 11.535; 106°53'02.4" = 106.884
    for query in ["11°32'06\"N 106°53'02.4\"E", "11°32′06″ B, 106°53′02,4″ Đ", "106°53'02.4\" 11°32'06\""]:
        hit = results(client, query)[0]
        assert (hit["lon"], hit["lat"]) == (pytest.approx(106.884), pytest.approx(11.535)) and hit["detail"] == "WGS84"


def test_coordinates_outside_the_province_are_reported(client):
    hanoi = results(client, "X: 2324000 Y: 586000")[0]  # VN-2000 TM-3 northing of Hà Nội's latitude
    assert hanoi["outside"] is True and hanoi["detail"].startswith("Ngoài tỉnh Bình Phước") and "WGS84" not in hanoi["detail"]
    assert results(client, "21.0, 105.8")[0]["outside"] is True


# 5. Vietnamese numbers ------------------------------------------------------------------------------

def test_parcel_area_is_written_the_vietnamese_way(client):
    parcel = Parcel.objects.select_related("commune").filter(area_m2__gte=1000).order_by("id").first()
    hit = results(client, f"{parcel.commune_id} {parcel.map_sheet_no} {parcel.parcel_no}")[0]
    expected = number_vi(parcel.area_m2, digits=1)
    assert "." in expected  # a thousands dot: "1.234,5"
    assert f"{expected} m²" in hit["detail"] and f"{parcel.area_m2:,.0f}" not in hit["detail"]


# English on the toggle ------------------------------------------------------------------------------

def test_english_follows_the_page_language(client, tan_phu_parcel):
    hit = results(client, f"to {tan_phu_parcel.map_sheet_no} thua {tan_phu_parcel.parcel_no} tan phu", lang="en")[0]
    assert hit["label"] == f"Parcel {tan_phu_parcel.parcel_no}, sheet {tan_phu_parcel.map_sheet_no}, Phường Tân Phú"
    assert tan_phu_parcel.land_use.name_en in hit["detail"] and number_vi(tan_phu_parcel.area_m2) in hit["detail"]
    hit = results(client, "X: 1275860 Y: 569030", lang="en")[0]
    assert hit["detail"] == "VN-2000 TM-3, central meridian 106°15′ (EPSG:9212)"
    client.cookies["lang"] = "en"  # the toggle's cookie, as the map page's fetch sends it
    response = client.get("/api/search", {"q": "truong tieu hoc"})
    assert all("Primary" in h["detail"] and "students" in h["detail"] for h in response.json()["results"])
    assert "Cookie" in response["Vary"]


# Bad input ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("query", [
    "a" * 20_000, "tờ " * 3000, "!!!", ".,;:", "\x00", "a\x00b tờ 1 thửa 2", "\u202e\u200b\ufeff", "\u0301\u0300" * 30,
    "🙂" * 100, "%", "'; DROP TABLE land_parcel; --", "tờ 99999 thửa 9999999 Tân Phú", "99999999999999999999 1",
    "1e400 5", "X: -1 Y: -1", "999.999 999.999", "91.5, 200.5", "°°", "11° 106°", "khu pho 999999999 tan phu",
    "\ud800".encode("utf-8", "surrogatepass").decode("latin-1"), "Ṱ̺̺̕o͞ ̷i̲̬͇̪͙n̝̗͕v̟̜̘̦͟o̶̙̰̠kè͚̮̺̪̹̱̤ ̖t̝͕̳̣̻̪͞h̼͓̲̦̳̘̲e͇̣̰̦̬͎",
])
def test_bad_input_never_fails_the_server(client, query):
    answer = search(client, query)
    assert isinstance(answer["results"], list)
    for result in answer["results"]:
        assert math.isfinite(result["lon"]) and math.isfinite(result["lat"])


def test_metres_in_a_geographic_crs_are_refused_politely(client):
    answer = search(client, "1275860 569030", crs="4756")
    assert answer["results"] == [] and answer["message"]
    assert client.get("/api/search", {"q": "x", "crs": "9" * 40}).status_code == 400


def test_query_counts_do_not_grow_with_results(client, django_assert_num_queries):
    with django_assert_num_queries(5):  # places, roads, sights, schools, clinics
        assert len(results(client, "truong tieu hoc")) == 10
    with django_assert_num_queries(2):  # the communes named, the parcels
        assert results(client, "to 1 thua 1 tan phu")
