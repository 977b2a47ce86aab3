"""Issue 9, citizens on a phone: the province map at `/` as a person uses it, on a 360 px phone and a
1366 px desktop in Debian's Chromium. Each test names the defect it would have caught."""
import json

import pytest
from django.contrib.gis.db.models.functions import PointOnSurface

from land.models import Parcel
from layers import registry
from layers.geometry import PROVINCE_BBOX
from places.models import AdminUnit
from tests.browser import new_page, serious_violations, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

MAP = "window[document.getElementById('lookup').dataset.map]"
PARCEL_ZOOM = registry.get("parcels").min_zoom


def open_map(page, url: str) -> None:
    page.goto("about:blank")  # a new document even when only the hash differs, as for a link opened afresh
    page.goto(url, wait_until="networkidle")
    wait_until(page, "document.getElementById('lookup').dataset.ready === '1'")


def on_map(page, expression: str):
    """Evaluate `expression` with `m` bound to the page's Leaflet map."""
    return page.evaluate(f"(() => {{ const m = {MAP}; return {expression}; }})()")


def screen_point(page, lat: float, lon: float) -> tuple[float, float]:
    """Where (lat, lon) is on the page, in CSS pixels."""
    box = page.locator(".folium-map").bounding_box()
    point = on_map(page, f"m.latLngToContainerPoint([{lat}, {lon}])")
    return box["x"] + point["x"], box["y"] + point["y"]


def disjoint(a: dict, b: dict) -> bool:
    return (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
            or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


def parcels_with_centres():
    return Parcel.objects.select_related("land_use").annotate(centre=PointOnSurface("geom")).order_by("id")


def test_parcels_are_on_and_reachable_on_a_phone_and_a_tap_too_far_out_says_to_zoom_in(chromium, platform_url):
    """The layer list was hidden under 600 px, parcels were off, and a tap below their zoom said nothing."""
    page = new_page(chromium, "phone")
    # A parcel of a few pixels at the parcels' zoom (tiles leave out lots smaller than a pixel).
    pixel = 360 / 2 ** PARCEL_ZOOM / 256  # degrees (EPSG:4326) per pixel at that zoom, at the equator
    parcel = next(p for p in parcels_with_centres() if p.geom.area > 16 * pixel ** 2)
    open_map(page, f"{platform_url}/#12/{parcel.centre.y:.5f}/{parcel.centre.x:.5f}")

    # The layer button opens the layer list; parcels are on, greyed out here with the reason.
    assert not page.locator("#layer-list").is_visible()
    page.click("#layers-button")
    parcels = page.locator("#layer-list label", has_text="Thửa đất")
    assert parcels.is_visible() and parcels.locator("input").is_checked()
    assert parcels.locator("input").is_disabled()
    assert parcels.locator(".zoom-hint").inner_text().strip() == f"(hiện từ mức thu phóng {PARCEL_ZOOM})"
    page.keyboard.press("Escape")
    assert not page.locator("#layer-list").is_visible()
    assert page.get_attribute("#layers-button", "aria-expanded") == "false"

    # Switch the point and road layers off, so the tap lands on the ground, not on a marker or a road.
    page.click("#layers-button")
    for title in ("Đường giao thông", "Trường học", "Cơ sở y tế", "Điểm du lịch"):
        page.locator("#layer-list label", has_text=title).locator("input").uncheck()
    page.click("#layers-button")

    # A tap at zoom 12 says why nothing opens and offers to zoom in right there.
    x, y = screen_point(page, parcel.centre.y, parcel.centre.x)
    page.mouse.click(x, y)
    message = page.locator("#map-message")
    assert f"Thửa đất hiện từ mức thu phóng {PARCEL_ZOOM}" in message.inner_text()
    assert page.locator("#parcel-panel").is_hidden()
    with page.expect_response(lambda r: f"/tiles/parcels/{PARCEL_ZOOM}/" in r.url and r.status == 200):
        message.get_by_role("button", name="Phóng to tại đây").click()
    assert on_map(page, "m.getZoom()") == PARCEL_ZOOM
    assert message.inner_text() == ""

    # Parcels are drawn at the commune zoom; a tap on one opens its panel.
    x, y = screen_point(page, parcel.centre.y, parcel.centre.x)
    wait_until(page, f"document.elementFromPoint({x}, {y}).closest('.leaflet-tile') !== null")
    page.mouse.click(x, y)
    page.locator("#parcel-panel h2").wait_for()
    assert f"Thửa {parcel.parcel_no}, tờ {parcel.map_sheet_no}" in page.locator("#parcel-panel").inner_text()
    assert page.outside_requests == [] and page.errors == []
    page.context.close()


@pytest.mark.parametrize("screen", ["phone", "desktop"])
def test_a_shared_link_restores_its_view_with_the_parcel_in_sight_beside_the_panel(chromium, platform_url, screen):
    """A link opened on a phone left the map at province zoom (the initial fit animation swallowed the
    link's view); the parcel sat under the bottom sheet, the legend box covered the panel."""
    page = new_page(chromium, screen)
    parcel = parcels_with_centres()[40]
    # A link made on another screen: its view is centred on the parcel, which a phone's panel would cover.
    open_map(page, f"{platform_url}/#17/{parcel.centre.y:.5f}/{parcel.centre.x:.5f}&p={parcel.pk}")
    page.locator("#parcel-panel h2").wait_for()
    assert on_map(page, "m.getZoom()") == 17
    panel = page.locator("#parcel-panel").bounding_box()
    search = page.locator("#lookup").bounding_box()
    x, y = screen_point(page, parcel.centre.y, parcel.centre.x)
    if screen == "phone":
        assert panel["width"] >= 350  # the panel is a bottom sheet
        assert search["y"] + search["height"] < y < panel["y"], (y, panel)
    else:
        assert x < panel["x"], (x, panel)
    legend = page.locator("#legend")
    assert not legend.is_visible() or disjoint(legend.bounding_box(), panel)
    assert f"p={parcel.pk}" in page.url

    # A link with only the parcel (as the report and other pages write it): the map fits the parcel.
    open_map(page, f"{platform_url}/?p={parcel.pk}")
    page.locator("#parcel-panel h2").wait_for()
    assert on_map(page, "m.getZoom()") >= PARCEL_ZOOM
    x, y = screen_point(page, parcel.centre.y, parcel.centre.x)
    panel = page.locator("#parcel-panel").bounding_box()
    assert (y < panel["y"]) if screen == "phone" else (x < panel["x"])
    page.click("#parcel-panel .close")
    assert "p=" not in page.url  # closing the panel forgets the parcel, also the one in ?p=
    assert page.outside_requests == [] and page.errors == []
    page.context.close()


def test_zoom_out_to_the_province_is_always_possible_and_goes_no_further(chromium, platform_url):
    """Zoning on locked the minimum zoom at 12 (Leaflet took it from the layer); with it off one could
    zoom out to the whole world. Greyed-out layers did not say why."""
    page = new_page(chromium, "desktop")
    parcel = parcels_with_centres().first()
    open_map(page, f"{platform_url}/#16/{parcel.centre.y:.5f}/{parcel.centre.x:.5f}")
    zoning = page.locator(".leaflet-control-layers label", has_text="Quy hoạch sử dụng đất")
    zoning.locator("input").check()
    assert not zoning.locator(".zoom-hint").is_visible()
    zoom_out = page.locator(".leaflet-control-zoom-out")
    for _ in range(20):
        if "leaflet-disabled" in (zoom_out.get_attribute("class") or ""):
            break
        before = on_map(page, "m.getZoom()")
        zoom_out.click()
        wait_until(page, f"{MAP}.getZoom() < {before} && !{MAP}._animatingZoom")
    minx, miny, maxx, maxy = PROVINCE_BBOX
    # The whole province is in view at the furthest zoom, and that zoom is at most one step beyond it.
    assert on_map(page, f"m.getBounds().contains([[{miny}, {minx}], [{maxy}, {maxx}]])")
    assert on_map(page, f"m.getZoom() >= m.getBoundsZoom([[{miny}, {minx}], [{maxy}, {maxx}]]) - 1")
    assert on_map(page, "m.getZoom()") >= 7
    # The layers too fine for this zoom are greyed out and say from which zoom they are shown.
    assert zoning.locator("input").is_disabled()
    assert zoning.locator(".zoom-hint").is_visible()
    assert zoning.locator(".zoom-hint").inner_text().strip() == "(hiện từ mức thu phóng 12)"
    # Dragging far away stops near the province.
    box = page.locator(".folium-map").bounding_box()
    for _ in range(4):
        page.mouse.move(box["x"] + 300, box["y"] + 300)
        page.mouse.down()
        page.mouse.move(box["x"] + 1200, box["y"] + 650, steps=8)
        page.mouse.up()
        page.wait_for_timeout(400)
    page.wait_for_load_state("networkidle")
    wait_until(page, f"!{MAP}._panAnim || !{MAP}._panAnim._inProgress")
    dx, dy = maxx - minx, maxy - miny
    centre = on_map(page, "m.getCenter()")
    assert minx - dx <= centre["lng"] <= maxx + dx and miny - dy <= centre["lat"] <= maxy + dy, centre
    assert page.errors == []
    page.context.close()


def test_parcels_are_filled_and_zoning_outlined_and_the_legend_explains_both(chromium, platform_url):
    """Parcels and zoning used the same fills on top of each other."""
    page = new_page(chromium, "desktop")
    zoned = parcels_with_centres().filter(commune__name="Phường Tân Phú").first()
    open_map(page, f"{platform_url}/#17/{zoned.centre.y:.5f}/{zoned.centre.x:.5f}")
    with page.expect_response(lambda r: "/tiles/zoning/17/" in r.url and r.status == 200):
        page.locator(".leaflet-control-layers label", has_text="Quy hoạch sử dụng đất").locator("input").check()
    page.wait_for_load_state("networkidle")
    # Tiles are drawn after they arrive: wait for both layers' shapes (SVG paths in the tile panes).
    shapes = """[...document.querySelectorAll('.leaflet-tile-pane .leaflet-layer')].map(layer => ({
        z: +layer.style.zIndex,
        paths: [...layer.querySelectorAll('path')].map(p => [p.getAttribute('fill'), p.getAttribute('stroke-dasharray')]),
    }))"""
    wait_until(page, f"{shapes}.filter(l => l.paths.length).length === 2")
    parcels, zoning = sorted(page.evaluate(shapes), key=lambda layer: layer["z"])
    assert all(fill not in (None, "none") and not dash for fill, dash in parcels["paths"])
    assert all(fill == "none" and dash for fill, dash in zoning["paths"])  # dashed outlines, above the fills
    page.click("#legend summary")
    legend = page.locator("#legend")
    assert "Thửa đất: tô màu theo loại đất hiện trạng" in legend.inner_text()
    assert "Quy hoạch: viền đậm theo loại đất quy hoạch" in legend.inner_text()
    row = legend.locator("li", has_text="ODT")
    fill = row.locator(".swatch").first.evaluate("e => getComputedStyle(e).backgroundColor")
    outline = row.locator(".swatch.outline").evaluate("e => getComputedStyle(e).borderTopStyle + ' ' + getComputedStyle(e).borderTopColor")
    assert fill == "rgb(255, 160, 255)" and outline.startswith("dashed rgb(") and outline != "dashed rgb(255, 160, 255)"
    page.context.close()


@pytest.mark.parametrize("screen", ["phone", "desktop"])
def test_the_base_map_names_districts_communes_and_main_roads_without_overlaps(chromium, platform_url, screen):
    """The base map had no names."""
    page = new_page(chromium, screen)
    open_map(page, f"{platform_url}/")
    districts = set(AdminUnit.objects.filter(level="district").values_list("name", flat=True))
    communes = set(AdminUnit.objects.filter(level="commune").values_list("name", flat=True))

    def named(label, units):  # "Bù Đăng" for "Huyện Bù Đăng": the label's style says the level
        return any(name.endswith(" " + label["text"]) for name in units)

    def labels():
        return page.evaluate("""[...document.querySelectorAll('.map-label')].map(e => {
            const r = e.getBoundingClientRect();
            return {kind: e.className.replace('map-label map-label-', ''), text: e.textContent,
                    x: r.x, y: r.y, width: r.width, height: r.height};
        })""")

    def readable(shown):
        search = page.locator("#lookup").bounding_box()
        for i, a in enumerate(shown):
            assert disjoint(a, search), a["text"]
            for b in shown[i + 1:]:
                assert disjoint(a, b), (a["text"], b["text"])

    # Province zoom: district names, each a real district, none over another or under the search box.
    shown = labels()
    assert len([label for label in shown if label["kind"] == "district"]) >= 3
    assert all(named(label, districts) for label in shown if label["kind"] == "district")
    readable(shown)
    # Commune zoom around the province's city: commune names and the national road's shield.
    city = AdminUnit.objects.filter(level="district", name__startswith="Thành phố").annotate(at=PointOnSurface("geom")).first()
    on_map(page, f"m.setView([{city.at.y}, {city.at.x}], 12, {{animate: false}})")
    wait_until(page, "document.querySelectorAll('.map-label-commune').length >= 3")
    shown = labels()
    assert all(named(label, communes) for label in shown if label["kind"] == "commune")
    assert any(label["kind"] in ("national", "provincial") and label["text"][:2] in ("QL", "ĐT") for label in shown)
    readable(shown)
    assert page.errors == []
    page.context.close()


@pytest.mark.parametrize("screen", ["phone", "desktop"])
def test_the_map_page_has_no_serious_accessibility_violations(chromium, platform_url, screen):
    page = new_page(chromium, screen)
    parcel = parcels_with_centres()[7]
    open_map(page, f"{platform_url}/")
    assert serious_violations(page) == []
    open_map(page, f"{platform_url}/#17/{parcel.centre.y:.5f}/{parcel.centre.x:.5f}&p={parcel.pk}")
    page.locator("#parcel-panel h2").wait_for()
    page.click("#legend summary") if screen == "desktop" else page.click("#layers-button")
    assert serious_violations(page) == []
    page.context.close()


def test_the_search_is_one_tab_away_and_its_suggestions_work_with_the_keyboard(chromium, platform_url):
    """No skip link; suggestions were reachable only by Tab, the panel did not close with Escape."""
    page = new_page(chromium, "desktop")
    open_map(page, f"{platform_url}/")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert page.evaluate("document.activeElement.className") == "skip-link" and skip.is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "search-input"

    # Arrow keys move through the suggestions; the focus stays in the box.
    commune = AdminUnit.objects.filter(level="commune", name__startswith="Xã Tân").order_by("gso_code").first()
    page.keyboard.type("Tân")
    options = page.locator("#search-results [role=option]:not([aria-disabled=true])")
    wait_until(page, "document.querySelectorAll('#search-results [role=option]').length >= 2")
    box = page.locator("#search-input")
    assert box.get_attribute("aria-expanded") == "true" and box.get_attribute("role") == "combobox"
    assert serious_violations(page) == []  # with the suggestions open
    page.keyboard.press("ArrowDown")
    first = options.nth(0).get_attribute("id")
    assert box.get_attribute("aria-activedescendant") == first
    assert options.nth(0).get_attribute("aria-selected") == "true"
    page.keyboard.press("ArrowDown")
    assert box.get_attribute("aria-activedescendant") == options.nth(1).get_attribute("id")
    assert options.nth(0).get_attribute("aria-selected") == "false"
    page.keyboard.press("ArrowUp")
    assert box.get_attribute("aria-activedescendant") == first
    assert page.evaluate("document.activeElement.id") == "search-input"
    page.keyboard.press("Escape")
    assert page.locator("#search-results").is_hidden() and box.get_attribute("aria-expanded") == "false"

    # Enter picks the active suggestion: the commune, the map moves there.
    box.fill(commune.name)
    wait_until(page, f"[...document.querySelectorAll('#search-results [role=option]')].some(o => o.textContent.includes({json.dumps(commune.name)}))")
    index = options.locator("strong").all_inner_texts().index(commune.name)
    before = on_map(page, "m.getCenter()")
    for _ in range(index + 1):
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    assert page.locator("#search-results").is_hidden()
    wait_until(page, f"{MAP}.getCenter().lat !== {before['lat']}")
    assert on_map(page, f"m.getBounds().contains([{commune.geom.point_on_surface.y}, {commune.geom.point_on_surface.x}])")

    # A parcel picked from the keyboard opens the panel; Escape closes it.
    parcel = Parcel.objects.select_related("commune").order_by("id")[3]
    box.fill(f"{parcel.commune_id} {parcel.map_sheet_no} {parcel.parcel_no}")
    page.keyboard.press("Enter")
    page.locator("#parcel-panel h2").wait_for()
    page.keyboard.press("Escape")
    assert page.locator("#parcel-panel").is_hidden() and "p=" not in page.url
    assert page.errors == []
    page.context.close()
