"""Benchmark: the parcel panel of a big parcel (issue 8: a 1,000,000-vertex parcel made /api/parcels/at
take 41 s). Seeds N parcels (default 50,000), gives one zoned parcel a round outline of V vertices
(default 5,000, under the cadastre's limit), then times through Django's full request path
/api/parcels/at, /api/parcels/<id> and the PDF report for a point of that parcel, against the raw
PostGIS queries for the same answer (parcel by point + zones with their geodesic overlap areas), and
the refusal of a 1,000,000-vertex parcel by the API and by an import. Prints p50/p95 and ratios.
    .venv/bin/python bench/big_parcel.py [--parcels 50000] [--vertices 5000] [--samples 200]
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))  # the project, for Django
from lookup import RAW_PARCEL, RAW_ZONES, percentiles  # noqa: E402  (bench/ is not a package)
from seed_demo import seed_then_measure  # noqa: E402


def round_ring(lon: float, lat: float, radius: float, vertices: int):
    import numpy as np
    import shapely

    angles = np.linspace(0, 2 * np.pi, vertices - 1, endpoint=False)
    return shapely.MultiPolygon([shapely.Polygon(np.column_stack([lon + radius * np.cos(angles),
                                                                   lat + radius * np.sin(angles)]))])


def timed(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        out.append(time.perf_counter() - started)
    return out


def measure(vertices: int, samples: int) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo.settings")
    django.setup()
    from django.conf import settings
    from django.contrib.gis.geos import GEOSGeometry
    from django.db import connection
    from django.test import Client

    from land.models import Parcel
    from planning.models import ZoningZone

    settings.ALLOWED_HOSTS = ["testserver"]
    zone = ZoningZone.objects.order_by("id").first()
    parcel = Parcel.objects.filter(geom__intersects=zone.geom).order_by("id").first()
    centre = parcel.geom.point_on_surface
    shape = round_ring(centre.x, centre.y, 0.0004, vertices)
    Parcel.objects.filter(pk=parcel.pk).update(geom=GEOSGeometry(shape.wkt, srid=4326))
    parcel.refresh_from_db()
    point = parcel.geom.point_on_surface.coords
    client = Client()

    def raw():
        with connection.cursor() as cursor:
            cursor.execute(RAW_PARCEL, point)
            row = cursor.fetchone()
            cursor.execute(RAW_ZONES, [row[0]])
            return row, cursor.fetchall()

    def at():
        response = client.get("/api/parcels/at", {"lon": point[0], "lat": point[1]})
        assert response.status_code == 200 and response.json()["id"] == parcel.pk
        return response

    by_id = lambda: client.get(f"/api/parcels/{parcel.pk}")  # noqa: E731
    report = lambda: client.get(f"/api/parcels/{parcel.pk}/report.pdf")  # noqa: E731
    for fn in (raw, at, by_id, report):
        timed(fn, 5)  # warm caches
    raw_s, at_s, id_s = timed(raw, samples), timed(at, samples), timed(by_id, samples)
    pdf_s = timed(report, max(samples // 10, 5))
    shipped = json.loads(at().content)
    shipped_vertices = sum(len(ring) for polygon in json.loads(shipped["geometry"])["coordinates"] for ring in polygon) \
        if isinstance(shipped["geometry"], str) else None
    print(f"parcel of {parcel.geom.num_coords:,} vertices under {len(shipped['zones'])} zone(s); the panel ships "
          f"{shipped_vertices or '?'} vertices, {len(at().content) / 1024:.1f} KiB")
    print(f"/api/parcels/at   {percentiles(at_s)}; raw SQL {percentiles(raw_s)}; ratio (p50) "
          f"{statistics.median(at_s) / statistics.median(raw_s):.2f}x")
    print(f"/api/parcels/<id> {percentiles(id_s)}")
    print(f"report.pdf        {percentiles(pdf_s)}")

    huge = round_ring(centre.x + 0.01, centre.y, 0.0004, 1_000_000)
    feature = {"type": "Feature", "geometry": json.loads(__import__("shapely").to_geojson(huge)),
               "properties": {"commune_code": parcel.commune_id, "map_sheet_no": 999, "parcel_no": 1,
                              "land_use_code": parcel.land_use_id}}
    body = json.dumps(feature)
    from accounts.tokens import signing_key
    from jwcrypto import jwt

    now = int(time.time())
    token = jwt.JWT(header={"alg": "RS256", "typ": "at+jwt", "kid": signing_key().thumbprint()}, claims={
        "iss": "http://testserver/o", "aud": settings.GEO_OIDC_AUDIENCE, "iat": now, "nbf": now, "exp": now + 600,
        "sub": "bench", "client_id": "bench", "scope": "read write", "roles": ["admin"]})
    token.make_signed_token(signing_key())
    started = time.perf_counter()
    response = client.post("/ogcapi/collections/parcels/items", body, content_type="application/geo+json",
                           HTTP_AUTHORIZATION=f"Bearer {token.serialize()}")
    print(f"1,000,000-vertex parcel through the API ({len(body) / 1e6:.1f} MB): {response.status_code} in "
          f"{(time.perf_counter() - started) * 1000:.0f} ms: {response.json()['description']}")
    from importers.services import ImportOptions, layer_import
    import geopandas as gpd

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "huge.gpkg"
        gpd.GeoDataFrame({"MaXa": [parcel.commune_id], "SoTo": [999], "SoThua": [1], "LoaiDat": [parcel.land_use_id]},
                         geometry=[huge], crs=4326).to_file(path, driver="GPKG")
        started = time.perf_counter()
        result = layer_import(layer_id="parcels", path=path, options=ImportOptions(mapping={
            "commune_code": "MaXa", "map_sheet_no": "SoTo", "parcel_no": "SoThua", "land_use_code": "LoaiDat"}))
        print(f"1,000,000-vertex parcel through import_layer: {result.status} in "
              f"{(time.perf_counter() - started) * 1000:.0f} ms: {result.reasons[0][1]}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parcels", type=int, default=50_000)
    parser.add_argument("--vertices", type=int, default=5_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--measure-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_only:
        measure(args.vertices, args.samples)
        return
    seed_then_measure(__file__, parcels=args.parcels, keep=args.keep,
                      measure_args=["--vertices", str(args.vertices), "--samples", str(args.samples)])


if __name__ == "__main__":
    main()
