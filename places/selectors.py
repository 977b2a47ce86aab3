from django.contrib.gis.db.models.functions import AsGeoJSON

from layers.sql import simplified

from .models import AdminUnit


def admin_boundaries_geojson(*, levels: tuple[str, ...], tolerance_deg: float = 0.0005) -> list[dict]:
    """Administrative units of the given levels as GeoJSON-ready dicts (EPSG:4326, simplified by
    `tolerance_deg` degrees): code, name, level and the geometry as a GeoJSON string."""
    return list(
        AdminUnit.objects.filter(level__in=levels)
        .annotate(geojson=AsGeoJSON(simplified("geom", tolerance_deg), precision=5))
        .values("gso_code", "name", "level_id", "geojson")
        .order_by("level__sort_order", "gso_code")
    )


def admin_unit_wkb(gso_code: str) -> bytes | None:
    """The boundary of a unit (EPSG:4326) as WKB, or None when no unit has that GSO code."""
    unit = AdminUnit.objects.filter(gso_code=gso_code).only("geom").first()
    return bytes(unit.geom.wkb) if unit else None


def units_named(query: str, *, limit: int = 5, loose: bool = False, level: str | None = None,
                language: str = "vi") -> list[dict]:
    """Administrative units whose name matches `query` (diacritics and case ignored, typos
    tolerated, the parent may follow: "Tân Phú Đồng Xoài"): name, level, GSO code, parent name, a
    point inside (EPSG:4326), the bbox (EPSG:4326 degrees) and the match score."""
    from django.contrib.gis.db.models.functions import PointOnSurface

    from layers.search import entry_name, scored_matches

    units = AdminUnit.objects.select_related("parent", "level")
    if level:
        units = units.filter(level=level)
    matches = scored_matches(units.annotate(inside=PointOnSurface("geom")), query, name=lambda u: u.name,
                             within=lambda u: u.parent.name if u.parent else "", limit=limit, loose=loose)
    return [{"kind": "admin_unit", "label": u.name, "detail": f"{entry_name(u.level, language)} · {u.parent.name if u.parent else ''}"
             .rstrip(" ·"), "code": u.gso_code, "parent": u.parent.name if u.parent else "", "lon": u.inside.x,
             "lat": u.inside.y, "bbox": list(u.geom.extent), "score": u.match_score} for u in matches]


def communes_for_picking() -> list[dict]:
    """Communes with their district, ordered for a picker: code, "Phường Tân Phú — Thành phố Đồng Xoài"."""
    return [{"code": c.gso_code, "label": f"{c.name} — {c.parent.name if c.parent else ''}"}
            for c in AdminUnit.objects.filter(level="commune").select_related("parent").order_by("parent__name", "name")]


def commune_codes() -> list[str]:
    """GSO codes of every commune (a few hundred), for probing indexes led by the commune code."""
    return list(AdminUnit.objects.filter(level="commune").order_by("gso_code").values_list("gso_code", flat=True))


def district_at(lon: float, lat: float) -> str | None:
    """The GSO code of the district covering a point (EPSG:4326 degrees), or None outside every one."""
    from django.contrib.gis.geos import Point

    return (AdminUnit.objects.filter(level="district", geom__covers=Point(lon, lat, srid=4326))
            .values_list("gso_code", flat=True).first())
