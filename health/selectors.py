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
