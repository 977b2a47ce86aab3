"""The parcel's PDF report read back as text, as a citizen reads it: numbers and dates the Vietnamese
way in the Vietnamese and the English report alike (as the map's panel writes them), and a colour
legend under each map naming the codes drawn there."""
import re

import pytest
from django.db.models import Exists, OuterRef
from django.utils import timezone

from land.models import LandUseCode, Parcel
from land.selectors import parcels_near
from layers.formats import date_vi, datetime_vi, number_vi
from planning.models import ZoningZone
from planning.report import TEXTS
from planning.selectors import zones_over

from .pdftext import fill_colours, page_texts

pytestmark = pytest.mark.django_db

# What the report wrote before (367.3 m², 2 056.9 m², 82.5%, 1,234) and ISO dates: none may appear.
ENGLISH_NUMBER = re.compile(r"\d,\d{3}(?!\d)|\d\.\d{1,2}(?!\d)|\d\.\d{4,}|\d \d{3}(?:[.,]\d|\b)")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
THOUSANDS_VI = re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d)? m²")
LANGUAGES = [("vi", {}), ("en", {"lang": "en"})]


def large_split_parcel() -> Parcel:
    """A parcel of at least 1.000 m² that two or more zones share, one of them over at least 1.000 m²
    of it, so that thousands separators appear in its area and in a zone's share."""
    covered = Exists(ZoningZone.objects.filter(geom__intersects=OuterRef("geom")))
    for parcel in Parcel.objects.filter(covered, area_m2__gte=1000).order_by("id")[:500]:
        zones = zones_over(parcel.geom)
        if len(zones) >= 2 and max(z.share_m2 for z in zones) >= 1000:
            return parcel
    pytest.fail("no parcel of 1.000 m² or more split by zones in the demo province")


def report(client, parcel, params) -> list:
    response = client.get(f"/api/parcels/{parcel.pk}/report.pdf", params)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    return response.content


def legends(texts, titles) -> dict[str, dict[str, str]]:
    """{map title: {code: name}} read from the page: a legend entry is a three-letter code with its name
    beside it on the same line (wrapped names go on below, aligned with the name), under the map whose
    title stands left of it."""
    columns = sorted((t.x, t.text) for t in texts if t.text in titles)
    found = {title: {} for title in titles}
    entry = None
    for i, t in enumerate(texts):
        beside = texts[i + 1] if i + 1 < len(texts) else None
        if re.fullmatch(r"[A-Z]{3}", t.text) and beside and beside.y == t.y and beside.x > t.x:
            title = [text for x, text in columns if x <= t.x][-1]
            entry = [title, t.text, beside]
            found[title][t.text] = beside.text
        elif entry and t is not entry[2] and t.x == entry[2].x and t.y < entry[2].y:
            found[entry[0]][entry[1]] += " " + t.text  # a wrapped name
            entry[2] = t
        elif entry and t is not entry[2]:
            entry = None
    return found


def test_vietnamese_number_and_date_formats():
    # As Chromium writes toLocaleString("vi-VN", {maximumFractionDigits: 1}) in the panel (seen in node 18).
    for number, text in [(2056.94, "2.056,9"), (367.3, "367,3"), (1234567.25, "1.234.567,3"), (12.35, "12,4"),
                         (1234.45, "1.234,5"), (999.96, "1.000"), (28.0, "28"), (-1234.5, "-1.234,5"), (-0.04, "0")]:
        assert number_vi(number) == text
    assert number_vi(5, fixed=True) == "5,0" and number_vi(1234.5, digits=0) == "1.235"
    assert date_vi("2019-06-06") == "06/06/2019"
    assert re.fullmatch(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}", datetime_vi(timezone.now()))


@pytest.mark.parametrize("language,params", LANGUAGES)
def test_report_numbers_and_dates_are_vietnamese(client, language, params):
    parcel = large_split_parcel()
    panel = client.get(f"/api/parcels/{parcel.pk}").json()
    lines = [t.text for t in page_texts(report(client, parcel, params))]
    assert TEXTS[language]["title"] in lines

    area = f"{number_vi(panel['area_m2'])} m²"
    assert area in lines and THOUSANDS_VI.fullmatch(area)
    shares = [f"{number_vi(z['share_m2'])} m² ({number_vi(z['share_pct'])} %)" for z in panel["zones"]]
    assert all(share in lines for share in shares)
    assert any(THOUSANDS_VI.match(share) for share in shares)
    for zone in panel["zones"]:
        assert any(line.endswith(date_vi(zone["decision_date"])) for line in lines), zone["decision_date"]
    if panel["buildable"]["footprint_m2"] is not None:
        assert f"{number_vi(panel['buildable']['footprint_m2'])} m²" in lines
    when = r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}"  # dd/mm/yyyy HH:MM
    stamp = TEXTS[language]["stamp"].format(data="DATA", printed="PRINTED")
    stamp = re.escape(stamp).replace("DATA", f"({when}|—)").replace("PRINTED", when)
    assert any(re.fullmatch(stamp, line) for line in lines)

    english = [line for line in lines if ENGLISH_NUMBER.search(line) or ISO_DATE.search(line)]
    assert english == []


def test_report_language_follows_the_cookie(client):
    parcel = large_split_parcel()
    client.cookies["lang"] = "en"
    assert TEXTS["en"]["title"] in [t.text for t in page_texts(report(client, parcel, {}))]
    assert TEXTS["vi"]["title"] in [t.text for t in page_texts(report(client, parcel, {"lang": "vi"}))]


@pytest.mark.parametrize("language,params", LANGUAGES)
def test_report_legend_names_the_colours_drawn(client, language, params):
    parcel = large_split_parcel()
    panel = client.get(f"/api/parcels/{parcel.pk}").json()
    pdf = report(client, parcel, params)
    texts = page_texts(pdf)
    current, zoning = TEXTS[language]["current_map"], TEXTS[language]["zoning_map"]
    legend = legends(texts, (current, zoning))
    codes = {c.code: c for c in LandUseCode.objects.all()}

    def name(code):
        return codes[code].name_en if language == "en" else codes[code].name_vi

    # Each zone over the parcel: its planned land use in the zoning map's legend, its code on the map.
    for zone in panel["zones"]:
        assert legend[zoning].get(zone["planned_land_use"]["code"]) == name(zone["planned_land_use"]["code"])
    zoning_x = next(t.x for t in texts if t.text == zoning)
    labels = {t.text for t in texts if t.x > zoning_x and t.y < next(t.y for t in texts if t.text == zoning)}
    assert {z["zone_code"] for z in panel["zones"]} <= labels
    # The parcel's own land use in the current map's legend; only codes of parcels around it.
    assert legend[current].get(parcel.land_use_id) == name(parcel.land_use_id)
    assert set(legend[current]) <= {p.land_use_id for p in parcels_near(parcel.geom, margin_deg=0.0015)}
    for entries in legend.values():
        assert all(entries[code] == name(code) for code in entries)
    # The swatches use the code list's colours.
    assert {codes[code].color.lower() for entries in legend.values() for code in entries} <= fill_colours(pdf)


def test_the_report_data_date_is_the_latest_change_of_parcels_or_zoning(client):
    """The stamp's data date comes from the change log (layers.LayerVersion), not from the tile cache:
    an officer's edit of a parcel moves it to the time of that edit."""
    from layers import writes
    from layers.editing import Editor
    from layers.models import Change

    parcel = large_split_parcel()
    with writes.writing(Editor.system("test"), source=writes.ADMIN):
        Parcel.objects.filter(pk=parcel.pk).update(address="Khu phố 9, Phường Tân Phú")
    edited = Change.objects.filter(layer_id="parcels", feature_id=parcel.pk).latest("id").at
    stamp = TEXTS["vi"]["stamp"].format(data=datetime_vi(edited), printed="")
    assert any(line.startswith(stamp) for line in (t.text for t in page_texts(report(client, parcel, {}))))
