"""The tile cache (tiles/services.py, tiles/sql.py): one statement for a hit, one for a miss with its
render (and one more to keep the tile), a 304 from the layer's version alone, a bounded size with the
oldest tiles dropped first, one row per tile replaced when the layer changes, and gzip kept in the cache
and sent to clients that take it."""
import gzip

import mapbox_vector_tile
import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from land.models import Parcel
from tiles import sql as tile_sql
from tiles.models import CachedTile

from .test_tiles import _committed, tile_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def parcel_tile():
    """(url, z, x, y) of a z16 tile over the densest commune's first parcel, and that parcel."""
    parcel = Parcel.objects.filter(commune__name="Phường Tân Phú").first()
    x, y = tile_of(parcel.geom.point_on_surface.x, parcel.geom.point_on_surface.y, 16)
    return f"/tiles/parcels/16/{x}/{y}.pbf", (16, x, y), parcel


def features(mvt: bytes) -> dict:
    return {f["id"]: f["properties"] for f in mapbox_vector_tile.decode(mvt)["parcels"]["features"]}


def test_a_cached_tile_is_answered_with_one_statement(client, parcel_tile):
    url, _, parcel = parcel_tile
    client.get("/tiles/parcels/0/0/0.pbf")  # (the connection's first request sets its statement timeout)
    with CaptureQueriesContext(connection) as miss:
        first = client.get(url)
    # The look-up (the layer's version and the tile of that version) with the render (no tile of that
    # version kept), then the store (with eviction).
    assert len(miss) == 2, [q["sql"][:150] for q in miss]
    assert "tiles_cachedtile" in miss[0]["sql"] and "ST_AsMVT" in miss[0]["sql"]
    assert "INSERT INTO tiles_cachedtile" in miss[1]["sql"]
    with CaptureQueriesContext(connection) as hit:
        second = client.get(url)
    assert len(hit) == 1, [q["sql"] for q in hit]
    assert "layers_layerversion" in hit[0]["sql"] and "tiles_cachedtile" in hit[0]["sql"]
    assert second.content == first.content and parcel.id in features(second.content)
    assert second["ETag"] == first["ETag"]


def test_a_revalidation_is_answered_from_the_version_without_reading_the_tile(client, parcel_tile):
    url, _, _ = parcel_tile
    etag = client.get(url)["ETag"]  # (and the connection's statement timeout set)
    with CaptureQueriesContext(connection) as revalidation:
        response = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304 and response.content == b"" and response["ETag"] == etag
    assert len(revalidation) == 1 and "tiles_cachedtile" not in revalidation[0]["sql"]
    # A client that saw a compressed answer revalidates with the weak form of the same tag.
    assert client.get(url, HTTP_IF_NONE_MATCH=f"W/{etag}", HTTP_ACCEPT_ENCODING="gzip").status_code == 304


def _tile_keys() -> list[tuple]:
    return sorted(CachedTile.objects.values_list("layer_id", "tms", "z", "x", "y"))


def test_a_full_cache_drops_its_oldest_tiles_and_keeps_its_size(client, parcel_tile):
    _, (z, x, y), _ = parcel_tile
    CachedTile.objects.all().delete()  # (rolled back with the test: tiles other tests' servers committed)
    urls = [f"/tiles/parcels/{z}/{x + dx}/{y}.pbf" for dx in range(8)]
    with override_settings(GEO_TILE_CACHE_MAX_TILES=5):
        for url in urls:
            assert client.get(url).status_code == 200
        assert _tile_keys() == [("parcels", "WebMercatorQuad", z, x + dx, y) for dx in range(3, 8)]  # the newest five
        # Asked again, an evicted tile is rendered and stored anew, and the oldest then is dropped.
        assert client.get(urls[0]).status_code == 200
        assert _tile_keys() == [("parcels", "WebMercatorQuad", z, x + dx, y) for dx in (0, 4, 5, 6, 7)]
    with override_settings(GEO_TILE_CACHE_MAX_TILES=0):  # no cache at all
        CachedTile.objects.all().delete()
        with CaptureQueriesContext(connection) as uncached:
            assert client.get(urls[1]).status_code == 200
        assert not CachedTile.objects.exists() and not any("tiles_cachedtile" in q["sql"] for q in uncached)


def test_a_store_every_sweep_numbers_drops_tiles_a_failed_store_left_behind(client, parcel_tile):
    """A store drops only the tiles just below the newest `max` (an index range); tiles left below that
    range (a store rolled back, the maximum lowered) go at the next store numbered a multiple of the sweep."""
    _, (z, x, y), _ = parcel_tile
    CachedTile.objects.all().delete()
    sweep = tile_sql.EVICTION_SWEEP
    with connection.cursor() as cursor:  # (sequences only move forward: harmless to other tests)
        cursor.execute("SELECT setval('tiles_cachedtile_seq', (nextval('tiles_cachedtile_seq') / %s + 20) * %s + 1)",
                       [sweep, sweep])
        now = cursor.fetchone()[0]
    # A tile some failed store forgot to drop: numbered far below what the next stores look at.
    CachedTile.objects.create(layer_id="parcels", z=z, x=x + 100, y=y, version=0, data=b"", seq=now - 10 * sweep)
    with override_settings(GEO_TILE_CACHE_MAX_TILES=5):
        client.get(f"/tiles/parcels/{z}/{x}/{y}.pbf")
        assert CachedTile.objects.filter(x=x + 100).exists()  # far below the range a store looks at
        with connection.cursor() as cursor:
            cursor.execute("SELECT setval('tiles_cachedtile_seq', (nextval('tiles_cachedtile_seq') / %s + 2) * %s - 1)",
                           [sweep, sweep])
        client.get(f"/tiles/parcels/{z}/{x + 1}/{y}.pbf")  # stored as number k * sweep
        # Everything numbered below the newest five went, the forgotten tile with it.
        assert _tile_keys() == [("parcels", "WebMercatorQuad", z, x + 1, y)]


def test_a_committed_edit_replaces_the_tiles_row_with_the_new_version(client, parcel_tile):
    url, (z, x, y), parcel = parcel_tile
    first = client.get(url)
    (old_version,) = CachedTile.objects.filter(layer_id="parcels", z=z, x=x, y=y).values_list("version", flat=True)
    old_use = parcel.land_use_id
    new_use = "TMD" if old_use != "TMD" else "ODT"
    _committed(lambda: Parcel.objects.filter(pk=parcel.pk).update(land_use=new_use))
    try:
        second = client.get(url)
        assert second["ETag"] != first["ETag"]
        assert features(second.content)[parcel.id]["land_use_code"] == new_use
        rows = list(CachedTile.objects.filter(layer_id="parcels", z=z, x=x, y=y).values_list("version", flat=True))
        assert rows == [old_version + 1]  # one row, the new version's: the old one replaced, not kept beside it
        assert features(client.get(url).content)[parcel.id]["land_use_code"] == new_use  # and served from it
    finally:
        _committed(lambda: Parcel.objects.filter(pk=parcel.pk).update(land_use=old_use))


def test_gzip_and_identity_give_the_same_tile(client, parcel_tile):
    url, (z, x, y), parcel = parcel_tile
    for attempt in ("miss", "hit"):
        packed = client.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
        plain = client.get(url)  # no Accept-Encoding: identity
        refused = client.get(url, HTTP_ACCEPT_ENCODING="identity")
        assert packed["Content-Encoding"] == "gzip", attempt
        assert "Content-Encoding" not in plain and "Content-Encoding" not in refused
        assert all("Accept-Encoding" in r["Vary"] for r in (packed, plain, refused))
        mvt = gzip.decompress(packed.content)
        assert mvt == plain.content == refused.content and len(packed.content) < len(mvt)
        assert features(mvt) == features(plain.content) and parcel.id in features(mvt)
        # One resource in two codings: the compressed answer's ETag is the weak form of the plain one's.
        assert packed["ETag"] == "W/" + plain["ETag"]
    stored = CachedTile.objects.get(layer_id="parcels", z=z, x=x, y=y).data
    assert bytes(stored) == packed.content  # kept compressed, sent as kept


def test_an_empty_tile_is_sent_empty_in_any_coding(client, parcel_tile):
    _, (z, x, y), _ = parcel_tile
    # Far out at sea from the province (east of it at the same latitude): no parcels there.
    response = client.get(f"/tiles/parcels/{z}/{x + 3000}/{y}.pbf", HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200 and response.content == b"" and "Content-Encoding" not in response
