from layers.formats import whole_number_vi
from layers.search import FACILITY_MATCH, entry_name, scored_matches

from .models import Clinic

BEDS = {"vi": "{} giường", "en": "{} beds"}


def clinics_named(query: str, *, limit: int = 5, loose: bool = False, language: str = "vi") -> list[dict]:
    """Health facilities whose name answers `query` (diacritics, case, typos, abbreviations such as
    TYT or BVĐK tolerated; the commune or district may follow: "trạm y tế Tân Phú"): name, type,
    beds, address, the point (EPSG:4326) and the match score."""
    clinics = Clinic.objects.select_related("clinic_type")
    return [{"kind": "clinic", "label": c.name,
             "detail": " · ".join(part for part in (entry_name(c.clinic_type, language),
                                                    BEDS[language].format(whole_number_vi(c.beds)), c.address) if part),
             "lon": c.geom.x, "lat": c.geom.y, "bbox": [c.geom.x, c.geom.y, c.geom.x, c.geom.y], "score": c.match_score}
            for c in scored_matches(clinics, query, name=lambda c: c.name, within=lambda c: c.address,
                                    limit=limit, loose=loose, match=FACILITY_MATCH)]


def clinics_near(*, lon: float, lat: float, limit: int = 10) -> list[dict]:
    """The `limit` health facilities nearest to the point (lon/lat, EPSG:4326) in a straight line:
    id, name, type code and names (vi/en), beds, address, district code, lon/lat and `straight_m`,
    the geodesic distance in metres; nearest first. One query."""
    from django.contrib.gis.db.models.functions import Distance
    from django.contrib.gis.geos import Point

    here = Point(lon, lat, srid=4326)
    clinics = (Clinic.objects.select_related("clinic_type").annotate(straight=Distance("geom", here))
               .order_by("straight", "id")[:limit])
    return [{"id": c.pk, "name": c.name, "clinic_type": c.clinic_type_id, "clinic_type_vi": c.clinic_type.name_vi,
             "clinic_type_en": c.clinic_type.name_en, "beds": c.beds, "address": c.address,
             "district_code": c.district_id, "lon": c.geom.x, "lat": c.geom.y, "straight_m": c.straight.m}
            for c in clinics]
