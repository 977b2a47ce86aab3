"""Uploaded files open only as the format their content proves, with GDAL unable to follow any path
or URL written inside them (issue 8: a ".geojson" holding an OGR VRT read /etc/passwd and the
signing key into a public layer; a VRT pointing at /vsicurl/ made the server fetch a URL)."""
import socket
import sqlite3
import threading
import zipfile

import pyogrio
import pytest
import rasterio
from django.conf import settings
from django.contrib.auth.models import Group, User
from rasterio.errors import RasterioError

from importers import gdal_policy
from importers.models import RasterCoverage
from importers.rasters import raster_import
from importers.safety import ImportRejected
from importers.services import ImportOptions, layer_import
from layers.registry import officer
from tourism.models import TourismPoi

from . import corpus

pytestmark = pytest.mark.django_db

SECRETS = [settings.VAR_DIR / "secret_key", settings.VAR_DIR / "oidc-key.pem", "/etc/passwd"]


class Listener:
    """A local TCP server counting the connections GDAL (or anything) makes to it."""

    def __init__(self):
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(16)
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.connections = 0
        self.running = True
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while self.running:
            try:
                conn, _ = self.server.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self):
        self.running = False
        self.thread.join()
        self.server.close()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


def vrt_reading(source: str, layer: str = "x") -> str:
    return (f'<OGRVRTDataSource><OGRVRTLayer name="{layer}"><SrcDataSource>{source}</SrcDataSource>'
            f'<GeometryType>wkbPoint</GeometryType></OGRVRTLayer></OGRVRTDataSource>')


def refused(path, match, mapping=None):
    before = TourismPoi.objects.count()
    with pytest.raises(ImportRejected, match=match):
        layer_import(layer_id="tourism_pois", path=path,
                     options=ImportOptions(mapping=mapping or {"name": "name", "category": "name"}))
    assert TourismPoi.objects.count() == before
    assert not TourismPoi.objects.filter(name__contains="root:").exists()


@pytest.mark.parametrize("secret", SECRETS, ids=["secret_key", "oidc_key", "passwd"])
@pytest.mark.parametrize("suffix", [".geojson", ".json", ".kml", ".csv", ".gpkg"])
def test_a_vrt_document_under_any_name_is_refused(tmp_path, secret, suffix):
    path = tmp_path / f"diem{suffix}"
    path.write_text(vrt_reading(f"CSV:{secret}"))
    refused(path, "VRT")


def test_a_vrt_fetching_a_url_is_refused_and_nothing_is_fetched(tmp_path, listener):
    for i, source in enumerate([f"/vsicurl/http://127.0.0.1:{listener.port}/x.csv",
                                f"CSV:/vsicurl/http://127.0.0.1:{listener.port}/x.csv",
                                f"http://127.0.0.1:{listener.port}/x.geojson"]):
        path = tmp_path / f"ssrf{i}.geojson"
        path.write_text(vrt_reading(source))
        refused(path, "VRT")
    assert listener.connections == 0


def test_a_vrt_hidden_after_json_is_refused(tmp_path):
    path = tmp_path / "polyglot.geojson"
    path.write_text('{"type": "FeatureCollection", "name": "' + vrt_reading("CSV:/etc/passwd").replace('"', "'")
                    + '", "features": []}')
    refused(path, "VRT")


def test_geojson_crs_links_are_not_followed(tmp_path, listener, monkeypatch):
    """Refused by the sniffing; and GDAL's own HTTP client (which a CRS link uses, not /vsicurl/)
    fetches nothing even where the proxy settings would let it reach the address."""
    monkeypatch.setenv("NO_PROXY", "*")
    monkeypatch.setenv("no_proxy", "*")
    for i, href in enumerate([f"http://127.0.0.1:{listener.port}/crs.wkt", "/etc/passwd",
                              str(settings.VAR_DIR / "oidc-key.pem")]):
        path = tmp_path / f"crs{i}.geojson"
        corpus.geojson(path, corpus.poi_features(2))
        text = path.read_text().replace('{"type": "FeatureCollection"',
                                        '{"type": "FeatureCollection", "crs": {"type": "link", "properties": '
                                        f'{{"href": "{href}", "type": "ogcwkt"}}}}', 1)
        path.write_text(text)
        refused(path, "liên kết")
        gdal_policy.enforce()
        try:
            pyogrio.read_info(f"GeoJSON:{path}")
        except pyogrio.errors.DataSourceError:
            pass
    assert listener.connections == 0


def test_kml_network_links_are_not_followed(tmp_path, listener):
    path = tmp_path / "link.kml"
    path.write_text('<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
                    f'<NetworkLink><Link><href>http://127.0.0.1:{listener.port}/more.kml</href></Link></NetworkLink>'
                    '<Placemark><name>A</name><Point><coordinates>106.95,11.6,0</coordinates></Point></Placemark>'
                    '</Document></kml>')
    try:
        layer_import(layer_id="tourism_pois", path=path,
                     options=ImportOptions(mapping={"name": "name", "category": "name"}, dry_run=True))
    except ImportRejected:
        pass
    assert listener.connections == 0


def test_a_shapefile_archive_holding_a_vrt_is_refused(tmp_path):
    path = tmp_path / "thua.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("data.shp", vrt_reading("CSV:/etc/passwd"))
        archive.writestr("data.dbf", b"")
        archive.writestr("data.shx", b"")
    refused(path, "VRT|không phải shapefile")


def test_geopackages_with_views_or_virtual_tables_are_refused(tmp_path):
    for statement, match in [("CREATE VIEW v AS SELECT * FROM diem", "view"),
                             ("CREATE VIRTUAL TABLE vt USING fts5(x)", "bảng ảo")]:
        path = tmp_path / f"{match.replace(' ', '_')}.gpkg"
        corpus.parcel_squares(2).to_file(path, layer="diem", driver="GPKG")
        with sqlite3.connect(path) as database:
            database.execute(statement)
        refused(path, match)


def test_sqlite_that_is_not_a_geopackage_is_refused(tmp_path):
    path = tmp_path / "khac.gpkg"
    with sqlite3.connect(path) as database:
        database.execute("CREATE TABLE t (x)")
    refused(path, "không phải GeoPackage")


def test_workbooks_linking_other_files_are_refused(tmp_path):
    plain = corpus.xlsx(tmp_path / "plain.xlsx", [["A", "hotel", 106.9, 11.6]], ["ten", "loai", "lon", "lat"])
    path = tmp_path / "link.xlsx"
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        target.writestr("xl/externalLinks/externalLink1.xml", "<externalLink/>")
    refused(path, "liên kết")


def test_binary_renamed_csv_is_refused(tmp_path):
    path = tmp_path / "chuong-trinh.csv"
    path.write_bytes(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" * 64)
    refused(path, "không thuộc định dạng")


def test_a_nul_byte_in_a_csv_cell_is_refused_with_its_line(tmp_path):
    path = tmp_path / "nul.csv"
    body = "ten,loai,lon,lat\n" + "".join(f"A{i},hotel,106.9,11.6\n" for i in range(5000))
    path.write_bytes(body.encode() + b"B\x00,hotel,106.9,11.6\n")  # past the sniffed head
    before = TourismPoi.objects.count()
    report = layer_import(layer_id="tourism_pois", path=path, options=ImportOptions(
        mapping={"name": "ten", "category": "loai"}))
    assert report.status == "rejected" and report.rejected == 1
    assert report.reasons == [(5001, "name: chứa ký tự NUL (NUL character)")]
    assert TourismPoi.objects.count() == before


def test_a_geotiff_that_is_really_a_vrt_is_refused(tmp_path):
    real = corpus.geotiff(tmp_path / "real.tif", width=64, height=64)
    for i, source in enumerate([str(real), "/etc/passwd", "/vsicurl/http://127.0.0.1:9/x.tif"]):
        path = tmp_path / f"dem{i}.tif"
        path.write_text(f'<VRTDataset rasterXSize="64" rasterYSize="64"><VRTRasterBand dataType="Float32" band="1">'
                        f'<SimpleSource><SourceFilename relativeToVRT="0">{source}</SourceFilename>'
                        f'<SourceBand>1</SourceBand></SimpleSource></VRTRasterBand></VRTDataset>')
        with pytest.raises(ImportRejected, match="VRT"):
            raster_import(path=path, coverage_id=f"dem{i}", title="x")
    assert not RasterCoverage.objects.exists()


def test_gdal_itself_has_no_driver_or_file_system_that_follows_references(tmp_path):
    """Even a file the sniffing let through could not reach another file or URL: the process's
    GDAL libraries hold only the allowed drivers and /vsizip/, /vsimem/ (after rasterio re-registers)."""
    gdal_policy.enforce()
    with rasterio.Env():
        pass
    for library in gdal_policy._libraries_cache:  # what a later full registration would bring back
        library.cdll.GDALAllRegister()
        assert set(gdal_policy.driver_names(library.cdll)) <= gdal_policy.ALLOWED_DRIVERS, library.name
    status = gdal_policy.status()
    assert set(status) >= {"pyogrio", "rasterio", "django"}
    for name, library in status.items():
        assert set(library["drivers"]) <= gdal_policy.ALLOWED_DRIVERS, name
        assert "VRT" not in library["drivers"] and "OGR_VRT" not in library["drivers"]
        if name != "django":  # Debian's GDAL 3.6 cannot remove file systems; it never opens users' files
            assert set(library["file_systems"]) <= gdal_policy.ALLOWED_FILE_SYSTEMS, name
    path = tmp_path / "evil.geojson"
    path.write_text(vrt_reading("CSV:/etc/passwd"))
    with pytest.raises(pyogrio.errors.DataSourceError):
        pyogrio.read_info(path)
    vrt = tmp_path / "evil.vrt"
    vrt.write_text('<VRTDataset rasterXSize="1" rasterYSize="1"></VRTDataset>')
    with pytest.raises(RasterioError):
        rasterio.open(vrt)


def test_the_web_upload_refuses_a_vrt_cleanly(client, tmp_path):
    user = User.objects.create_user("can-bo-du-lich", password="x-unused-x")
    user.groups.add(Group.objects.get_or_create(name=officer("tourism"))[0])
    client.force_login(user)
    path = tmp_path / "diem.geojson"
    path.write_text(vrt_reading(f"CSV:{settings.VAR_DIR / 'secret_key'}"))
    with open(path, "rb") as f:
        response = client.post("/data/upload", {"file": f, "target": "tourism_pois"})
    assert response.status_code == 302
    page = client.get(response["Location"])
    text = page.content.decode()
    assert page.status_code == 200 and "VRT" in text
    assert str(settings.BASE_DIR) not in text
    assert not TourismPoi.objects.filter(name__contains="root:").exists()
