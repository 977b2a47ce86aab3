"""The IOC's key figures from a handful of incidents whose figures are worked out by hand: open and
overdue by district and category, the median time to close over 30 days, the share handled on time
per agency (the agency's "handle" step for the timed process)."""
import datetime as dt

import pytest
from django.utils import timezone

from incidents import kpis, services
from incidents.models import Incident, IncidentUpdate, Status
from incidents.services import Actor
from places.models import AdminUnit

pytestmark = pytest.mark.django_db

DONG_XOAI = (106.884, 11.535)  # district 689
NOW = timezone.now().replace(microsecond=0)
DAY, HOUR = dt.timedelta(days=1), dt.timedelta(hours=1)


def incident(category, reported, where=DONG_XOAI, *, closed=None, status=None, handled=None):
    """A report at `reported` (its due time from the service level: timed/normal = 72 h), closed at
    `closed` with `status`, its agency's result posted at `handled`."""
    made = services.incident_report(category=category, lon=where[0], lat=where[1], channel="web",
                                    actor=Actor.citizen("web"), description="Kiểm tra chỉ số", reported_at=reported)
    if closed or status:
        Incident.objects.filter(pk=made.pk).update(closed_at=closed, status=status or Status.REVIEWED,
                                                   merged_into=made.pk - 1 if status == Status.MERGED else None)
    if handled:
        IncidentUpdate.objects.create(incident=made, at=handled, actor="cb", kind="handle", status_from="forwarded",
                                      status_to="handled")
    return made


@pytest.fixture
def figures():
    Incident.objects.all().delete()  # only these incidents (rolled back after the test)
    other = AdminUnit.objects.filter(level_id="district").exclude(gso_code="689").order_by("gso_code").first()
    inside = other.geom.point_on_surface
    # A: environment, 96 h to close, result posted a day before its due time (on time).
    incident("environment", NOW - 10 * DAY, closed=NOW - 6 * DAY, handled=NOW - 8 * DAY)
    # B: environment, 108 h to close, result posted a day after its due time (late).
    incident("environment", NOW - 5 * DAY, closed=NOW - 5 * DAY + 108 * HOUR, handled=NOW - DAY)
    # C: traffic (transport), open and past its due time (now - 1 day): overdue, late for certain.
    incident("traffic", NOW - 4 * DAY)
    # D: traffic, open in another district, due in 71 hours.
    incident("traffic", NOW - HOUR, where=(inside.x, inside.y))
    # E: a duplicate merged after 1 hour: not part of the time to close, nor of the agencies' share.
    incident("environment", NOW - 2 * DAY, closed=NOW - 2 * DAY + HOUR, status=Status.MERGED)
    # F: closed 40 days ago: outside the 30-day window.
    incident("environment", NOW - 45 * DAY, closed=NOW - 40 * DAY, handled=NOW - 44 * DAY)
    # G: urban order, closed after 10 h with no agency result yet due in the future: not counted for its agency.
    incident("urban_order", NOW - 2 * DAY, closed=NOW - 2 * DAY + 10 * HOUR)
    return {"other_district": other.gso_code}


def test_open_and_overdue_by_district_and_category(figures):
    by_district = {r["district_code"]: (r["open"], r["overdue"]) for r in kpis.open_by_district(now=NOW)}
    assert by_district == {"689": (1, 1), figures["other_district"]: (1, 0)}  # C overdue in 689; D elsewhere
    by_category = {r["category"]: (r["open"], r["overdue"]) for r in kpis.open_by_category(now=NOW)}
    assert by_category == {"traffic": (2, 1)}


def test_median_time_to_close_over_the_last_30_days(figures):
    # Closed in the window, merged E left out: G 10 h, A 96 h, B 108 h -> median 96 h.
    assert kpis.time_to_close(now=NOW) == {"closed": 3, "median_hours": 96.0, "days": 30}


def test_share_handled_on_time_per_agency(figures):
    shares = {r["agency"]: (r["counted"], r["on_time"], r["share"]) for r in kpis.on_time_by_agency(now=NOW)}
    # environment: A on time, B late (F outside the window, E merged) -> 1 of 2 = 50 %.
    # transport: C unhandled past due -> 0 of 1; D not due yet -> not counted.
    assert shares == {"environment": (2, 1, 50.0), "transport": (1, 0, 0.0)}


def test_the_ioc_page_figures_and_their_csv_say_the_same(figures, client, django_user_model):
    from django.contrib.auth.models import Group

    from incidents.views_ioc import kpi_rows

    user = django_user_model.objects.create_user("leader-kpi")
    user.groups.add(Group.objects.get_or_create(name="manager")[0])
    client.force_login(user)
    data = client.get("/ioc/kpis.json").json()
    assert (data["open"], data["overdue"]) == (2, 1)
    rows = kpi_rows(kpis.kpis(now=NOW))
    assert ["Tổng số sự cố quá hạn", "1"] in rows
    assert rows[4][:2] == ["Thời gian xử lý trung vị 30 ngày qua (giờ)", "96,0"]
    assert ["environment", "Sở Tài nguyên và Môi trường", "2", "1", "50,0"] in rows
