"""An officer loads a GeoJSON of street lights through the /data/ pages in Chromium: sign in, upload,
check, confirm, follow the progress; nothing requested from outside the machine."""
import json
from pathlib import Path

import pytest

from layers.registry import officer
from tests.browser import new_page
from tests.conftest import run_manage

pytestmark = [pytest.mark.browser, pytest.mark.django_db]
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


SETUP = """
from django.contrib.auth.models import Group, User
user = User.objects.create_user("den-duong", password="Mat-khau-2026")
user.groups.add(Group.objects.get_or_create(name="{group}")[0])
"""
CLEANUP = """
from django.contrib.auth.models import User
from importers.models import ImportRecord
from transport.models import Streetlight
Streetlight.objects.filter(light_code__startswith="WEB-").delete()
ImportRecord.objects.filter(user__username="den-duong").delete()
User.objects.filter(username="den-duong").delete()
"""


@pytest.fixture
def transport_officer(test_db_env):
    """A committed account: the platform under gunicorn runs in other processes, which do not see
    this test's (rolled back) writes."""
    run_manage(test_db_env, "shell", "-c", SETUP.format(group=officer("transport")))
    yield "den-duong"
    run_manage(test_db_env, "shell", "-c", CLEANUP)


def test_officer_loads_street_lights_through_the_browser(chromium, platform_url, test_db_env, transport_officer,
                                                         tmp_path):
    lights = tmp_path / "den-moi.geojson"
    lights.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [106.884 + i * 1e-4, 11.535]},
         "properties": {"Mã đèn": f"WEB-{i}", "Tủ điện": "TĐ-WEB", "lamp_type": "led", "Công suất": 150,
                        "status": "operating" if i else "bogus"}} for i in range(4)]}, ensure_ascii=False),
        encoding="utf-8")
    page = new_page(chromium, "desktop")
    page.goto(f"{platform_url}/data/")
    page.fill("input[name=username]", "den-duong")
    page.fill("input[name=password]", "Mat-khau-2026")
    page.click("button[type=submit]")
    page.set_input_files("input[name=file]", str(lights))
    page.select_option("select[name=target]", "streetlights")
    page.click("text=Tải lên và kiểm tra")
    # "Tủ điện" and "Công suất" are not column names: the officer maps them, then checks again.
    page.wait_for_selector("text=Chọn trường cho các cột bắt buộc")
    page.select_option("#map_circuit", "Tủ điện")
    page.select_option("#map_wattage_w", "Công suất")
    page.click("text=Kiểm tra lại")
    page.wait_for_selector("text=Kiểm tra thử")
    text = page.inner_text("main")
    assert "EPSG:4326" in text and "4 dòng đã kiểm tra" in text and "bogus" in text
    page.screenshot(path=str(ARTIFACTS / "import-check.png"), full_page=True)
    page.check("input[name=skip_invalid]")
    page.click("text=Xác nhận nạp")
    page.wait_for_selector("#state[data-state='done']")
    assert "Đã nạp 3 dòng" in page.inner_text("#message")
    assert page.is_visible("#rejects a")
    page.screenshot(path=str(ARTIFACTS / "import-done.png"), full_page=True)
    page.context.close()
    assert page.outside_requests == []
    loaded = run_manage(test_db_env, "shell", "-c", "from transport.models import Streetlight; print(sorted("
                        "Streetlight.objects.filter(light_code__startswith='WEB-').values_list('light_code', flat=True)))")
    assert loaded.stdout.strip().endswith("['WEB-1', 'WEB-2', 'WEB-3']")
