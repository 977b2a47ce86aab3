"""One search box for citizens: place, road, sight, school and clinic names (with or without
diacritics, any case, any word order, typos tolerated), parcel identity (commune + map sheet +
parcel, in any order), addresses ("Khu phố 3, Phường Tân Phú"), and coordinates as written on a
land-use certificate (VN-2000, X the northing) or in degrees (WGS84)."""
from __future__ import annotations

import re
import unicodedata

from education.selectors import schools_named
from health.selectors import clinics_named
from land.selectors import hamlet_parcels, parcel_by_identity, parcels_by_identity
from layers.formats import number_vi, whole_number_vi
from layers.geometry import BINH_PHUOC_TM3_SRID
from layers.search import band, entry_name
from places.selectors import commune_codes, units_named
from tourism.selectors import pois_named
from transport.selectors import roads_named

from .coordinates import coordinate_result, read_coordinate
from layers.text import fold
from .texts import TEXTS

MAX_QUERY = 200  # characters looked at; the rest of a pasted text is ignored

_IDENTITY = re.compile(r"^\s*(\d{5})\s*[-/,.\s]\s*(\d{1,4})\s*[-/,.\s]\s*(\d{1,6})\s*$")
# On folded text without punctuation: "tờ (bản đồ) (số) 3", "thửa (đất) (số) 57", "khu phố 3", "ấp 2".
_SHEET = re.compile(r"\b(?:to ban do|to bd|tbd|to)\s*(?:so\s*)?(\d{1,4})\b")
_PARCEL = re.compile(r"\b(?:thua dat|thua)\s*(?:so\s*)?(\d{1,6})\b")
_HAMLET = re.compile(r"\b(khu pho|kp|to dan pho|tdp|thon|ap)\s*(?:so\s*)?(\d{1,3})\b")
_HAMLET_NAMES = {"khu pho": "Khu phố", "kp": "Khu phố", "to dan pho": "Tổ dân phố", "tdp": "Tổ dân phố",
                 "thon": "Thôn", "ap": "Ấp", "to": "Tổ"}
_ADDRESS_HAMLET = re.compile(r"\b(khu pho|to dan pho|thon|ap|to)\s+0*(\d+)\b")
_COMMUNES_PER_QUERY = 3


def _clean(query: str) -> str:
    """The query as text: composed, control and format characters (NUL, bidi marks ...) dropped,
    at most MAX_QUERY characters."""
    text = unicodedata.normalize("NFC", query[: MAX_QUERY * 4])
    text = "".join(" " if unicodedata.category(c)[0] in "CZ" else c for c in text)
    return " ".join(text.split())[:MAX_QUERY]


def _plain(query: str) -> str:
    """Folded, punctuation as spaces: 'Khu phố 3, P. Tân Phú' -> 'khu pho 3 p tan phu'."""
    return " ".join(re.sub(r"[^\w]+|_+", " ", fold(query)).split())


def _parcel_result(parcel, language: str) -> dict:
    centre = parcel.geom.point_on_surface
    district = parcel.commune.parent.name if parcel.commune.parent else ""
    detail = " · ".join(part for part in (f"{entry_name(parcel.land_use, language)} ({parcel.land_use_id})",
                                          f"{number_vi(parcel.area_m2, digits=1)} m²", district) if part)
    label = TEXTS[language]["parcel"].format(parcel_no=parcel.parcel_no, map_sheet_no=parcel.map_sheet_no,
                                             commune=parcel.commune.name)
    return {"kind": "parcel", "label": label,
            "detail": detail, "lon": centre.x, "lat": centre.y, "bbox": list(parcel.geom.extent),
            "parcel_id": parcel.pk, "address": parcel.address}


def _communes(place: str, language: str) -> list[dict] | None:
    """Communes the place words name, best first and only those matching as well as the best ("Tân
    Phú" is both a ward and a town, but not "Tân Phước"), or None when there are no place words."""
    if not place.strip():
        return None
    communes = units_named(place, level="commune", limit=_COMMUNES_PER_QUERY, language=language)
    if not communes:
        return []
    best = communes[0]["score"]
    if band(best) >= 2:  # the name itself, or whole words of it: every commune so named
        return [c for c in communes if band(c["score"]) == band(best)]
    return [c for c in communes if c["score"] >= best - 0.005]


def _parcels(query: str, language: str) -> tuple[list[dict], list[dict]] | None:
    """Parcels for a parcel identity: '25237 3 57' (commune code, sheet, parcel) or the words
    'tờ 3', 'thửa 57' and a commune name in any order ('Tân Phú thửa 57 tờ 3'); with the communes
    the place words named. None when the query is no parcel identity."""
    match = _IDENTITY.match(query)
    if match:
        parcel = parcel_by_identity(commune_code=match[1], map_sheet_no=int(match[2]), parcel_no=int(match[3]))
        return ([_parcel_result(parcel, language)] if parcel else []), []
    text = _plain(query)
    sheet, parcel_no = _SHEET.search(text), _PARCEL.search(text)
    if not (sheet and parcel_no):
        return None
    place = _PARCEL.sub(" ", _SHEET.sub(" ", text))
    communes = _communes(place, language)
    codes = [c["code"] for c in communes] if communes is not None else commune_codes()
    found = parcels_by_identity(commune_codes=codes, map_sheet_no=int(sheet[1]), parcel_no=int(parcel_no[1]))
    rank = {code: i for i, code in enumerate(codes)}
    return [_parcel_result(p, language) for p in sorted(found, key=lambda p: rank[p.commune_id])], communes or []


def _hamlet_result(commune: dict, summary: dict, number: int, language: str) -> dict:
    found = _ADDRESS_HAMLET.search(fold(summary["address"]))
    kind = _HAMLET_NAMES[found[1]] if found else "Khu phố"
    minx, miny, maxx, maxy = summary["extent"]
    parts = (TEXTS[language]["parcels"].format(count=whole_number_vi(summary["count"])), f"{number_vi(summary['area_m2'] or 0, digits=1)} m²",
             commune["parent"])
    return {"kind": "hamlet", "label": f"{kind} {number}, {commune['label']}", "detail": " · ".join(p for p in parts if p),
            "lon": (minx + maxx) / 2, "lat": (miny + maxy) / 2, "bbox": [minx, miny, maxx, maxy],
            "commune_code": commune["code"], "parcels": summary["count"]}


def _hamlets(query: str, language: str) -> tuple[list[dict], list[dict]] | None:
    """The parcels of a hamlet or neighbourhood named as in an address ('Khu phố 3, Phường Tân
    Phú', 'ap 2 tan lap'), one result per commune it may be in; with the communes the place words
    named. None when the query names no hamlet and a place."""
    text = _plain(query)
    match = _HAMLET.search(text)
    if not match:
        return None
    communes = _communes(text[:match.start()] + " " + text[match.end():], language)
    if not communes:
        return None
    number = int(match[2])
    results = []
    for commune in communes:
        summary = hamlet_parcels(commune_code=commune["code"], hamlet_no=number)
        if summary:
            results.append(_hamlet_result(commune, summary, number, language))
    return results, communes


def _named(query: str, *, limit: int, loose: bool = False, language: str = "vi") -> list[dict]:
    """Places, roads, sights, schools and clinics answering the query, the best kind of match first
    (see layers.search.band); within a kind of match places before roads before sights before
    schools before clinics, each best score first."""
    found = [result for named in (units_named, roads_named, pois_named, schools_named, clinics_named)
             for result in named(query, limit=limit, loose=loose, language=language)]
    return sorted(found, key=lambda r: -band(r["score"]))[:limit]


def search(query: str, *, srid: int = BINH_PHUOC_TM3_SRID, limit: int = 10, language: str = "vi") -> dict:
    """Results for the search box, best first; when nothing matches, close names as suggestions.
    Results carry a point (lon, lat) and a bbox in EPSG:4326 degrees."""
    query = _clean(query)
    answer = {"query": query, "results": [], "suggestions": []}
    if not _plain(query):
        return answer
    typed = read_coordinate(query)
    if typed:
        result = coordinate_result(typed, srid=srid, language=language)
        if result is None:
            answer["message"] = TEXTS[language]["bad_coordinate"]
        answer["results"] = [result] if result else []
        return answer
    for reader, not_found in ((_parcels, "no_parcel"), (_hamlets, "no_address")):
        read = reader(query, language)
        if read is not None:
            results, communes = read
            if not results and communes:  # the place exists but not that parcel or hamlet there
                answer["message"] = TEXTS[language][not_found]
                results = communes
            answer["results"] = results[:limit]
            break
    else:
        answer["results"] = _named(query, limit=limit, language=language)
    if not answer["results"]:
        answer["suggestions"] = list(dict.fromkeys(r["label"] for r in _named(query, limit=8, loose=True, language=language)))[:5]
    return answer
