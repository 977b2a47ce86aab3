"""Deciding a file's format by its content, never by its name, before any parser sees it.

An uploaded file is opened only as the format its bytes prove: a GeoPackage is an SQLite database
with the GeoPackage application id, a shapefile archive is a zip holding a .shp whose header has the
shapefile magic number, GeoJSON is a UTF-8 JSON object, KML an XML document whose root is <kml>, a
GeoTIFF starts with the TIFF byte-order mark, an Excel workbook is a zip with the OOXML workbook
parts, and CSV is text. Anything else, GDAL's own formats that point at other files or URLs (VRT
above all) included, is refused with a message. A file whose name claims another format than its
content is refused too: the officer learns the file is not what it says.
"""
from __future__ import annotations

import re
import sqlite3
import struct
import zipfile
from pathlib import Path

from .safety import ImportRejected, Limits, safe_zip_members

HEAD_BYTES = 64 * 1024

LABELS = {"shapefile": "Shapefile (.zip)", "gpkg": "GeoPackage", "geojson": "GeoJSON", "kml": "KML",
          "csv": "CSV", "xlsx": "Excel (.xlsx)", "geotiff": "GeoTIFF"}
# What a file name's suffix claims.
SUFFIXES = {".zip": "shapefile", ".gpkg": "gpkg", ".geojson": "geojson", ".json": "geojson", ".kml": "kml",
            ".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".tif": "geotiff", ".tiff": "geotiff"}
# GDAL drivers that open each format (checked after opening, see sources.py and rasters.py).
DRIVERS = {"shapefile": {"ESRI Shapefile"}, "gpkg": {"GPKG"}, "geojson": {"GeoJSON"}, "kml": {"LIBKML", "KML"},
           "geotiff": {"GTiff"}}

_TIFF = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
_SQLITE = b"SQLite format 3\x00"
_GPKG_IDS = (b"GPKG", b"GP10", b"GP11")
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")
_SHP_MAGIC = struct.pack(">i", 9994)
_VRT = re.compile(rb"<\s*(OGRVRTDataSource|VRTDataset|GDAL_WMS|GDAL_WMTS|WCS_GDAL|GDALTileIndexDataset)\b", re.I)
_XML_PROLOGUE = re.compile(rb"^(\s*(<\?xml[^>]*\?>|<!--.*?-->))*\s*", re.S)
_CONTROL = set(range(0, 32)) - {9, 10, 13} | {127}
# The old GeoJSON "crs" member names a CRS ({"type": "name"}) or points at a definition elsewhere
# ("link", "url", ...): only names are read.
_CRS_REFERENCE = re.compile(rb'"crs"\s*:\s*\{(?:[^{}]|\{[^{}]*\})*?("type"\s*:\s*"(?!name")|"href")', re.S)
_SAFE_VIRTUAL_TABLE = re.compile(r"^\s*CREATE\s+VIRTUAL\s+TABLE\s+\S+\s+USING\s+rtree\s*\(", re.I)

REFUSED = ("Nội dung tệp không thuộc định dạng được hỗ trợ ({known}); tệp không được mở "
           "(unsupported format: the content is not one of these).")


def _refuse(reason_vi: str, reason_en: str) -> ImportRejected:
    return ImportRejected(f"{reason_vi} ({reason_en}).")


def _head(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.read(HEAD_BYTES)


def _is_text(head: bytes) -> bool:
    """Text in some encoding (UTF-8 or a legacy Vietnamese one): no NUL byte and hardly any other
    control bytes (TCVN3 puts a few capital letters there)."""
    if not head or b"\x00" in head:
        return False
    return sum(b in _CONTROL for b in head) <= len(head) // 20


def _zip_format(path: Path) -> str:
    safe_zip_members(path, Limits.from_settings())  # traversal, bombs, entry counts: before any member is read
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
                return "xlsx"
            shps = [n for n in names if n.lower().endswith(".shp") and not n.startswith("__MACOSX")]
            for name in shps:
                with archive.open(name) as member:
                    if member.read(4) != _SHP_MAGIC:
                        raise _refuse(f"{name} trong tệp nén không phải shapefile",
                                      f"{name} in the archive is not a shapefile")
            if shps:
                return "shapefile"
    except zipfile.BadZipFile:
        raise _refuse("Tệp nén hỏng hoặc không phải ZIP", "corrupt or not a zip archive")
    except (OSError, RuntimeError, NotImplementedError):  # zipfile: encrypted member; a compression method it lacks
        raise _refuse("Không đọc được tệp nén", "unreadable zip archive")
    raise _refuse("Tệp nén không chứa shapefile (.shp) hay bảng tính Excel",
                  "the archive holds no shapefile or Excel workbook")


def _check_geopackage(path: Path) -> None:
    """A GeoPackage's own tables only: no views and no virtual tables but the spatial index, so
    nothing in it can call functions or reach other files when GDAL reads it."""
    try:
        database = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    except sqlite3.Error:
        raise _refuse("Không đọc được GeoPackage", "unreadable GeoPackage")
    try:
        database.execute("PRAGMA trusted_schema = OFF")
        entries = database.execute("SELECT type, name, coalesce(sql, '') FROM sqlite_master").fetchall()
    except sqlite3.Error:
        raise _refuse("GeoPackage hỏng", "corrupt GeoPackage")
    finally:
        database.close()
    for kind, name, sql in entries:
        if kind == "view":
            raise _refuse(f"GeoPackage có khung nhìn (view) {name!r}, không được phép",
                          "views are refused in uploaded GeoPackages")
        if kind == "table" and sql.lstrip().upper().startswith("CREATE VIRTUAL") and not _SAFE_VIRTUAL_TABLE.match(sql):
            raise _refuse(f"GeoPackage có bảng ảo {name!r}, không được phép",
                          "virtual tables other than the spatial index are refused")


def content_format(path: Path) -> str:
    """The format the file's bytes prove (a key of LABELS); ImportRejected for anything else."""
    head = _head(Path(path))
    if not head:
        raise ImportRejected("Tệp rỗng (empty file).")
    if _VRT.search(head):
        raise _refuse("Tệp là tài liệu VRT/dịch vụ của GDAL (trỏ tới tệp hoặc địa chỉ khác), không được phép",
                      "GDAL VRT and service documents, which point at other files or URLs, are refused")
    if head.startswith(_TIFF):
        return "geotiff"
    if head.startswith(_SQLITE):
        if head[68:72] not in _GPKG_IDS:
            raise _refuse("Cơ sở dữ liệu SQLite không phải GeoPackage", "an SQLite database that is not a GeoPackage")
        _check_geopackage(Path(path))
        return "gpkg"
    if head.startswith(_ZIP):
        return _zip_format(Path(path))
    text = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
    if not _is_text(text):
        raise ImportRejected(REFUSED.format(known=", ".join(LABELS.values())))
    stripped = text.lstrip()
    if stripped.startswith(b"{"):
        if _CRS_REFERENCE.search(text):
            raise _refuse("GeoJSON khai báo hệ tọa độ bằng liên kết tới tệp hoặc địa chỉ khác, không được phép",
                          "a GeoJSON crs given as a link to another file or URL is refused")
        return "geojson"
    if stripped.startswith(b"<"):
        body = text[_XML_PROLOGUE.match(text).end():]
        if re.match(rb"<!DOCTYPE|<!ENTITY", body, re.I):
            raise ImportRejected("Tệp XML khai báo DOCTYPE/ENTITY, không được phép (XML entities are refused).")
        if re.match(rb"<(\w+:)?kml[\s>]", body):
            return "kml"
        raise _refuse("Tài liệu XML không phải KML", "an XML document that is not KML")
    return "csv"


def file_format(path: Path, name: str | None = None) -> str:
    """The file's format, proven by its content; refused when its name is not of a supported
    format or claims another format than the content's."""
    suffix = Path(name or Path(path).name).suffix.lower()
    claimed = SUFFIXES.get(suffix)
    if claimed is None:
        raise ImportRejected(f"Định dạng {suffix or '(không có đuôi)'} không được hỗ trợ; dùng: "
                             f"{', '.join(sorted(SUFFIXES))} (unsupported format).")
    found = content_format(path)
    if claimed != found:
        raise _refuse(f"Tên tệp ghi định dạng {LABELS[claimed]} nhưng nội dung là {LABELS[found]}",
                      f"the name says {LABELS[claimed]} but the content is {LABELS[found]}")
    return found


def check_driver(found: str, expected_format: str) -> None:
    """Refuse a file GDAL opened with another driver than the one its content proved."""
    if found not in DRIVERS[expected_format]:
        raise _refuse(f"Tệp không được đọc như {LABELS[expected_format]}",
                      f"the file did not open as {LABELS[expected_format]}")
