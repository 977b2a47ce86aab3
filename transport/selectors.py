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


def roads_named(query: str, *, limit: int = 5, loose: bool = False, language: str = "vi") -> list[dict]:
    """Roads whose name matches `query` (diacritics, case, typos tolerated): name, class, a point on
    the road (EPSG:4326) and its bbox."""
    from django.contrib.gis.db.models.functions import PointOnSurface

    from layers.search import entry_name, name_matches

    roads = Road.objects.select_related("road_class").annotate(on=PointOnSurface("geom"))
    return [{"kind": "road", "label": r.name, "detail": entry_name(r.road_class, language), "lon": r.on.x, "lat": r.on.y,
             "bbox": list(r.geom.extent), "score": r.match_score}
            for r in name_matches(roads, "name", query, limit=limit, loose=loose)]
