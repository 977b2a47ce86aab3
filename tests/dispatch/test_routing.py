"""Dispatch by road on a small synthetic network: a river between two roads and one bridge far to the
north. The roads layer is emptied inside the test's transaction (rolled back after it), so the
routing graph holds only this network."""
import pytest
from django.contrib.gis.geos import Point
from django.db import connection

from dispatch import routing, selectors
from dispatch.models import ResponseUnit, RoadGraph, Station
from layers import registry, writes
from layers.editing import Editor
from layers.registry import ROLE_IOC, officer

pytestmark = pytest.mark.django_db
TRANSPORT = Editor(frozenset({officer("transport")}), None, None, "can-bo-gt")
IOC = Editor(frozenset({ROLE_IOC}), None, None, "truc-ioc")
SYSTEM = Editor.system("test")

# Two roads along the banks of a river running north (0.01° of longitude apart: 1,090 m at 11.8°N),
# 6.6 km long (110,600 m per degree of latitude); the only bridge crosses both 5,696 m north of the
# incident. No shared vertices: the crossings must be noded for the bridge to connect anything.
WEST_BANK = [[106.800, 11.780], [106.800, 11.840]]
EAST_BANK = [[106.810, 11.780], [106.810, 11.840]]
NORTH_BRIDGE = [[106.798, 11.8325], [106.812, 11.8325]]
SOUTH_BRIDGE = [[106.798, 11.7815], [106.812, 11.7815]]
INCIDENT = (106.7995, 11.7810)  # 55 m west of the west-bank road


def road(name, coordinates, road_class="urban"):
    return {"type": "Feature", "geometry": {"type": "MultiLineString", "coordinates": [coordinates]},
            "properties": {"name": name, "road_class": road_class, "width_m": 7.0}}


def commit_versions():
    """From here on, layer versions move at the end of each statement as they would at commit (the
    test's transaction never commits): layer_version then answers like after a committed edit."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS layers_version_at_commit IMMEDIATE")


@pytest.fixture
def river():
    """The river network and three fire engines: one across the river (near in a straight line, far
    by road), one up the west bank (farther in a straight line, near by road), one out of service."""
    roads, units = registry.get("roads"), registry.get("response_units")
    with writes.writing(SYSTEM, source=writes.SEED):
        writes.truncate([roads, units], SYSTEM)
    for name, line in (("Đường bờ tây", WEST_BANK), ("Đường bờ đông", EAST_BANK), ("Cầu phía bắc", NORTH_BRIDGE)):
        writes.feature_create(spec=roads, editor=TRANSPORT, feature=road(name, line))
    station = Station.objects.create(code="PC-TEST", name="Đội PCCC thử", district_id=_district(),
                                     geom=Point(106.80, 11.79, srid=4326))

    def unit(code, lon, lat, status="available"):
        feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
                   "properties": {"unit_code": code, "name": f"Xe {code}", "kind": "fire", "agency": "fire",
                                  "district_code": _district(), "status": status, "station_code": station.code}}
        return writes.feature_create(spec=units, editor=IOC, feature=feature).feature_id

    # Across: 0.0110° east (1,200 m); up the west bank: 0.0200° north (2,211 m); both 55 m off their road.
    return {"across": unit("CC-BEN-DONG", 106.8105, 11.7810), "west": unit("CC-BEN-TAY", 106.7995, 11.8010),
            "broken": unit("CC-HONG", 106.7995, 11.7812, status="out_of_service")}


def _district():
    from places.models import AdminUnit

    return AdminUnit.objects.filter(level="district").values_list("gso_code", flat=True).first()


def test_the_nearest_unit_by_road_is_not_the_nearest_in_a_straight_line(river):
    found = selectors.nearest_units(lon=INCIDENT[0], lat=INCIDENT[1], kinds=["fire"])
    assert [u["id"] for u in found] == [river["west"], river["across"]]  # the broken one is not offered
    west, across = found
    assert across["straight_m"] < west["straight_m"]
    # West bank: 2,211 m of road at 30 km/h (265 s) plus two 55 m legs at 20 km/h (20 s).
    assert west["road_m"] == pytest.approx(2211, rel=0.01)
    assert west["travel_s"] == pytest.approx(2211 / (30 / 3.6) + 110 / (20 / 3.6), rel=0.02)
    # Across: 5,696 m north to the bridge (0.0515° of latitude), 1,090 m over it, 5,696 m back south.
    assert across["road_m"] == pytest.approx(2 * 5696 + 1090, rel=0.01)
    assert across["travel_s"] > 5 * west["travel_s"]
    # Its way runs over the bridge, from the unit to the incident.
    coordinates = across["route"]["coordinates"]
    assert max(lat for _, lat in coordinates) == pytest.approx(11.8325, abs=1e-6)
    assert coordinates[0] == [106.8105, 11.7810] and coordinates[-1] == list(INCIDENT)
    assert (across["kind_vi"], across["status_vi"]) == ("Chữa cháy", "Sẵn sàng")
    everyone = selectors.nearest_units(lon=INCIDENT[0], lat=INCIDENT[1], only_available=False)
    assert everyone[0]["id"] == river["broken"]
    assert selectors.nearest_units(lon=INCIDENT[0], lat=INCIDENT[1], kinds=["ambulance"]) == []


def test_the_graph_is_rebuilt_when_the_roads_change_and_only_then(river):
    commit_versions()
    writes.feature_create(spec=registry.get("roads"), editor=TRANSPORT,
                          feature=road("Đường tạm", [[106.79, 11.70], [106.791, 11.70]], "commune"))
    from layers.selectors import layer_version

    version = layer_version("roads")
    assert version is not None
    built = routing.ensure_graph()
    assert built.rebuilt and RoadGraph.objects.get().roads_version == version
    assert not routing.ensure_graph().rebuilt  # nothing changed: the same graph
    assert selectors.nearest_units(lon=INCIDENT[0], lat=INCIDENT[1])[0]["id"] == river["west"]
    # A new bridge by the incident: now the unit across the river is the nearest by road too.
    writes.feature_create(spec=registry.get("roads"), editor=TRANSPORT, feature=road("Cầu mới", SOUTH_BRIDGE))
    assert layer_version("roads") == version + 1
    found = selectors.nearest_units(lon=INCIDENT[0], lat=INCIDENT[1])
    assert [u["id"] for u in found] == [river["across"], river["west"]]
    assert RoadGraph.objects.get().roads_version == version + 1
    # 1,090 m over the new bridge and 55 m legs: about two and a half minutes.
    assert found[0]["road_m"] == pytest.approx(1090 + 2 * 55, rel=0.05)


def test_units_at_one_place_share_their_way_and_a_unit_at_the_incident_is_there_at_once(river):
    units = registry.get("response_units")
    twin = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [106.7995, 11.8010]},
            "properties": {"unit_code": "CC-BEN-TAY-2", "name": "Xe 2", "kind": "fire", "agency": "fire",
                           "district_code": _district(), "status": "available", "station_code": "PC-TEST"}}
    twin_id = writes.feature_create(spec=units, editor=IOC, feature=twin).feature_id
    here = dict(twin, geometry={"type": "Point", "coordinates": list(INCIDENT)},
                properties={**twin["properties"], "unit_code": "CC-TAI-CHO"})
    here_id = writes.feature_create(spec=units, editor=IOC, feature=here).feature_id
    found = {u["id"]: u for u in selectors.nearest_units(lon=INCIDENT[0], lat=INCIDENT[1], limit=10)}
    assert found[here_id]["travel_s"] == 0 and found[here_id]["straight_m"] == 0
    assert found[twin_id]["travel_s"] == found[river["west"]]["travel_s"]
    assert ResponseUnit.objects.count() == 5


def test_a_road_drawn_without_its_link_to_the_network_is_reached_through_a_connector(river):
    # A village road 2,180 m east of the east bank (0.02° of longitude), touching no other road.
    writes.feature_create(spec=registry.get("roads"), editor=TRANSPORT,
                          feature=road("Đường làng", [[106.830, 11.790], [106.830, 11.800]], "commune"))
    units = registry.get("response_units")
    village = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [106.8305, 11.7950]},
               "properties": {"unit_code": "CC-LANG", "name": "Xe làng", "kind": "fire", "agency": "fire",
                              "district_code": _district(), "status": "available", "station_code": "PC-TEST"}}
    village_id = writes.feature_create(spec=units, editor=IOC, feature=village).feature_id
    found = {u["id"]: u for u in selectors.nearest_units(lon=INCIDENT[0], lat=INCIDENT[1], limit=10)}
    unit = found[village_id]
    # Off the road only between the points and their roads (55 m each), not the 2 km to the network.
    assert unit["off_road_m"] == pytest.approx(109, abs=2)
    # Its way: 553 m down the village road, the 2,180 m connector (20 km/h), the east bank, the
    # north bridge and the west bank: slower than the unit straight across the river.
    assert unit["road_m"] > 2180 + 2 * 5696 and unit["travel_s"] > found[river["across"]]["travel_s"]
    assert RoadGraph.objects.get().edges > 5
