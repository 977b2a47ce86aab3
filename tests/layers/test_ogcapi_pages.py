"""The OGC API's HTML pages (pygeoapi's templates, our copies in ogcapi/templates) and the
sign-in and error pages, as people see them: titled, offline, accessible, the API docs rendered and
item maps drawn on the province's own base."""
import re

import pytest

from tests.browser import new_page, serious_violations, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

SCREENS = ["phone", "desktop"]


@pytest.fixture
def parcel_id():
    from land.models import Parcel

    return Parcel.objects.order_by("pk").values_list("pk", flat=True).first()


def _pages(parcel_id: int) -> dict[str, str]:
    """path -> what its <title> names (before " – <platform>")."""
    return {
        "/ogcapi/?f=html": "Trang chủ",
        "/ogcapi/conformance?f=html": "Chuẩn tuân thủ",
        "/ogcapi/collections?f=html": "Lớp dữ liệu",
        "/ogcapi/collections/parcels?f=html": "Thửa đất",
        "/ogcapi/collections/parcels/items?f=html": "Thửa đất – Đối tượng",
        f"/ogcapi/collections/parcels/items/{parcel_id}?f=html": f"Thửa đất {parcel_id}",
        "/ogcapi/openapi?f=html": "Swagger UI",
        "/ogcapi/openapi?f=html&ui=redoc": "ReDoc",
    }


def test_every_ogc_api_page_has_a_meaningful_title(client, parcel_id):
    site = "Nền tảng dữ liệu không gian tỉnh Bình Phước"
    for path, name in _pages(parcel_id).items():
        response = client.get(path)
        assert response.status_code == 200, path
        title = " ".join(re.search(r"<title>(.*?)</title>", response.content.decode(), re.S).group(1).split())
        assert title == f"{name} – {site}", path


def test_no_ogc_api_page_asks_the_internet_for_anything(client, parcel_id):
    for path in _pages(parcel_id):
        html = client.get(path).content.decode()
        assert not re.findall(r"(?:src|href)=[\"']https?://(?!127\.0\.0\.1|testserver)[^\"']*\.(?:js|css)", html), path
        assert "fonts.googleapis" not in html and "cdn.jsdelivr" not in html and "unpkg.com" not in html, path
        if "/items" in path:  # features have no JSON-LD here (f=jsonld is refused for them): no link to it
            assert "f=jsonld" not in html.split("var geojson_data")[0], path


def _ready(page, path: str) -> None:
    """Wait for what the page draws with scripts: API docs, the item maps' base and features."""
    if "ui=redoc" in path:
        wait_until(page, "document.querySelectorAll('[data-section-id^=\"operation/\"]').length > 10")
    elif "/openapi" in path:
        wait_until(page, "document.querySelectorAll('.opblock').length > 10")
    elif "/items" in path:
        wait_until(page, "document.querySelectorAll('.leaflet-base-pane path').length > 0"
                         " && document.querySelectorAll('.leaflet-overlay-pane path').length > 0")


@pytest.mark.parametrize("screen", SCREENS)
def test_ogc_api_pages_are_accessible_and_offline(chromium, platform_url, parcel_id, screen):
    for path in _pages(parcel_id):
        page = new_page(chromium, screen)
        failed = []  # e.g. the JSON-LD pygeoapi's pages fetch of themselves, refused for features
        page.on("response", lambda r, failed=failed: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        page.goto(platform_url + path)
        _ready(page, path)
        # pygeoapi's own pages (not Swagger UI's or ReDoc's): every part in a landmark, headings in order
        also = () if path.startswith("/ogcapi/openapi") else ("region", "heading-order")
        assert serious_violations(page, also) == [], path
        assert page.outside_requests == [] and page.errors == [] and failed == [], path
        page.context.close()


@pytest.mark.parametrize("screen", SCREENS)
def test_sign_in_and_error_pages_are_accessible(chromium, platform_url, screen):
    for path in ("/accounts/login/", "/accounts/login/?lang=en", "/khong-co-trang-nay"):
        page = new_page(chromium, screen)
        page.goto(platform_url + path)
        assert page.title().strip(), path
        assert serious_violations(page) == [], path
        assert page.outside_requests == [] and page.errors == [], path
        page.context.close()


def test_redoc_renders_the_api_from_the_platform_alone(chromium, platform_url):
    page = new_page(chromium, "desktop")
    page.goto(platform_url + "/ogcapi/openapi?f=html&ui=redoc")
    wait_until(page, "document.querySelectorAll('[data-section-id^=\"operation/\"]').length > 10")
    operations = page.evaluate("Array.from(document.querySelectorAll('[data-section-id^=\"operation/\"]'))"
                               ".map(e => e.getAttribute('data-section-id'))")
    assert "operation/getCollections" in operations
    assert any("parcels" in op.lower() for op in operations)  # the layers' own operations, not a stub
    assert page.outside_requests == [] and page.errors == []


def test_item_maps_draw_the_province_base_under_the_features(chromium, platform_url, parcel_id):
    for path in ("/ogcapi/collections/parcels/items?f=html", f"/ogcapi/collections/parcels/items/{parcel_id}?f=html"):
        page = new_page(chromium, "phone")
        base_tiles = []
        page.on("response", lambda r: base_tiles.append(r.status)
                if re.search(r"/tiles/(admin_units|roads)/\d+/\d+/\d+\.pbf", r.url) else None)
        page.goto(platform_url + path)
        wait_until(page, "document.querySelectorAll('.leaflet-base-pane path').length > 0"
                         " && document.querySelectorAll('.leaflet-overlay-pane path').length > 0")
        assert base_tiles and set(base_tiles) <= {200}, path
        # Boundaries sit under the features (z-index) and never take their clicks.
        assert page.evaluate("getComputedStyle(document.querySelector('.leaflet-base-pane')).zIndex") == "150"
        assert page.evaluate("getComputedStyle(document.querySelector('.leaflet-base-pane')).pointerEvents") == "none"
        assert page.outside_requests == [] and page.errors == [], path
        page.context.close()


def test_the_language_toggle_and_the_page_size_keep_the_filter(chromium, platform_url):
    """A citizen on a filtered list: the English toggle, then 100 a page, stay in the filter and the
    language (the page-size list once replaced the whole query with limit=...); a limit the list does
    not offer shows as chosen, not as a blank."""
    from urllib.parse import parse_qs, urlparse

    from land.models import Parcel

    odt = Parcel.objects.filter(land_use_id="ODT").count()
    page = new_page(chromium, "phone")
    page.goto(platform_url + "/ogcapi/collections/parcels/items?f=html&limit=5&filter=land_use_code%20%3D%20'ODT'")
    assert page.evaluate("document.getElementById('limits').value") == "5"
    page.click("a[hreflang=en]")
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.lang") == "en"
    with page.expect_navigation():
        page.select_option("#limits", "100")
    query = parse_qs(urlparse(page.url).query)
    assert query["limit"] == ["100"] and query["filter"] == ["land_use_code = 'ODT'"] and query["lang"] == ["en"]
    assert f"Items in this collection: {odt:,}" in page.inner_text("main")
    rows = page.evaluate("document.querySelectorAll('table tbody tr').length")
    assert rows == min(odt, 100)
    assert page.outside_requests == [] and page.errors == []
    page.context.close()
