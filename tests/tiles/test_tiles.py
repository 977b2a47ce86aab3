"""Vector tiles from /tiles/: the features of the tile, with their attributes, for callers who may read."""
import math

import mapbox_vector_tile
import pytest
from django.contrib.auth.models import User
from django.contrib.gis.geos import Polygon

from land.models import Parcel
from tiles.models import CachedTile
from layers import registry
from planning.models import ZoningZone

pytestmark = pytest.mark.django_db


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """Web Mercator (XYZ) tile containing lon/lat (degrees) at zoom z."""
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """lon/lat bounds (degrees) of an XYZ tile."""
    n = 2**z

    def lat(row):
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))

    return x / n * 360 - 180, lat(y + 1), (x + 1) / n * 360 - 180, lat(y)


def test_a_parcel_tile_holds_the_parcels_it_covers(client):
    parcel = Parcel.objects.filter(commune__name="Phường Tân Phú").first()
    z = 16
    x, y = tile_of(parcel.geom.centroid.x, parcel.geom.centroid.y, z)
    response = client.get(f"/tiles/parcels/{z}/{x}/{y}.pbf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.mapbox-vector-tile"
    features = mapbox_vector_tile.decode(response.content)["parcels"]["features"]
    # Independently: the parcels whose geometry meets the tile (plus its 64/4096 drawing margin).
    minx, miny, maxx, maxy = tile_bounds(z, x, y)
    margin_x, margin_y = (maxx - minx) * 64 / 4096, (maxy - miny) * 64 / 4096
    around = Polygon.from_bbox((minx - margin_x, miny - margin_y, maxx + margin_x, maxy + margin_y))
    inside = Polygon.from_bbox((minx + margin_x, miny + margin_y, maxx - margin_x, maxy - margin_y))
    ids = {f["id"] for f in features}
    assert set(Parcel.objects.filter(geom__intersects=inside).values_list("id", flat=True)) <= ids
    assert ids <= set(Parcel.objects.filter(geom__intersects=around).values_list("id", flat=True))
    drawn = next(f for f in features if f["id"] == parcel.id)
    assert drawn["properties"]["land_use_code"] == parcel.land_use_id
    assert drawn["properties"]["parcel_no"] == parcel.parcel_no


def test_below_the_layers_minimum_zoom_tiles_are_empty(client):
    x, y = tile_of(106.884, 11.535, 10)
    response = client.get(f"/tiles/parcels/10/{x}/{y}.pbf")
    assert response.status_code == 200 and response.content == b""


def test_qgis_sees_parcels_from_the_zoom_the_web_map_shows_them(client):
    """QGIS's vector tile layer draws a view with the tiles one zoom below it (a z15 view asks for z14):
    the tiles of the zoom below the layer's first map zoom hold the parcels, those further below not."""
    parcel = Parcel.objects.filter(commune__name="Phường Tân Phú").first()
    centre = parcel.geom.point_on_surface
    first = registry.get("parcels").min_zoom
    x, y = tile_of(centre.x, centre.y, first - 1)
    below = client.get(f"/tiles/parcels/{first - 1}/{x}/{y}.pbf")
    assert below.status_code == 200 and below.content
    assert len(mapbox_vector_tile.decode(below.content)["parcels"]["features"]) > 10
    x, y = tile_of(centre.x, centre.y, first - 2)
    assert client.get(f"/tiles/parcels/{first - 2}/{x}/{y}.pbf").content == b""
    limits = client.get("/ogcapi/collections/parcels/tiles/WebMercatorQuad").json()["tileMatrixSetLimits"]
    assert limits[0]["tileMatrix"] == str(first - 1)


def test_internal_layer_tiles_follow_the_same_rules_as_the_api(client):
    x, y = tile_of(106.884, 11.535, 14)
    assert client.get(f"/tiles/water_pipes/14/{x}/{y}.pbf").status_code == 404
    client.force_login(User.objects.create_user("someone", password="x-unused-x"))
    assert client.get(f"/tiles/water_pipes/14/{x}/{y}.pbf").status_code == 403


def test_impossible_tiles_and_unknown_layers_get_clear_errors(client):
    assert client.get("/tiles/parcels/3/8/0.pbf").json()["code"] == "InvalidParameterValue"
    assert client.get("/tiles/parcels/40/0/0.pbf").status_code == 400
    assert client.get("/tiles/nothing/1/0/0.pbf").status_code == 404


def _committed(work):
    """Run `work` on another connection that commits (the test's own transaction never does)."""
    import threading

    from django.db import connection

    def run():
        try:
            work()
        finally:
            connection.close()
    thread = threading.Thread(target=run)
    thread.start()
    thread.join()


def test_tiles_are_cached_until_a_change_of_the_layer_commits(client):
    parcel = Parcel.objects.filter(commune__name="Phường Tân Phú").first()
    x, y = tile_of(parcel.geom.centroid.x, parcel.geom.centroid.y, 17)
    url = f"/tiles/parcels/17/{x}/{y}.pbf"
    first = client.get(url)
    assert CachedTile.objects.filter(layer_id="parcels", z=17, x=x, y=y).count() == 1
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    old_use = parcel.land_use_id
    new_use = "TMD" if old_use != "TMD" else "ODT"
    _committed(lambda: Parcel.objects.filter(pk=parcel.pk).update(land_use=new_use))
    try:
        second = client.get(url)
        assert second["ETag"] != first["ETag"]  # the layer's version moved when the edit committed
        drawn = next(f for f in mapbox_vector_tile.decode(second.content)["parcels"]["features"] if f["id"] == parcel.id)
        assert drawn["properties"]["land_use_code"] == new_use  # not the stale tile
        version = int(second["ETag"].strip('"').split("-")[1])
        # one row per tile: the new version replaced the old one
        assert list(CachedTile.objects.filter(layer_id="parcels", z=17, x=x, y=y).values_list("version", flat=True)) \
            == [version]
    finally:
        _committed(lambda: Parcel.objects.filter(pk=parcel.pk).update(land_use=old_use))


def test_a_transaction_sees_its_own_uncommitted_edit_in_tiles_and_caches_none_of_it(client):
    parcel = Parcel.objects.filter(commune__name="Phường Tân Phú").first()
    x, y = tile_of(parcel.geom.centroid.x, parcel.geom.centroid.y, 16)
    url = f"/tiles/parcels/16/{x}/{y}.pbf"
    cached = client.get(url)
    parcel.land_use_id = "TMD" if parcel.land_use_id != "TMD" else "ODT"
    parcel.save()  # the test's transaction: not committed, nobody else sees it
    mine = client.get(url)
    drawn = next(f for f in mapbox_vector_tile.decode(mine.content)["parcels"]["features"] if f["id"] == parcel.id)
    assert drawn["properties"]["land_use_code"] == parcel.land_use_id
    assert "ETag" not in mine and client.get(url, HTTP_IF_NONE_MATCH=cached["ETag"]).status_code == 200
    assert CachedTile.objects.filter(layer_id="parcels", z=16, x=x, y=y).count() == 1  # only the committed one


def test_ogc_api_tiles_for_other_clients(client):
    sets = client.get("/ogcapi/collections/zoning/tiles").json()["tilesets"]
    template = next(link["href"] for link in sets[0]["links"] if link["rel"] == "item")
    assert template.endswith("/ogcapi/collections/zoning/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}")
    zone = ZoningZone.objects.first()
    x, y = tile_of(zone.geom.point_on_surface.x, zone.geom.point_on_surface.y, 14)
    response = client.get(f"/ogcapi/collections/zoning/tiles/WebMercatorQuad/14/{y}/{x}")  # row = y, col = x
    assert response.status_code == 200
    assert zone.id in {f["id"] for f in mapbox_vector_tile.decode(response.content)["zoning"]["features"]}
    assert client.get("/ogcapi/tileMatrixSets/WebMercatorQuad").json()["id"] == "WebMercatorQuad"
    assert client.get("/ogcapi/collections/cameras/tiles").status_code == 404
    assert client.get("/ogcapi/collections/zoning/tiles/NoSuchQuad/1/0/0").status_code == 404
    assert client.get("/ogcapi/collections/zoning/tiles/WorldCRS84Quad/1/2/0").status_code == 404  # 2 rows at level 1


def test_ogc_api_tiles_can_be_discovered(client):
    """Issue 9 (part): collections link to their tilesets, the conformance lists the Tiles classes, the
    landing page's tiling-schemes link answers, and WebMercatorQuad is described zoom by zoom."""
    collection = client.get("/ogcapi/collections/parcels?f=json").json()
    tiles = [link for link in collection["links"] if link["rel"].endswith("/tilesets-vector")]
    assert tiles and tiles[0]["href"].endswith("/ogcapi/collections/parcels/tiles")
    listed = client.get("/ogcapi/collections?f=json").json()["collections"]
    assert all(any(link["rel"].endswith("/tilesets-vector") for link in c["links"]) for c in listed)
    conformance = client.get("/ogcapi/conformance?f=json").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core" in conformance
    landing = client.get("/ogcapi/?f=json").json()["links"]
    assert not any(link["rel"].endswith(("/processes", "/job-list")) for link in landing)  # not served
    scheme = next(link["href"] for link in landing if link["rel"].endswith("/tiling-schemes"))
    assert client.get(scheme.replace("http://testserver", "")).status_code == 200
    tms = client.get("/ogcapi/tileMatrixSets/WebMercatorQuad").json()
    assert len(tms["tileMatrices"]) == len(tms["tileMatrix"]) == 23
    assert tms["tileMatrices"][15]["matrixWidth"] == 2**15
    tileset = client.get("/ogcapi/collections/parcels/tiles/WebMercatorQuad").json()
    z15 = next(limit for limit in tileset["tileMatrixSetLimits"] if limit["tileMatrix"] == "15")
    # Bình Phước spans about 1.1° of longitude and of latitude: about a hundred z15 columns and rows (0.011° each).
    assert 0 < z15["maxTileCol"] - z15["minTileCol"] < 200 and 0 < z15["maxTileRow"] - z15["minTileRow"] < 200


def crs84_tile_of(lon: float, lat: float, level: int) -> tuple[int, int]:
    """WorldCRS84Quad (column, row) containing lon/lat at `level` (2^(level+1) x 2^level tiles)."""
    size = 180 / 2**level
    return int((lon + 180) // size), int((90 - lat) // size)


def test_world_crs84_quad_tiles_hold_the_parcels_they_cover(client):
    """GDAL's OGCAPI driver picks WorldCRS84Quad (its tile ranges come from the extent in degrees):
    its tiles hold what the Web Mercator ones hold, cut in degrees, one level up for the same detail."""
    tilesets = client.get("/ogcapi/collections/parcels/tiles").json()["tilesets"]
    assert [t["tileMatrixSetURI"].rsplit("/", 1)[1] for t in tilesets] == ["WebMercatorQuad", "WorldCRS84Quad"]
    crs84 = tilesets[1]
    assert crs84["crs"] == "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    # One level up for the same detail (and tiles start one zoom above the map's, see the QGIS test).
    assert crs84["tileMatrixSetLimits"][0]["tileMatrix"] == str(registry.get("parcels").min_zoom - 2)
    tms = client.get("/ogcapi/tileMatrixSets/WorldCRS84Quad").json()
    assert (tms["tileMatrices"][3]["matrixWidth"], tms["tileMatrices"][3]["matrixHeight"]) == (16, 8)
    assert tms["tileMatrix"][0]["topLeftCorner"] == [-180.0, 90.0]

    parcel = Parcel.objects.filter(commune__name="Phường Tân Phú").first()
    level = 15
    col, row = crs84_tile_of(parcel.geom.point_on_surface.x, parcel.geom.point_on_surface.y, level)
    response = client.get(f"/ogcapi/collections/parcels/tiles/WorldCRS84Quad/{level}/{row}/{col}")
    assert response.status_code == 200
    features = mapbox_vector_tile.decode(response.content)["parcels"]["features"]
    size = 180 / 2**level
    west, north = -180 + col * size, 90 - row * size
    margin = size * 64 / 4096
    around = Polygon.from_bbox((west - margin, north - size - margin, west + size + margin, north + margin))
    inside = Polygon.from_bbox((west + margin, north - size + margin, west + size - margin, north - margin))
    ids = {f["id"] for f in features}
    assert parcel.id in ids
    assert set(Parcel.objects.filter(geom__intersects=inside).values_list("id", flat=True)) <= ids
    assert ids <= set(Parcel.objects.filter(geom__intersects=around).values_list("id", flat=True))
    # Cached apart from the Web Mercator tiles with the same numbers.
    assert CachedTile.objects.filter(layer_id="parcels", tms="WorldCRS84Quad", z=level, x=col, y=row).exists()
    assert "WorldCRS84Quad" in response["ETag"]


GDAL_CLIENT = """
import json, sys
import pyogrio
url, layer, box = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
layers = [name for name, _ in pyogrio.list_layers(url)]
frame = pyogrio.read_dataframe(url, layer=layer, MINX=box[0], MINY=box[1], MAXX=box[2], MAXY=box[3])
print(json.dumps({"gdal": pyogrio.__gdal_version_string__, "layers": layers,
                  "parcels": sorted(zip(frame["commune_code"], frame["map_sheet_no"].astype(int),
                                        frame["parcel_no"].astype(int), frame["land_use_code"]))}))
"""


def test_gdal_reads_the_parcel_tiles_through_its_ogcapi_driver(platform_url):
    """A developer with GDAL (the one bundled with pyogrio, in its own process as a client would be)
    opens the parcels collection with the OGCAPI driver: it finds the tilesets through the collection's
    links and reads the parcels of an area, with their attributes, from the vector tiles."""
    import json
    import subprocess
    import sys

    parcel = Parcel.objects.filter(commune__name="Phường Tân Phú").first()
    centre = parcel.geom.point_on_surface
    box = [centre.x - 0.002, centre.y - 0.002, centre.x + 0.002, centre.y + 0.002]
    result = subprocess.run([sys.executable, "-c", GDAL_CLIENT, f"OGCAPI:{platform_url}/ogcapi/collections/parcels",
                             "Zoom level 15", json.dumps(box)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    read = json.loads(result.stdout)
    first = registry.get("parcels").min_zoom - 2  # WorldCRS84Quad level of the layer's first tiles
    assert read["layers"][0] == f"Zoom level {first}" and "Zoom level 21" in read["layers"]
    got = {tuple(p) for p in read["parcels"]}
    expected = {(p.commune_id, p.map_sheet_no, p.parcel_no, p.land_use_id)
                for p in Parcel.objects.filter(geom__intersects=Polygon.from_bbox(box))}
    assert (parcel.commune_id, parcel.map_sheet_no, parcel.parcel_no, parcel.land_use_id) in got
    assert expected <= got  # every parcel of the box (and the rest of the tiles that cover it)


def test_tiles_map_data_and_pages_are_compressed_and_still_revalidate(platform_url):
    """Over the real server: what the map loads (tiles, GeoJSON, the page) comes gzip-compressed to
    clients that accept it, and a compressed tile still answers 304 to its (now weak) ETag."""
    import gzip

    import requests

    parcel = Parcel.objects.filter(commune__name="Phường Tân Phú").first()
    x, y = tile_of(parcel.geom.point_on_surface.x, parcel.geom.point_on_surface.y, 16)
    url = f"{platform_url}/tiles/parcels/16/{x}/{y}.pbf"
    raw = requests.get(url, headers={"Accept-Encoding": "identity"}, timeout=60)
    packed = requests.get(url, headers={"Accept-Encoding": "gzip"}, stream=True, timeout=60)
    body = packed.raw.read()  # the bytes on the wire, not decoded by requests
    assert packed.headers["Content-Encoding"] == "gzip" and "Content-Encoding" not in raw.headers
    assert gzip.decompress(body) == raw.content and len(body) < len(raw.content)
    again = requests.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["ETag"]}, timeout=60)
    assert again.status_code == 304
    for path in ("/ogcapi/collections/schools/items?limit=100", "/"):
        response = requests.get(platform_url + path, headers={"Accept-Encoding": "gzip"}, timeout=60)
        assert response.status_code == 200 and response.headers.get("Content-Encoding") == "gzip", path
