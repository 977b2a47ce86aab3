"""QGIS 3.22 from Debian (the officers' desktop tool), headless in its own process as an officer's
QGIS would be: it opens the OGC API at `/ogcapi` as typed (no trailing slash, no redirect to follow)
and draws parcels from the vector tiles at the zoom the web map shows them from."""
import json
import os
import subprocess
from pathlib import Path

import pytest

from land.models import Parcel
from layers import registry

PROBE = Path(__file__).with_name("qgis_probe.py")
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
pytestmark = pytest.mark.django_db


def qgis(platform_url: str, lon: float, lat: float, zoom: int) -> dict:
    if not Path("/usr/lib/python3/dist-packages/qgis").is_dir():
        pytest.fail("QGIS missing: make test installs Debian's python3-qgis and qgis-providers")
    ARTIFACTS.mkdir(exist_ok=True)
    result = subprocess.run(
        ["/usr/bin/python3", str(PROBE), platform_url, str(lon), str(lat), str(zoom),
         str(ARTIFACTS / f"qgis-parcels-z{zoom}.png")],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": ""}, capture_output=True, text=True,
        timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_qgis_opens_the_api_and_draws_parcels_from_their_first_zoom(platform_url):
    densest = Parcel.objects.filter(commune__name="Phường Tân Phú").first().geom.point_on_surface
    first = registry.get("parcels").min_zoom
    seen = qgis(platform_url, densest.x, densest.y, first)
    assert seen["oapif_valid"], "QGIS could not open /ogcapi"
    assert seen["oapif_count"] > 0
    assert seen["tiles_valid"]
    assert seen["drawn_share"] > 0, "QGIS drew no parcel at the zoom the web map shows them from"
