"""A feature's history in the admin (issue 10, part 5) and optimistic locking of the admin form
(part 4): the change page lists the feature's versions from the change log (time dd/mm/yyyy HH:MM,
operation in words, who, source), each earlier version can be restored after a confirmation
(layers.writes.feature_revert, a new version), and a form opened at one version cannot overwrite a
newer edit made meanwhile by someone else."""
import html
import re

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from layers import registry, writes
from layers.editing import Editor
from layers.models import Change
from layers.registry import officer
from tests.browser import new_page, serious_violations, sign_in
from tests.conftest import run_manage
from transport.models import Streetlight

DATE_TIME_VI = re.compile(r"\b\d{2}/\d{2}/\d{4} \d{2}:\d{2}\b")
URL = "/admin/transport/streetlight/{}/"


def _user(username: str, *roles: str) -> User:
    user = User.objects.create_user(username, password="x-unused-x")
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


def _feature(wattage: int) -> dict:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [106.9, 11.6]},
            "properties": {"light_code": "LS-HIST-1", "circuit": "T-HIST", "lamp_type": "led", "wattage_w": wattage,
                           "status": "operating"}}


def _edit(author: User, light_id: int, wattage: int, source=writes.ADMIN):
    return writes.feature_replace(spec=registry.get("streetlights"), editor=Editor.of(author), feature_id=light_id,
                                  feature={"type": "Feature", "properties": {"wattage_w": wattage}}, partial=True,
                                  source=source)


@pytest.fixture
def light(db):
    """A street light created by the API (version 1) and edited twice in the admin (versions 2, 3)."""
    author = _user("can-bo-den-lich-su", officer("transport"))
    created = writes.feature_create(spec=registry.get("streetlights"), editor=Editor.of(author),
                                    feature=_feature(100))
    _edit(author, created.feature_id, 120)
    _edit(author, created.feature_id, 150)
    return Streetlight.objects.get(pk=created.feature_id)


def _text(response) -> str:
    body = response.content.decode()
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def _form(light: Streetlight, **changes) -> dict:
    data = {"light_code": light.light_code, "circuit": light.circuit, "lamp_type": light.lamp_type_id,
            "wattage_w": light.wattage_w, "status": light.status_id, "geometry": ""}
    return {**data, **changes}


@pytest.mark.django_db
def test_the_change_page_lists_the_versions_with_time_operation_who_and_source(client, light):
    client.force_login(_user("can-bo-den-2", officer("transport")))
    page = client.get(URL.format(light.pk) + "change/")
    assert page.status_code == 200
    body = page.content.decode()
    rows = re.findall(r'<tr data-version="(\d+)"[^>]*>(.*?)</tr>', body, re.DOTALL)
    assert [int(version) for version, _ in rows] == [3, 2, 1]  # newest first
    texts = {int(version): " ".join(re.sub(r"<[^>]+>", " ", row).split()) for version, row in rows}
    assert "(hiện tại / current)" in texts[3] and "Khôi phục phiên bản này" not in texts[3]
    assert "Sửa / Updated" in texts[2] and "Trang quản trị / Admin" in texts[2] and "can-bo-den-lich-su" in texts[2]
    assert "Thêm / Created" in texts[1] and "API" in texts[1]
    assert all(DATE_TIME_VI.search(text) for text in texts.values())
    for version in (1, 2):
        assert f'href="{URL.format(light.pk)}versions/{version}/restore/"' in body
    assert 'name="version" value="3"' in body  # the form carries the version it was opened at

    # The admin's own "history" link shows the same versions.
    history = client.get(URL.format(light.pk) + "history/")
    assert history.status_code == 200 and len(re.findall(r'<tr data-version="', history.content.decode())) == 3


@pytest.mark.django_db
def test_readers_see_the_versions_without_who_and_without_restoring(client, light):
    client.force_login(_user("can-bo-dat-doc", officer("land")))  # may read street lights, not edit them
    page = client.get(URL.format(light.pk) + "change/")
    assert page.status_code == 200
    body = page.content.decode()
    assert len(re.findall(r'<tr data-version="', body)) == 3
    assert "can-bo-den-lich-su" not in body and "Người sửa / By" not in body
    assert "Khôi phục phiên bản này" not in body
    restore = URL.format(light.pk) + "versions/1/restore/"
    assert client.get(restore).status_code == 403
    assert client.post(restore, {"current": "3"}).status_code == 403
    assert Streetlight.objects.get(pk=light.pk).wattage_w == 150


@pytest.mark.django_db
def test_restoring_an_earlier_version_asks_first_then_writes_a_new_version(client, light):
    officer_user = _user("can-bo-den-khoi-phuc", officer("transport"))
    client.force_login(officer_user)
    restore = URL.format(light.pk) + "versions/1/restore/"
    asked = client.get(restore)
    assert asked.status_code == 200
    shown = _text(asked)
    assert "Đối tượng đang ở phiên bản 3" in shown and 'value="Khôi phục phiên bản này"' in asked.content.decode()
    assert re.search(r"Công suất \(W\) 150 100", shown)  # now, then
    assert 'name="current" value="3"' in asked.content.decode()
    assert Streetlight.objects.get(pk=light.pk).wattage_w == 150  # asking changes nothing

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(officer_user)
    assert strict.post(restore, {"current": "3"}).status_code == 403  # no CSRF token
    assert Streetlight.objects.get(pk=light.pk).wattage_w == 150

    done = client.post(restore, {"current": "3"})
    assert done.status_code == 302 and done["Location"] == URL.format(light.pk) + "change/"
    assert Streetlight.objects.get(pk=light.pk).wattage_w == 100
    last = Change.objects.filter(layer_id="streetlights", feature_id=light.pk).order_by("-id").first()
    assert (last.version, last.source, last.actor) == (4, writes.REVERT, "can-bo-den-khoi-phuc")
    page = client.get(done["Location"])
    assert "Đã khôi phục phiên bản 1; đối tượng nay ở phiên bản 4." in _text(page)
    assert "Khôi phục phiên bản / Restore" in _text(page)  # version 4's source


@pytest.mark.django_db
def test_a_restore_confirmed_after_someone_else_edited_is_refused(client, light):
    client.force_login(_user("can-bo-den-cham", officer("transport")))
    restore = URL.format(light.pk) + "versions/1/restore/"
    assert 'name="current" value="3"' in client.get(restore).content.decode()
    _edit(_user("can-bo-den-nhanh", officer("transport")), light.pk, 175)  # version 4, meanwhile
    refused = client.post(restore, {"current": "3"}, follow=True)
    assert "Đối tượng đã bị người khác sửa" in _text(refused) and "nay là phiên bản 4" in _text(refused)
    assert Streetlight.objects.get(pk=light.pk).wattage_w == 175
    # The current version and a version that does not exist are not offered.
    for version in (4, 9):
        back = client.get(URL.format(light.pk) + f"versions/{version}/restore/")
        assert back.status_code == 302 and back["Location"] == URL.format(light.pk) + "change/"


@pytest.mark.django_db
def test_saving_a_form_opened_before_someone_elses_edit_is_refused(client, light):
    client.force_login(_user("can-bo-den-form", officer("transport")))
    url = URL.format(light.pk) + "change/"
    assert 'name="version" value="3"' in client.get(url).content.decode()
    _edit(_user("can-bo-den-khac", officer("transport")), light.pk, 200)  # version 4, meanwhile

    stale = client.post(url, _form(light, wattage_w=90, version=3))
    assert stale.status_code == 200
    shown = _text(stale)
    assert "errornote" in stale.content.decode()
    assert "Đối tượng đã bị người khác sửa sau khi bạn mở trang này (bạn mở phiên bản 3, nay là phiên bản 4)" in shown
    assert Streetlight.objects.get(pk=light.pk).wattage_w == 200  # the other officer's edit stands

    light.refresh_from_db()
    saved = client.post(url, _form(light, wattage_w=90, version=4))  # reloaded at version 4
    assert saved.status_code == 302
    assert Streetlight.objects.get(pk=light.pk).wattage_w == 90


# -- in Chromium, phone and desktop -------------------------------------------------------------------

USER, PASSWORD = "den-lich-su-ui", "Mat-khau-2026-ls"
SETUP = """
from django.contrib.auth.models import Group, User
from layers import registry, writes
from layers.editing import Editor
from transport.models import Streetlight
user = User.objects.create_user({user!r}, password={password!r})
user.groups.add(Group.objects.get_or_create(name={group!r})[0])
spec, editor = registry.get("streetlights"), Editor.of(user)
for screen in ("phone", "desktop"):
    feature = {{"type": "Feature", "geometry": {{"type": "Point", "coordinates": [106.9, 11.6]}},
               "properties": {{"light_code": "UI-LS-" + screen, "circuit": "T-UI", "lamp_type": "led",
                               "wattage_w": 100, "status": "operating"}}}}
    created = writes.feature_create(spec=spec, editor=editor, feature=feature, source=writes.ADMIN)
    writes.feature_replace(spec=spec, editor=editor, feature_id=created.feature_id, partial=True, source=writes.ADMIN,
                           feature={{"type": "Feature", "properties": {{"wattage_w": 130}}}})
    print(screen, created.feature_id)
"""
CLEANUP = """
from django.contrib.auth.models import User
from transport.models import Streetlight
Streetlight.objects.filter(light_code__startswith="UI-LS-").delete()
User.objects.filter(username={user!r}).delete()
"""
WATTAGE = """
from transport.models import Streetlight
print(Streetlight.objects.get(pk={pk}).wattage_w)
"""
PAGE_OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture(scope="module")
def ui_lights(test_db_env):
    """Committed: the platform under gunicorn runs in other processes."""
    made = run_manage(test_db_env, "shell", "-c", SETUP.format(user=USER, password=PASSWORD,
                                                               group=officer("transport")))
    yield dict(line.split() for line in made.stdout.split("\n") if line.startswith(("phone", "desktop")))
    run_manage(test_db_env, "shell", "-c", CLEANUP.format(user=USER))


@pytest.mark.browser
@pytest.mark.django_db
@pytest.mark.parametrize("screen", ["phone", "desktop"])
def test_an_officer_restores_a_version_in_the_admin_on_phone_and_desktop(screen, chromium, platform_url, test_db_env,
                                                                       ui_lights):
    pk = ui_lights[screen]
    change = f"/admin/transport/streetlight/{pk}/change/"
    page = new_page(chromium, screen)
    sign_in(page, platform_url, USER, PASSWORD, change)
    versions = page.locator("#feature-versions")
    assert versions.locator("tr[data-version]").count() == 2
    assert DATE_TIME_VI.search(versions.inner_text())
    assert serious_violations(page) == [], f"{screen} change page"
    assert page.evaluate(PAGE_OVERFLOW) <= 0, "the page scrolls sideways"

    versions.locator("tr[data-version='1'] a.restore").click()
    page.wait_for_selector("#restore-warning")
    assert "Đối tượng đang ở phiên bản 2" in page.inner_text("#restore-warning")
    assert serious_violations(page) == [], f"{screen} restore confirmation"
    assert page.evaluate(PAGE_OVERFLOW) <= 0, "the confirmation scrolls sideways"

    page.click("input[type=submit][value='Khôi phục phiên bản này']")
    page.wait_for_url(f"**{change}")
    assert "Đã khôi phục phiên bản 1" in page.inner_text("body")
    assert page.locator("#feature-versions tr[data-version]").count() == 3
    assert serious_violations(page) == [], f"{screen} after restoring"
    assert page.errors == [] and page.outside_requests == []
    assert run_manage(test_db_env, "shell", "-c", WATTAGE.format(pk=pk)).stdout.split()[-1] == "100"
    page.context.close()
