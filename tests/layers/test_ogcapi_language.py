"""The OGC API's HTML pages in Vietnamese first (English with lang=en): every string of pygeoapi's
templates and ours translated (ogcapi/locale/vi), counts and decimals written the Vietnamese way."""
import html
import re
from pathlib import Path

import pygeoapi
import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from ogcapi.config import LOCALE_DIR, TEMPLATES_DIR

pytestmark = pytest.mark.django_db

PO = LOCALE_DIR / "vi" / "LC_MESSAGES" / "messages.po"
PYGEOAPI_TEMPLATES = Path(pygeoapi.__file__).parent / "templates"
# pygeoapi's pages for what the platform does not serve through pygeoapi
NOT_SERVED = ("admin", "jobs", "processes", "stac", "collections/edr", "collections/map")
_TRANS = re.compile(r"{%-?\s*trans\s*-?%}(.*?){%-?\s*endtrans\s*-?%}", re.S)


def catalogue() -> dict[str, str]:
    with PO.open("rb") as po:
        return {m.id: m.string for m in read_po(po) if m.id}


def template_strings() -> dict[str, set[str]]:
    """{% trans %} strings of the templates pygeoapi renders for the platform -> where they are."""
    found: dict[str, set[str]] = {}
    for root in (PYGEOAPI_TEMPLATES, TEMPLATES_DIR):
        for path in root.rglob("*.html"):
            relative = path.relative_to(root)
            overridden = root == PYGEOAPI_TEMPLATES and (TEMPLATES_DIR / relative).exists()  # ours is rendered
            if not overridden and not str(relative).startswith(NOT_SERVED):
                for text in _TRANS.findall(path.read_text(encoding="utf-8")):
                    found.setdefault(text, set()).add(str(path))
    return found


def visible_text(page: bytes) -> str:
    text = re.sub(r"<script.*?</script>|<style.*?</style>|<!--.*?-->", " ", page.decode(), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split())


def test_every_string_of_the_pages_has_a_vietnamese_translation():
    strings, translated = template_strings(), catalogue()
    assert len(strings) > 40  # the templates were read
    missing = {text: sorted(where) for text, where in strings.items() if not translated.get(text)}
    assert not missing, f"add to {PO.relative_to(LOCALE_DIR.parent.parent)}: {missing}"


def test_the_compiled_catalogue_is_the_po_file_compiled():
    """pygeoapi reads messages.mo: after an edit of messages.po, `pybabel compile` (its header says how)."""
    with PO.with_suffix(".mo").open("rb") as mo:
        compiled = {m.id: m.string for m in read_mo(mo) if m.id}
    assert compiled == catalogue()


def test_the_pages_speak_vietnamese_with_vietnamese_numbers_and_english_on_request(client):
    from land.models import Parcel

    parcel = Parcel.objects.order_by("pk").first()
    total = Parcel.objects.count()
    assert total >= 1000  # so the count has a thousands separator
    english = {text for text, vietnamese in catalogue().items() if vietnamese != text and len(text) > 4}
    pages = ["/ogcapi/?f=html", "/ogcapi/collections?f=html", "/ogcapi/collections/parcels?f=html",
             "/ogcapi/collections/parcels/items?f=html&limit=5",
             f"/ogcapi/collections/parcels/items/{parcel.pk}?f=html",
             "/ogcapi/collections/parcels/queryables?f=html", "/ogcapi/conformance?f=html"]
    for path in pages:
        text = visible_text(client.get(path).content)
        assert not [s for s in english if re.search(rf"(?<!\w){re.escape(s)}(?!\w)", text)], path
    items = visible_text(client.get("/ogcapi/collections/parcels/items?f=html&limit=5").content)
    assert f"Số đối tượng trong lớp: {total:,}".replace(",", ".") in items and "Trang sau" in items
    area = f"{parcel.area_m2:,}".replace(",", "_").replace(".", ",").replace("_", ".")
    assert area in visible_text(client.get(f"/ogcapi/collections/parcels/items/{parcel.pk}?f=html").content)
    items_en = visible_text(client.get("/ogcapi/collections/parcels/items?f=html&limit=5&lang=en").content)
    assert f"Items in this collection: {total:,}" in items_en and "Next" in items_en


def toggle(page: bytes) -> tuple[str, str]:
    """The language toggle of a page: (its language, the address it goes to)."""
    found = re.findall(r'<a href="(\?[^"]*)" class="nav-link" lang="(\w+)"', page.decode())
    assert len(found) == 1, found
    return found[0][1], html.unescape(found[0][0])


def test_the_pages_have_the_platforms_language_toggle_which_keeps_the_query_and_is_remembered(client):
    """As on every other page of the platform: Vietnamese whatever the browser asks for, a toggle to the
    same page (filter and all) in English, and the choice kept in the `lang` cookie for the next pages."""
    from land.models import Parcel

    items = "/ogcapi/collections/parcels/items"
    odt = Parcel.objects.filter(land_use_id="ODT").count()
    assert odt > 10
    first = client.get(items, {"f": "html", "limit": 5, "filter": "land_use_code = 'ODT'"},
                       HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert first.status_code == 200 and '<html lang="vi"' in first.text and "Cookie" in first["Vary"]
    assert "lang" not in first.cookies
    language, href = toggle(first.content)
    assert language == "en" and "filter=land_use_code" in href and "limit=5" in href
    english = client.get(items + href)
    assert english.status_code == 200 and '<html lang="en"' in english.text
    assert f"Items in this collection: {odt:,}" in visible_text(english.content)  # the filter was kept
    assert english.cookies["lang"].value == "en"
    later = client.get("/ogcapi/collections/parcels?f=html")  # the cookie, no lang=
    assert '<html lang="en"' in later.text and toggle(later.content)[0] == "vi"
    back = client.get("/ogcapi/collections/parcels" + toggle(later.content)[1])
    assert '<html lang="vi"' in back.text and back.cookies["lang"].value == "vi"
    assert '<html lang="vi"' in client.get("/ogcapi/?f=html").text
    # JSON is for clients: pygeoapi's negotiation, neither the cookie nor a toggle
    client.cookies["lang"] = "en"
    assert client.get(items, {"f": "json", "limit": 1})["Content-Language"] == "vi"
    assert client.get(items, {"f": "json", "limit": 1}, HTTP_ACCEPT_LANGUAGE="en")["Content-Language"] == "en"
