"""The map and the OGC API pages in Debian's Chromium (Playwright), with every request that would
leave this machine blocked and failing the test."""
import os
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.contrib.gis.db.models.functions import PointOnSurface
from playwright.sync_api import sync_playwright

from land.models import Parcel

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def wait_until(page, expression: str, timeout_s: float = 30) -> None:
    """Poll a JavaScript expression until it is true. page.evaluate goes through the DevTools
    protocol; Playwright's wait_for_function would eval() inside the page, which our CSP forbids."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        page.wait_for_timeout(100)


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium missing: make test installs Debian's chromium package")
    # Playwright's sync API runs an event loop in this thread; Django's test-database fixtures
    # then refuse to run unless told the thread is safe (it is: nothing here is async).
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield browser
        browser.close()
    del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="vi-VN")
    page = context.new_page()
    page.outside_requests = []
    page.errors = []

    def guard(route):
        host = urlparse(route.request.url).hostname
        if route.request.url.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            page.outside_requests.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    # A script or style our Content Security Policy blocks is a bug of the page.
    page.on("console", lambda message: page.errors.append(message.text)
            if "Content Security Policy" in message.text else None)
    yield page
    context.close()


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

    # Switch the other overlays off, centre on a parcel of Đồng Xoài and switch parcels on: they
    # come as vector tiles from /tiles/; clicking the parcel opens its panel.
    for title in ("Đường giao thông", "Trường học", "Cơ sở y tế", "Điểm du lịch"):
        control.get_by_text(title).click()
    parcel = Parcel.objects.filter(commune__name="Phường Tân Phú").annotate(centre=PointOnSurface("geom")).first()
    map_var = page.evaluate("Object.keys(window).find(k => k.startsWith('map_'))")
    with page.expect_response(lambda r: "/tiles/parcels/18/" in r.url and r.status == 200):
        page.evaluate(f"window['{map_var}'].setView([{parcel.centre.y}, {parcel.centre.x}], 18)")
        control.get_by_text("Thửa đất").click()
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
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN", is_mobile=True, has_touch=True)
    page = context.new_page()
    outside = []
    page.route("**/*", lambda route: route.continue_() if urlparse(route.request.url).hostname in ("127.0.0.1",)
               or route.request.url.startswith("data:") else (outside.append(route.request.url), route.abort()))
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
