"""One search box for citizens: place and road names (with or without diacritics, any case, typos
tolerated), parcel identity (commune + map sheet + parcel), coordinates in WGS84 or VN-2000 TM-3."""
from __future__ import annotations

import re

from pyproj import Transformer

from land.selectors import parcel_by_identity
from layers.geometry import BINH_PHUOC_TM3_SRID, PROVINCE_BBOX
from places.selectors import units_named
from tourism.selectors import pois_named
from transport.selectors import roads_named

from .text import fold

_NUMBERS = re.compile(r"^\s*(-?\d+(?:[.,]\d+)?)\s*[,;\s]\s*(-?\d+(?:[.,]\d+)?)\s*$")
_IDENTITY = re.compile(r"^\s*(\d{5})\s*[-/,.\s]\s*(\d{1,4})\s*[-/,.\s]\s*(\d{1,6})\s*$")
_SHEET_PARCEL = re.compile(r"^(?P<place>.*?)\s*(?:to|to ban do)\s*(?P<sheet>\d+)\s*,?\s*thua\s*(?P<parcel>\d+)\s*$")


def _inside(lon: float, lat: float) -> bool:
    minx, miny, maxx, maxy = PROVINCE_BBOX
    return minx <= lon <= maxx and miny <= lat <= maxy


def _coordinate(query: str, srid: int) -> dict | None:
    match = _NUMBERS.match(query)
    if not match:
        return None
    a, b = (float(v.replace(",", ".")) for v in match.groups())
    if max(abs(a), abs(b)) > 1000:  # metres: VN-2000 (TM-3 of the province by default)
        easting, northing = (a, b) if a < b else (b, a)
        lon, lat = Transformer.from_crs(srid, 4326, always_xy=True).transform(easting, northing)
        label = f"VN-2000 EPSG:{srid} X={easting:.1f} Y={northing:.1f}"
    else:
        lon, lat = (a, b) if abs(a) > abs(b) else (b, a)  # here longitudes (~106) exceed latitudes (~12)
        label = f"{lat:.6f}, {lon:.6f}"
    if not _inside(lon, lat):
        return {"kind": "coordinate", "label": label, "detail": "ngoài tỉnh (outside the province)", "lon": lon,
                "lat": lat, "outside": True}
    return {"kind": "coordinate", "label": label, "detail": "WGS84", "lon": lon, "lat": lat}


def _parcel_result(parcel) -> dict:
    centre = parcel.geom.point_on_surface
    return {"kind": "parcel", "label": f"Thửa {parcel.parcel_no}, tờ {parcel.map_sheet_no}, {parcel.commune.name}",
            "detail": f"{parcel.land_use_id} · {parcel.area_m2:,.0f} m²", "lon": centre.x, "lat": centre.y,
            "bbox": list(parcel.geom.extent), "parcel_id": parcel.pk}


def _parcels(query: str) -> list[dict] | None:
    """Parcel identity as '25237 3 57' (commune code, sheet, parcel) or 'Tân Phú tờ 3 thửa 57'."""
    match = _IDENTITY.match(query)
    if match:
        parcel = parcel_by_identity(commune_code=match[1], map_sheet_no=int(match[2]), parcel_no=int(match[3]))
        return [_parcel_result(parcel)] if parcel else []
    match = _SHEET_PARCEL.match(fold(query))
    if not match:
        return None
    communes = units_named(match["place"], level="commune", limit=3) if match["place"] else []
    found = [parcel_by_identity(commune_code=c["code"], map_sheet_no=int(match["sheet"]), parcel_no=int(match["parcel"]))
             for c in communes]
    return [_parcel_result(p) for p in found if p]


def search(query: str, *, srid: int = BINH_PHUOC_TM3_SRID, limit: int = 10) -> dict:
    """Results for the search box, best first; when nothing matches, close names as suggestions."""
    query = query.strip()[:200]
    if not query:
        return {"query": query, "results": [], "suggestions": []}
    coordinate = _coordinate(query, srid)
    if coordinate:
        return {"query": query, "results": [coordinate], "suggestions": []}
    parcels = _parcels(query)
    if parcels is not None:
        return {"query": query, "results": parcels, "suggestions": []}
    results = (units_named(query, limit=limit) + roads_named(query, limit=limit) + pois_named(query, limit=limit))[:limit]
    suggestions = []
    if not results:
        suggestions = [r["label"] for r in units_named(query, limit=5, loose=True) + roads_named(query, limit=3, loose=True)
                       + pois_named(query, limit=3, loose=True)][:5]
    return {"query": query, "results": results, "suggestions": suggestions}
