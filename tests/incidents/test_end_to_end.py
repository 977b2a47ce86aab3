"""The issue's whole walk in Chromium, with the platform served as `make run` serves it: a citizen files a
report with a photo on a 360 px phone; the operator's open /ioc/ page shows it without a reload; the
operator forwards it; the agency officer's open page receives it and posts the result; the IOC reviews
and publishes it; the citizen's open status page shows the result. A second citizen nearby is offered
the first report as a duplicate, files anyway, and the operator merges the two; the second citizen's
page then follows the first. No request leaves 127.0.0.1, no script fails."""
import io
import re
import uuid

import pytest
from PIL import Image

from tests.browser import new_page, sign_in, wait_until
from tests.conftest import run_manage

pytestmark = pytest.mark.django_db

MARKET = (106.8861, 11.5372)  # a ward of Đồng Xoài (district 689)
NEXT_DOOR = (106.8866, 11.5375)  # about 65 m away: offered as a duplicate (250 m)

USERS = """
from django.contrib.auth.models import Group, User
for name, group in (("dh-{tag}", "ioc_operator"), ("mt-{tag}", "officer:environment")):
    User.objects.create_user(name, password="Mat-khau-{tag}").groups.add(Group.objects.get_or_create(name=group)[0])
"""
CLEAN = """
from incidents.models import Incident, IncidentPhoto
from django.conf import settings
for photo in IncidentPhoto.objects.filter(incident__tracking_code__in={codes!r}):
    for name in (photo.path, photo.thumb_path):
        (settings.GEO_MEDIA_DIR / name).unlink(missing_ok=True)
"""


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (90, 140, 60)).save(out, "JPEG")
    return out.getvalue()


def citizen_files(page, base: str, where: tuple[float, float], description: str, *, photo: bytes | None = None,
                  duplicate_of: str | None = None) -> str:
    page.context.set_geolocation({"latitude": where[1], "longitude": where[0]})
    page.goto(f"{base}/phan-anh/")
    page.select_option("#category", "environment")
    page.click("#locate")
    wait_until(page, f"document.getElementById('lon').value === '{where[0]:.6f}'")
    page.fill("#description", description)
    if photo:
        page.set_input_files("#photos", files=[{"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": photo}])
        wait_until(page, "document.querySelectorAll('#photo-previews img').length === 1")
    if duplicate_of:  # the open report next door is offered before sending; the citizen files anyway
        wait_until(page, "!document.getElementById('nearby').hidden")
        assert duplicate_of in page.inner_text("#nearby")
        page.click("#send")
        wait_until(page, "document.getElementById('send').textContent.includes('Vẫn gửi')")
    page.click("#send")
    page.wait_for_url(re.compile(r".*/phan-anh/PA-\d{4}-[A-Z0-9]{5}/\?moi=1$"))
    return page.inner_text("#tracking-code").strip()


def test_a_phone_report_goes_live_through_the_ioc_and_the_agency_back_to_the_citizen(chromium, platform_url,
                                                                                   test_db_env):
    tag = uuid.uuid4().hex[:8]
    run_manage(test_db_env, "shell", "-c", USERS.format(tag=tag))
    operator, officer = new_page(chromium, "desktop"), new_page(chromium, "desktop")
    sign_in(operator, platform_url, f"dh-{tag}", f"Mat-khau-{tag}", next_path="/ioc/")
    wait_until(operator, "window.ioc && window.ioc.ready")
    sign_in(officer, platform_url, f"mt-{tag}", f"Mat-khau-{tag}", next_path="/ioc/co-quan/")
    wait_until(officer, "window.agency && window.agency.ready")
    citizen = new_page(chromium, "phone", permissions=["geolocation"])
    neighbour = new_page(chromium, "phone", permissions=["geolocation"])
    codes = []
    try:
        code = citizen_files(citizen, platform_url, MARKET, f"Rác đổ tràn lòng đường chợ {tag}", photo=jpeg())
        codes.append(code)
        wait_until(citizen, "document.body.dataset.live === 'stream'")  # the status page follows it live

        # The operator's open page shows it without a reload (pushed from the change log).
        row = operator.wait_for_selector(f'#incident-list li:has-text("{code}")')
        pk = row.get_attribute("data-id")
        wait_until(operator, f"window.ioc.hasMarker({pk})")
        operator.click(f'#incident-list li[data-id="{pk}"] button')
        operator.wait_for_selector(f'#detail[data-id="{pk}"]')
        operator.click('#detail form[data-action="forward"] button[type=submit]')
        operator.wait_for_selector(f'#detail[data-id="{pk}"][data-status="forwarded"]')

        # The agency's open page receives it; the officer posts the result.
        officer.wait_for_selector(f'#agency-list li[data-id="{pk}"]')
        officer.click(f'#agency-list li[data-id="{pk}"] button')
        officer.fill('#detail form[data-action="handle"] textarea', f"Đã thu gom rác, phạt hộ vi phạm {tag}.")
        officer.click('#detail form[data-action="handle"] button[type=submit]')
        officer.wait_for_selector(f'#detail[data-id="{pk}"][data-status="handled"]')

        # The IOC reviews and publishes; the citizen's open status page shows the result and the photo.
        operator.wait_for_selector(f'#detail[data-id="{pk}"][data-status="handled"]')
        operator.click('#detail form[data-action="review"] button[type=submit]')
        operator.wait_for_selector(f'#detail[data-id="{pk}"][data-status="reviewed"]')
        operator.click('#detail form[data-action="publish"] button[type=submit]')
        operator.wait_for_selector(f'#detail[data-id="{pk}"][data-status="published"]')
        wait_until(citizen, f"document.getElementById('result').textContent.includes('phạt hộ vi phạm {tag}')")
        assert "Đã công khai kết quả" in citizen.inner_text("#status-name")
        wait_until(citizen, "document.querySelector('#photos img') !== null && "
                            "document.querySelector('#photos img').naturalWidth > 0")

        # A second report of the same kind next door: offered the first as a duplicate while it was
        # open... it is closed now, so file a fresh pair: a primary, then a duplicate offered and merged.
        primary = citizen_files(citizen, platform_url, MARKET, f"Nước thải chảy ra đường {tag}")
        duplicate = citizen_files(neighbour, platform_url, NEXT_DOOR, f"Nước thải bốc mùi {tag}",
                                  duplicate_of=primary)
        codes += [primary, duplicate]
        wait_until(neighbour, "document.body.dataset.live === 'stream'")
        operator.click("#detail button.close")  # back to the list
        dup_row = operator.wait_for_selector(f'#incident-list li:has-text("{duplicate}")')
        dup_pk = dup_row.get_attribute("data-id")
        operator.click(f'#incident-list li[data-id="{dup_pk}"] button')
        operator.wait_for_selector(f'#detail[data-id="{dup_pk}"] button.merge')
        operator.click(f'#detail[data-id="{dup_pk}"] button.merge')
        operator.wait_for_selector(f'#detail[data-id="{dup_pk}"][data-status="merged"]')
        wait_until(neighbour, f"document.body.textContent.includes('{primary}')")  # follows its primary

        for page in (operator, officer, citizen, neighbour):
            assert page.outside_requests == [], page.outside_requests
            assert page.errors == [], page.errors
    finally:
        for page in (operator, officer, citizen, neighbour):
            page.context.close()
        run_manage(test_db_env, "shell", "-c", CLEAN.format(codes=codes))
