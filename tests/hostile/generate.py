"""Writes the hostile-input corpus kept in this folder (files, query strings, request bodies, bearer
tokens): every entry must be refused cleanly and change nothing (tests/layers/test_hostile_corpus.py).
Deterministic; re-run after adding a technique:  .venv/bin/python tests/hostile/generate.py
Each entry is named after the technique it tries; the issue that found it is in the test's docstring."""
from __future__ import annotations

import base64
import io
import json
import sqlite3
import struct
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
FILES = HERE / "files"
SECRETS = ["/etc/passwd", "/etc/shadow", "var/secret_key", "var/oidc-key.pem", "var/database.url",
           "../../var/secret_key", "/proc/self/environ", "/root/.ssh/id_rsa"]
URLS = ["http://127.0.0.1:9/x.csv", "http://169.254.169.254/latest/meta-data/", "https://example.com/a.geojson",
        "ftp://127.0.0.1/x"]
VRT_SOURCES = ([f"CSV:{s}" for s in SECRETS] + [s for s in SECRETS] + [f"/vsicurl/{u}" for u in URLS]
               + [f"CSV:/vsicurl/{u}" for u in URLS] + [f"/vsis3/bucket/{s}" for s in ("a.csv", "b.shp")]
               + ["/vsistdin/", "/vsisubfile/0_100,/etc/passwd", "/vsigzip//etc/passwd.gz",
                  "/vsizip//etc/x.zip/a.shp", "PG:host=127.0.0.1 dbname=geo", "WFS:http://127.0.0.1:9/wfs"])
SUFFIXES = [".geojson", ".json", ".kml", ".csv", ".gpkg", ".zip", ".xlsx", ".tif"]
LAYERS = ["tourism_pois", "schools", "clinics", "parcels", "zoning", "roads", "streetlights", "admin_units"]


def vrt(source: str) -> str:
    return (f'<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>{source}</SrcDataSource>'
            f"<GeometryType>wkbPoint</GeometryType></OGRVRTLayer></OGRVRTDataSource>")


def raster_vrt(source: str) -> str:
    return (f'<VRTDataset rasterXSize="10" rasterYSize="10"><VRTRasterBand dataType="Byte" band="1"><SimpleSource>'
            f'<SourceFilename relativeToVRT="0">{source}</SourceFilename></SimpleSource></VRTRasterBand></VRTDataset>')


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def gpkg(statement: str) -> bytes:
    path = FILES / "_tmp.gpkg"
    path.unlink(missing_ok=True)
    with sqlite3.connect(path) as database:
        database.execute("PRAGMA application_id = 1196444487")  # 'GPKG'
        database.execute("CREATE TABLE gpkg_contents (table_name TEXT, data_type TEXT)")
        database.execute(statement)
    data = path.read_bytes()
    path.unlink()
    return data


def xlsx(extra: dict[str, bytes], workbook: bytes = b"<workbook/>") -> bytes:
    return zipped({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": workbook, **extra})


def files() -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for i, source in enumerate(VRT_SOURCES):
        for suffix in (".geojson", ".kml", ".csv", ".json"):
            out[f"vrt-{i:02d}{suffix}"] = vrt(source).encode()
        out[f"raster-vrt-{i:02d}.tif"] = raster_vrt(source).encode()
        out[f"vrt-in-zip-{i:02d}.zip"] = zipped({"a.shp": vrt(source).encode(), "a.dbf": b"", "a.shx": b""})
    out["polyglot-json-vrt.geojson"] = ('{"type":"FeatureCollection","x":"' + vrt("CSV:/etc/passwd").replace('"', "'")
                                        + '","features":[]}').encode()
    out["gdal-wms.tif"] = b"<GDAL_WMS><Service name='TMS'><ServerUrl>http://127.0.0.1:9/${z}</ServerUrl></Service></GDAL_WMS>"
    out["gdal-wms.geojson"] = out["gdal-wms.tif"]
    out["tileindex.geojson"] = b"<GDALTileIndexDataset><IndexDataset>/etc/passwd</IndexDataset></GDALTileIndexDataset>"
    out["xxe.kml"] = (b'<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                      b"<kml><Document><name>&x;</name></Document></kml>")
    out["billion-laughs.kml"] = (b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>'
                                 b"<kml><Document><name>&b;</name></Document></kml>")
    out["not-kml.kml"] = b"<?xml version='1.0'?><gml:FeatureCollection xmlns:gml='http://www.opengis.net/gml'/>"
    out["xxe.xlsx"] = xlsx({}, b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><workbook>&e;</workbook>')
    out["external-link.xlsx"] = xlsx({"xl/externalLinks/externalLink1.xml": b"<externalLink/>"})
    out["connections.xlsx"] = xlsx({"xl/connections.xml": b"<connections/>"})
    out["macro.xlsx"] = xlsx({"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0"})
    out["traversal.zip"] = zipped({"../../etc/evil.shp": b"x"})
    out["absolute.zip"] = zipped({"/tmp/evil.shp": b"x"})
    out["windows-path.zip"] = zipped({"C:/evil.shp": b"x"})
    out["no-shapefile.zip"] = zipped({"readme.txt": b"hello"})
    out["fake-shp.zip"] = zipped({"a.shp": b"not a shapefile header", "a.dbf": b"", "a.shx": b""})
    out["corrupt.zip"] = b"PK\x03\x04 this is not really a zip"
    out["sqlite-not-gpkg.gpkg"] = gpkg("CREATE TABLE t (x)")
    gp = gpkg("CREATE VIEW v AS SELECT 1")
    out["gpkg-with-view.gpkg"] = gp
    out["gpkg-virtual-table.gpkg"] = gpkg("CREATE VIRTUAL TABLE v USING fts5(x)")
    out["exe-renamed.csv"] = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" * 64
    out["elf-renamed.geojson"] = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 64
    out["png-renamed.tif"] = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    out["pdf-renamed.kml"] = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + b"\x00" * 32
    out["empty.geojson"] = b""
    out["empty.csv"] = b""
    out["nul-header.csv"] = b"ten\x00,loai,lon,lat\nA,hotel,106.9,11.6\n"
    out["formula.csv"] = b"ten,loai,lon,lat\n=cmd|' /C calc'!A0,hotel,106.9,11.6\n"
    out["formula-plus.csv"] = b"ten,loai,lon,lat\n+1+1,hotel,106.9,11.6\n"
    out["formula-at.csv"] = b"ten,loai,lon,lat\n@SUM(1),hotel,106.9,11.6\n"
    out["no-coordinates.csv"] = b"ten,loai\nA,hotel\n"
    out["tiff-garbage.tif"] = b"II*\x00garbage" * 50
    out["tiff-name-geojson.geojson"] = b"II*\x00" + b"\x00" * 64
    out["geojson-name-tif.tif"] = b'{"type":"FeatureCollection","features":[]}'
    out["kml-name-csv.csv"] = b"<kml></kml>"
    out["json-array.geojson"] = b"[1,2,3]"
    out["deep.geojson"] = b'{"type":"FeatureCollection","features":' + b"[" * 20000 + b"]" * 20000 + b"}"
    out["crs-link-file.geojson"] = json.dumps({"type": "FeatureCollection", "crs": {"type": "link", "properties": {
        "href": "/etc/passwd", "type": "proj4"}}, "features": [{"type": "Feature", "properties": {"name": "A"},
        "geometry": {"type": "Point", "coordinates": [106.9, 11.6]}}]}).encode()
    out["crs-link-url.geojson"] = out["crs-link-file.geojson"].replace(b"/etc/passwd", b"http://127.0.0.1:9/crs")
    out["nan-coordinates.geojson"] = (b'{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},'
                                      b'"geometry":{"type":"Point","coordinates":[NaN, Infinity]}}]}')
    out["outside-province.geojson"] = json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"name": "Paris"}, "geometry": {"type": "Point", "coordinates": [2.35, 48.85]}}]}).encode()
    out["bowtie.geojson"] = json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"name": "x"}, "geometry": {"type": "Polygon", "coordinates": [
            [[106.9, 11.6], [106.91, 11.61], [106.91, 11.6], [106.9, 11.61], [106.9, 11.6]]]}}]}).encode()
    out["shp-magic-only.zip"] = zipped({"a.shp": struct.pack(">i", 9994) + b"\x00" * 96, "a.dbf": b"\x03", "a.shx": b""})
    return out


QUERIES = [
    "id=abc", "id=1.5", "id=99999999999999999999", "id=1&id=2", "id=-99999999999999999999", "limit=0", "limit=-1",
    "limit=abc", "limit=10001", "limit=1e3", "offset=-1", "offset=x", "offset=99999999999999999999", "offset=1e9",
    "datetime=2020-01-01", "datetime=../..", "datetime=x", "sortby=", "sortby=,", "sortby=-", "sortby=nothing",
    "sortby=name;DROP TABLE x", "properties=", "properties=,", "properties=pg_catalog", "bbox=1,2,3",
    "bbox=1,2,3,4,5", "bbox=a,b,c,d", "bbox=nan,0,1,1", "bbox=inf,0,1,1", "bbox=1,2,3,4,5,6,7",
    "bbox=", "bbox-crs=http://example.com", "crs=EPSG:4326", "crs=http://127.0.0.1:9/crs", "crs=/etc/passwd",
    "f=xml", "f=jsonld", "f=", "f=../../etc/passwd", "skipGeometry=maybe", "resulttype=all", "filter=1=1",
    "filter=nothing%3D%27x%27", "filter-lang=cql2-json", "filter-crs=x", "q=%00", "name=%00", "%00=1", "x=1",
    "name=" + "x" * 2000, "lang=%00", "lang=" + "v" * 2000, "name=%01%02", "limit=%00", "unknown=%27%3B--",
    "sortby=%2Bname%2C%2Bname%2C" + "%2Bname%2C" * 400, "properties=" + "name," * 300, "offset=%C2%B9",
]
ITEM_IDS = ["abc", "1.5", "99999999999999999999", "-1", "0", "%C2%B9", "1e3", "%00", "..%2F..%2Fetc%2Fpasswd",
            "1%20OR%201%3D1", "' OR '1'='1", "9223372036854775808"]


def queries() -> list[str]:
    lines = [f"items|{layer}|{query}" for layer in LAYERS for query in QUERIES]
    lines += [f"item|{layer}|{item}" for layer in LAYERS for item in ITEM_IDS]
    return lines


def bodies() -> list[dict]:
    raw = [b"", b"null", b"   ", b"\xff\xfe\x00garbage", b"[" * 5000 + b"]" * 5000, b"{not json", b"[]", b"1", b'"x"',
           b'{"type": "FeatureCollection", "features": []}', b'{"type": "Feature"}',
           b'{"type": "Feature", "geometry": null, "properties": null}',
           b'{"type": "Feature", "geometry": {"type": "Point", "coordinates": [NaN, 1]}, "properties": {}}',
           b'{"type": "Feature", "geometry": {"type": "Point", "coordinates": [1e400, 1]}, "properties": {}}',
           b'{"type": "Feature", "geometry": {"type": "Point", "coordinates": [106.9, 11.6]}, "properties": {"name": "A\\u0000B"}}',
           b'{"type": "Feature", "geometry": {"type": "Point", "coordinates": [106.9, 11.6]}, "properties": {"name": {"$gt": ""}}}',
           b'{"type": "Feature", "geometry": {"type": "Point", "coordinates": [2.35, 48.85]}, "properties": {"name": "x"}}',
           b'{"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[106.9, 11.6]]}, "properties": {}}',
           b'{"type": "Feature", "geometry": {"type": "Polygon", "coordinates": []}, "properties": {}}',
           b'{"type": "Feature", "geometry": "POINT(106.9 11.6)", "properties": {}}',
           b'{"type": "Feature", "geometry": {"type": "Point", "coordinates": [106.9, 11.6]}, "properties": {"pg_sleep": 10}}',
           b'{"type": "Feature", "geometry": {"type": "Point", "coordinates": [106.9, 11.6]}, "properties": ' +
           b'{"name": "' + b"x" * 5000 + b'"}}',
           b'{"type": "Feature"' + b', "a": {' * 100 + b"}" * 100 + b"}",
           b'{"type": "Feature", "geometry": {"type": "GeometryCollection", "geometries": []}, "properties": {}}',
           b'{"type": "Feature", "geometry": {"type": "Point", "coordinates": [106.9, 11.6, 1, 2, 3]}, "properties": {}}']
    # A partial update with nothing in it changes nothing and is answered 204: not hostile.
    empty = {b'{"type": "Feature"}', b'{"type": "Feature", "geometry": null, "properties": null}'}
    out = []
    for layer in ("tourism_pois", "schools", "clinics", "parcels", "streetlights"):
        for method in ("post", "put", "patch"):
            for data in raw:
                if method == "patch" and data in empty:
                    continue
                out.append({"layer": layer, "method": method, "body": base64.b64encode(data).decode()})
    return out


def tokens() -> list[str]:
    def b64(data) -> str:
        text = data if isinstance(data, bytes) else json.dumps(data).encode()
        return base64.urlsafe_b64encode(text).rstrip(b"=").decode()
    claims = {"iss": "http://127.0.0.1/o", "aud": "binhphuoc-gis", "exp": 4102444800, "sub": "x", "roles": ["admin"],
              "scope": "read write"}
    out = []
    for alg in ("none", "None", "NONE", "HS256", "RS256", "ES256", "", "rs256"):
        for kid in ("", "x", "../../var/oidc-key.pem", "/etc/passwd"):
            header = {"alg": alg, "typ": "at+jwt", **({"kid": kid} if kid else {})}
            out.append(f"{b64(header)}.{b64(claims)}.")
            out.append(f"{b64(header)}.{b64(claims)}.{b64(b'forged-signature')}")
    out += ["", "x", "a.b", "a.b.c.d", ".", "..", "Bearer", "null", "%00", "\x00", "x" * 10000,
            f"{b64({'alg': 'RS256', 'jku': 'http://127.0.0.1:9/jwks'})}.{b64(claims)}.{b64(b'sig')}",
            f"{b64({'alg': 'RS256', 'x5u': 'http://127.0.0.1:9/cert'})}.{b64(claims)}.{b64(b'sig')}",
            f"{b64({'alg': 'RS256', 'jwk': {'kty': 'RSA', 'n': 'AQAB', 'e': 'AQAB'}})}.{b64(claims)}.{b64(b'sig')}"]
    return out


def main():
    FILES.mkdir(exist_ok=True)
    for old in FILES.iterdir():
        old.unlink()
    for name, data in files().items():
        (FILES / name).write_bytes(data)
    (HERE / "queries.txt").write_text("\n".join(queries()) + "\n", encoding="utf-8")
    (HERE / "bodies.jsonl").write_text("\n".join(json.dumps(b) for b in bodies()) + "\n", encoding="utf-8")
    (HERE / "tokens.txt").write_text("\n".join(json.dumps(t) for t in tokens()) + "\n", encoding="utf-8")
    counts = {"files": len(list(FILES.iterdir())), "queries": len(queries()), "bodies": len(bodies()),
              "tokens": len(tokens())}
    print(counts, "total", sum(counts.values()))


if __name__ == "__main__":
    main()
