"""The parcel panel writes numbers and dates the Vietnamese way in both languages, as the PDF report
does (issue 9: the report wrote 367.3 m² and ISO dates unlike the panel; the English panel 1,234.5)."""
import pytest

from land.models import Parcel
from layers.formats import date_vi, number_vi
from planning.models import ZoningZone
from tests.browser import new_page, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_panel_writes_vietnamese_numbers_and_dates(chromium, platform_url, lang):
    parcel, zone = next((p, z) for p in Parcel.objects.filter(area_m2__gte=1000).order_by("id")[:200]
                        for z in ZoningZone.objects.filter(geom__intersects=p.geom)[:1])
    page = new_page(chromium, "desktop")
    page.goto(f"{platform_url}/?lang={lang}&p={parcel.pk}", wait_until="networkidle")
    page.locator("#parcel-panel h2").wait_for()
    wait_until(page, "document.querySelector('#parcel-panel table') !== null")
    text = page.locator("#parcel-panel").inner_text()
    assert f"{number_vi(parcel.area_m2)} m²" in text  # e.g. 2.056,9 m², in English too
    assert date_vi(zone.decision_date) in text and zone.decision_date.isoformat() not in text
    assert f"{parcel.area_m2:,.1f}" not in text  # never 2,056.9
    report = page.locator("#parcel-panel a.report").get_attribute("href")
    assert report.endswith(f"report.pdf?lang={lang}")
    assert page.errors == [] and page.outside_requests == []
