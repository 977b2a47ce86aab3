"""What the IOC asks when an incident comes in: which units reach it soonest by road, which health
facilities are nearest by road, which cameras look at it. Points are lon/lat (EPSG:4326); times in
seconds, distances in metres (geodesic)."""
from __future__ import annotations

from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.geos import Point

from health.selectors import clinics_near
from safety.selectors import cameras_within

from . import routing
from .models import ResponseUnit, UnitKind

# Units and clinics routed per question: the nearest in a straight line (bounded work per request).
UNIT_CANDIDATES = 30
CLINIC_CANDIDATES = 10


def unit_kinds() -> dict[str, tuple[str, str]]:
    """{code: (Vietnamese name, English name)} of the unit kinds, in the list's order."""
    return {code: (vi, en) for code, vi, en in UnitKind.objects.values_list("code", "name_vi", "name_en")}


def _unit_candidates(lon: float, lat: float, kinds, only_available: bool, count: int) -> list[ResponseUnit]:
    here = Point(lon, lat, srid=4326)
    units = ResponseUnit.objects.select_related("kind", "status")
    if kinds:
        units = units.filter(kind__in=list(kinds))
    if only_available:
        units = units.filter(status="available")
    return list(units.annotate(straight=Distance("geom", here)).order_by("straight", "id")[:count])


def _unit(unit: ResponseUnit, leg: routing.Leg) -> dict:
    return {"id": unit.pk, "unit_code": unit.unit_code, "name": unit.name, "agency": unit.agency,
            "kind": unit.kind_id, "kind_vi": unit.kind.name_vi, "kind_en": unit.kind.name_en,
            "status": unit.status_id, "status_vi": unit.status.name_vi, "status_en": unit.status.name_en,
            "district_code": unit.district_id, "station_code": unit.station_id,
            "position_at": unit.position_at.isoformat() if unit.position_at else None,
            "lon": unit.geom.x, "lat": unit.geom.y, **_leg(leg, unit.straight.m)}


def _leg(leg: routing.Leg, straight_m: float) -> dict:
    rounded = (lambda v: round(v, 1) if v is not None else None)
    return {"travel_s": rounded(leg.travel_s), "road_m": rounded(leg.road_m), "off_road_m": rounded(leg.off_road_m),
            "straight_m": round(straight_m, 1), "route": leg.route}


def _soonest(rows: list[dict], limit: int) -> list[dict]:
    """Soonest by road first; places the road cannot reach last, nearest first."""
    return sorted(rows, key=lambda r: (r["travel_s"] is None, r["travel_s"] or 0.0, r["straight_m"]))[:limit]


def nearest_units(*, lon: float, lat: float, kinds=None, limit: int = 5, only_available: bool = True) -> list[dict]:
    """The `limit` response units that reach the point (lon/lat, EPSG:4326) soonest by road, of the
    given kinds (codes of UnitKind; None: every kind), only available ones unless told otherwise.
    Each: id, unit code, name, kind and status (code, vi, en), where it is now (lon/lat), `travel_s`
    (seconds: roads at their class's speed, off-road legs at routing.OFF_ROAD_KMH), `road_m` and
    `off_road_m` (metres driven on and off the road), `straight_m` (geodesic metres) and `route`
    (GeoJSON LineString, EPSG:4326, from the unit to the point). The UNIT_CANDIDATES units nearest
    in a straight line are routed, in one pgRouting query."""
    units = _unit_candidates(lon, lat, kinds, only_available, max(UNIT_CANDIDATES, limit))
    legs = routing.travel_from((lon, lat), [(u.geom.x, u.geom.y) for u in units])
    return _soonest([_unit(u, leg) for u, leg in zip(units, legs)], limit)


def _clinic(clinic: dict, leg: routing.Leg) -> dict:
    return {**{k: v for k, v in clinic.items() if k != "straight_m"}, **_leg(leg, clinic["straight_m"])}


def nearest_clinics(*, lon: float, lat: float, limit: int = 3) -> list[dict]:
    """The `limit` health facilities reached soonest by road from the point (lon/lat, EPSG:4326):
    the facility (health.selectors.clinics_near) with `travel_s` (seconds), `road_m`, `off_road_m`,
    `straight_m` (metres) and `route` (GeoJSON LineString, EPSG:4326, from the facility to the
    point; the same way back). The CLINIC_CANDIDATES nearest in a straight line are routed."""
    clinics = clinics_near(lon=lon, lat=lat, limit=max(CLINIC_CANDIDATES, limit))
    legs = routing.travel_from((lon, lat), [(c["lon"], c["lat"]) for c in clinics])
    return _soonest([_clinic(c, leg) for c, leg in zip(clinics, legs)], limit)


def nearby(*, lon: float, lat: float, radius_m: float, kinds=None, units: int = 5, clinics: int = 3,
           with_cameras: bool = True) -> dict:
    """Everything the IOC page shows around an incident at (lon/lat, EPSG:4326): the `units` units
    reaching it soonest by road (see nearest_units; available ones of `kinds`), the `clinics` health
    facilities soonest by road (see nearest_clinics), and the cameras within `radius_m` metres
    (geodesic; safety.selectors.cameras_within; None unless `with_cameras`: the caller may not read
    the cameras layer). Units and clinics are routed in one query."""
    unit_rows = _unit_candidates(lon, lat, kinds, True, max(UNIT_CANDIDATES, units))
    clinic_rows = clinics_near(lon=lon, lat=lat, limit=max(CLINIC_CANDIDATES, clinics))
    legs = routing.travel_from((lon, lat), [(u.geom.x, u.geom.y) for u in unit_rows]
                               + [(c["lon"], c["lat"]) for c in clinic_rows])
    unit_legs, clinic_legs = legs[:len(unit_rows)], legs[len(unit_rows):]
    return {"units": _soonest([_unit(u, leg) for u, leg in zip(unit_rows, unit_legs)], units),
            "clinics": _soonest([_clinic(c, leg) for c, leg in zip(clinic_rows, clinic_legs)], clinics),
            "cameras": cameras_within(lon=lon, lat=lat, radius_m=radius_m) if with_cameras else None}
