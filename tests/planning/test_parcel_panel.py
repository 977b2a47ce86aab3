"""The parcel panel: numbers checked against geometry computed independently (shapely + pyproj), the
one-statement panel against the Python panel it replaced, and its round trips counted on the wire."""
import json
import random
import socket
import struct
import threading
import time
from urllib.parse import quote

import pytest
import requests
import shapely
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pyproj import Geod

from land.models import Parcel
from planning.models import ZoningZone
from tests.conftest import serve_platform, stop_platform

pytestmark = pytest.mark.django_db
GEOD = Geod(ellps="WGS84")


def geodesic_area(geom) -> float:
    """Area in m² on the WGS84 ellipsoid, by pyproj (independent of PostGIS)."""
    return abs(GEOD.geometry_area_perimeter(geom)[0])


def split_parcel():
    """A parcel that two or more zones share (the demo grid of zones cuts some parcels)."""
    for parcel in Parcel.objects.order_by("id")[:3000]:
        if ZoningZone.objects.filter(geom__intersects=parcel.geom).count() >= 2:
            return parcel
    pytest.fail("no parcel split by zones in the demo province")


def test_panel_of_a_parcel_split_by_zones(client):
    parcel = split_parcel()
    panel = client.get(f"/api/parcels/{parcel.pk}").json()
    assert panel["identity"] == {"commune_code": parcel.commune_id, "commune": parcel.commune.name,
                                 "district": parcel.commune.parent.name, "map_sheet_no": parcel.map_sheet_no,
                                 "parcel_no": parcel.parcel_no}
    parcel_shape = shapely.from_wkb(bytes(parcel.geom.wkb))
    assert panel["area_m2"] == pytest.approx(geodesic_area(parcel_shape), abs=0.006)  # rounded to cm²
    assert panel["land_use"]["code"] == parcel.land_use_id and panel["land_use"]["name_vi"]
    assert len(panel["zones"]) >= 2
    footprint = floor_area = 0.0
    for row in panel["zones"]:
        zone = ZoningZone.objects.get(zone_code=row["zone_code"], geom__intersects=parcel.geom)
        overlap = shapely.intersection(parcel_shape, shapely.from_wkb(bytes(zone.geom.wkb)))
        assert row["share_m2"] == pytest.approx(geodesic_area(overlap), abs=0.011)
        assert row["share_pct"] == pytest.approx(100 * row["share_m2"] / panel["area_m2"], abs=0.01)
        if zone.building_density_pct is not None:
            footprint += row["share_m2"] * zone.building_density_pct / 100
            floor_area += row["share_m2"] * zone.building_density_pct / 100 * (zone.max_floors or 0)
    assert sum(r["share_pct"] for r in panel["zones"]) == pytest.approx(100, abs=0.1)  # zones tile the parcel here
    if panel["buildable"]["footprint_m2"] is not None:
        assert panel["buildable"]["footprint_m2"] == pytest.approx(footprint, abs=0.05)
        assert panel["buildable"]["floor_area_m2"] == pytest.approx(floor_area, abs=0.5)


def test_panel_by_point_and_errors(client):
    parcel = Parcel.objects.order_by("id").first()
    inside = parcel.geom.point_on_surface
    assert client.get("/api/parcels/at", {"lon": inside.x, "lat": inside.y}).json()["id"] == parcel.pk
    assert client.get("/api/parcels/at", {"lon": 106.0, "lat": 10.0}).status_code == 404
    assert client.get("/api/parcels/at", {"lon": "x"}).status_code == 400
    assert client.get("/api/parcels/999999999").status_code == 404
    assert "owner" not in client.get(f"/api/parcels/{parcel.pk}").content.decode()  # no personal data


def test_one_page_pdf_report(client):
    parcel = split_parcel()
    response = client.get(f"/api/parcels/{parcel.pk}/report.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = response.content
    assert pdf.startswith(b"%PDF") and b"/Count 1" in pdf  # one page
    assert f"parcel {parcel.commune_id}/{parcel.map_sheet_no}/{parcel.parcel_no}".encode() in pdf
    assert b"DejaVu" in pdf  # the bundled font with Vietnamese glyphs is embedded
    assert client.get("/api/parcels/999999999/report.pdf").status_code == 404


# -- One statement per panel (issue 12) -------------------------------------------------------------

def python_panel(parcel, *, max_vertices: int) -> dict:
    """The panel as the platform built it in Python before issue 12 (three round trips), kept here as
    the reference the one-statement panel must equal, field for field and value for value."""
    from planning.selectors import zones_over

    zones = zones_over(parcel.geom)
    area = parcel.area_m2
    rows, footprint, floor_area, any_limit = [], 0.0, 0.0, False
    for zone in zones:
        zone_footprint = zone.share_m2 * zone.building_density_pct / 100 if zone.building_density_pct is not None else None
        zone_floor = zone_footprint * zone.max_floors if zone_footprint is not None and zone.max_floors else None
        if zone_footprint is not None:
            any_limit = True
            footprint += zone_footprint
            floor_area += zone_floor or 0.0
        rows.append({
            "zone_code": zone.zone_code, "planned_land_use": {"code": zone.planned_land_use_id,
                                                              "name_vi": zone.planned_land_use.name_vi,
                                                              "name_en": zone.planned_land_use.name_en},
            "plan_name": zone.plan_name, "decision_no": zone.decision_no, "decision_date": zone.decision_date.isoformat(),
            "max_floors": zone.max_floors, "max_height_m": zone.max_height_m,
            "building_density_pct": zone.building_density_pct, "share_m2": round(zone.share_m2, 2),
            "share_pct": round(100 * zone.share_m2 / area, 2) if area else None,
            "footprint_m2": round(zone_footprint, 2) if zone_footprint is not None else None,
            "floor_area_m2": round(zone_floor, 2) if zone_floor is not None else None,
        })
    commune = parcel.commune
    heights = [z.max_height_m for z in zones if z.max_height_m is not None]
    outline = parcel.geom
    if outline.num_coords > max_vertices:
        minx, miny, maxx, maxy = outline.extent
        tolerance = max(maxx - minx, maxy - miny) / 5000
        for _ in range(8):
            simpler = parcel.geom.simplify(tolerance, preserve_topology=True)
            if simpler.num_coords <= max_vertices:
                outline = simpler
                break
            tolerance *= 3
        else:
            outline = parcel.geom.envelope
    return {
        "id": parcel.pk,
        "identity": {"commune_code": commune.gso_code, "commune": commune.name,
                     "district": commune.parent.name if commune.parent else "", "map_sheet_no": parcel.map_sheet_no,
                     "parcel_no": parcel.parcel_no},
        "address": parcel.address,
        "area_m2": round(area, 2),
        "land_use": {"code": parcel.land_use_id, "name_vi": parcel.land_use.name_vi, "name_en": parcel.land_use.name_en},
        "zones": rows,
        "buildable": {"footprint_m2": round(footprint, 2) if any_limit else None,
                      "floor_area_m2": round(floor_area, 2) if any_limit else None,
                      "max_height_m": min(heights) if heights else None},
        "geometry": outline.json,
        "bbox": list(parcel.geom.extent),
    }


def assert_same_panel(answer: dict, expected: dict) -> None:
    # The outline is GeoJSON text in both; PostGIS writes it compactly with the shortest exact digits,
    # GDAL with spaces and 15 decimals: the same coordinates once read.
    assert json.loads(answer.pop("geometry")) == json.loads(expected.pop("geometry"))
    assert answer == expected
    assert list(answer) == list(expected)  # the fields in the same order too


@pytest.mark.parametrize("max_vertices", [2000, 5])  # 5: every outline simplified (or boxed), as a huge parcel's
def test_the_sql_panel_equals_the_python_panel(client, settings, max_vertices):
    settings.GEO_PANEL_MAX_VERTICES = max_vertices
    parcels = list(Parcel.objects.select_related("land_use", "commune", "commune__parent").order_by("id")[:300])
    parcels.append(split_parcel())
    zoned = 0
    for parcel in parcels:
        expected = python_panel(parcel, max_vertices=max_vertices)
        zoned += bool(expected["zones"])
        assert_same_panel(client.get(f"/api/parcels/{parcel.pk}").json(), dict(expected))
        inside = parcel.geom.point_on_surface
        at_point = client.get("/api/parcels/at", {"lon": inside.x, "lat": inside.y}).json()
        if at_point["id"] == parcel.pk:  # demo parcels do not overlap, but the lowest id wins if they do
            assert_same_panel(at_point, dict(expected))
    assert zoned > 50  # the comparison covered zones, shares and limits, not only empty panels


def test_rounding_is_pythons_round():
    """python_round_sql(x) gives Python's round(x, 2) exactly, ties included (half to even on the
    binary value: round(2.675, 2) == 2.67, round(0.125, 2) == 0.12)."""
    from django.db import connection

    from planning.selectors import python_round_sql

    rng = random.Random(12)
    values = [0.125, 0.375, 2.675, 0.285, 1.005, 2.5, 0.005, 0.015, 1234.565, 100.0, 0.0, 1e-7, 12345678.125,
              102.98499999999999, 0.145, 1e15 + 0.5]
    values += [(2 * i + 1) * 0.005 for i in range(3000)]  # shortest decimals that are ties: the hard case
    values += [i / 8 for i in range(2000)]  # exact binary ties: half to even
    values += [rng.uniform(0, 1e5) for _ in range(3000)]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT x, {python_round_sql('x')} FROM unnest(%s::float8[]) AS x", [values])
        rows = cursor.fetchall()
    wrong = [(x, rounded, round(x, 2)) for x, rounded in rows if rounded != round(x, 2)]
    assert not wrong, wrong[:10]
    assert round(2.675, 2) == 2.67 and round(0.125, 2) == 0.12  # the cases numeric's round gets "wrong"


def test_the_panel_at_a_point_is_one_query(client):
    parcel = split_parcel()
    inside = parcel.geom.point_on_surface
    client.get("/api/parcels/at", {"lon": inside.x, "lat": inside.y})  # the session's first request sets its timeout
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/parcels/at", {"lon": inside.x, "lat": inside.y})
    assert response.status_code == 200 and response.json()["id"] == parcel.pk
    assert len(queries) == 1, [q["sql"][:80] for q in queries]
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/api/parcels/{parcel.pk}").json()["id"] == parcel.pk
    assert len(queries) == 1


class StatementCounter:
    """A TCP proxy in front of PostgreSQL that records every statement the platform sends (the
    frontend protocol's Query and Sync messages: one round trip each), so a test counts what
    Django's query log cannot see (its health check's `SELECT 1` bypasses it)."""

    def __init__(self, host: str, port: int):
        self.upstream = (host, int(port))
        self.statements: list[str] = []
        self.server_ports: list[int] = []  # our side of each connection to PostgreSQL (pg_stat_activity.client_port)
        self.closed_ports: set[int] = set()  # connections PostgreSQL ended (and the proxy passed the end on)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            self.server_ports.append(server.getsockname()[1])
            threading.Thread(target=self._pump, args=(server, client, None, self.server_ports[-1]), daemon=True).start()
            threading.Thread(target=self._pump, args=(client, server, self._frontend_messages()), daemon=True).start()

    def _frontend_messages(self):
        """A parser fed the client's bytes: the startup packet (no type byte), then typed messages."""
        buffer, started = b"", False
        while True:
            buffer += yield
            while True:
                if not started:
                    if len(buffer) < 4 or len(buffer) < struct.unpack("!I", buffer[:4])[0]:
                        break
                    buffer, started = buffer[struct.unpack("!I", buffer[:4])[0]:], True
                    continue
                if len(buffer) < 5 or len(buffer) < 1 + struct.unpack("!I", buffer[1:5])[0]:
                    break
                kind, length = buffer[:1], struct.unpack("!I", buffer[1:5])[0]
                if kind == b"Q":
                    self.statements.append(buffer[5:1 + length].rstrip(b"\0").decode())
                elif kind == b"S":
                    self.statements.append("(extended protocol sync)")
                buffer = buffer[1 + length:]

    def _pump(self, source, target, parser, server_port=None):
        if parser is not None:
            next(parser)
        try:
            while data := source.recv(65536):
                if parser is not None:
                    parser.send(data)
                target.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, target):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                end.close()
            if server_port is not None:
                self.closed_ports.add(server_port)

    def close(self):
        self.listener.close()


@pytest.fixture(params=["lean path", "django"])
def counted_platform(request, test_db_env):
    """The platform under gunicorn as `make run` serves it (one process, one request thread and one lean
    path connection, so one persistent connection per way), talking to the test database through a
    StatementCounter; the panel answered on the lean path (geo/fastpath.py), or by Django with it off."""
    db = connection.settings_dict
    counter = StatementCounter(db["HOST"] or "127.0.0.1", db["PORT"] or 5432)
    url = (f"postgres://{quote(db['USER'])}:{quote(db['PASSWORD'])}@127.0.0.1:{counter.port}/{quote(db['NAME'])}"
           "?sslmode=disable&gssencmode=disable")  # plain protocol, so the proxy can read it
    env = {**test_db_env, "DATABASE_URL": url, "GEO_WSGI_THREADS": "1",
           "GEO_FAST_PATH": "1" if request.param == "lean path" else "0"}
    server, base = serve_platform(env, workers=1, preload=False)
    yield base, counter, request.param
    stop_platform(server)
    counter.close()


# One round trip: on the lean path an extended-protocol execution of the statement asyncpg prepared on
# the connection's first panel (one Sync); through Django the EXECUTE of the statement prepared per session.
def _one_panel_statement(statements: list[str], way: str) -> bool:
    if way == "lean path":
        return statements == ["(extended protocol sync)"]
    return len(statements) == 1 and "EXECUTE \"geo_panel_at_point\"" in statements[0]


def test_one_round_trip_per_panel_on_a_real_server_and_a_killed_connection_recovers(counted_platform):
    base, counter, way = counted_platform
    parcel = split_parcel()
    inside = parcel.geom.point_on_surface
    at = {"lon": inside.x, "lat": inside.y}
    assert requests.get(f"{base}/api/parcels/at", params=at, timeout=30).json()["id"] == parcel.pk
    for _ in range(20):
        counter.statements.clear()
        response = requests.get(f"{base}/api/parcels/at", params=at, timeout=30)
        assert response.status_code == 200 and response.json()["id"] == parcel.pk
        # one statement, the panel's: no `SELECT 1` health check, no second query
        assert _one_panel_statement(counter.statements, way), counter.statements

    # The database ends the platform's session (as a restart or an administrator does): the next
    # request opens a new one and answers, no 500.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid, client_port FROM pg_stat_activity WHERE client_port = ANY(%s) "
                       "AND datname = current_database() AND pid <> pg_backend_pid()", [counter.server_ports])
        sessions = cursor.fetchall()
        for pid, _ in sessions:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    ended = [port for _, port in sessions]
    assert ended, "no platform session found to end"
    while not counter.closed_ports.issuperset(ended):  # PostgreSQL said goodbye and closed the socket
        time.sleep(0.05)
    counter.statements.clear()
    for _ in range(3):
        response = requests.get(f"{base}/api/parcels/at", params=at, timeout=30)
        assert response.status_code == 200 and response.json()["id"] == parcel.pk
    if way == "lean path":  # asyncpg prepares on the new connection (Parse, Describe, Flush), then one Sync each
        assert counter.statements == ["(extended protocol sync)"] * 3, counter.statements
    else:
        assert sum("EXECUTE \"geo_panel_at_point\"" in s for s in counter.statements) == 3
