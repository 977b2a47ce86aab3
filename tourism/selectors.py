from layers.search import name_matches

from .models import TourismPoi


def pois_named(query: str, *, limit: int = 5, loose: bool = False) -> list[dict]:
    """Tourism places whose name matches `query` (diacritics, case, typos tolerated)."""
    pois = TourismPoi.objects.select_related("category")
    return [{"kind": "poi", "label": p.name, "detail": p.category.name_vi, "lon": p.geom.x, "lat": p.geom.y,
             "bbox": [p.geom.x, p.geom.y, p.geom.x, p.geom.y]}
            for p in name_matches(pois, "name", query, limit=limit, loose=loose)]
