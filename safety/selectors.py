import math

from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.geos import Point, Polygon
from django.contrib.gis.measure import D

from .models import Camera


def cameras_within(*, lon: float, lat: float, radius_m: float, limit: int = 200) -> list[dict]:
    """Cameras within `radius_m` metres (geodesic) of the point (lon/lat, EPSG:4326), nearest first,
    at most `limit`: id, camera code, mounting point, road, purpose and status (code, vi, en names),
    lon/lat and `distance_m` (metres). One query."""
    here = Point(lon, lat, srid=4326)
    # A box a little larger than the circle lets the spatial index pick the candidates (degrees).
    dlat = radius_m / 110_574 * 1.01
    dlon = radius_m / (111_320 * math.cos(math.radians(lat))) * 1.01
    box = Polygon.from_bbox((lon - dlon, lat - dlat, lon + dlon, lat + dlat))
    box.srid = 4326
    cameras = (Camera.objects.select_related("purpose", "status")
               .filter(geom__intersects=box, geom__distance_lte=(here, D(m=radius_m)))
               .annotate(distance=Distance("geom", here))
               .order_by("distance", "id")[:limit])
    return [{"id": c.pk, "camera_code": c.camera_code, "point_code": c.point_code, "road_name": c.road_name,
             "purpose": c.purpose_id, "purpose_vi": c.purpose.name_vi, "purpose_en": c.purpose.name_en,
             "status": c.status_id, "status_vi": c.status.name_vi, "status_en": c.status.name_en,
             "lon": c.geom.x, "lat": c.geom.y, "distance_m": c.distance.m} for c in cameras]
