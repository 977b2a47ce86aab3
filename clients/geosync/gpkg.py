"""A GeoPackage (OGC 12-128, version 1.2) written with the standard library's sqlite3: the tables,
geometry blobs and R-tree index that QGIS and GDAL expect, for feature tables in EPSG:4326 with
longitude as x and latitude as y, as GeoJSON (CRS84) has them."""
from __future__ import annotations

import sqlite3
import struct
from datetime import UTC, datetime

import shapely

SRID = 4326
APPLICATION_ID = 0x47504B47  # "GPKG"
USER_VERSION = 10200  # GeoPackage 1.2: what every GDAL and QGIS in use opens
GEOMETRY_COLUMN = "geom"
WGS84_WKT = ('GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],'
             'AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",'
             '0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],'
             'AUTHORITY["EPSG","4326"]]')
# GeoJSON geometry types as GeoPackage names them; a layer of mixed types is GEOMETRY.
GEOMETRY_TYPES = {name.lower(): name.upper() for name in (
    "Point", "LineString", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon", "GeometryCollection")}
_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}

_BASE_TABLES = f"""
CREATE TABLE IF NOT EXISTS gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
CREATE TABLE IF NOT EXISTS gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
  description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE IF NOT EXISTS gpkg_geometry_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
CREATE TABLE IF NOT EXISTS gpkg_extensions (
  table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL,
  CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES
  ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'),
  ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system'),
  ('WGS 84 geodetic', {SRID}, 'EPSG', {SRID}, '{WGS84_WKT}',
   'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid');
"""


def now() -> str:
    """The current UTC time as a GeoPackage DATETIME ("2026-12-03T08:00:00.123Z")."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def quoted(identifier: str) -> str:
    """An SQLite identifier in double quotes (names come from the server's schema)."""
    return '"' + identifier.replace('"', '""') + '"'


def connect(path: str) -> sqlite3.Connection:
    """The GeoPackage at `path` (created when missing), with the SQL functions the R-tree triggers
    of GDAL and of this module call, so rows can be written here as in QGIS."""
    db = sqlite3.connect(path, isolation_level=None)  # transactions are explicit (BEGIN/COMMIT)
    db.execute("PRAGMA foreign_keys = ON")
    for name, index in (("ST_MinX", 0), ("ST_MinY", 1), ("ST_MaxX", 2), ("ST_MaxY", 3)):
        db.create_function(name, 1, lambda blob, i=index: _bound(blob, i), deterministic=True)
    db.create_function("ST_IsEmpty", 1, _is_empty, deterministic=True)
    if db.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
        tables = {name for name, in db.execute("SELECT name FROM sqlite_master")}
        if tables and "gpkg_contents" not in tables:
            db.close()
            raise ValueError(f"{path} không phải GeoPackage. / {path} is not a GeoPackage.")
        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        db.execute(f"PRAGMA user_version = {USER_VERSION}")
    db.executescript(_BASE_TABLES)
    return db


def encode(geometry) -> bytes | None:
    """A shapely geometry (EPSG:4326, x = longitude) as a GeoPackage geometry blob: header, envelope
    (none for points, which are their own envelope) and ISO WKB, little-endian."""
    if geometry is None:
        return None
    wkb = shapely.to_wkb(geometry, byte_order=1, output_dimension=2, flavor="iso")
    flags = 0b1  # little-endian header values
    envelope = b""
    if geometry.is_empty:
        flags |= 0b1_0000
    elif geometry.geom_type != "Point":
        flags |= 0b0010  # envelope [minx, maxx, miny, maxy]
        minx, miny, maxx, maxy = geometry.bounds
        envelope = struct.pack("<4d", minx, maxx, miny, maxy)
    return b"GP" + bytes([0, flags]) + struct.pack("<i", SRID) + envelope + wkb


def decode(blob: bytes | None):
    """The shapely geometry of a GeoPackage geometry blob (written here, by GDAL or by QGIS)."""
    if blob is None:
        return None
    blob = bytes(blob)
    if blob[:2] != b"GP":
        raise ValueError("Không phải hình học GeoPackage. / Not a GeoPackage geometry blob.")
    flags = blob[3]
    return shapely.from_wkb(blob[8 + _ENVELOPE_BYTES[(flags >> 1) & 0b111]:])


def _bound(blob, index: int) -> float | None:
    geometry = decode(blob)
    return None if geometry is None or geometry.is_empty else float(geometry.bounds[index])


def _is_empty(blob) -> int | None:
    if blob is None:
        return None
    return 1 if bytes(blob)[3] & 0b1_0000 or decode(blob).is_empty else 0


def create_feature_table(db: sqlite3.Connection, table: str, columns: dict[str, str], geometry_type: str, *,
                         title: str, description: str = "") -> None:
    """A feature table `table` (fid, geom, then `columns`: name -> SQLite/GeoPackage type) registered
    in the GeoPackage, with its R-tree spatial index. Call inside a transaction."""
    t, g, rtree = quoted(table), GEOMETRY_COLUMN, quoted(f"rtree_{table}_{GEOMETRY_COLUMN}")
    definitions = ", ".join(f"{quoted(name)} {kind}" for name, kind in columns.items())
    # AUTOINCREMENT: a deleted row's fid is never reused, so a new row is never taken for a synced one.
    db.execute(f"CREATE TABLE {t} (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, {g} {geometry_type}"
               f"{', ' + definitions if definitions else ''})")
    db.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) "
               "VALUES (?, 'features', ?, ?, ?)", (table, title, description, SRID))
    db.execute("INSERT INTO gpkg_geometry_columns VALUES (?, ?, ?, ?, 0, 0)", (table, g, geometry_type, SRID))
    db.execute("INSERT INTO gpkg_extensions VALUES (?, ?, 'gpkg_rtree_index', "
               "'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')", (table, g))
    db.execute(f"CREATE VIRTUAL TABLE {rtree} USING rtree(id, minx, maxx, miny, maxy)")
    # The triggers of the GeoPackage 1.2 R-tree extension, as GDAL writes them.
    box = f"NEW.fid, ST_MinX(NEW.{g}), ST_MaxX(NEW.{g}), ST_MinY(NEW.{g}), ST_MaxY(NEW.{g})"
    present, absent = f"(NEW.{g} NOTNULL AND NOT ST_IsEmpty(NEW.{g}))", f"(NEW.{g} ISNULL OR ST_IsEmpty(NEW.{g}))"

    def name(suffix: str) -> str:
        return quoted(f"rtree_{table}_{g}_{suffix}")

    for statement in (
        (f"CREATE TRIGGER {name('insert')} AFTER INSERT ON {t} WHEN (new.{g} NOT NULL AND NOT ST_IsEmpty(NEW.{g})) "
         f"BEGIN INSERT OR REPLACE INTO {rtree} VALUES ({box}); END"),
        (f"CREATE TRIGGER {name('update1')} AFTER UPDATE OF {g} ON {t} WHEN OLD.fid = NEW.fid AND {present} "
         f"BEGIN INSERT OR REPLACE INTO {rtree} VALUES ({box}); END"),
        (f"CREATE TRIGGER {name('update2')} AFTER UPDATE OF {g} ON {t} WHEN OLD.fid = NEW.fid AND {absent} "
         f"BEGIN DELETE FROM {rtree} WHERE id = OLD.fid; END"),
        (f"CREATE TRIGGER {name('update3')} AFTER UPDATE ON {t} WHEN OLD.fid != NEW.fid AND {present} "
         f"BEGIN DELETE FROM {rtree} WHERE id = OLD.fid; INSERT OR REPLACE INTO {rtree} VALUES ({box}); END"),
        (f"CREATE TRIGGER {name('update4')} AFTER UPDATE ON {t} WHEN OLD.fid != NEW.fid AND {absent} "
         f"BEGIN DELETE FROM {rtree} WHERE id IN (OLD.fid, NEW.fid); END"),
        (f"CREATE TRIGGER {name('delete')} AFTER DELETE ON {t} WHEN old.{g} NOT NULL "
         f"BEGIN DELETE FROM {rtree} WHERE id = OLD.fid; END"),
    ):
        db.execute(statement)


def register_attributes(db: sqlite3.Connection, table: str, title: str, description: str) -> None:
    """List a table without geometry in gpkg_contents, so QGIS and GDAL show it as a layer."""
    db.execute("INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description) "
               "VALUES (?, 'attributes', ?, ?)", (table, title, description))


def touch(db: sqlite3.Connection, table: str) -> None:
    """Record in gpkg_contents that `table` changed now, with its extent from its R-tree index."""
    extent = db.execute(f"SELECT min(minx), min(miny), max(maxx), max(maxy) FROM "
                        f"{quoted(f'rtree_{table}_{GEOMETRY_COLUMN}')}").fetchone()
    db.execute("UPDATE gpkg_contents SET last_change = ?, min_x = ?, min_y = ?, max_x = ?, max_y = ? "
               "WHERE table_name = ?", (now(), *extent, table))


def columns_of(db: sqlite3.Connection, table: str) -> dict[str, str]:
    """The attribute columns of a feature table (not fid, not geom): name -> declared type."""
    return {name: (kind or "").upper() for _, name, kind, *_ in db.execute(f"PRAGMA table_info({quoted(table)})")
            if name not in ("fid", GEOMETRY_COLUMN)}


def has_table(db: sqlite3.Connection, table: str) -> bool:
    return db.execute("SELECT count(*) FROM gpkg_contents WHERE table_name = ?", (table,)).fetchone()[0] > 0
