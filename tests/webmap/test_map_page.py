"""The map page, as served: the layers the caller may read, Vietnamese by default, nothing external."""
import json
import re

import pytest
from django.contrib.auth.models import Group, User

from layers import registry

pytestmark = pytest.mark.django_db


def mentions(html: str, text: str) -> bool:
    """`text` in the page, as HTML or inside the map's script (JSON-escaped)."""
    return text in html or json.dumps(text)[1:-1] in html


EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", re.I)


def test_map_lists_public_layers_in_vietnamese_and_hides_internal_ones(client, django_assert_num_queries):
    # boundaries + main roads + one query per distinct code list of the overlays (7) + land-use colours
    # + the legend's codes in use + the communes of the parcel finder. (A first request sets the
    # database session's statement timeout once: not part of the page's work.)
    client.get("/healthz")
    with django_assert_num_queries(12):
        html = client.get("/").content.decode()
    assert "<html lang=\"vi\">" in html
    for spec in registry.all_layers():
        if spec.public and spec.id != "admin_units":
            assert mentions(html, spec.title_vi), spec.id
        if not spec.public:
            assert not mentions(html, spec.title_vi) and f"/collections/{spec.id}/" not in html, spec.id
    assert mentions(html, "Đất ở tại đô thị")
    assert 'id="legend"' in html and "ODT</abbr> Đất ở tại đô thị" in html  # the legend lists codes in use  # land-use names travel with the parcels layer


def test_english_toggle_switches_titles_and_is_remembered(client):
    html = client.get("/", {"lang": "en"}).content.decode()
    assert mentions(html, "Bình Phước province map") and mentions(html, "Cadastral parcels")
    assert client.cookies["lang"].value == "en"
    assert mentions(client.get("/").content.decode(), "Cadastral parcels")


def test_page_loads_nothing_from_outside(client):
    html = client.get("/").content.decode()
    assert not EXTERNAL.search(html), EXTERNAL.search(html)


def test_an_ioc_operator_also_gets_the_cameras(client):
    user = User.objects.create_user("ioc", password="x-unused-x")
    user.groups.add(Group.objects.get_or_create(name=registry.ROLE_IOC)[0])
    client.force_login(user)
    html = client.get("/").content.decode()
    assert mentions(html, "Camera giám sát") and mentions(html, "Cơ sở y tế")


def test_people_can_pinch_zoom_the_page(client):
    """Issue 9 (part): folium's viewport tag (maximum-scale=1, user-scalable=no) forbade pinch-zoom."""
    page = client.get("/").content.decode()
    viewports = re.findall(r'<meta name="viewport"[^>]*>', page)
    assert viewports == ['<meta name="viewport" content="width=device-width, initial-scale=1">']
