"""Vector tiles from /tiles/: the features of the tile, with their attributes, for callers who may read."""
import math

import mapbox_vector_tile
import pytest
from django.contrib.auth.models import User
from django.contrib.gis.geos import Polygon

from land.models import Parcel

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
