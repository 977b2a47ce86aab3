"""The test corpus: good and bad files an officer might receive, generated on the fly."""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer

from importers import vnencodings

NAMES = ["Phường Tân Phú", "Xã Lộc Hưng", "Đường tỉnh 741", "Nguyễn Thị Minh Khai", "Trảng cỏ Bù Lạch",
         "Sóc Bom Bo", "Huyện Bù Gia Mập", "Đất trồng cây lâu năm"]
COMMUNE = "25237"  # Phường Tân Phú, Đồng Xoài, in the demo province
ORIGIN = (106.95, 11.60)  # lon/lat of the first test parcel, inside the province
TO_TM3 = Transformer.from_crs(4326, 9212, always_xy=True)


def parcel_squares(n: int, *, sheet: int = 900, crs: int = 9212) -> gpd.GeoDataFrame:
    """n parcels 20 m x 30 m in a row (in VN-2000 / TM-3 metres by default), with officers' field
    names (MaXa, SoTo, SoThua, LoaiDat, DiaChi) and Vietnamese addresses."""
    polygons = []
    for i in range(n):
        x, y = TO_TM3.transform(ORIGIN[0] + i * 0.0005, ORIGIN[1])
        polygons.append(shapely.box(x, y, x + 20, y + 30))
    frame = gpd.GeoDataFrame({
        "MaXa": [COMMUNE] * n, "SoTo": [sheet] * n, "SoThua": list(range(1, n + 1)),
        "LoaiDat": ["ODT", "ONT", "CLN", "HNK"] * (n // 4) + ["ODT"] * (n % 4),
        "DiaChi": [NAMES[i % len(NAMES)] for i in range(n)],
    }, geometry=polygons, crs=9212)
    return frame.to_crs(crs) if crs != 9212 else frame


def write_shapefile_zip(frame: gpd.GeoDataFrame, path: Path, *, encoding: str = "utf-8", cpg: str | None = None,
                        prj: bool = True, extra: dict[str, bytes] | None = None) -> Path:
    """A zipped shapefile whose DBF text is in `encoding` (utf-8, cp1258, vni, tcvn3), with an
    optional .cpg declaration and without .prj when prj is False."""
    folder = path.parent / (path.stem + "_parts")
    folder.mkdir(exist_ok=True)
    encoded = frame.copy()
    for column in encoded.columns:
        if column != "geometry" and any(isinstance(v, str) for v in encoded[column]):
            encoded[column] = [vnencodings.encode(v, encoding).decode("latin-1") if isinstance(v, str) else v
                               for v in encoded[column]]
    encoded.to_file(folder / "data.shp", encoding="latin1")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for suffix in ("shp", "shx", "dbf") + (("prj",) if prj else ()):
            archive.write(folder / f"data.{suffix}", f"data.{suffix}")
        if cpg:
            archive.writestr("data.cpg", cpg)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return path


def hostile_zip(path: Path, kind: str) -> Path:
    """Archives the importer must refuse without extracting anything."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        if kind == "traversal":
            archive.writestr("../../etc/evil.shp", b"x")
        elif kind == "absolute":
            archive.writestr("/tmp/evil.shp", b"x")
        elif kind == "bomb":
            archive.writestr("data.shp", b"\0" * (60 * 1024 * 1024))  # compresses about 1000x
        elif kind == "entries":
            for i in range(2100):
                archive.writestr(f"f{i}.txt", b"")
    if kind == "corrupt":
        path.write_bytes(b"PK\x03\x04 this is not really a zip")
    return path


def geojson(path: Path, features: list[dict]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False), encoding="utf-8")
    return path


def poi_features(n: int) -> list[dict]:
    return [{"type": "Feature", "properties": {"Tên": f"{NAMES[i % len(NAMES)]} {i}", "Loại": "hotel"},
             "geometry": {"type": "Point", "coordinates": [ORIGIN[0] + i * 0.001, ORIGIN[1]]}} for i in range(n)]


def kml(path: Path, *, entity: bool = False) -> Path:
    doctype = ('<!DOCTYPE kml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n' if entity else "")
    placemarks = "".join(
        f"<Placemark><name>{NAMES[i]}</name><ExtendedData><Data name=\"category\"><value>restaurant</value></Data>"
        f"</ExtendedData><Point><coordinates>{ORIGIN[0] + i * 0.001},{ORIGIN[1]},0</coordinates></Point></Placemark>"
        for i in range(3))
    path.write_text(f'<?xml version="1.0" encoding="UTF-8"?>\n{doctype}<kml xmlns="http://www.opengis.net/kml/2.2">'
                    f"<Document>{placemarks}{'<name>&xxe;</name>' if entity else ''}</Document></kml>", encoding="utf-8")
    return path


def csv_file(path: Path, rows: list[list], header: list[str], *, encoding: str = "utf-8") -> Path:
    buffer = io.StringIO()
    import csv

    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(vnencodings.encode(buffer.getvalue(), encoding) if encoding != "utf-8"
                     else buffer.getvalue().encode("utf-8"))
    return path


def xlsx(path: Path, rows: list[list], header: list[str], *, formula_cell: str | None = None) -> Path:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Diem"
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    if formula_cell:
        sheet[formula_cell] = "=HYPERLINK(\"http://evil.example\",\"x\")"
    workbook.save(path)
    return path


def xlsx_with_entity(path: Path, rows: list[list], header: list[str]) -> Path:
    """A workbook whose shared strings declare an external entity (XXE)."""
    plain = xlsx(path.with_name("plain.xlsx"), rows, header)
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/workbook.xml":
                data = data.replace(b"<workbook", b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><workbook', 1)
            target.writestr(item, data)
    return path


def geotiff(path: Path, *, width: int = 1200, height: int = 900, crs: int | None = 9212, origin=(580_000, 1_290_000),
            pixel: float = 30.0) -> Path:
    """A DEM-like GeoTIFF (float32 heights in metres) over part of the province, VN-2000 TM-3."""
    import rasterio
    from rasterio.transform import from_origin

    heights = (np.add.outer(np.arange(height), np.arange(width)) % 300).astype("float32") + 50
    profile = dict(driver="GTiff", width=width, height=height, count=1, dtype="float32", nodata=-9999,
                   transform=from_origin(origin[0], origin[1], pixel, pixel))
    if crs:
        profile["crs"] = f"EPSG:{crs}"
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(heights, 1)
    return path
