"""Routing on the roads layer with pgRouting: the one module of raw SQL in dispatch.

The roads layer is drawn, not built as a network: its lines cross without sharing a vertex. The
routing graph (dispatch_roadedge) is derived from it: every road line noded at every crossing
(ST_Node), each piece an edge between two junctions, its cost the travel time in seconds at its
road class's speed. It is rebuilt only when the roads layer's version (layers_layerversion, bumped
at each committed change) differs from the version it was built from (dispatch_roadgraph).

Points (incidents, units, clinics) join the graph where they meet the nearest edge of the main
network (the largest connected piece): pgr_withPoints splits that edge there, and the straight leg
from the point to the road is walked at OFF_ROAD_KMH. All coordinates are EPSG:4326 lon/lat;
metres are geodesic (geography), times seconds.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from psycopg2 import sql

from layers.selectors import layer_version

# Travel speeds by road class (transport/codelists/road_class.csv), km/h; others at DEFAULT_KMH.
SPEED_KMH = {"national": 60.0, "provincial": 50.0, "district": 40.0, "urban": 30.0}
DEFAULT_KMH = 30.0
OFF_ROAD_KMH = 20.0
_LOCK = 7_311_001  # pg_advisory_xact_lock key: one graph build at a time

# The graph pgr_withPoints walks: the main network, the same cost both ways.
_EDGES_SQL = ("SELECT id, source, target, cost_s AS cost, cost_s AS reverse_cost "
              "FROM dispatch_roadedge WHERE component = 0")


@dataclass(frozen=True)
class GraphState:
    roads_version: int | None
    edges: int
    nodes: int
    rebuilt: bool


def _state(cursor) -> tuple[int | None, bool, int, int]:
    """(the roads version the graph was built from, whether a graph exists, edges, nodes)."""
    cursor.execute("SELECT roads_version, edges, nodes FROM dispatch_roadgraph WHERE id = 1")
    row = cursor.fetchone()
    return (row[0], True, row[1], row[2]) if row else (None, False, 0, 0)


def ensure_graph() -> GraphState:
    """The routing graph, rebuilt first when the roads layer changed since it was built. A caller
    whose own transaction has written roads (uncommitted: layer_version is None) gets a graph of the
    roads it sees, marked to be rebuilt by the next caller."""
    version = layer_version("roads")
    with connection.cursor() as cursor:
        built_from, exists, edges, nodes = _state(cursor)
        if exists and version is not None and built_from == version:
            return GraphState(version, edges, nodes, False)
        with transaction.atomic():
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK])
            built_from, exists, edges, nodes = _state(cursor)  # another worker may have built it meanwhile
            if exists and version is not None and built_from == version:
                return GraphState(version, edges, nodes, False)
            edges, nodes = _build(cursor)
            cursor.execute("INSERT INTO dispatch_roadgraph (id, roads_version, built_at, edges, nodes) "
                           "VALUES (1, %s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET roads_version = "
                           "EXCLUDED.roads_version, built_at = EXCLUDED.built_at, edges = EXCLUDED.edges, "
                           "nodes = EXCLUDED.nodes", [version, timezone.now(), edges, nodes])
    return GraphState(version, edges, nodes, True)


def _build(cursor) -> tuple[int, int]:
    """Node the roads layer into edges between junctions, number the junctions, cost the edges, and
    connect the pieces of network to the largest one (component 0). Returns (edges, nodes).
    Set-based: a few statements for the whole province (about 1,300 roads, 26,000 vertices in the
    demo: a few seconds)."""
    # Built aside, then moved in with one statement: the table (and its index of the main network)
    # never holds the intermediate rows.
    cursor.execute("DROP TABLE IF EXISTS dispatch_build")
    cursor.execute("CREATE TEMP TABLE dispatch_build (LIKE dispatch_roadedge INCLUDING DEFAULTS) ON COMMIT DROP")
    cursor.execute("ALTER TABLE dispatch_build ALTER COLUMN id SET DEFAULT nextval('dispatch_roadedge_id_seq')")
    # Each noded piece takes the class of the road it lies on (the road nearest its midpoint).
    cursor.execute(
        "WITH noded AS (SELECT (ST_Dump(ST_Node(ST_Collect(d.geom)))).geom AS geom FROM "
        "(SELECT (ST_Dump(geom)).geom FROM transport_road) AS d), "
        "pieces AS (SELECT geom, ST_LineInterpolatePoint(geom, 0.5) AS mid FROM noded "
        "WHERE ST_Length(geom) > 0), "
        "speeds AS (SELECT * FROM unnest(%s::text[], %s::float8[]) AS s(road_class, kmh)) "
        "INSERT INTO dispatch_build (source, target, road_id, road_class, length_m, cost_s, component, geom) "
        "SELECT 0, 0, COALESCE(r.id, 0), COALESCE(r.road_class, ''), m.length_m, "
        "m.length_m / (COALESCE(s.kmh, %s) / 3.6), 0, p.geom FROM pieces AS p "
        "CROSS JOIN LATERAL (SELECT ST_Length(p.geom::geography) AS length_m) AS m "
        "LEFT JOIN LATERAL (SELECT t.id, t.road_class FROM transport_road AS t "
        "WHERE ST_DWithin(t.geom, p.mid, 1e-6) ORDER BY ST_Distance(t.geom, p.mid), t.id LIMIT 1) AS r ON true "
        "LEFT JOIN speeds AS s ON s.road_class = r.road_class",
        [list(SPEED_KMH), list(SPEED_KMH.values()), DEFAULT_KMH])
    # Junctions: the pieces' end points (identical where ST_Node cut them), numbered from 1.
    cursor.execute(
        "WITH ends AS (SELECT id, ST_AsBinary(ST_SnapToGrid(ST_StartPoint(geom), 1e-9)) AS a, "
        "ST_AsBinary(ST_SnapToGrid(ST_EndPoint(geom), 1e-9)) AS b FROM dispatch_build), "
        "nodes AS (SELECT key, row_number() OVER (ORDER BY key) AS nid FROM "
        "(SELECT a AS key FROM ends UNION SELECT b FROM ends) AS k) "
        "UPDATE dispatch_build AS e SET source = na.nid, target = nb.nid FROM ends "
        "JOIN nodes AS na ON na.key = ends.a JOIN nodes AS nb ON nb.key = ends.b WHERE e.id = ends.id")
    cursor.execute("SELECT count(*), count(DISTINCT n) FROM dispatch_build, LATERAL (VALUES (source), (target)) "
                   "AS v(n)")
    edge_ends, nodes = cursor.fetchone()
    if edge_ends:
        _rank_pieces(cursor)
        _connect_pieces(cursor, nodes)
    cursor.execute("DELETE FROM dispatch_roadedge")
    cursor.execute("INSERT INTO dispatch_roadedge SELECT * FROM dispatch_build")
    cursor.execute("ANALYZE dispatch_roadedge")
    cursor.execute("SELECT count(*), count(DISTINCT n) FROM dispatch_roadedge, LATERAL (VALUES (source), (target)) "
                   "AS v(n)")
    edge_ends, nodes = cursor.fetchone()
    return edge_ends // 2, nodes


def _rank_pieces(cursor) -> None:
    """Mark each edge with its connected piece of network, 0 for the largest (most junctions)."""
    cursor.execute(
        "WITH cc AS (SELECT component, node FROM pgr_connectedComponents(%s)), "
        "sizes AS (SELECT component, count(*) AS n FROM cc GROUP BY component), "
        "ranked AS (SELECT component, row_number() OVER (ORDER BY n DESC, component) - 1 AS rank FROM sizes) "
        "UPDATE dispatch_build AS e SET component = ranked.rank FROM cc JOIN ranked USING (component) "
        "WHERE cc.node = e.source",
        ["SELECT id, source, target, cost_s AS cost, cost_s AS reverse_cost FROM dispatch_build"])
    # The main network's edges in a table of their own for the nearest-edge searches (an index on
    # the table just updated would not serve this transaction: PostgreSQL's indcheckxmin).
    cursor.execute("DROP TABLE IF EXISTS dispatch_main")
    cursor.execute("CREATE TEMP TABLE dispatch_main ON COMMIT DROP AS SELECT id, geom FROM dispatch_build "
                   "WHERE component = 0")
    cursor.execute("CREATE INDEX ON dispatch_main USING gist (geom)")
    cursor.execute("ANALYZE dispatch_main")


def _connect_pieces(cursor, nodes: int) -> int:
    """Join every other piece of network to the main one: from the piece's junction nearest to the
    main network, a straight connector (road class "connector", driven at OFF_ROAD_KMH: an unmapped
    track) to the nearest point of a main edge, which is split there. Town streets and village roads
    drawn without their link to a main road are then reached through it, not left out. Returns the
    number of connectors (each adds one edge and at most one junction besides the split)."""
    cursor.execute("DROP TABLE IF EXISTS dispatch_connect")
    # One connection per piece: its junction nearest (in degrees, for the index) to a main edge.
    cursor.execute(
        "CREATE TEMP TABLE dispatch_connect ON COMMIT DROP AS "
        "WITH ends AS (SELECT DISTINCT ON (n) component, n, pt FROM (SELECT component, source AS n, "
        "ST_StartPoint(geom) AS pt FROM dispatch_build WHERE component > 0 UNION ALL SELECT component, target, "
        "ST_EndPoint(geom) FROM dispatch_build WHERE component > 0) AS x ORDER BY n), "
        "near AS (SELECT ends.*, m.id AS edge_id, m.d FROM ends CROSS JOIN LATERAL (SELECT id, geom <-> ends.pt AS d "
        "FROM dispatch_main ORDER BY geom <-> ends.pt LIMIT 1) AS m), "
        "best AS (SELECT DISTINCT ON (component) component, n, pt, edge_id FROM near ORDER BY component, d, n) "
        "SELECT best.*, ST_LineLocatePoint(e.geom, best.pt) AS f, e.source, e.target, e.geom AS edge_geom, "
        "e.road_id, e.road_class, e.length_m, e.cost_s "
        "FROM best JOIN dispatch_build AS e ON e.id = best.edge_id")
    # The junction on the main edge: its source or target when the point is at an end, else a new one
    # (one per place: two pieces meeting the same point share it).
    cursor.execute(
        "ALTER TABLE dispatch_connect ADD COLUMN m bigint, ADD COLUMN inside boolean; "
        "UPDATE dispatch_connect SET inside = f > 1e-9 AND f < 1 - 1e-9; "
        "UPDATE dispatch_connect SET m = CASE WHEN f <= 1e-9 THEN source ELSE target END WHERE NOT inside; "
        "UPDATE dispatch_connect AS c SET m = %s + r.k FROM (SELECT edge_id, f, dense_rank() OVER "
        "(ORDER BY edge_id, round(f::numeric, 9)) AS k FROM dispatch_connect WHERE inside) AS r "
        "WHERE c.inside AND r.edge_id = c.edge_id AND r.f = c.f", [nodes])
    cursor.execute(
        "INSERT INTO dispatch_build (source, target, road_id, road_class, length_m, cost_s, component, geom) "
        "SELECT c.n, c.m, 0, 'connector', g.length_m, g.length_m / (%s / 3.6), 0, g.geom FROM dispatch_connect AS c "
        "CROSS JOIN LATERAL (SELECT ST_MakeLine(c.pt, ST_LineInterpolatePoint(c.edge_geom, c.f)) AS geom) AS l "
        "CROSS JOIN LATERAL (SELECT l.geom, greatest(ST_Length(l.geom::geography), 0.01) AS length_m) AS g",
        [OFF_ROAD_KMH])
    connectors = cursor.rowcount
    # Split the main edges at the new junctions (several cuts on one edge: consecutive pieces).
    cursor.execute(
        "WITH edges AS (SELECT DISTINCT ON (edge_id) edge_id AS id, source, target, edge_geom AS geom, road_id, "
        "road_class, length_m, cost_s FROM dispatch_connect WHERE inside), "
        "bounds AS (SELECT DISTINCT edge_id AS id, f, m FROM dispatch_connect WHERE inside "
        "UNION ALL SELECT id, 0.0, source FROM edges UNION ALL SELECT id, 1.0, target FROM edges), "
        "pieces AS (SELECT id, f AS f0, m AS n0, lead(f) OVER w AS f1, lead(m) OVER w AS n1 FROM bounds "
        "WINDOW w AS (PARTITION BY id ORDER BY f, m)) "
        "INSERT INTO dispatch_build (source, target, road_id, road_class, length_m, cost_s, component, geom) "
        "SELECT p.n0, p.n1, e.road_id, e.road_class, e.length_m * (p.f1 - p.f0), e.cost_s * (p.f1 - p.f0), 0, "
        "ST_LineSubstring(e.geom, p.f0, p.f1) FROM pieces AS p JOIN edges AS e ON e.id = p.id "
        "WHERE p.f1 > p.f0")
    cursor.execute("DELETE FROM dispatch_build WHERE id IN (SELECT edge_id FROM dispatch_connect WHERE inside)")
    cursor.execute("UPDATE dispatch_build SET component = 0 WHERE component <> 0")
    return connectors


@dataclass(frozen=True)
class Leg:
    """How to reach a destination from the origin: seconds in all (road and off-road legs), metres on
    the road (connectors included) and off it, and the way (GeoJSON LineString, EPSG:4326, from the destination to the
    origin: the way a unit drives to an incident). None fields: not reachable by road."""

    travel_s: float | None
    road_m: float | None
    off_road_m: float | None
    route: dict | None


def _off_road_s(metres: float) -> float:
    return metres / (OFF_ROAD_KMH / 3.6)


def travel_from(origin: tuple[float, float], destinations: list[tuple[float, float]]) -> list[Leg]:
    """Travel by road from `origin` to each of `destinations` (lon/lat, EPSG:4326), in their order:
    one snapping query and one pgr_withPoints query (one-to-many) for all of them. Times in seconds
    (road classes' speeds, OFF_ROAD_KMH between a point and its road), lengths in metres (geodesic)."""
    ensure_graph()
    if not destinations:
        return []
    points = [origin, *destinations]
    with connection.cursor() as cursor:
        # The nearest edge of the main network (nearest in degrees, which the index orders by; close
        # enough at 11-12°N), where along it (fraction), how far off the road and from the origin (metres).
        cursor.execute(
            "SELECT p.i, e.id, ST_LineLocatePoint(e.geom, p.pt), "
            "ST_Distance(p.pt::geography, ST_ClosestPoint(e.geom, p.pt)::geography), "
            "ST_Distance(p.pt::geography, ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography) FROM "
            "(SELECT i, ST_SetSRID(ST_MakePoint(lon, lat), 4326) AS pt FROM unnest(%s::int[], %s::float8[], "
            "%s::float8[]) AS u(i, lon, lat)) AS p CROSS JOIN LATERAL (SELECT id, geom FROM dispatch_roadedge "
            "WHERE component = 0 ORDER BY geom <-> p.pt LIMIT 1) AS e ORDER BY p.i",
            [origin[0], origin[1], list(range(len(points))), [p[0] for p in points], [p[1] for p in points]])
        snapped = {i: (edge, fraction, off_m, straight_m) for i, edge, fraction, off_m, straight_m in cursor.fetchall()}
        if 0 not in snapped:  # no road network at all
            return [Leg(None, None, None, None) for _ in destinations]
        # One graph point per place: units sharing a station share a pid (pgr wants them distinct).
        pid_of_place: dict[tuple[int, float], int] = {}
        pid_of: dict[int, int] = {}
        for i, (edge, fraction, _, _) in snapped.items():
            pid_of[i] = pid_of_place.setdefault((edge, round(fraction, 9)), len(pid_of_place) + 1)
        pids = sorted(pid_of_place.values())
        place_of = {pid: place for place, pid in pid_of_place.items()}
        start = pid_of[0]
        ends = [pid for pid in pids if pid != start]
        costs: dict[int, tuple[float, float, str]] = {}
        if ends:
            # The points query is a constant pgRouting reads: numbers only (edge ids and fractions
            # come from the query above), quoted by psycopg2.
            points_sql = sql.SQL("SELECT pid, edge_id, fraction FROM unnest({}::bigint[], {}::bigint[], "
                                 "{}::float8[]) AS p(pid, edge_id, fraction)").format(
                sql.Literal(pids), sql.Literal([place_of[p][0] for p in pids]),
                sql.Literal([place_of[p][1] for p in pids])).as_string(cursor.connection)
            cursor.execute(_ROUTES, {"edges_sql": _EDGES_SQL, "points_sql": points_sql, "start": -start,
                                     "ends": [-p for p in ends], "pids": pids,
                                     "fractions": [place_of[p][1] for p in pids]})
            costs = {-end: (cost, metres, route) for end, cost, metres, route in cursor.fetchall()}
    legs = []
    origin_off = snapped[0][2]
    for i, destination in enumerate(destinations, start=1):
        if i in snapped and pid_of[i] == start:  # meets the road where the origin does: straight there
            off_m = snapped[i][3]
            legs.append(Leg(_off_road_s(off_m), 0.0, off_m, {"type": "LineString",
                                                              "coordinates": [list(destination), list(origin)]}))
            continue
        if i not in snapped or pid_of[i] not in costs:
            legs.append(Leg(None, None, None, None))
            continue
        cost, road_m, route = costs[pid_of[i]]
        off_m = origin_off + snapped[i][2]
        line = [list(destination)]
        if route:
            line += _coords(route)
        line.append(list(origin))
        legs.append(Leg(cost + _off_road_s(off_m), road_m, off_m, {"type": "LineString", "coordinates": line}))
    return legs


def _coords(route_geojson: str) -> list[list[float]]:
    geometry = json.loads(route_geojson)
    if geometry["type"] == "Point":
        return [geometry["coordinates"]]
    return geometry["coordinates"]


# Each path from the start point to the end points, edge by edge: the part of each edge travelled
# (a point's fraction, or the edge's end: 0 at its source, 1 at its target), joined into one line
# that runs from the end point back to the start point.
_ROUTES = """
WITH pts AS (SELECT * FROM unnest(%(pids)s::bigint[], %(fractions)s::float8[]) AS p(pid, fraction)),
path AS (SELECT end_pid, path_seq, node, edge, cost,
                lead(node) OVER (PARTITION BY end_pid ORDER BY path_seq) AS next_node
         FROM pgr_withPoints(%(edges_sql)s, %(points_sql)s, %(start)s::bigint, %(ends)s::bigint[],
                             directed => false, details => false)),
steps AS (SELECT path.end_pid, path.path_seq, path.cost, e.length_m, e.geom,
                 CASE WHEN path.node < 0 THEN (SELECT fraction FROM pts WHERE pid = -path.node)
                      WHEN path.node = e.source THEN 0.0 ELSE 1.0 END AS f0,
                 CASE WHEN path.next_node < 0 THEN (SELECT fraction FROM pts WHERE pid = -path.next_node)
                      WHEN path.next_node = e.source THEN 0.0 ELSE 1.0 END AS f1
          FROM path JOIN dispatch_roadedge AS e ON e.id = path.edge)
SELECT end_pid, sum(cost), sum(length_m * abs(f1 - f0)),
       ST_AsGeoJSON(ST_Reverse(ST_RemoveRepeatedPoints(ST_MakeLine(
           CASE WHEN f0 <= f1 THEN ST_LineSubstring(geom, f0, f1)
                ELSE ST_Reverse(ST_LineSubstring(geom, f1, f0)) END ORDER BY path_seq))), 7)
FROM steps GROUP BY end_pid
"""
