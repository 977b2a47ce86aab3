from django.conf import settings
from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.db.models.functions import Intersection
from django.db.models import FloatField, Func, Value
from django.db.models.functions import Cast

from .models import ZoningZone


def zones_over(geom) -> list[ZoningZone]:
    """Zoning zones meeting `geom` (EPSG:4326), each annotated with `share_m2`: the geodesic area (m²,
    WGS84 spheroid) of its overlap with `geom`; largest share first, slivers under 0.01 m² dropped."""
    overlap = Intersection("geom", Value(geom, output_field=GeometryField(srid=4326)))
    share = Func(Cast(overlap, GeometryField(geography=True, srid=4326)), function="ST_Area", output_field=FloatField())
    zones = (ZoningZone.objects.select_related("planned_land_use").filter(geom__intersects=geom)
             .annotate(share_m2=share).order_by("-share_m2"))
    return [z for z in zones if z.share_m2 >= 0.01]


def outline_for_map(geom, *, max_vertices: int | None = None):
    """`geom` (EPSG:4326) as stored, or simplified with its topology kept (tolerance in degrees, grown
    until it fits) when it has more vertices than `max_vertices` (GEO_PANEL_MAX_VERTICES): a huge
    parcel never ships whole. Falls back to the bounding box if even that is too many."""
    limit = max_vertices or settings.GEO_PANEL_MAX_VERTICES
    if geom.num_coords <= limit:
        return geom
    minx, miny, maxx, maxy = geom.extent
    tolerance = max(maxx - minx, maxy - miny) / 5000
    for _ in range(8):
        simpler = geom.simplify(tolerance, preserve_topology=True)
        if simpler.num_coords <= limit:
            return simpler
        tolerance *= 3
    return geom.envelope


def parcel_panel(parcel) -> dict:
    """What a citizen sees of a parcel: identity, area, current land use, the zones over it with the
    share of each (m², %), their limits, and what the limits allow it to build: footprint = Σ share ×
    density; floor area = Σ share × density × max floors (m², per zone then summed)."""
    zones = zones_over(parcel.geom)
    area = parcel.area_m2
    rows, footprint, floor_area, any_limit = [], 0.0, 0.0, False
    for zone in zones:
        zone_footprint = zone.share_m2 * zone.building_density_pct / 100 if zone.building_density_pct is not None else None
        zone_floor = zone_footprint * zone.max_floors if zone_footprint is not None and zone.max_floors else None
        if zone_footprint is not None:
            any_limit = True
            footprint += zone_footprint
            floor_area += zone_floor or 0.0
        rows.append({
            "zone_code": zone.zone_code, "planned_land_use": {"code": zone.planned_land_use_id,
                                                              "name_vi": zone.planned_land_use.name_vi,
                                                              "name_en": zone.planned_land_use.name_en},
            "plan_name": zone.plan_name, "decision_no": zone.decision_no, "decision_date": zone.decision_date.isoformat(),
            "max_floors": zone.max_floors, "max_height_m": zone.max_height_m,
            "building_density_pct": zone.building_density_pct, "share_m2": round(zone.share_m2, 2),
            "share_pct": round(100 * zone.share_m2 / area, 2) if area else None,
            "footprint_m2": round(zone_footprint, 2) if zone_footprint is not None else None,
            "floor_area_m2": round(zone_floor, 2) if zone_floor is not None else None,
        })
    commune = parcel.commune
    heights = [z.max_height_m for z in zones if z.max_height_m is not None]
    return {
        "id": parcel.pk,
        "identity": {"commune_code": commune.gso_code, "commune": commune.name,
                     "district": commune.parent.name if commune.parent else "", "map_sheet_no": parcel.map_sheet_no,
                     "parcel_no": parcel.parcel_no},
        "address": parcel.address,
        "area_m2": round(area, 2),
        "land_use": {"code": parcel.land_use_id, "name_vi": parcel.land_use.name_vi, "name_en": parcel.land_use.name_en},
        "zones": rows,
        "buildable": {"footprint_m2": round(footprint, 2) if any_limit else None,
                      "floor_area_m2": round(floor_area, 2) if any_limit else None,
                      "max_height_m": min(heights) if heights else None},
        "geometry": outline_for_map(parcel.geom).json,
        "bbox": list(parcel.geom.extent),
    }
