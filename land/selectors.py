from django.contrib.gis.geos import Point

from .models import Parcel


def parcel_by_identity(*, commune_code: str, map_sheet_no: int, parcel_no: int) -> Parcel | None:
    """The parcel with this identity (commune code, map-sheet number, parcel number), if any."""
    return (Parcel.objects.select_related("land_use", "commune", "commune__parent")
            .filter(commune_id=commune_code, map_sheet_no=map_sheet_no, parcel_no=parcel_no).first())


def parcel_at(lon: float, lat: float) -> Parcel | None:
    """The parcel covering a point given in EPSG:4326 degrees (GiST index), if any."""
    return (Parcel.objects.select_related("land_use", "commune", "commune__parent")
            .filter(geom__intersects=Point(lon, lat, srid=4326)).first())


def parcel_by_id(parcel_id: int) -> Parcel | None:
    return Parcel.objects.select_related("land_use", "commune", "commune__parent").filter(pk=parcel_id).first()


def parcels_near(geom, *, margin_deg: float) -> list[Parcel]:
    """Parcels meeting `geom`'s bbox grown by `margin_deg` degrees (EPSG:4326), for map extracts."""
    from django.contrib.gis.geos import Polygon

    minx, miny, maxx, maxy = geom.extent
    box = Polygon.from_bbox((minx - margin_deg, miny - margin_deg, maxx + margin_deg, maxy + margin_deg))
    box.srid = 4326
    return list(Parcel.objects.filter(geom__intersects=box).only("id", "geom", "land_use_id", "parcel_no")[:2000])


def land_use_legend(*, language: str) -> list[dict]:
    """The land-use codes parcels or zoning actually use, with name and colour (one query; the FK
    indexes answer each EXISTS)."""
    from django.db.models import Exists, OuterRef

    from planning.models import ZoningZone

    from .models import LandUseCode

    used = LandUseCode.objects.filter(Exists(Parcel.objects.filter(land_use=OuterRef("pk")))
                                      | Exists(ZoningZone.objects.filter(planned_land_use=OuterRef("pk"))))
    name = "name_en" if language == "en" else "name_vi"
    return [{"code": c.code, "name": getattr(c, name), "color": c.color} for c in used.order_by("sort_order")]


def parcels_by_identity(*, commune_codes: list[str], map_sheet_no: int, parcel_no: int, limit: int = 10) -> list[Parcel]:
    """Parcels with this map-sheet and parcel number in any of these communes (one probe of the
    identity index per commune), ordered by commune code."""
    return list(Parcel.objects.select_related("land_use", "commune", "commune__parent")
                .filter(commune_id__in=commune_codes, map_sheet_no=map_sheet_no, parcel_no=parcel_no)
                .order_by("commune_id")[:limit])


# How addresses name the hamlet or neighbourhood inside a commune ("Khu phố 3", "Ấp 2", "Tổ dân phố 5"),
# folded; the longest first so "to dan pho 5" is not read as "to 5".
HAMLET_WORDS = ("to dan pho", "khu pho", "thon", "ap", "to")


def hamlet_parcels(*, commune_code: str, hamlet_no: int) -> dict | None:
    """The parcels of one hamlet or neighbourhood of a commune, found by their address ("Khu phố 3,
    ..." or "..., ấp 3, ..." with or without diacritics; the commune's FK index narrows the scan):
    count, total area (m², geodesic), one matching address and the extent (EPSG:4326 degrees), or
    None when no address names it."""
    from django.contrib.gis.db.models import Extent
    from django.db.models import Count, Min, Sum

    from layers.text import folded

    number = str(int(hamlet_no))
    pattern = r"\m(" + "|".join(HAMLET_WORDS) + r")\s+0*" + number + r"\M"
    # the plain digit test first: it is cheap and spares unaccent() most of the commune's rows
    summary = (Parcel.objects.filter(commune_id=commune_code, address__regex=r"(^|\D)0*" + number + r"(\D|$)")
               .annotate(folded_address=folded("address")).filter(folded_address__regex=pattern)
               .aggregate(count=Count("id"), area_m2=Sum("area_m2"), extent=Extent("geom"), address=Min("address")))
    return summary if summary["count"] else None
