from django.contrib.gis.db.models.functions import AsGeoJSON

from layers.sql import simplified

from .models import Road


def roads_geojson(*, classes: tuple[str, ...], tolerance_deg: float = 0.0002) -> list[dict]:
    """Roads of the given classes as GeoJSON-ready dicts (EPSG:4326, simplified by `tolerance_deg`
    degrees): name, class and the geometry as a GeoJSON string."""
    return list(
        Road.objects.filter(road_class__in=classes)
        .annotate(geojson=AsGeoJSON(simplified("geom", tolerance_deg), precision=5))
        .values("name", "road_class_id", "geojson")
        .order_by("id")
    )
