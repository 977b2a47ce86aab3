"""Undoing an import from its page (issue 10, part 5): an officer who may edit the layer, or the
import's author, opens the import (/data/imports/<id>/), asks to undo it, sees what will happen and
confirms (POST, CSRF). layers.writes.undo_import then removes what the import added, gives updated
features their old values and brings deleted ones back with their ids, as new versions; or refuses,
with nothing done, when a feature changed since, when it was undone already, or without the role.
Imports run inline (test settings); the test's writes roll back."""
import html
import re

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from accounts.models import Profile
from importers.models import ImportRecord
from importers.records import job_state_read
from layers import registry, writes
from layers.editing import Editor
from layers.registry import ROLE_UTILITY, officer
from tests.browser import new_page, wait_until
from tests.browser import sign_in as browser_sign_in
from tests.conftest import run_manage
from transport.models import Streetlight
from utilities.models import WaterValve

from . import corpus
from .test_data_pages_browser import looks_right

pytestmark = pytest.mark.django_db


def sign_in(client, username: str, *roles: str, organisation: str | None = None) -> User:
    user = User.objects.create_user(username, password="x-unused-x")
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    if organisation:
        Profile.objects.update_or_create(user=user, defaults={"organisation_id": organisation})
    client.force_login(user)
    return user


@pytest.fixture
def transport_officer(client):
    return sign_in(client, "can-bo-giao-thong-hoan-tac", officer("transport"))


def lights(codes, *, wattage: int = 100) -> list[dict]:
    return [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [corpus.ORIGIN[0] + i * 1e-4, corpus.ORIGIN[1]]},
             "properties": {"light_code": code, "circuit": "T-UNDO", "lamp_type": "led", "wattage_w": wattage,
                            "status": "operating"}} for i, code in enumerate(codes)]


def pcbp_valves(n: int, prefix: str) -> list[WaterValve]:
    return [WaterValve.objects.create(asset_code=f"{prefix}{i}", owner_id="PCBP", status_id="operating", state="open",
                                      diameter_mm=80, geom=f"SRID=4326;POINT({106.88 + i * 1e-4} 11.53)")
            for i in range(n)]


def new_valve(code: str) -> list[dict]:
    return [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [106.885, 11.535]},
             "properties": {"asset_code": code, "status": "operating", "state": "closed", "diameter_mm": 200}}]


def load(client, uploads, tmp_path, features, *, layer="streetlights", mode="append", key="") -> ImportRecord:
    """Upload, check and confirm a file through the data pages; its finished import record."""
    path = corpus.geojson(tmp_path / f"tep-{len(uploads)}.geojson", features)
    with open(path, "rb") as f:
        answer = client.post("/data/upload", {"file": f, "target": layer})
    assert answer.status_code == 302, answer.content
    token = answer["Location"].split("/")[3]
    uploads.append(token)
    assert client.get(f"/data/upload/{token}/", {"layer": layer}).status_code == 200
    data = {"layer": layer, "mode": mode, "replace_confirmed": "yes", **({"key": key} if key else {})}
    assert client.post(f"/data/upload/{token}/start", data).status_code == 302
    state = job_state_read(token)
    assert state["state"] == "done", state
    return ImportRecord.objects.get(pk=state["record_id"])


def text_of(page) -> str:
    page = page.content.decode() if hasattr(page, "content") else page
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page.split("<main", 1)[1])).split())


def undo(client, record: ImportRecord):
    return client.post(f"/data/imports/{record.pk}/undo", {"confirmed": "yes"})


def lights_state(**filters) -> dict:
    rows = Streetlight.objects.filter(**filters).values_list("id", "light_code", "circuit", "lamp_type_id", "wattage_w",
                                                            "status_id", "geom")
    return {row[0]: (*row[1:6], bytes(row[6].ewkb)) for row in rows}


def test_undo_of_an_append_removes_the_features_it_added(client, transport_officer, uploads, tmp_path):
    record = load(client, uploads, tmp_path, lights([f"UNDO-A-{i}" for i in range(3)]))
    assert Streetlight.objects.filter(light_code__startswith="UNDO-A-").count() == 3

    page = client.get(f"/data/imports/{record.pk}/")
    assert page.status_code == 200
    shown = text_of(page)
    assert "Lần nhập #" in shown and "Đèn chiếu sáng công cộng" in shown and "Thêm vào" in shown
    assert "Thay đổi trong lớp: thêm 3, cập nhật 0, xóa 0 đối tượng." in shown
    assert f'href="/data/imports/{record.pk}/undo"' in page.content.decode() and "Hoàn tác lần nhập này" in shown
    assert "Undo this import" in text_of(client.get(f"/data/imports/{record.pk}/?lang=en"))
    client.cookies.pop("lang")

    asked = client.get(f"/data/imports/{record.pk}/undo")
    assert asked.status_code == 200
    assert "3 đối tượng được thêm sẽ bị xóa" in text_of(asked) and 'name="confirmed" value="yes"' in asked.content.decode()
    assert Streetlight.objects.filter(light_code__startswith="UNDO-A-").count() == 3  # asking changes nothing

    done = undo(client, record)
    assert done.status_code == 302 and done["Location"] == f"/data/imports/{record.pk}/"
    assert not Streetlight.objects.filter(light_code__startswith="UNDO-A-").exists()
    after = text_of(client.get(done["Location"]))
    assert f"Đã hoàn tác lần nhập #{record.pk}: xóa 3" in after  # the message, once
    assert "Lần nhập này đã được hoàn tác lúc" in after and "Hoàn tác lần nhập này" not in after
    assert re.search(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2} \(can-bo-giao-thong-hoan-tac\)", after)

    home = client.get("/data/").content.decode()
    row = next(r for r in home.split("<tr")[1:] if f"/data/imports/{record.pk}/" in r)
    assert "Đã hoàn tác" in text_of("<main>" + row) and "state-undone" in row


def test_undo_of_an_upsert_gives_the_old_values_back(client, transport_officer, uploads, tmp_path):
    existing = list(Streetlight.objects.order_by("pk")[:2])
    before = lights_state(pk__in=[light.pk for light in existing])
    record = load(client, uploads, tmp_path, lights([existing[0].light_code, existing[1].light_code, "UNDO-U-NEW"],
                                                    wattage=777), mode="upsert", key="light_code")
    assert set(Streetlight.objects.filter(pk__in=before).values_list("wattage_w", flat=True)) == {777}
    assert "cập nhật 2" in text_of(client.get(f"/data/imports/{record.pk}/"))
    assert undo(client, record).status_code == 302
    assert lights_state(pk__in=list(before)) == before  # every column as it was, geometry too
    assert not Streetlight.objects.filter(light_code="UNDO-U-NEW").exists()


def test_undo_of_a_replace_brings_the_old_features_back_with_their_ids(client, uploads, tmp_path):
    """A utility (PCBP) replaces its own valves, then undoes it: its old valves come back with their
    ids, the new ones go, and the other organisation's valves were never touched."""
    sign_in(client, "pcbp-hoan-tac", ROLE_UTILITY, organisation="PCBP")
    old_rows = {v.pk: (v.asset_code, v.diameter_mm, v.state) for v in pcbp_valves(3, "PCBP-UNDO-OLD-")}
    others = WaterValve.objects.exclude(owner_id="PCBP").count()
    record = load(client, uploads, tmp_path, new_valve("PCBP-UNDO-NEW"), layer="water_valves", mode="replace")
    assert not WaterValve.objects.filter(pk__in=old_rows).exists()
    assert "thêm 1, cập nhật 0, xóa 3" in text_of(client.get(f"/data/imports/{record.pk}/"))
    asked = text_of(client.get(f"/data/imports/{record.pk}/undo"))
    assert "1 đối tượng được thêm sẽ bị xóa" in asked and "3 đối tượng bị xóa được khôi phục với mã cũ" in asked

    assert undo(client, record).status_code == 302
    back = {v.pk: (v.asset_code, v.diameter_mm, v.state) for v in WaterValve.objects.filter(owner_id="PCBP")}
    assert back == old_rows  # the same ids and values; the new valve is gone
    assert WaterValve.objects.exclude(owner_id="PCBP").count() == others


def test_undo_is_refused_when_a_feature_was_edited_after_the_import(client, transport_officer, uploads, tmp_path):
    record = load(client, uploads, tmp_path, lights(["UNDO-E-0", "UNDO-E-1"]))
    edited = Streetlight.objects.get(light_code="UNDO-E-1")
    writes.feature_replace(spec=registry.get("streetlights"), editor=Editor.of(transport_officer),
                           feature_id=edited.pk, feature={"type": "Feature", "properties": {"wattage_w": 150}},
                           partial=True)
    before = lights_state(light_code__startswith="UNDO-E-")
    refused = undo(client, record)
    assert refused.status_code == 409
    shown = text_of(refused)
    assert "Không hoàn tác được lần nhập này." in shown and f"Các đối tượng {edited.pk} đã được sửa sau lần nhập" in shown
    assert 'role="alert"' in refused.content.decode()
    assert lights_state(light_code__startswith="UNDO-E-") == before  # nothing done, not even to UNDO-E-0
    english = text_of(client.post(f"/data/imports/{record.pk}/undo?lang=en", {"confirmed": "yes"}))
    assert "The import was not undone." in english and "changed after the import" in english


def test_undo_is_refused_the_second_time(client, transport_officer, uploads, tmp_path):
    record = load(client, uploads, tmp_path, lights(["UNDO-T-0"]))
    assert undo(client, record).status_code == 302
    again = undo(client, record)
    assert again.status_code == 409 and "Lần nhập này đã được hoàn tác." in text_of(again)
    # The page no longer offers it; its confirmation step leads back to the import.
    assert client.get(f"/data/imports/{record.pk}/undo")["Location"] == f"/data/imports/{record.pk}/"


def test_users_without_the_role_may_not_undo(client, transport_officer, uploads, tmp_path):
    record = load(client, uploads, tmp_path, lights(["UNDO-R-0", "UNDO-R-1"]))
    before = lights_state(light_code__startswith="UNDO-R-")

    sign_in(client, "can-bo-dat-hoan-tac", officer("land"))  # may not edit street lights
    assert client.get(f"/data/imports/{record.pk}/").status_code == 403
    refused = undo(client, record)
    assert refused.status_code == 403 and "Bạn không được xem lần nhập này." in text_of(refused)
    assert f"/data/imports/{record.pk}/" not in client.get("/data/").content.decode()

    # The author, no longer a transport officer: the write service refuses.
    transport_officer.groups.clear()
    client.force_login(transport_officer)
    refused = undo(client, record)
    assert refused.status_code == 403 and "Bạn không được sửa lớp này." in text_of(refused)
    assert lights_state(light_code__startswith="UNDO-R-") == before

    # Without the CSRF token, even the right officer's POST is refused.
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(sign_in(client, "can-bo-giao-thong-csrf", officer("transport")))
    assert strict.post(f"/data/imports/{record.pk}/undo", {"confirmed": "yes"}).status_code == 403
    assert lights_state(light_code__startswith="UNDO-R-") == before


def test_another_officer_of_the_layer_finds_and_undoes_the_import(client, transport_officer, uploads, tmp_path):
    record = load(client, uploads, tmp_path, lights(["UNDO-O-0"]))
    sign_in(client, "can-bo-giao-thong-khac", officer("transport"))
    assert f'href="/data/imports/{record.pk}/"' in client.get("/data/").content.decode()
    page = client.get(f"/data/imports/{record.pk}/").content.decode()
    assert "Hoàn tác lần nhập này" in page and "/data/jobs/" not in page  # the job page is the author's
    assert undo(client, record).status_code == 302
    assert not Streetlight.objects.filter(light_code="UNDO-O-0").exists()


def test_nothing_is_half_done_when_the_database_refuses_part_of_an_undo(client, uploads, tmp_path):
    """After a replace, someone adds a valve with the code of one the replace deleted: bringing that
    one back breaks the unique code, so the undo is refused, and the removal of the replace's own
    valve, done first, is rolled back with it."""
    sign_in(client, "pcbp-nua-chung", ROLE_UTILITY, organisation="PCBP")
    old = pcbp_valves(2, "PCBP-HALF-OLD-")
    record = load(client, uploads, tmp_path, new_valve("PCBP-HALF-NEW"), layer="water_valves", mode="replace")
    WaterValve.objects.create(asset_code=old[0].asset_code, owner_id="PCBP", status_id="operating", state="open",
                              diameter_mm=1, geom="SRID=4326;POINT(106.9 11.6)")
    before = set(WaterValve.objects.filter(owner_id="PCBP").values_list("pk", "asset_code", "diameter_mm"))
    refused = undo(client, record)
    assert refused.status_code == 409 and "Không hoàn tác được" in text_of(refused)
    assert set(WaterValve.objects.filter(owner_id="PCBP").values_list("pk", "asset_code", "diameter_mm")) == before
    assert WaterValve.objects.filter(asset_code="PCBP-HALF-NEW").exists() and not WaterValve.objects.filter(
        pk__in=[v.pk for v in old]).exists()


def test_an_import_that_wrote_nothing_offers_no_undo(client, transport_officer):
    record = ImportRecord.objects.create(user=transport_officer, layer_id="streetlights", file_name="loi.geojson",
                                         sha256="0" * 64, size_bytes=1, file_format="geojson", mode="append",
                                         status=ImportRecord.Status.REJECTED)
    assert "Hoàn tác lần nhập này" not in text_of(client.get(f"/data/imports/{record.pk}/"))
    refused = undo(client, record)
    assert refused.status_code == 409 and "Chỉ hoàn tác được một lần nhập đã hoàn tất." in text_of(refused)
    assert client.get("/data/imports/999999999/").status_code == 404


# -- in Chromium: the import's page, the confirmation and the message, phone and desktop -------------------

USER, PASSWORD = "den-hoan-tac-ui", "Mat-khau-2026-ht"
SETUP = """
from django.contrib.auth.models import Group, User
user = User.objects.create_user({user!r}, password={password!r})
user.groups.add(Group.objects.get_or_create(name={group!r})[0])
"""
CLEANUP = """
from django.contrib.auth.models import User
from importers.models import ImportRecord
from transport.models import Streetlight
Streetlight.objects.filter(light_code__startswith="UI-UNDO-").delete()
ImportRecord.objects.filter(user__username={user!r}).delete()
User.objects.filter(username={user!r}).delete()
"""
COUNT = """
from transport.models import Streetlight
print(Streetlight.objects.filter(light_code__startswith={prefix!r}).count())
"""


@pytest.fixture(scope="module")
def ui_officer(test_db_env):
    """Committed: the platform under gunicorn runs in other processes."""
    run_manage(test_db_env, "shell", "-c", SETUP.format(user=USER, password=PASSWORD, group=officer("transport")))
    yield USER
    run_manage(test_db_env, "shell", "-c", CLEANUP.format(user=USER))


@pytest.mark.browser
@pytest.mark.parametrize("screen", ["phone", "desktop"])
def test_an_officer_undoes_an_import_on_phone_and_desktop(screen, chromium, platform_url, test_db_env, ui_officer,
                                                         tmp_path):
    prefix = f"UI-UNDO-{screen}-"
    path = corpus.geojson(tmp_path / f"hoan-tac-{screen}.geojson", lights([f"{prefix}{i}" for i in range(2)]))
    page = new_page(chromium, screen)
    browser_sign_in(page, platform_url, USER, PASSWORD)
    page.set_input_files("input[name=file]", str(path))
    page.select_option("select[name=target]", "streetlights")
    page.click("text=Tải lên và kiểm tra")
    page.wait_for_selector("#confirm")
    page.click("#confirm")
    page.wait_for_url("**/data/jobs/**")
    wait_until(page, "document.querySelector('#state') && document.querySelector('#state').dataset.state === 'done'")
    page.wait_for_selector("#record-link:not([hidden])")
    page.click("#record-link a")
    page.wait_for_selector("#undo")
    assert "Thay đổi trong lớp: thêm 2" in page.inner_text("main")
    looks_right(page, f"{screen} import page")

    page.click("#undo")
    page.wait_for_selector("#undo-confirm")
    assert "2 đối tượng được thêm sẽ bị xóa" in page.inner_text("#undo-warning")
    looks_right(page, f"{screen} undo confirmation")
    page.click("#undo-confirm")
    page.wait_for_selector(".notice.success")
    assert "Đã hoàn tác lần nhập" in page.inner_text(".notice.success") and page.is_hidden("#undo") is True
    assert "Đã hoàn tác" in page.inner_text("#record-state")
    looks_right(page, f"{screen} import page after undoing")
    assert page.outside_requests == []
    assert run_manage(test_db_env, "shell", "-c", COUNT.format(prefix=prefix)).stdout.split()[-1] == "0"
    page.context.close()
