"""Exporting a layer to the file an officer hands on: GeoPackage, zipped Shapefile (UTF-8 with .cpg),
GeoJSON or CSV (WKT), optionally reprojected (e.g. VN-2000 / TM-3 EPSG:9212) and filtered by a
bounding box or an administrative unit. Streamed from a server-side cursor, written by GDAL."""
from __future__ import annotations

import shutil
import tempfile
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
from django.db import connection, transaction
from psycopg2 import sql
from pyogrio import write_arrow
from pyproj import CRS

from layers.geometry import STORAGE_SRID
from layers.registry import LayerSpec

from .safety import ImportRejected

FORMATS = {  # name: (GDAL driver, file suffix)
    "gpkg": ("GPKG", ".gpkg"),
    "shp": ("ESRI Shapefile", ".zip"),
    "geojson": ("GeoJSON", ".geojson"),
    "csv": ("CSV", ".csv"),
}
CHUNK = 20_000


@dataclass
class ExportReport:
    path: Path
    features: int
    crs: str


def _arrow_type(field) -> pa.DataType:
    internal = field.get_internal_type()
    if internal in ("IntegerField", "PositiveIntegerField", "PositiveSmallIntegerField", "SmallIntegerField",
                    "BigIntegerField", "BigAutoField", "AutoField"):
        return pa.int64()
    if internal == "FloatField" or (internal == "GeneratedField" and field.output_field.get_internal_type() == "FloatField"):
        return pa.float64()
    if internal == "DateField":
        return pa.date32()
    if internal == "BooleanField":
        return pa.bool_()
    return pa.string()


def export_columns(spec: LayerSpec) -> list[tuple[str, pa.DataType]]:
    """Every column but the geometry, with the Arrow type it is written as."""
    return [(f.column, _arrow_type(f)) for f in spec.model._meta.concrete_fields
            if f.column != spec.geometry_field.column]


def layer_export(*, spec: LayerSpec, fmt: str, out_path: Path, srid: int | None = None,
                 bbox: tuple[float, float, float, float] | None = None, unit_wkb: bytes | None = None) -> ExportReport:
    """Write the layer's features to `out_path` in `fmt`. `srid` reprojects (default EPSG:4326);
    `bbox` (EPSG:4326 degrees: minlon, minlat, maxlon, maxlat) and `unit_wkb` (an EPSG:4326 polygon)
    keep the features that intersect them."""
    if fmt not in FORMATS:
        raise ImportRejected(f"Định dạng xuất {fmt!r} không hỗ trợ; dùng {', '.join(FORMATS)}.")
    srid = srid or STORAGE_SRID
    try:
        crs = CRS.from_epsg(srid)
    except Exception:  # noqa: BLE001 - pyproj raises CRSError subclasses and ValueError
        raise ImportRejected(f"Không biết hệ tọa độ EPSG:{srid} (unknown CRS).")
    driver, _suffix = FORMATS[fmt]
    columns = export_columns(spec)
    geom = sql.Identifier(spec.geometry_field.column)
    where, params = [sql.SQL("TRUE")], {"srid": srid}
    if bbox:
        where.append(sql.SQL("ST_Intersects(l.{g}, ST_MakeEnvelope(%(x0)s, %(y0)s, %(x1)s, %(y1)s, 4326))").format(g=geom))
        params.update(zip(("x0", "y0", "x1", "y1"), bbox))
    if unit_wkb:
        where.append(sql.SQL("ST_Intersects(l.{g}, ST_GeomFromWKB(%(unit)s, 4326))").format(g=geom))
        params["unit"] = unit_wkb
    query = sql.SQL("SELECT {cols}, ST_AsBinary(ST_Transform(l.{g}, %(srid)s)) FROM {table} AS l WHERE {where} "
                    "ORDER BY l.{pk}").format(
        cols=sql.SQL(", ").join(sql.SQL("l.{}").format(sql.Identifier(c)) for c, _ in columns), g=geom,
        table=sql.Identifier(spec.table), where=sql.SQL(" AND ").join(where), pk=sql.Identifier(spec.id_field))
    schema = pa.schema([pa.field(c, t) for c, t in columns] + [pa.field("geometry", pa.binary())])
    count = 0

    def batches():
        nonlocal count
        with transaction.atomic(), connection.connection.cursor(name="layer_export") as cursor:
            cursor.itersize = CHUNK
            cursor.execute(query.as_string(connection.connection), params)
            while rows := cursor.fetchmany(CHUNK):
                count += len(rows)
                arrays = [pa.array([r[i] for r in rows], type=t) for i, (_, t) in enumerate(columns)]
                arrays.append(pa.array([bytes(r[-1]) if r[-1] is not None else None for r in rows], pa.binary()))
                yield pa.RecordBatch.from_arrays(arrays, schema=schema)

    connection.ensure_connection()
    out_path = Path(out_path)
    workdir = Path(tempfile.mkdtemp(prefix="export-"))
    try:
        target = workdir / (f"{spec.id}.shp" if fmt == "shp" else out_path.name)
        options = {"layer_options": {"GEOMETRY": "AS_WKT"}} if fmt == "csv" else {}
        if fmt == "shp":
            options["encoding"] = "UTF-8"  # written as UTF-8 with a .cpg saying so
        reader = pa.RecordBatchReader.from_batches(schema, batches())
        with warnings.catch_warnings():
            # Shapefile field names are cut to ten characters (the importer matches them back);
            # CSV keeps no CRS: the coordinates are in the one asked for.
            warnings.filterwarnings("ignore", "Normalized/laundered field name", RuntimeWarning)
            warnings.filterwarnings("ignore", "'crs' was not provided", UserWarning)
            write_arrow(reader, target, layer=spec.id, driver=driver, geometry_name="geometry",
                        geometry_type=spec.geometry_type, crs=crs.to_wkt() if fmt != "csv" else None, **options)
        if fmt == "shp":
            with zipfile.ZipFile(out_path, "w", zipfile.ZIP_DEFLATED) as archive:
                for part in sorted(workdir.glob(f"{spec.id}.*")):
                    archive.write(part, part.name)
        else:
            shutil.move(target, out_path)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    epsg = crs.to_epsg()
    return ExportReport(out_path, count, f"EPSG:{epsg} {crs.name}" if epsg else crs.name)
