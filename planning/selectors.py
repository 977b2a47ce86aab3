from django.conf import settings
from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.db.models.functions import Intersection
from django.db.models import FloatField, Func, Value
from django.db.models.functions import Cast
from psycopg2 import sql

from land.models import LandUseCode, Parcel
from layers.db import read_connection
from places.models import AdminUnit

from .models import ZoningZone


def zones_over(geom) -> list[ZoningZone]:
    """Zoning zones meeting `geom` (EPSG:4326), each annotated with `share_m2`: the geodesic area (m²,
    WGS84 spheroid) of its overlap with `geom`; largest share first, slivers under 0.01 m² dropped."""
    overlap = Intersection("geom", Value(geom, output_field=GeometryField(srid=4326)))
    share = Func(Cast(overlap, GeometryField(geography=True, srid=4326)), function="ST_Area", output_field=FloatField())
    zones = (ZoningZone.objects.select_related("planned_land_use").filter(geom__intersects=geom)
             .annotate(share_m2=share).order_by("-share_m2"))
    return [z for z in zones if z.share_m2 >= 0.01]


def python_round_sql(value: str) -> str:
    """SQL giving exactly Python's round(value, 2) of a float8 expression value ≥ 0 (NULL stays NULL),
    as float8, so the panel's numbers are those the Python panel printed. Python rounds the binary
    value, half to even; numeric rounds the decimal half away from zero. They differ only when the
    shortest decimal of the value is itself a tie (…d5): then the exact binary value decides, compared
    as integers (value × 2^k is an exact integer for k = 53 - ⌊log2 value⌋)."""
    d = f"(({value})::text::numeric)"
    k = f"(53 - floor(ln({value}) / ln(2)))::int"
    exact_vs_tie = f"sign((({value}) * 2::float8 ^ {k})::bigint::numeric - {d} * (1::bigint << {k})::numeric)"
    return (f"(CASE WHEN mod({d} * 1000, 10) = 5 AND {d} * 1000 = trunc({d} * 1000) THEN "
            f"trunc({d}, 2) + CASE {exact_vs_tie} WHEN 1 THEN 0.01 WHEN -1 THEN 0 "
            f"ELSE mod(trunc({d} * 100), 2) * 0.01 END "
            f"ELSE round({d}, 2) END)::float8")


# The parcel panel, what a citizen sees of a parcel, in one statement built as JSON by PostgreSQL: the
# parcel (by point or id), its commune and district, current land use, the zones over it with the
# geodesic share of each (m², WGS84 spheroid; %), their limits and what they allow to build
# (footprint = share × density / 100, floor area = footprint × max floors, summed in the panel's
# order), its outline for the map (GeoJSON text, EPSG:4326, simplified above GEO_PANEL_MAX_VERTICES
# vertices) and its bbox. Only the parcel's geometry leaves the database; the zones' stay there.
_PANEL = """
WITH parcel AS (
    SELECT p.id, p.commune_code, p.map_sheet_no, p.parcel_no, p.address, p.area_m2, p.land_use_code, p.geom,
           greatest(ST_XMax(p.geom) - ST_XMin(p.geom), ST_YMax(p.geom) - ST_YMin(p.geom)) / 5000 AS tolerance
    FROM {parcel_table} p WHERE {where} ORDER BY p.id LIMIT 1
), zone AS (
    SELECT z.zone_code, z.plan_name, z.decision_no, z.decision_date, z.max_floors, z.max_height_m,
           z.building_density_pct, u.code AS use_code, u.name_vi AS use_name_vi, u.name_en AS use_name_en,
           s.share_m2, s.share_m2 * z.building_density_pct / 100 AS footprint_m2,
           100 * s.share_m2 / nullif(p.area_m2, 0) AS share_pct
    FROM parcel p
    JOIN {zone_table} z ON ST_Intersects(z.geom, p.geom)
    JOIN {land_use_table} u ON u.code = z.planned_land_use_code
    CROSS JOIN LATERAL (SELECT ST_Area(ST_Intersection(z.geom, p.geom)::geography) AS share_m2) s
    WHERE s.share_m2 >= 0.01
), zone_row AS (
    SELECT zone.*, CASE WHEN max_floors <> 0 THEN footprint_m2 * max_floors END AS floor_area_m2 FROM zone
), buildable AS (
    SELECT count(footprint_m2) > 0 AS any_limit, sum(footprint_m2 ORDER BY share_m2 DESC) AS footprint_m2,
           coalesce(sum(floor_area_m2 ORDER BY share_m2 DESC), 0) AS floor_area_m2, min(max_height_m) AS max_height_m,
           json_agg(json_build_object(
               'zone_code', zone_code,
               'planned_land_use', json_build_object('code', use_code, 'name_vi', use_name_vi, 'name_en', use_name_en),
               'plan_name', plan_name, 'decision_no', decision_no, 'decision_date', decision_date,
               'max_floors', max_floors, 'max_height_m', max_height_m, 'building_density_pct', building_density_pct,
               'share_m2', {share_m2}, 'share_pct', {share_pct}, 'footprint_m2', {footprint_m2},
               'floor_area_m2', {floor_area_m2}) ORDER BY share_m2 DESC) AS zones
    FROM zone_row
)
SELECT json_build_object(
    'id', p.id,
    'identity', json_build_object('commune_code', c.gso_code, 'commune', c.name, 'district', coalesce(d.name, ''),
                                  'map_sheet_no', p.map_sheet_no, 'parcel_no', p.parcel_no),
    'address', p.address,
    'area_m2', {area_m2},
    'land_use', json_build_object('code', u.code, 'name_vi', u.name_vi, 'name_en', u.name_en),
    'zones', coalesce(b.zones, '[]'),
    'buildable', json_build_object('footprint_m2', CASE WHEN b.any_limit THEN {total_footprint_m2} END,
                                   'floor_area_m2', CASE WHEN b.any_limit THEN {total_floor_area_m2} END,
                                   'max_height_m', b.max_height_m),
    'geometry', ST_AsGeoJSON(CASE WHEN ST_NPoints(p.geom) <= {max_vertices} THEN p.geom ELSE coalesce(
        -- simplified with its topology kept, the tolerance (degrees) tripled until it fits, as at most
        -- eight tries; then the bounding box
        (SELECT simpler FROM unnest(ARRAY[p.tolerance, p.tolerance * 3, p.tolerance * 3 * 3, p.tolerance * 3 * 3 * 3,
                                          p.tolerance * 3 * 3 * 3 * 3, p.tolerance * 3 * 3 * 3 * 3 * 3,
                                          p.tolerance * 3 * 3 * 3 * 3 * 3 * 3, p.tolerance * 3 * 3 * 3 * 3 * 3 * 3 * 3])
                                          WITH ORDINALITY AS try(tolerance, n)
         CROSS JOIN LATERAL ST_SimplifyPreserveTopology(p.geom, try.tolerance) AS simpler
         WHERE ST_NPoints(simpler) <= {max_vertices} ORDER BY try.n LIMIT 1),
        ST_Envelope(p.geom)) END, 15, 0),
    'bbox', json_build_array(ST_XMin(p.geom), ST_YMin(p.geom), ST_XMax(p.geom), ST_YMax(p.geom))
)::text
FROM parcel p
JOIN {admin_unit_table} c ON c.gso_code = p.commune_code
LEFT JOIN {admin_unit_table} d ON d.gso_code = c.parent_code
JOIN {land_use_table} u ON u.code = p.land_use_code
CROSS JOIN buildable b
"""


def _panel_statement(where: str, max_vertices: str) -> sql.Composed:
    rounded = {name: sql.SQL(python_round_sql(column)) for name, column in {
        "share_m2": "share_m2", "share_pct": "share_pct", "footprint_m2": "footprint_m2",
        "floor_area_m2": "floor_area_m2", "area_m2": "p.area_m2", "total_footprint_m2": "b.footprint_m2",
        "total_floor_area_m2": "b.floor_area_m2"}.items()}
    return sql.SQL(_PANEL).format(
        where=sql.SQL(where), max_vertices=sql.SQL(max_vertices), parcel_table=sql.Identifier(Parcel._meta.db_table),
        zone_table=sql.Identifier(ZoningZone._meta.db_table), land_use_table=sql.Identifier(LandUseCode._meta.db_table),
        admin_unit_table=sql.Identifier(AdminUnit._meta.db_table), **rounded)


# Prepared once per database session (planning the statement costs more than running it), in the same
# round trip as its first execution (a name per statement, checked against the session it was made in).
_PREPARED = {
    "geo_panel_at_point": ("float8, float8, int",
                           _panel_statement("ST_Intersects(p.geom, ST_SetSRID(ST_MakePoint($1, $2), 4326))", "$3")),
    "geo_panel_of_parcel": ("bigint, int", _panel_statement("p.id = $1", "$2")),
}


# The panel of the parcel at a point ($1 lon, $2 lat, $3 the outline's most vertices), also run by the
# lean path (geo/fastpath.py) on its own connections.
PANEL_AT_POINT = _PREPARED["geo_panel_at_point"][1]


def _panel(name: str, *params) -> str | None:
    connection = read_connection()
    connection.ensure_connection()  # checked (geo/postgis) and maybe replaced: a new session has nothing prepared
    session = connection.connection
    if getattr(connection, "_geo_prepared", (None,))[0] is not session:
        connection._geo_prepared = (session, set())
    prepared = connection._geo_prepared[1]
    # The generic plan (the GiST look-up) serves every point: without this PostgreSQL keeps re-planning
    # the statement for each execution (its custom plans look cheaper than the generic one), which cost
    # 1.4 ms of a 2.5 ms panel at 1,000,000 parcels; with it the panel takes 1.0 ms.
    statement = sql.SQL("SET LOCAL plan_cache_mode = force_generic_plan; EXECUTE {}({})").format(
        sql.Identifier(name), sql.SQL(", ").join([sql.Placeholder()] * len(params)))
    if name not in prepared:
        types, body = _PREPARED[name]
        statement = sql.SQL("PREPARE {}({}) AS {}; ").format(sql.Identifier(name), sql.SQL(types), body) + statement
        if not prepared:
            # after a failure we cannot tell which PREPARE took effect (they outlive a rolled-back transaction)
            statement = sql.SQL("DEALLOCATE ALL; ") + statement
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
            row = cursor.fetchone()
    except Exception:
        prepared.clear()
        raise
    prepared.add(name)
    return row[0] if row else None


def panel_at_point(lon: float, lat: float) -> str | None:
    """The panel (JSON text, see _PANEL) of the parcel covering a point in EPSG:4326 degrees (the
    lowest id where parcels overlap), in one statement; None when no parcel is there."""
    return _panel("geo_panel_at_point", lon, lat, settings.GEO_PANEL_MAX_VERTICES)


def panel_of_parcel(parcel_id: int) -> str | None:
    """The panel (JSON text) of one parcel by id, in one statement; None when there is no such parcel."""
    return _panel("geo_panel_of_parcel", parcel_id, settings.GEO_PANEL_MAX_VERTICES)

