"""The demo province's response units: in every district a fire station and the district police
beside the district centre, ambulances at the district health centres and the provincial hospital,
rescue teams at the provincial fire and rescue police. Called by the demo seed (demo/services.py)
inside its `layers.writes.writing` transaction, after the health facilities are loaded."""
from __future__ import annotations

import math
from datetime import timedelta

import shapely

from django.contrib.gis.geos import Point
from django.utils import timezone

from health.selectors import clinics_near
from layers import registry, writes
from layers.editing import Editor
from layers.geometry import PROVINCE_BBOX
from places.selectors import admin_boundaries_geojson

from .models import ResponseUnit, Station

SEED_EDITOR = Editor.system("seed_demo")


def _short(name: str) -> str:
    """'Huyện Bù Đăng' -> 'Bù Đăng', 'Thành phố Đồng Xoài' -> 'Đồng Xoài'."""
    for prefix in ("Thành phố ", "Thị xã ", "Huyện "):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def _near(point: tuple[float, float], rng, low_m: float, high_m: float, within=None) -> Point:
    """A point `low_m`..`high_m` metres from `point` (lon/lat, EPSG:4326) in a random direction,
    inside the shapely polygon `within` when given (else, after a few tries, `point` itself)."""
    lon, lat = point
    for _ in range(20):
        angle, metres = rng.uniform(0, 2 * math.pi), rng.uniform(low_m, high_m)
        x = lon + metres * math.cos(angle) / (111_320 * math.cos(math.radians(lat)))
        y = lat + metres * math.sin(angle) / 110_574
        if within is None or within.contains(shapely.Point(x, y)):
            return Point(x, y, srid=4326)
    return Point(lon, lat, srid=4326)


def demo_response_units_load(*, rng, editor: Editor = SEED_EDITOR) -> int:
    """Create the stations and the response units (numpy Generator `rng` for positions and states);
    returns how many units. Most units wait at their station; about one in ten is out on a call
    (a live position a few kilometres away, reported minutes ago), a few are out of service."""
    spec = registry.get("response_units")
    boundaries = admin_boundaries_geojson(levels=("district",))
    districts = {d["gso_code"]: d["name"] for d in boundaries}
    # Inside the district by a margin (the boundaries come simplified): units stay in the province.
    area = {d["gso_code"]: shapely.from_geojson(d["geojson"]).buffer(-0.002) for d in boundaries}
    minx, miny, maxx, maxy = PROVINCE_BBOX
    clinics = clinics_near(lon=(minx + maxx) / 2, lat=(miny + maxy) / 2, limit=2000)
    hospital = next((c for c in clinics if c["clinic_type"] == "provincial_hospital"), None)
    centres = [c for c in clinics if c["clinic_type"] == "district_centre"]
    seat = {}  # the district's centre: its health centre ("Trung tâm Y tế ...")
    for c in sorted(centres, key=lambda c: (not c["name"].startswith("Trung tâm"), c["id"])):
        seat.setdefault(c["district_code"], (c["lon"], c["lat"]))
    capital = hospital["district_code"] if hospital else None

    stations: list[Station] = []
    plans: list[tuple[str, str, str, str, str]] = []  # unit code, name, kind, agency, station code
    for gso, name in sorted(districts.items()):
        if gso not in seat:
            continue
        short = _short(name)
        fire, police = f"PC-{gso}", f"CA-{gso}"
        stations += [Station(code=fire, name=f"Đội Cảnh sát PCCC và CNCH khu vực {short}", district_id=gso,
                             geom=_near(seat[gso], rng, 300, 900, area[gso])),
                     Station(code=police, name=f"Công an {_lower_first(name)}", district_id=gso,
                             geom=_near(seat[gso], rng, 200, 700, area[gso]))]
        for n in range(1, (3 if gso == capital else 2) + 1):
            plans.append((f"CC-{gso}-{n:02d}", f"Xe chữa cháy số {n} – PCCC {short}", "fire", "fire", fire))
        for n in range(1, 3):
            plans.append((f"CS-{gso}-{n:02d}", f"Tổ tuần tra số {n} – Công an {short}", "police", "public_security",
                          police))
    if capital:
        pc07 = f"PC07-{capital}"
        stations.append(Station(code=pc07, name="Phòng Cảnh sát PCCC và CNCH (PC07) tỉnh Bình Phước",
                                district_id=capital, geom=_near(seat[capital], rng, 1000, 1800, area[capital])))
        for n in range(1, 3):
            plans.append((f"CH-{capital}-{n:02d}", f"Xe cứu hộ cứu nạn số {n} – PC07", "rescue", "fire", pc07))
        plans.append(("CC-PC07-01", "Xe chữa cháy thang – PC07", "fire", "fire", pc07))
    for clinic in ([hospital] if hospital else []) + centres:
        code = f"YT-{clinic['id']}"
        stations.append(Station(code=code, name=clinic["name"], district_id=clinic["district_code"],
                                geom=Point(clinic["lon"], clinic["lat"], srid=4326)))
        count = 3 if clinic is hospital else (2 if clinic["name"].startswith("Trung tâm") else 1)
        for n in range(1, count + 1):
            plans.append((f"CC115-{clinic['id']}-{n}", f"Xe cấp cứu 115 số {n} – {clinic['name']}", "ambulance",
                          "health", code))

    Station.objects.bulk_create(stations, update_conflicts=True, unique_fields=["code"],
                                update_fields=["name", "district", "geom"])
    station_of = {s.code: s for s in stations}
    now = timezone.now()
    units = []
    for unit_code, name, kind, agency, station_code in plans:
        station = station_of[station_code]
        draw = rng.random()
        status, geom, at = "available", station.geom.clone(), None
        if draw < 0.10:
            status, geom = ("dispatched", "on_scene")[int(rng.integers(0, 2))], _near(
                (station.geom.x, station.geom.y), rng, 1500, 6000, area.get(station.district_id))
            at = now - timedelta(minutes=float(rng.uniform(1, 25)))
        elif draw < 0.15:
            status = "out_of_service"
        units.append(ResponseUnit(unit_code=unit_code, name=name, kind_id=kind, agency=agency,
                                  district_id=station.district_id, status_id=status, station_id=station_code,
                                  geom=geom, position_at=at))
    return writes.create_many(spec, editor, units)
