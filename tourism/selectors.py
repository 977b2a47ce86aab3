from layers.search import entry_name, scored_matches

from .models import TourismPoi


def pois_named(query: str, *, limit: int = 5, loose: bool = False, language: str = "vi") -> list[dict]:
    """Tourism places whose name matches `query` (diacritics, case, typos tolerated; the place may
    follow the name): name, category, the point (EPSG:4326) and the match score."""
    pois = TourismPoi.objects.select_related("category")
    return [{"kind": "poi", "label": p.name, "detail": entry_name(p.category, language), "lon": p.geom.x,
             "lat": p.geom.y, "bbox": [p.geom.x, p.geom.y, p.geom.x, p.geom.y], "score": p.match_score}
            for p in scored_matches(pois, query, name=lambda p: p.name, within=lambda p: p.address,
                                    limit=limit, loose=loose)]
