"""Coordinates typed in the search box: as written on a land-use certificate ("X: 1275860 Y: 569030",
"X=1275860, Y=569030", "1275860 569030": VN-2000 metres, where X is the NORTHING and Y the easting),
or latitude and longitude in decimal degrees or degrees-minutes-seconds (WGS84)."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from pyproj import CRS, Transformer

from layers.formats import number_vi
from layers.geometry import PROVINCE_BBOX

from layers.text import fold
from .texts import TEXTS

# Labels people write around the numbers (folded): X/Y, lat/lon, vĩ độ/kinh độ, hemisphere letters
# (N/E, and the Vietnamese B(ắc)/Đ(ông)), metres. They never change which number is which: the
# magnitudes do (see read_coordinate).
_LABELS = re.compile(r"\b(?:x|y|lat|lon|lng|long|latitude|longitude|vi do|kinh do|toa do|n|e|s|w|b|d|m)\b|[:=()\[\]]")
_NUMBER = r"-?\d{1,3}(?:\.\d{3}){2,}(?:,\d+)?|-?\d+(?:[.,]\d+)?"  # 1.275.860,5 or 1275860.5 or 1275860,5
_PAIR = re.compile(rf"^\s*({_NUMBER})\s*(?:[;\s]|,)\s*({_NUMBER})\s*$")
_DMS = re.compile(r"(\d+(?:[.,]\d+)?)\s*[°º]\s*(?:(\d+(?:[.,]\d+)?)\s*['′’]\s*)?(?:(\d+(?:[.,]\d+)?)\s*(?:\"|″|”|''|′′)\s*)?")


@dataclass(frozen=True)
class TypedCoordinate:
    first: float
    second: float
    degrees: bool


def _number(text: str, *, thousands_dots: bool = False) -> float:
    if thousands_dots and re.fullmatch(r"-?\d{1,3}(?:\.\d{3})+(?:,\d+)?", text):  # Vietnamese: 1.275.860,5
        return float(text.replace(".", "").replace(",", "."))
    return float(text.replace(",", "."))


def read_coordinate(query: str) -> TypedCoordinate | None:
    """Two numbers with nothing else but labels and separators, or two degrees-minutes-seconds."""
    text = fold(query)
    if "°" in text or "º" in text:
        parts = list(_DMS.finditer(text))
        rest = _LABELS.sub(" ", _DMS.sub(" ", text))
        if len(parts) != 2 or re.sub(r"[\s,;]", "", rest):
            return None
        values = [_number(d) + _number(m or "0") / 60 + _number(s or "0") / 3600 for d, m, s in (p.groups() for p in parts)]
        return TypedCoordinate(values[0], values[1], degrees=True)
    match = _PAIR.match(_LABELS.sub(" ", text))
    if not match:
        return None
    # "1.275.860 569.030": once one number is written with thousands dots, both are
    thousands_dots = any(re.fullmatch(r"-?\d{1,3}(?:\.\d{3}){2,}(?:,\d+)?", v) for v in match.groups())
    first, second = (_number(v, thousands_dots=thousands_dots) for v in match.groups())
    degrees = max(abs(first), abs(second)) <= 1000
    if degrees and not re.search(r"[.,]\d", match[1] + " " + match[2]):
        return None  # "3 57" is more likely a map sheet and a parcel than a point in the Arabian Sea
    return TypedCoordinate(first, second, degrees=degrees)


@lru_cache(maxsize=32)
def _to_lonlat(srid: int) -> Transformer:
    return Transformer.from_crs(srid, 4326, always_xy=True)


@lru_cache(maxsize=64)
def crs_name(srid: int, language: str = "vi") -> str:
    """How a Vietnamese surveyor names a VN-2000 system: "VN-2000 TM-3 kinh tuyến trục 106°15′ (EPSG:9212)"."""
    crs = CRS.from_epsg(srid)
    meridian = next((p.value for p in (crs.coordinate_operation.params if crs.coordinate_operation else [])
                     if p.name == "Longitude of natural origin"), None)
    if meridian is None:
        return f"{crs.name} (EPSG:{srid})"
    degrees, minutes = int(meridian), round((meridian - int(meridian)) * 60)
    if "UTM" in crs.name:
        return TEXTS[language]["utm"].format(zone=crs.name.rsplit(" ", 1)[-1], meridian=f"{degrees}°", srid=srid)
    return TEXTS[language]["tm3"].format(meridian=f"{degrees}°{minutes:02d}′", srid=srid)


def _inside(lon: float, lat: float) -> bool:
    minx, miny, maxx, maxy = PROVINCE_BBOX
    return minx <= lon <= maxx and miny <= lat <= maxy


def coordinate_result(typed: TypedCoordinate, *, srid: int, language: str = "vi") -> dict | None:
    """The search result for a typed coordinate, or None when it is no place on Earth. Metres are
    VN-2000 in `srid` (an EPSG code, TM-3 or UTM): the larger number is the northing, which
    Vietnamese practice calls X, the smaller the easting, Y. Degrees are WGS84 latitude and
    longitude, the larger being the longitude (true in Việt Nam). lon/lat are EPSG:4326 degrees."""
    if typed.degrees:
        lat, lon = sorted((typed.first, typed.second), key=abs)
        if abs(lat) > 90 or abs(lon) > 180:
            return None
        label = TEXTS[language]["latlon"].format(lat=number_vi(lat, digits=6), lon=number_vi(lon, digits=6))
        system, extra = "WGS84", {}
    else:
        if CRS.from_epsg(srid).is_geographic:
            return None
        easting, northing = sorted((typed.first, typed.second))
        lon, lat = _to_lonlat(srid).transform(easting, northing)
        label = f"X: {number_vi(northing, digits=3)} m · Y: {number_vi(easting, digits=3)} m"
        system = crs_name(srid, language)
        extra = {"x": northing, "y": easting, "crs": f"EPSG:{srid}"}
    if not (math.isfinite(lon) and math.isfinite(lat)) or abs(lat) > 90 or abs(lon) > 180:
        return None
    result = {"kind": "coordinate", "label": label, "detail": system, "lon": lon, "lat": lat, **extra}
    if not _inside(lon, lat):
        result.update(detail=f"{TEXTS[language]['outside']} · {system}", outside=True)
    return result
