"""seed_demo builds the synthetic province with the real figures of shared DOMAIN.md."""
import hashlib
import math

import numpy as np
import pytest
import shapely
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count
from psycopg2 import sql

from demo.generator import Province
from education.models import School
from health.models import Clinic
from land.models import Parcel
from layers import registry
from places.models import AdminUnit
from planning.models import ZoningZone
from safety.models import Camera
from tests.conftest import TEST_PARCELS
from tests.schema import parcel_table_definitions
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


def test_same_seed_gives_the_same_province(settings):
    before = _parcels_digest()
    definitions = parcel_table_definitions()
    call_command("seed_demo", parcels=TEST_PARCELS, replace=True, verbosity=0)
    assert _parcels_digest() == before
    call_command("seed_demo", parcels=TEST_PARCELS, replace=True, seed=7, verbosity=0)
    assert _parcels_digest() != before
    # As a big seed does (GEO_BULK_REBUILD_INDEXES_FROM parcels or more): the parcel table's indexes and
    # foreign keys built after the load, the same ones, and the same province.
    settings.GEO_BULK_REBUILD_INDEXES_FROM = 1
    call_command("seed_demo", parcels=TEST_PARCELS, replace=True, verbosity=0)  # what later tests expect
    assert _parcels_digest() == before
    assert parcel_table_definitions() == definitions
    assert any("gist" in d for _, d in definitions[0]) and any(d.startswith("FOREIGN KEY") for _, d in definitions[1])


def test_generator_is_deterministic_without_a_database():
    a, b = Province(2021), Province(2021)
    batch_a, batch_b = (p.commune_parcels(p.communes[5], 500) for p in (a, b))
    digest = [hashlib.sha1(b"".join(shapely.to_wkb(batch.geoms))).hexdigest() for batch in (batch_a, batch_b)]
    assert digest[0] == digest[1]
    assert list(batch_a.land_use) == list(batch_b.land_use)
    assert batch_a.ewkb_hex(4326) == batch_b.ewkb_hex(4326)
    borders = [hashlib.sha1(b"".join(shapely.to_wkb(f.geom) for f in p.admin_units())).hexdigest() for p in (a, b)]
    assert borders[0] == borders[1]
    assert borders[0] != hashlib.sha1(b"".join(shapely.to_wkb(f.geom) for f in Province(7).admin_units())).hexdigest()


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


# Approximate centroids of the real districts (shared DOMAIN.md, older boundaries), lon/lat.
REAL_CENTROIDS = {"689": (106.84, 11.52), "695": (106.96, 11.49), "697": (106.67, 11.47), "692": (106.57, 11.85),
                  "693": (106.82, 11.99), "696": (107.22, 11.78)}


def _district_centroids() -> dict[str, tuple[float, float]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT gso_code, ST_X(ST_Centroid(geom)), ST_Y(ST_Centroid(geom)) FROM places_adminunit "
                       "WHERE level = 'district'")
        return {code: (x, y) for code, x, y in cursor.fetchall()}


def test_districts_lie_where_the_real_ones_do():
    centroid = _district_centroids()
    for code, (lon, lat) in REAL_CENTROIDS.items():
        # within ~11 km of the real centroid (0.1°), the districts being 15-50 km across
        assert abs(centroid[code][0] - lon) < 0.1 and abs(centroid[code][1] - lat) < 0.1, DISTRICTS[code]
    north = {"692", "693", "691"}  # Lộc Ninh, Bù Đốp, Bù Gia Mập: along the Cambodian border
    assert min(centroid[c][1] for c in north) > max(centroid[c][1] for c in ("689", "697", "695"))
    assert centroid["697"][0] < centroid["689"][0] and centroid["697"][1] < centroid["690"][1]  # Chơn Thành: SW
    assert max(centroid, key=lambda c: centroid[c][0]) == "696"  # Bù Đăng: the easternmost
    with connection.cursor() as cursor:
        # The northern districts own stretches of the province's outline north of 11.9 N (the border).
        cursor.execute("""
            SELECT d.gso_code, ST_YMax(ST_Intersection(ST_Boundary(d.geom), ST_Boundary(p.geom)))
            FROM places_adminunit d, places_adminunit p WHERE d.level = 'district' AND p.level = 'province'
              AND d.gso_code IN ('692', '693', '691')""")
        assert all(top > 11.9 for _, top in cursor.fetchall())


def test_borders_are_irregular():
    with connection.cursor() as cursor:
        # A Voronoi cell or hand-drawn box has a few dozen vertices and a perimeter close to its
        # convex hull's; a bent border has hundreds of vertices and a longer, wavier outline.
        cursor.execute("""SELECT min(ST_NPoints(geom)), avg(ST_Perimeter(geom) / ST_Perimeter(ST_ConvexHull(geom)))
                          FROM places_adminunit WHERE level = 'district'""")
        vertices, wiggle = cursor.fetchone()
    assert vertices > 150 and wiggle > 1.05


def test_main_roads_run_through_their_real_towns():
    expected = {"Quốc lộ 13": ["Phường Hưng Long", "Thị trấn Tân Khai", "Phường An Lộc", "Thị trấn Lộc Ninh"],
                "Quốc lộ 14": ["Phường Hưng Long", "Phường Tân Phú", "Thị trấn Đức Phong"],
                "Đường tỉnh 741": ["Phường Tân Phú", "Xã Phú Riềng", "Phường Thác Mơ", "Xã Phú Nghĩa"]}
    with connection.cursor() as cursor:
        for road, towns in expected.items():
            cursor.execute("""SELECT c.name FROM transport_road r JOIN places_adminunit c
                              ON c.level = 'commune' AND ST_Intersects(r.geom, c.geom) WHERE r.name = %s""", [road])
            crossed = {name for (name,) in cursor.fetchall()}
            assert set(towns) <= crossed, road
        # QL13 ends at the Hoa Lư border gate: on the province's northern outline.
        cursor.execute("""SELECT ST_YMax(ST_Intersection(r.geom, ST_Buffer(ST_Boundary(p.geom), 1e-6))) FROM transport_road r,
                          places_adminunit p WHERE r.name = 'Quốc lộ 13' AND p.level = 'province'""")
        assert cursor.fetchone()[0] > 11.9


def test_town_streets_are_not_a_grid():
    province = Province(2021)
    streets = province.town_streets["689"]
    assert len(streets) > 40
    # Street bearings (mod 180°) weighted by length, in 10° bins: a grid puts nearly all its
    # length into two bins 90° apart; rings and spokes spread it over many.
    hist = np.zeros(18)
    for street in streets:
        for part in street.geom.geoms:
            xy = np.asarray(part.coords)
            d = np.diff(xy, axis=0) * [math.cos(math.radians(11.5)), 1.0]
            bearing = np.degrees(np.arctan2(d[:, 1], d[:, 0])) % 180
            np.add.at(hist, (bearing // 10).astype(int) % 18, np.hypot(d[:, 0], d[:, 1]))
    top_two = np.sort(hist)[-2:].sum() / hist.sum()
    assert top_two < 0.35 and (hist > 0.02 * hist.sum()).sum() >= 12


def test_no_parcel_crosses_a_road():
    with connection.cursor() as cursor:
        cursor.execute("""WITH corridor AS (SELECT ST_Buffer(geom::geography, width_m / 2)::geometry AS geom
                                             FROM transport_road)
                          SELECT count(*) FROM land_parcel p JOIN corridor r ON ST_Intersects(p.geom, r.geom)""")
        assert cursor.fetchone()[0] == 0
        # ... nor does a zoning zone: zones follow the blocks between roads.
        cursor.execute("""WITH corridor AS (SELECT ST_Buffer(geom::geography, width_m / 2)::geometry AS geom
                                             FROM transport_road)
                          SELECT count(*) FROM planning_zoningzone z JOIN corridor r ON ST_Intersects(z.geom, r.geom)""")
        assert cursor.fetchone()[0] == 0
        cursor.execute("""SELECT count(*) FROM land_parcel p WHERE NOT EXISTS (
                          SELECT 1 FROM planning_zoningzone z WHERE ST_Intersects(z.geom, p.geom))""")
        assert cursor.fetchone()[0] == 0


def test_town_lots_are_narrow_and_face_the_street_country_lots_are_large():
    with connection.cursor() as cursor:
        # Parcels of Phường Tân Phú (the centre of Đồng Xoài) within 3 m of a street's corridor.
        cursor.execute("""
            SELECT count(*) FILTER (WHERE EXISTS (SELECT 1 FROM transport_road r
                       WHERE ST_DWithin(p.geom::geography, r.geom::geography, r.width_m / 2 + 3))),
                   count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY p.area_m2)
            FROM land_parcel p JOIN places_adminunit c ON c.gso_code = p.commune_code
            WHERE c.name = 'Phường Tân Phú'""")
        facing, total, median_town = cursor.fetchone()
        cursor.execute("""SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY area_m2) FROM land_parcel
                          WHERE land_use_code IN ('CLN', 'RSX')""")
        median_plantation = cursor.fetchone()[0]
    assert facing > total / 2
    # town lots ~6 x 20 m; rubber and cashew lots from ~30 x 65 m along the roads to ~1 ha behind
    assert median_town < 300 and median_plantation > 1500 and median_plantation > 5 * median_town


def test_land_use_follows_the_place():
    rows = dict(Parcel.objects.filter(commune__name="Phường Tân Phú").values_list("land_use_id")
                .annotate(n=Count("id")).values_list("land_use_id", "n"))
    assert rows.get("ODT", 0) > sum(rows.values()) / 2
    # Beyond the villages: forest in the north and east (Bù Gia Mập), plantations in the south.
    province = Province(2021)
    share = {}
    for name, district in (("Xã Đắk Ơ", "691"), ("Xã Nha Bích", "697")):
        commune = next(c for c in province.communes if c.name == name and c.district_code == district)
        codes = list(province.commune_parcels(commune, 3000).land_use)
        share[name] = {code: codes.count(code) / len(codes) for code in set(codes)}
    forest = {name: s.get("RSX", 0) + s.get("RPH", 0) for name, s in share.items()}
    assert forest["Xã Đắk Ơ"] > 0.2 and forest["Xã Đắk Ơ"] > 3 * forest["Xã Nha Bích"]
    assert share["Xã Nha Bích"]["CLN"] > 0.4
    assert Parcel.objects.filter(land_use_id="CLN").count() > Parcel.objects.count() / 5  # rubber, cashew


def test_dong_xoai_wards_have_several_map_sheets():
    wards = AdminUnit.objects.filter(parent_id="689", name__startswith="Phường")
    assert wards.count() == 6
    for ward in wards:
        sheets = Parcel.objects.filter(commune=ward).values("map_sheet_no").distinct().count()
        assert sheets >= 3, ward.name


def test_every_layer_is_seeded_valid_and_inside_the_province():
    with connection.cursor() as cursor:
        for spec in registry.all_layers():
            cursor.execute(sql.SQL("""
                SELECT count(*), count(*) FILTER (WHERE NOT ST_IsValid(l.{geom})
                                                  OR NOT ST_CoveredBy(l.{geom}, ST_Buffer(p.geom, 1e-7)))
                FROM {table} l, places_adminunit p WHERE p.level = 'province'""").format(
                geom=sql.Identifier(spec.geometry_field.column), table=sql.Identifier(spec.table)))
            total, astray = cursor.fetchone()
            assert total > 0 and astray == 0, spec.id
        # Schools and clinics stand in the commune their address names.
        for table in ("education_school", "health_clinic"):
            cursor.execute(sql.SQL("""SELECT count(*) FROM {} s WHERE NOT EXISTS (
                SELECT 1 FROM places_adminunit c WHERE c.level = 'commune' AND c.parent_code = s.district_code
                AND s.address LIKE c.name || ',%%' AND ST_Intersects(c.geom, s.geom))""").format(sql.Identifier(table)))
            assert cursor.fetchone()[0] == 0, table


def test_the_seed_writes_through_the_one_write_service():
    """Every feature the seed writes is in the change log as the seed's (source "seed", actor
    "seed_demo"), the emptying of each layer as one truncate, nothing as an unattributed write. The
    demo month of incidents is the exception that proves it: its history is written as the seed's on
    behalf of the people it simulates (citizens, operators), and its last hours go through the IOC's
    own services (sources "report" and "workflow", which also send response units out)."""
    from layers import registry
    from layers.models import Change

    start = Change.objects.order_by("-id").values_list("id", flat=True).first() or 0
    call_command("seed_demo", parcels=TEST_PARCELS, replace=True, verbosity=0)
    logged = Change.objects.filter(id__gt=start)
    simulated = logged.filter(layer_id__in=("incidents", "response_units"))
    assert set(logged.exclude(pk__in=simulated.filter(op__in="IUD")).values_list("source", "actor")) == {
        ("seed", "seed_demo")}
    assert set(simulated.values_list("source", flat=True)) <= {"seed", "report", "workflow"}
    assert simulated.filter(layer_id="incidents", source="workflow").exists()  # the live hours
    assert not simulated.filter(actor="").exists()
    truncated = set(logged.filter(op="T").values_list("layer_id", flat=True))
    assert truncated == {spec.id for spec in registry.all_layers()}
    for spec in registry.all_layers():
        inserted = logged.filter(layer_id=spec.id, op="I").count()
        assert inserted == spec.model.objects.count(), spec.id
