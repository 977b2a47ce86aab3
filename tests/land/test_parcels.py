"""Parcels: area computed by the database from the geometry, identity unique."""
import pytest
from django.contrib.gis.geos import MultiPolygon
from django.db import IntegrityError, connection, transaction
from pyproj import Geod

from land.models import Parcel

pytestmark = pytest.mark.django_db


def test_area_is_the_geodesic_area_of_the_geometry():
    geod = Geod(ellps="WGS84")
    for parcel in Parcel.objects.order_by("?")[:50]:
        ring = parcel.geom[0].exterior_ring
        # Independent: pyproj's geodesic polygon area on the WGS84 ellipsoid, in m².
        expected, _ = geod.polygon_area_perimeter([c[0] for c in ring.coords], [c[1] for c in ring.coords])
        assert parcel.area_m2 == pytest.approx(abs(expected), rel=1e-6)


def test_area_follows_a_geometry_change():
    parcel = Parcel.objects.first()
    before = parcel.area_m2
    parcel.geom = MultiPolygon(parcel.geom.buffer(0.0001), srid=4326)  # grows the parcel by ~11 m around
    parcel.save()
    parcel.refresh_from_db()
    assert parcel.area_m2 > before


def test_commune_sheet_and_parcel_number_identify_one_parcel():
    parcel = Parcel.objects.first()
    clone = Parcel(commune_id=parcel.commune_id, map_sheet_no=parcel.map_sheet_no, parcel_no=parcel.parcel_no,
                   land_use_id="ODT", geom=parcel.geom)
    with pytest.raises(IntegrityError), transaction.atomic():
        clone.save()


def test_an_unknown_land_use_code_is_refused():
    parcel = Parcel.objects.first()
    parcel.land_use_id = "XYZ"
    with pytest.raises(IntegrityError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # foreign keys are deferred to commit otherwise
        parcel.save()
