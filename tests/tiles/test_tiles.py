"""Vector tiles from /tiles/: the features of the tile, with their attributes, for callers who may read."""
import math

import mapbox_vector_tile
import pytest
from django.contrib.auth.models import User
from django.contrib.gis.geos import Polygon

from land.models import Parcel
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


def test_internal_layer_tiles_follow_the_same_rules_as_the_api(client):
    x, y = tile_of(106.884, 11.535, 14)
    assert client.get(f"/tiles/water_pipes/14/{x}/{y}.pbf").status_code == 404
    client.force_login(User.objects.create_user("someone", password="x-unused-x"))
    assert client.get(f"/tiles/water_pipes/14/{x}/{y}.pbf").status_code == 403


def test_impossible_tiles_and_unknown_layers_get_clear_errors(client):
    assert client.get("/tiles/parcels/3/8/0.pbf").json()["code"] == "InvalidParameterValue"
    assert client.get("/tiles/parcels/40/0/0.pbf").status_code == 400
    assert client.get("/tiles/nothing/1/0/0.pbf").status_code == 404


def test_tiles_are_cached_until_the_layer_changes(client):
    from tiles.models import CachedTile
    from layers import registry

    parcel = Parcel.objects.filter(commune__name="Phường Tân Phú").first()
    x, y = tile_of(parcel.geom.centroid.x, parcel.geom.centroid.y, 17)
    url = f"/tiles/parcels/17/{x}/{y}.pbf"
    first = client.get(url)
    assert CachedTile.objects.filter(layer_id="parcels", z=17, x=x, y=y).count() == 1
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    parcel.land_use_id = "TMD" if parcel.land_use_id != "TMD" else "ODT"
    parcel.save()  # the layer's trigger bumps its version
    second = client.get(url)
    assert second["ETag"] != first["ETag"]
    drawn = next(f for f in mapbox_vector_tile.decode(second.content)["parcels"]["features"] if f["id"] == parcel.id)
    assert drawn["properties"]["land_use_code"] == parcel.land_use_id  # not the stale tile
    assert CachedTile.objects.filter(layer_id="parcels", version__lt=int(second["ETag"].split("-")[1])).count() == 0


def test_every_layer_table_bumps_its_tile_version():
    from django.db import connection
    from layers import registry

    with connection.cursor() as cursor:
        cursor.execute("SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgname LIKE '%%_tiles_version'")
        tables = {row[0] for row in cursor.fetchall()}
    assert {spec.table for spec in registry.all_layers()} <= tables


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
    assert client.get("/ogcapi/collections/zoning/tiles/WorldCRS84Quad/1/0/0").status_code == 404


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
