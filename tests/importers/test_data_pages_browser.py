"""The data pages in Chromium as an officer uses them on a 360 px phone, a 768 px tablet and a 1366 px
desktop (issue 9): signed in, every /data/ page (home, check with its preview, replace confirmation,
job page) has no serious accessibility violation, no page scrolls sideways (wide tables scroll inside
their own box), controls are large enough for a finger; a fixed value chosen in the mapping; a double
click on "confirm" imports once. Nothing is requested from outside the machine."""
import json

import pytest
from playwright.sync_api import Error as PlaywrightError

from layers.registry import officer
from tests.browser import new_page, serious_violations, sign_in, wait_until
from tests.conftest import run_manage

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

USER, PASSWORD = "den-duong-ui", "Mat-khau-2026-ui"
SETUP = """
from django.contrib.auth.models import Group, User
user = User.objects.create_user({user!r}, password={password!r})
user.groups.add(Group.objects.get_or_create(name={group!r})[0])
"""
CLEANUP = """
from django.contrib.auth.models import User
from importers.models import ImportRecord
from transport.models import Streetlight
Streetlight.objects.filter(light_code__startswith="UI-").delete()
ImportRecord.objects.filter(user__username={user!r}).delete()
User.objects.filter(username={user!r}).delete()
"""
COUNT_IMPORTS = """
from importers.models import ImportRecord
from transport.models import Streetlight
print(ImportRecord.objects.filter(user__username={user!r}, status="done", file_name={name!r}).count(),
      Streetlight.objects.filter(light_code__startswith={prefix!r}, circuit="TĐ-UI").count())
"""

# Sideways scrolling of the page itself (a table may scroll inside its .table-scroll box).
PAGE_OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
# Visible controls in the page's main part smaller than 44 px high (WCAG 2.5.5 target size).
SMALL_TARGETS = """Array.from(document.querySelectorAll('main button, main select, '
    + 'main input:not([type=checkbox]):not([type=radio]):not([type=hidden]), main label.choice, main summary, '
    + '.topbar a, .topbar button'))
  .filter(e => e.offsetParent !== null && e.getBoundingClientRect().height < 43.5)
  .map(e => e.outerHTML.slice(0, 80))"""
SCREENS = {"phone": {}, "tablet": {"viewport": {"width": 768, "height": 1024}, "has_touch": True},
           "desktop": {}}


@pytest.fixture(scope="module")
def transport_officer(test_db_env):
    """A committed account: the platform under gunicorn runs in other processes."""
    run_manage(test_db_env, "shell", "-c", SETUP.format(user=USER, password=PASSWORD, group=officer("transport")))
    yield USER
    run_manage(test_db_env, "shell", "-c", CLEANUP.format(user=USER))


def looks_right(page, where: str) -> None:
    assert serious_violations(page) == [], where
    assert page.evaluate(PAGE_OVERFLOW) <= 0, f"{where}: the page scrolls sideways"
    assert page.evaluate(SMALL_TARGETS) == [], where
    assert page.errors == [], where


@pytest.mark.parametrize("screen", list(SCREENS))
def test_an_officer_checks_fixes_and_loads_a_file_on_every_screen(screen, chromium, platform_url, test_db_env,
                                                                    transport_officer, tmp_path):
    prefix = f"UI-{screen}-"
    lights = tmp_path / f"den-{screen}.geojson"
    lights.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [106.886 + i * 1e-4, 11.54]},
         "properties": {"Mã đèn": f"{prefix}{i}", "Loại đèn": "Bóng LED", "Công suất (W)": 120,
                        "Trạng thái": "Đang hoạt động"}} for i in range(3)]}, ensure_ascii=False), encoding="utf-8")
    base = "desktop" if screen == "tablet" else screen
    page = new_page(chromium, base, **SCREENS[screen])
    sign_in(page, platform_url, USER, PASSWORD)
    looks_right(page, f"{screen} /data/")

    page.set_input_files("input[name=file]", str(lights))
    page.select_option("select[name=target]", "streetlights")
    page.click("text=Tải lên và kiểm tra")
    page.wait_for_selector("text=Chọn trường cho các cột bắt buộc")  # the file has no circuit column
    page.wait_for_load_state()
    assert page.is_hidden("#fixed_circuit")
    page.select_option("#map_circuit", "=")  # "(giá trị cố định)"
    assert page.is_visible("#fixed_circuit")
    page.fill("#fixed_circuit", "TĐ-UI")
    for column, field in (("light_code", "Mã đèn"), ("lamp_type", "Loại đèn"), ("wattage_w", "Công suất (W)"),
                          ("status", "Trạng thái")):
        page.select_option(f"#map_{column}", field)
    page.click("text=Kiểm tra lại")
    page.wait_for_selector("text=Kiểm tra thử")
    page.wait_for_load_state()  # and its script has run
    samples = page.inner_text("table.samples")
    assert "TĐ-UI" in samples and "Đèn LED" in samples  # the rows as they will be stored, names decoded
    assert page.is_hidden("#keys")  # key columns only for "update or add"
    looks_right(page, f"{screen} check page")

    page.check("input[name=mode][value=replace]")
    page.click("#confirm")
    page.wait_for_selector("text=Xác nhận thay thế toàn bộ lớp")
    assert "sẽ bị xóa" in page.inner_text("main")
    looks_right(page, f"{screen} replace confirmation")
    page.click("text=Hủy, quay lại kiểm tra")  # back to the check, mapping and fixed value kept
    page.wait_for_selector("text=Kiểm tra thử")
    assert page.input_value("#fixed_circuit") == "TĐ-UI"

    page.dblclick("#confirm")  # append (the default), clicked twice
    try:
        page.wait_for_url("**/data/jobs/**")
    except PlaywrightError:  # the second click's submission aborted the first one's navigation: wait for it
        page.wait_for_url("**/data/jobs/**")
    wait_until(page, "document.querySelector('#state') && document.querySelector('#state').dataset.state === 'done'")
    assert "Hoàn tất" in page.inner_text("#state") and "Đèn chiếu sáng công cộng" in page.inner_text("main")
    looks_right(page, f"{screen} job page")
    assert page.outside_requests == []
    counted = run_manage(test_db_env, "shell", "-c", COUNT_IMPORTS.format(user=USER, name=lights.name, prefix=prefix))
    assert counted.stdout.split()[-2:] == ["1", "3"]  # one import of the three lights, circuit from the fixed value
    page.context.close()


@pytest.mark.parametrize("screen", ["phone", "desktop"])
def test_refusals_and_english_pages_are_accessible(screen, chromium, platform_url, transport_officer, tmp_path):
    bad = tmp_path / "den-hong.geojson"
    bad.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [106.886, 11.541]},
         "properties": {"light_code": "UI-BAD", "circuit": "T", "lamp_type": "led", "wattage_w": 1,
                        "status": "bogus"}}]}), encoding="utf-8")
    page = new_page(chromium, screen)
    sign_in(page, platform_url, USER, PASSWORD, "/data/?lang=en")
    looks_right(page, f"{screen} /data/?lang=en")
    page.set_input_files("input[name=file]", str(bad))
    page.select_option("select[name=target]", "streetlights")
    page.click("text=Upload and check")
    page.wait_for_selector("text=Validation preview")
    page.wait_for_load_state()
    assert page.is_disabled("#confirm")  # nothing to load
    looks_right(page, f"{screen} check page, nothing accepted")
    page.goto(f"{platform_url}/data/export?layer=schools&format=exe")
    assert "Unsupported format" in page.inner_text("main")
    looks_right(page, f"{screen} error page")
    page.context.close()
