"""A layer's items (OGC API Features) built by PostGIS in one statement.

The page of features is encoded by the database (ST_AsGeoJSON for the geometry, json_build_object
for the properties) and aggregated into one text: Python adds the envelope (links, counts, time
stamp) around it and sends bytes, without touching a feature. The JSON answer of /items uses
this directly (ogcapi.views); pygeoapi's HTML pages read the same statement through the provider
(ogcapi.provider).

numberMatched: exact when cheap, otherwise omitted (OGC API Features 1.0, 7.15.8: "numberMatched"
is optional). It is cheap when the page itself says it (a page shorter than `limit`: offset +
returned), and otherwise the statement counts the matches up to COUNT_CAP + 1 rows: exact when
there are at most COUNT_CAP of them, omitted above (the database never scans more than COUNT_CAP + 1
rows for a count). The same scan gives the page when it found every match. resulttype=hits asks
for the count alone, so it is counted exactly.
"""
from __future__ import annotations

import contextvars
from dataclasses import dataclass, field
from functools import lru_cache

from django.conf import settings
from psycopg2 import sql

from layers.registry import LayerSpec

from .config import CRS84, OUTPUT_CRS
from .params import property_fields

# Counting stops here: beyond it numberMatched is left out (see the module docstring).
COUNT_CAP = settings.GEO_ITEMS_COUNT_CAP
DEFAULT_LIMIT, MAX_ITEMS = 10, 1000  # as pygeoapi's server limits (config.py): larger limits are reduced
_TEXT_TYPES = ("CharField", "TextField", "SlugField", "EmailField", "URLField")

# The filter of the request being answered, for the provider: pygeoapi does not pass the CQL2 text
# through, so the view compiles it (ogcapi.cql2) and leaves the fragment here (None: no filter).
REQUEST_FILTER: contextvars.ContextVar[tuple[sql.Composable, list] | None] = contextvars.ContextVar(
    "ogcapi_request_filter", default=None)
# ... and its parameters as they came ("&filter=...&filter-lang=..."), which the HTML page's links
# carry on (pygeoapi builds them from the parameters it was given, the filter's not among them).
REQUEST_FILTER_QUERY: contextvars.ContextVar[str] = contextvars.ContextVar("ogcapi_request_filter_query", default="")


@lru_cache(maxsize=None)
def crs_srid(uri: str) -> tuple[int, bool]:
    """(SRID, whether its first axis is northing or latitude) of an output CRS URI. Resolved once
    per process with pyproj (the axis order of the EPSG definition, as OGC API Features Part 2
    requires), never per request."""
    if uri == CRS84:
        return 4326, False
    import pyproj

    srid = int(uri.rsplit("/", 1)[1])
    axes = pyproj.CRS.from_authority("EPSG", str(srid)).axis_info
    return srid, bool(axes) and axes[0].direction in ("north", "south")


def resolve_output_crs() -> None:
    """Resolve every CRS the API offers (call once at start; later calls are free)."""
    for uri in OUTPUT_CRS:
        crs_srid(uri)


@dataclass(frozen=True)
class ItemsQuery:
    """What an items request asks for, checked (ogcapi.params.check_items) and typed."""

    limit: int = DEFAULT_LIMIT
    offset: int = 0
    hits: bool = False
    bbox: tuple[float, float, float, float] | None = None
    bbox_crs: str = CRS84
    crs: str = CRS84
    select: tuple[str, ...] | None = None  # properties=; None: all
    skip_geometry: bool = False
    sortby: tuple[tuple[str, bool], ...] = ()  # (column, descending)
    equals: tuple[tuple[str, str], ...] = ()  # property=value filters
    q: str | None = None
    filter: tuple[sql.Composable, list] | None = field(default=None, compare=False)

    @classmethod
    def from_params(cls, spec: LayerSpec, params, compiled_filter=None) -> ItemsQuery:
        """From the checked query parameters (a QueryDict); `compiled_filter` is the request's CQL2
        filter compiled by ogcapi.cql2 (a WHERE fragment over alias "l" and its parameters)."""
        fields = property_fields(spec)
        sortby = tuple((name.lstrip("+-"), name.startswith("-"))
                       for name in (s.strip() for s in params["sortby"].split(","))) if "sortby" in params else ()
        return cls(
            limit=min(int(params.get("limit", DEFAULT_LIMIT)), MAX_ITEMS),
            offset=int(params.get("offset", 0)),
            hits=params.get("resulttype") == "hits",
            bbox=tuple(float(v) for v in params["bbox"].split(",")) if "bbox" in params else None,
            bbox_crs=params.get("bbox-crs", CRS84),
            crs=params.get("crs", CRS84),
            select=tuple(s.strip() for s in params["properties"].split(",")) if "properties" in params else None,
            skip_geometry=params.get("skipGeometry", "false").lower() == "true",
            sortby=sortby,
            equals=tuple((name, params[name]) for name in params if name in fields),
            q=params.get("q") or None,
            filter=compiled_filter,
        )


@dataclass(frozen=True)
class Page:
    features: str  # the features as JSON texts joined by commas (no brackets)
    returned: int
    matched: int | None  # None: more than COUNT_CAP, left out


def _where(spec: LayerSpec, query: ItemsQuery) -> tuple[sql.Composable, list]:
    geom = sql.SQL("l.{}").format(sql.Identifier(spec.geometry_field.column))
    clauses, values = [sql.SQL("TRUE")], []
    if query.bbox is not None:
        srid, swapped = crs_srid(query.bbox_crs)
        minx, miny, maxx, maxy = query.bbox
        if swapped:  # latitude first (EPSG:4326): the box is (minlat, minlon, maxlat, maxlon)
            minx, miny, maxx, maxy = miny, minx, maxy, maxx
        envelope = sql.SQL("ST_MakeEnvelope(%s, %s, %s, %s, %s)")
        if srid != spec.srid:
            envelope = sql.SQL("ST_Envelope(ST_Transform({}, {}))").format(envelope, sql.Literal(spec.srid))
        clauses.append(sql.SQL("ST_Intersects({}, {})").format(geom, envelope))
        values += [minx, miny, maxx, maxy, srid]
    for name, value in query.equals:
        clauses.append(sql.SQL("l.{} = %s").format(sql.Identifier(name)))
        values.append(value)
    if query.q:
        texts = [name for name, f in property_fields(spec).items() if type(f).__name__ in _TEXT_TYPES]
        for term in query.q.split():
            # q: every word appears (ignoring case) in one of the layer's text properties.
            pattern = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            clauses.append(sql.SQL("({})").format(sql.SQL(" OR ").join(
                sql.SQL("l.{} ILIKE %s").format(sql.Identifier(name)) for name in texts) if texts else sql.SQL("FALSE")))
            values += [pattern] * len(texts)
    if query.filter is not None:
        fragment, filter_values = query.filter
        clauses.append(sql.SQL("({})").format(fragment))
        values += list(filter_values)
    return sql.SQL(" AND ").join(clauses), values


def feature_text(spec: LayerSpec, query: ItemsQuery) -> sql.Composable:
    """One feature as GeoJSON text, built by PostGIS from the row `l`."""
    names = [name for name in property_fields(spec) if name != spec.id_field]
    if query.select is not None:
        names = [name for name in names if name in query.select]
    # json_build_object takes at most 100 arguments: wide tables are built in parts and merged.
    parts = [sql.SQL("json_build_object({})").format(sql.SQL(", ").join(
        sql.SQL("{}, l.{}").format(sql.Literal(name), sql.Identifier(name)) for name in names[i:i + 50]))
        for i in range(0, len(names), 50)] or [sql.SQL("json_build_object()")]
    properties = (sql.SQL("{}::text").format(parts[0]) if len(parts) == 1 else
                  sql.SQL("({})::text").format(sql.SQL(" || ").join(sql.SQL("{}::jsonb").format(p) for p in parts)))
    geometry = sql.SQL("'null'")
    if not query.skip_geometry:
        geom = sql.SQL("l.{}").format(sql.Identifier(spec.geometry_field.column))
        srid, swapped = crs_srid(query.crs)
        if srid != spec.srid:
            geom = sql.SQL("ST_Transform({}, {})").format(geom, sql.Literal(srid))
        if swapped:
            geom = sql.SQL("ST_FlipCoordinates({})").format(geom)
        # 15 decimals: coordinates as stored (the default 9 would round them off).
        geometry = sql.SQL("coalesce(ST_AsGeoJSON({}, 15), 'null')").format(geom)
    return sql.SQL("""'{{"type":"Feature","id":' || to_json(l.{id})::text || ',"geometry":' || {geometry}
                   || ',"properties":' || {properties} || '}}'""").format(
        id=sql.Identifier(spec.id_field), geometry=geometry, properties=properties)


def _order(spec: LayerSpec, query: ItemsQuery) -> sql.Composable:
    keys = [sql.SQL("l.{} {}").format(sql.Identifier(name), sql.SQL("DESC" if descending else "ASC"))
            for name, descending in query.sortby]
    if spec.id_field not in {name for name, _ in query.sortby}:
        keys.append(sql.SQL("l.{}").format(sql.Identifier(spec.id_field)))  # a stable order for paging
    return sql.SQL(", ").join(keys)


# A page is small work: starting parallel workers (~tens of ms each on a busy 2-core host) or JIT
# compiling a count costs more than the query. SET LOCAL in the same query string scopes the settings
# to this statement's implicit transaction (or to the caller's transaction when inside one).
_NO_PARALLEL_NO_JIT = sql.SQL("SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL jit = off")


def page(spec: LayerSpec, query: ItemsQuery, connection) -> Page:
    """The features of `query` on `spec`'s table (SRID spec.srid), through `connection` (a Django
    connection), with numberMatched as the module docstring says."""
    statement, params = page_statement(spec, query)
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("{}; {}").format(_NO_PARALLEL_NO_JIT, statement), params)
        return page_of(cursor.fetchone())


def page_statement(spec: LayerSpec, query: ItemsQuery) -> tuple[sql.Composed, list]:
    """The one statement of a page (%s placeholders) and its values; its row is read by page_of. Run
    without parallel workers or JIT (_NO_PARALLEL_NO_JIT; geo/fastpath.py sets them per session)."""
    where, values = _where(spec, query)
    table = sql.Identifier(spec.table)
    if query.hits:
        return sql.SQL("SELECT '', 0, count(*), TRUE FROM {} l WHERE {}").format(table, where), values
    # The matches are found once, up to COUNT_CAP + 1 of them (their keys only): they are the count,
    # and when they are all the matches, the page is cut from them and its rows read by key. Beyond the
    # cap the page is cut from the table itself. (Cutting a page from the table in a box of 7,000
    # parcels sorts all 7,000 to keep 100: as long again as the count.)
    keys = sql.SQL(", ").join(sql.SQL("l.{}").format(sql.Identifier(name))
                              for name in dict.fromkeys([spec.id_field, *(name for name, _ in query.sortby)]))
    statement = sql.SQL("""
        WITH hits AS MATERIALIZED (SELECT {keys} FROM {table} l WHERE {where} LIMIT %s),
        counted AS (SELECT count(*) AS n FROM hits),
        chosen AS (
            (SELECT {keys} FROM hits l WHERE (SELECT n FROM counted) <= %s ORDER BY {order} LIMIT %s OFFSET %s)
            UNION ALL
            (SELECT {keys} FROM {table} l WHERE (SELECT n FROM counted) > %s AND {where}
             ORDER BY {order} LIMIT %s OFFSET %s))
        SELECT coalesce(string_agg({feature}, ',' ORDER BY {order}), ''), count(*),
               CASE WHEN count(*) < %s AND (count(*) > 0 OR %s = 0) THEN %s + count(*) ELSE (SELECT n FROM counted) END,
               count(*) < %s AND (count(*) > 0 OR %s = 0)
        FROM {table} l JOIN chosen ON l.{id} = chosen.{id}""").format(
        keys=keys, feature=feature_text(spec, query), order=_order(spec, query), table=table, where=where,
        id=sql.Identifier(spec.id_field))
    return statement, [*values, COUNT_CAP + 1, COUNT_CAP, query.limit, query.offset, COUNT_CAP, *values, query.limit,
                       query.offset, query.limit, query.offset, query.offset, query.limit, query.offset]


def page_of(row) -> Page:
    """The Page of page_statement's row."""
    features, returned, matched, exact = row
    if not exact and matched > COUNT_CAP:  # the count stopped at the cap
        matched = None
    return Page(features, returned, matched)


def body(page: Page, *, links: list[dict], time_stamp: str) -> bytes:
    """The FeatureCollection document of `page` as UTF-8 bytes."""
    import json

    tail = {"numberReturned": page.returned}
    if page.matched is not None:
        tail["numberMatched"] = page.matched
    tail |= {"links": links, "timeStamp": time_stamp}
    return (f'{{"type":"FeatureCollection","features":[{page.features}],'
            f'{json.dumps(tail, ensure_ascii=False, separators=(",", ":"))[1:]}').encode("utf-8")


def too_large(size: int) -> bool:
    return size > settings.GEO_MAX_RESPONSE_BYTES
