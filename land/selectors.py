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
