from layers.formats import whole_number_vi
from layers.search import FACILITY_MATCH, entry_name, scored_matches

from .models import School

STUDENTS = {"vi": "{} học sinh", "en": "{} students"}


def schools_named(query: str, *, limit: int = 5, loose: bool = False, language: str = "vi") -> list[dict]:
    """Schools whose name answers `query` (diacritics, case, typos, abbreviations such as THCS or
    "cấp 1" tolerated; the commune or district may follow: "trường tiểu học Đồng Phú"): name, level,
    address, the point (EPSG:4326) and the match score."""
    schools = School.objects.select_related("level")
    return [{"kind": "school", "label": s.name,
             "detail": " · ".join(part for part in (entry_name(s.level, language), s.address,
                                                    STUDENTS[language].format(whole_number_vi(s.students))
                                                    if s.students else "") if part),
             "lon": s.geom.x, "lat": s.geom.y, "bbox": [s.geom.x, s.geom.y, s.geom.x, s.geom.y], "score": s.match_score}
            for s in scored_matches(schools, query, name=lambda s: s.name, within=lambda s: s.address,
                                    limit=limit, loose=loose, match=FACILITY_MATCH)]
