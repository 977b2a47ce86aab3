"""The map and the OGC API pages in Debian's Chromium (Playwright), with every request that would
leave this machine blocked and failing the test."""
from pathlib import Path

import pytest
from django.contrib.gis.db.models.functions import PointOnSurface

from land.models import Parcel
from tests.browser import new_page, wait_until

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
pytestmark = [pytest.mark.browser, pytest.mark.django_db]


@pytest.fixture
def browser(chromium):
    """The session's Chromium (tests/conftest.py): one Playwright per test session."""
    return chromium


@pytest.fixture
def page(chromium):
    page = new_page(chromium, "desktop")
    yield page
    page.context.close()


def test_map_shows_the_province_and_loads_parcels_when_zoomed_in(page, platform_url):
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(f"{platform_url}/", wait_until="networkidle")
    control = page.locator(".leaflet-control-layers")
    for title in ("Thửa đất", "Quy hoạch sử dụng đất", "Trường học", "Cơ sở y tế", "Điểm du lịch"):
        assert control.get_by_text(title).count() == 1, title
    assert control.get_by_text("Van nước").count() == 0
    # Schools, clinics and POIs are drawn at province zoom (circle markers from the OGC API).
    wait_until(page, "document.querySelectorAll('path.leaflet-interactive').length > 600")
    page.screenshot(path=str(ARTIFACTS / "map-province.png"))

    # Switch the other overlays off and centre on a parcel of Đồng Xoài: parcels are on from the
    # start (issue 9) and come as vector tiles from /tiles/; clicking the parcel opens its panel.
    for title in ("Đường giao thông", "Trường học", "Cơ sở y tế", "Điểm du lịch"):
        control.get_by_text(title).click()
    assert control.locator("label", has_text="Thửa đất").locator("input").is_checked()
    parcel = Parcel.objects.filter(commune__name="Phường Tân Phú").annotate(centre=PointOnSurface("geom")).first()
    map_var = page.evaluate("document.getElementById('lookup').dataset.map")
    with page.expect_response(lambda r: "/tiles/parcels/18/" in r.url and r.status == 200):
        page.evaluate(f"window['{map_var}'].setView([{parcel.centre.y}, {parcel.centre.x}], 18)")
    page.wait_for_load_state("networkidle")
    box = page.locator(".folium-map").bounding_box()
    point = page.evaluate(f"window['{map_var}'].latLngToContainerPoint([{parcel.centre.y}, {parcel.centre.x}])")
    x, y = box["x"] + point["x"], box["y"] + point["y"]
    # Tiles are parsed and drawn after they arrive: wait until the parcel is drawn under the pointer.
    wait_until(page, f"document.elementFromPoint({x}, {y}).closest('.leaflet-tile') !== null")
    page.mouse.click(x, y)
    panel = page.locator("#parcel-panel h2")
    panel.wait_for()
    text = page.locator("#parcel-panel").inner_text()
    assert f"Thửa {parcel.parcel_no}, tờ {parcel.map_sheet_no}" in text
    assert f"{parcel.land_use_id} – {parcel.land_use.name_vi}" in text
    assert f"p={parcel.pk}" in page.url  # the permalink names the parcel
    page.screenshot(path=str(ARTIFACTS / "map-parcel-panel.png"))
    assert page.outside_requests == []
    assert page.errors == []


def test_a_citizen_searches_a_parcel_on_a_phone_and_shares_the_link(browser, platform_url):
    page = new_page(browser, "phone")
    context = page.context
    outside = page.outside_requests
    parcel = Parcel.objects.select_related("commune", "land_use").order_by("id")[25]
    short = parcel.commune.name.split(" ", 1)[1]
    page.goto(f"{platform_url}/", wait_until="networkidle")
    page.fill("#search-input", f"{short} to {parcel.map_sheet_no} thua {parcel.parcel_no}")  # no diacritics
    page.keyboard.press("Enter")
    page.locator("#parcel-panel h2").wait_for()
    text = page.locator("#parcel-panel").inner_text()
    assert f"Thửa {parcel.parcel_no}, tờ {parcel.map_sheet_no}" in text and parcel.land_use.name_vi in text
    assert page.locator("#parcel-panel").bounding_box()["width"] <= 360
    page.screenshot(path=str(ARTIFACTS / "phone-parcel-panel.png"))
    link = page.url
    assert f"p={parcel.pk}" in link
    # The shared link restores the parcel and the view in a new browser.
    other = context.new_page()
    other.goto(link, wait_until="networkidle")
    other.locator("#parcel-panel h2").wait_for()
    assert f"Thửa {parcel.parcel_no}" in other.locator("#parcel-panel").inner_text()
    assert other.evaluate("document.getElementById('search-input').value").endswith(f"thua {parcel.parcel_no}")
    # The same parcel through the commune picker, after closing the panel (the link forgets the parcel).
    other.click("#parcel-panel .close")
    assert f"p={parcel.pk}" not in other.url
    other.click("#parcel-finder summary")
    other.select_option("#parcel-form select[name=commune]", parcel.commune_id)
    other.fill("#parcel-form input[name=sheet]", str(parcel.map_sheet_no))
    other.fill("#parcel-form input[name=parcel]", str(parcel.parcel_no))
    other.click("#parcel-form button")
    other.wait_for_url(f"**p={parcel.pk}**")
    # A misspelt place name still finds it; nothing found says so.
    other.fill("#search-input", "dong xaoi")
    other.locator("#search-results li", has_text="Thành phố Đồng Xoài").wait_for()
    other.fill("#search-input", "qqqqzzzz")
    other.locator("#search-results li.none").wait_for()
    assert outside == []
    context.close()


def test_ogcapi_html_pages_work_offline(page, platform_url):
    page.goto(f"{platform_url}/ogcapi/", wait_until="networkidle")
    assert "Bình Phước" in page.title() + page.content()
    page.goto(f"{platform_url}/ogcapi/openapi?f=html", wait_until="networkidle")
    page.locator(".swagger-ui .info").wait_for()  # Swagger UI rendered the OpenAPI document
    page.goto(f"{platform_url}/ogcapi/collections/schools/items?f=html&limit=20", wait_until="networkidle")
    assert page.locator("#items-map .leaflet-interactive, #items-map .leaflet-marker-icon").count() > 0
    assert page.outside_requests == []
    assert page.errors == []
