"""Chromium end to end: an operator keeps /ioc/ open, a report committed elsewhere appears on it without
a reload, the operator forwards it, the agency officer's open page receives it and posts the result,
the operator's open detail follows, and the operator reviews and publishes it. Nothing leaves
127.0.0.1 and no script fails (CSP included)."""
import json
import uuid

import pytest

from tests.browser import new_page, sign_in, wait_until
from tests.conftest import run_manage
from tests.incidents.test_ioc_pages import ioc_url  # noqa: F401  (the ASGI server fixture)

pytestmark = pytest.mark.django_db

USERS = """
from django.contrib.auth.models import Group, User
for name, group in (("dieu-hanh-{tag}", "ioc_operator"), ("moi-truong-{tag}", "officer:environment")):
    user = User.objects.create_user(name, password="Mat-khau-{tag}")
    user.groups.add(Group.objects.get_or_create(name=group)[0])
"""

REPORT = """
from incidents import services
from incidents.services import Actor
i = services.incident_report(category="environment", lon=106.8852, lat=11.5361, channel="web",
                             actor=Actor.citizen("web"), description="Đốt rác gây khói {tag}",
                             reporter={{"name": "Lê Văn Dũng", "phone": "0909000222"}})
print(i.pk)
"""


def test_a_report_flows_live_from_the_citizen_to_the_operator_the_agency_and_back(chromium, ioc_url,  # noqa: F811
                                                                                   test_db_env):
    tag = uuid.uuid4().hex[:8]
    password = f"Mat-khau-{tag}"
    run_manage(test_db_env, "shell", "-c", USERS.format(tag=tag))
    operator = new_page(chromium, "desktop")
    sign_in(operator, ioc_url, f"dieu-hanh-{tag}", password, next_path="/ioc/")
    wait_until(operator, "window.ioc && window.ioc.ready")
    officer = new_page(chromium, "desktop")
    sign_in(officer, ioc_url, f"moi-truong-{tag}", password, next_path="/ioc/co-quan/")
    wait_until(officer, "window.agency && window.agency.ready")

    # A citizen's report, committed by another process, appears on the open map and list.
    pk = int(run_manage(test_db_env, "shell", "-c", REPORT.format(tag=tag)).stdout.split()[-1])
    operator.wait_for_selector(f'#incident-list li[data-id="{pk}"]')
    wait_until(operator, f"window.ioc.hasMarker({pk})")
    assert operator.evaluate(f"window.ioc.feature({pk}).status") == "received"

    # The operator opens it (reporter's phone visible to the IOC) and forwards it to its agency.
    operator.click(f'#incident-list li[data-id="{pk}"] button')
    operator.wait_for_selector(f'#detail[data-id="{pk}"]')
    assert "0909000222" in operator.inner_text("#detail")
    operator.click('#detail form[data-action="forward"] button[type=submit]')
    operator.wait_for_selector(f'#detail[data-id="{pk}"][data-status="forwarded"]')

    # The agency's open page receives it live; the officer posts the result (no personal data shown).
    officer.wait_for_selector(f'#agency-list li[data-id="{pk}"]')
    officer.click(f'#agency-list li[data-id="{pk}"] button')
    officer.wait_for_selector(f'#detail[data-id="{pk}"] form[data-action="handle"]')
    assert "0909000222" not in officer.inner_text("#detail")
    officer.fill('#detail form[data-action="handle"] textarea', "Đã xử phạt và dọn sạch bãi rác.")
    officer.click('#detail form[data-action="handle"] button[type=submit]')
    officer.wait_for_selector(f'#detail[data-id="{pk}"][data-status="handled"]')

    # The operator's open detail follows the change live; review, then publish.
    operator.wait_for_selector(f'#detail[data-id="{pk}"][data-status="handled"]')
    operator.click('#detail form[data-action="review"] button[type=submit]')
    operator.wait_for_selector(f'#detail[data-id="{pk}"][data-status="reviewed"]')
    operator.click('#detail form[data-action="publish"] button[type=submit]')
    operator.wait_for_selector(f'#detail[data-id="{pk}"][data-status="published"]')
    assert "Đã xử phạt và dọn sạch bãi rác." in operator.inner_text("#detail")
    wait_until(operator, f"window.ioc.feature({pk}) && window.ioc.feature({pk}).status === 'published'")
    # The KPIs are drawn on the page.
    operator.wait_for_selector("#kpi-median", state="attached")  # under the open detail

    for page in (operator, officer):
        assert page.outside_requests == []
        assert page.errors == [], page.errors
        page.context.close()


def test_the_leaders_board_shows_the_area_tasks_and_follows_task_changes(chromium, ioc_url, test_db_env):  # noqa: F811
    tag = uuid.uuid4().hex[:8]
    setup = f"""
import json
from django.contrib.auth.models import Group, User
from django.contrib.gis.geos import MultiPolygon, Polygon
from incidents import services
from incidents.services import Actor
leader = User.objects.create_user("chi-huy-{tag}", password="Mat-khau-{tag}")
leader.groups.add(Group.objects.get_or_create(name="manager")[0])
area = MultiPolygon(Polygon(((106.87, 11.52), (106.90, 11.52), (106.90, 11.55), (106.87, 11.55), (106.87, 11.52))))
i = services.incident_report(category="flood", lon=106.884, lat=11.535, channel="hotline", area=area,
                             actor=Actor("op", frozenset({{"ioc_operator"}})), description="Ngập sâu {tag}")
services.incident_act(incident_id=i.pk, action="command", actor=Actor("op", frozenset({{"ioc_operator"}})))
print(json.dumps({{"id": i.pk, "task": i.tasks.first().pk, "agency": i.tasks.first().agency_id}}))
"""
    made = json.loads(run_manage(test_db_env, "shell", "-c", setup).stdout.strip().splitlines()[-1])
    page = new_page(chromium, "desktop")
    sign_in(page, ioc_url, f"chi-huy-{tag}", f"Mat-khau-{tag}", next_path=f"/ioc/chi-huy/{made['id']}")
    page.wait_for_selector(f'tr[data-task="{made["task"]}"].task-todo')
    assert "Ngập sâu" in page.inner_text("#board-body")
    run_manage(test_db_env, "shell", "-c", f"""
from incidents import services
from incidents.services import Actor
services.task_set(task_id={made['task']}, state="doing", actor=Actor("cb", frozenset({{"officer:{made['agency']}"}})))
""")
    page.wait_for_selector(f'tr[data-task="{made["task"]}"].task-doing', timeout=30000)
    assert page.outside_requests == [] and page.errors == [], page.errors
    page.context.close()
