"""GeoTIFFs into the raster catalogue: COG with overviews, recorded, listed as OGC API coverages."""
import pytest
import rasterio
from django.core.management import CommandError, call_command

from importers.models import RasterCoverage
from importers.rasters import raster_import
from importers.safety import ImportRejected

from . import corpus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def raster_dir(tmp_path, settings):
    settings.GEO_RASTER_DIR = tmp_path / "rasters"


def test_dem_becomes_a_cloud_optimised_geotiff(tmp_path, client, django_capture_on_commit_callbacks, settings):
    with django_capture_on_commit_callbacks(execute=True):  # the COG takes its place on commit
        coverage = raster_import(path=corpus.geotiff(tmp_path / "dem.tif"), coverage_id="dem-test", title="DEM thử",
                                 kind="dem")
    assert (coverage.width, coverage.height, coverage.resolution_x) == (1200, 900, 30.0)
    assert coverage.crs.startswith("EPSG:9212")
    with rasterio.open(coverage.path) as cog:
        assert cog.profile["tiled"] and cog.overviews(1) and cog.compression.name.lower() == "deflate"
    collections = client.get("/ogcapi/collections", {"f": "json"}).json()["collections"]
    assert "dem-test" in {c["id"] for c in collections}
    assert client.get("/ogcapi/collections/dem-test/coverage", {"f": "json"}).status_code == 200
    # A request over the cell limit must ask for a part (issue 8: a whole raster read per request).
    settings.GEO_MAX_COVERAGE_CELLS = 200_000  # the DEM has 1,080,000
    whole = client.get("/ogcapi/collections/dem-test/coverage", {"f": "json"})
    assert whole.status_code == 400 and "bbox=" in whole.json()["description"]
    minx, miny, maxx, maxy = coverage.extent.extent
    part = ",".join(str(v) for v in (minx, miny, minx + (maxx - minx) / 4, miny + (maxy - miny) / 4))
    assert client.get("/ogcapi/collections/dem-test/coverage", {"f": "json", "bbox": part}).status_code == 200


def test_rasters_are_refused_cleanly(tmp_path, settings):
    with pytest.raises(ImportRejected, match="không có hệ tọa độ"):
        raster_import(path=corpus.geotiff(tmp_path / "nocrs.tif", crs=None), coverage_id="x", title="x")
    with pytest.raises(ImportRejected, match="ngoài phạm vi tỉnh"):
        raster_import(path=corpus.geotiff(tmp_path / "far.tif", crs=4326, origin=(100.0, 20.0), pixel=0.001),
                      coverage_id="x", title="x")
    settings.GEO_IMPORT_LIMITS = {**settings.GEO_IMPORT_LIMITS, "max_raster_pixels": 1000}
    with pytest.raises(ImportRejected, match="quá lớn"):
        raster_import(path=corpus.geotiff(tmp_path / "big.tif"), coverage_id="x", title="x")
    bad = tmp_path / "bad.tif"
    bad.write_bytes(b"II*\x00garbage" * 50)
    with pytest.raises(ImportRejected):
        raster_import(path=bad, coverage_id="x", title="x")
    assert not RasterCoverage.objects.filter(coverage_id="x").exists()
    with pytest.raises(CommandError, match="invalid coverage id"):
        call_command("import_raster", str(corpus.geotiff(tmp_path / "ok.tif")), "--id", "Bad Id", "--title", "t")
