"""seed_demo builds the synthetic province with the real figures of shared DOMAIN.md."""
import hashlib

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count

from demo.generator import Province
from education.models import School
from health.models import Clinic
from land.models import Parcel
from places.models import AdminUnit
from planning.models import ZoningZone
from safety.models import Camera
from tests.conftest import TEST_PARCELS
from tourism.models import TourismPoi
from transport.models import Road
from utilities.models import WaterValve

DISTRICTS = {"688": "Thị xã Phước Long", "689": "Thành phố Đồng Xoài", "690": "Thị xã Bình Long",
             "691": "Huyện Bù Gia Mập", "692": "Huyện Lộc Ninh", "693": "Huyện Bù Đốp", "694": "Huyện Hớn Quản",
             "695": "Huyện Đồng Phú", "696": "Huyện Bù Đăng", "697": "Thị xã Chơn Thành", "698": "Huyện Phú Riềng"}

pytestmark = pytest.mark.django_db


def test_the_eleven_districts_carry_their_real_names_and_gso_codes():
    districts = dict(AdminUnit.objects.filter(level="district").values_list("gso_code", "name"))
    assert districts == DISTRICTS
    assert AdminUnit.objects.get(level="province").name == "Tỉnh Bình Phước"
    assert set(AdminUnit.objects.filter(level="district").values_list("parent_id", flat=True)) == {"70"}
    communes = AdminUnit.objects.filter(level="commune")
    assert communes.count() == 111
    assert all(len(code) == 5 for code in communes.values_list("gso_code", flat=True))


def test_communes_tile_their_district_and_districts_tile_the_province():
    with connection.cursor() as cursor:
        # Area of each district minus the union of its communes, relative: ~0 when they tile it.
        cursor.execute("""
            SELECT abs(ST_Area(d.geom) - ST_Area(ST_Union(c.geom))) / ST_Area(d.geom) AS gap
            FROM places_adminunit d JOIN places_adminunit c ON c.parent_code = d.gso_code
            WHERE d.level = 'district' GROUP BY d.gso_code, d.geom ORDER BY gap DESC LIMIT 1""")
        assert cursor.fetchone()[0] < 1e-9
        cursor.execute("""SELECT ST_Area(p.geom), (SELECT sum(ST_Area(geom)) FROM places_adminunit WHERE level = 'district')
                          FROM places_adminunit p WHERE level = 'province'""")
        province, districts = cursor.fetchone()
        assert districts == pytest.approx(province, rel=1e-9)


def test_inventory_counts_are_the_provinces_real_figures():
    assert dict(School.objects.values_list("level").annotate(n=Count("id"))) == {
        "kindergarten": 153, "primary": 134, "lower_secondary": 107, "upper_secondary": 35,
        "continuing_provincial": 1, "continuing_district": 8}
    assert School.objects.count() == 438
    assert Clinic.objects.count() == 161
    assert Clinic.objects.filter(clinic_type="provincial_hospital").get().name == "Bệnh viện Đa khoa tỉnh Bình Phước"
    assert Clinic.objects.filter(clinic_type="polyclinic").count() == 4


def test_cameras_follow_the_three_investment_phases():
    phase1 = Camera.objects.filter(phase=1)
    assert phase1.count() == 46
    assert phase1.values("point_code").distinct().count() == 29
    points_by_district = dict(phase1.values("district_id").annotate(n=Count("point_code", distinct=True))
                              .values_list("district_id", "n"))
    assert points_by_district == {"689": 14, "688": 9, "690": 3, "694": 1, "697": 1, "695": 1}
    violation_points = phase1.filter(purpose="violation").values("point_code").distinct().count()
    assert violation_points == 6
    assert phase1.filter(purpose="security").values("point_code").distinct().count() == 23
    phase2 = Camera.objects.filter(phase=2)
    assert dict(phase2.values_list("road_name").annotate(n=Count("id"))) == {
        "Quốc lộ 13": 6, "Quốc lộ 14": 7, "Đường tỉnh 741": 4}
    assert dict(phase2.values_list("purpose").annotate(n=Count("id"))) == {"violation": 4, "speed": 9, "security": 4}
    phase3 = Camera.objects.filter(phase=3)
    assert phase3.filter(purpose="speed", road_name="Quốc lộ 14").count() == 1
    assert dict(phase3.filter(purpose="security").values_list("district_id").annotate(n=Count("id"))) == {
        "698": 4, "696": 4, "692": 4}


def test_main_roads_and_named_sights_are_there():
    names = set(Road.objects.values_list("name", flat=True))
    assert {"Quốc lộ 13", "Quốc lộ 14", "Đường tỉnh 741"} <= names
    assert set(Road.objects.values_list("road_class", flat=True)) >= {"national", "provincial", "urban"}
    sights = set(TourismPoi.objects.values_list("name", flat=True))
    assert {"Núi Bà Rá", "Hồ Thác Mơ", "Vườn quốc gia Bù Gia Mập", "Trảng cỏ Bù Lạch", "Sóc Bom Bo",
            "Căn cứ Tà Thiết"} <= sights


def test_parcels_have_unique_identities_inside_their_commune():
    assert Parcel.objects.count() == TEST_PARCELS
    with connection.cursor() as cursor:
        cursor.execute("""SELECT count(*) FROM land_parcel p JOIN places_adminunit c ON c.gso_code = p.commune_code
                          WHERE c.level <> 'commune' OR NOT ST_CoveredBy(p.geom, c.geom)""")
        assert cursor.fetchone()[0] == 0
        # No two parcels overlap (cadastre): pairs whose interiors intersect.
        cursor.execute("""SELECT count(*) FROM land_parcel a JOIN land_parcel b
                          ON a.id < b.id AND a.geom && b.geom AND ST_Relate(a.geom, b.geom, '2********')""")
        assert cursor.fetchone()[0] == 0


def test_zoning_overlaps_parcels_realistically():
    with connection.cursor() as cursor:
        cursor.execute("""SELECT count(DISTINCT p.id) FROM land_parcel p JOIN planning_zoningzone z
                          ON ST_Intersects(p.geom, z.geom) AND NOT ST_CoveredBy(p.geom, z.geom)""")
        split = cursor.fetchone()[0]
    assert ZoningZone.objects.exists()
    assert 0 < split < TEST_PARCELS / 2  # some parcels straddle zone boundaries, most do not


def test_water_valves_sit_on_the_pipes():
    with connection.cursor() as cursor:
        cursor.execute("""SELECT count(*) FROM utilities_watervalve v WHERE NOT EXISTS (
                          SELECT 1 FROM utilities_waterpipe p WHERE ST_DWithin(p.geom, v.geom, 1e-7))""")
        assert cursor.fetchone()[0] == 0
    assert WaterValve.objects.filter(state="closed").exists() and WaterValve.objects.filter(state="open").exists()


def _parcels_digest() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT md5(string_agg(concat_ws('|', id, commune_code, map_sheet_no, parcel_no, "
                       "land_use_code, address, ST_AsEWKB(geom)), ',' ORDER BY id)) FROM land_parcel")
        return cursor.fetchone()[0]


def test_same_seed_gives_the_same_province():
    before = _parcels_digest()
    call_command("seed_demo", parcels=TEST_PARCELS, replace=True, verbosity=0)
    assert _parcels_digest() == before
    call_command("seed_demo", parcels=TEST_PARCELS, replace=True, seed=7, verbosity=0)
    assert _parcels_digest() != before


def test_generator_is_deterministic_without_a_database():
    a, b = Province(2021), Province(2021)
    batch_a, batch_b = (p.commune_parcels(p.communes[5], 500) for p in (a, b))
    assert hashlib.sha1(batch_a.x.tobytes()).hexdigest() == hashlib.sha1(batch_b.x.tobytes()).hexdigest()
    assert list(batch_a.land_use) == list(batch_b.land_use)


def test_seeding_a_loaded_province_is_refused_and_changes_nothing():
    before = _parcels_digest()
    with pytest.raises(CommandError, match="--replace"):
        call_command("seed_demo", parcels=10, verbosity=0)
    call_command("seed_demo", parcels=10, if_empty=True, verbosity=0)
    assert _parcels_digest() == before


@pytest.mark.parametrize("parcels", [0, -5, 10_000_000])
def test_out_of_range_parcel_counts_get_a_clear_error(parcels):
    with pytest.raises(CommandError, match="--parcels must be between"):
        call_command("seed_demo", parcels=parcels, replace=True, verbosity=0)
