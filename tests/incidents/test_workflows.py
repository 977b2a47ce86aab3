"""The three IOC processes as the operators, agencies and citizens meet them: a report comes in with
its due time and district, moves through its workflow only by allowed steps, keeps a timeline of
every change, and shows the public only what is public; everything is written through the one
write service (change log entries with actor and source)."""
import datetime as dt

import pytest
from django.utils import timezone

from incidents import selectors, services
from incidents.layers import INCIDENTS
from incidents.models import Incident, IncidentReporter, IncidentUpdate, Status
from incidents.services import Actor
from incidents.workflows import WorkflowRefused
from layers import history
from layers.models import Change
from layers.registry import ROLE_IOC, ROLE_MANAGER, officer

pytestmark = pytest.mark.django_db

DONG_XOAI = (106.884, 11.535)  # provincial capital (DOMAIN.md); inside district 689
OPERATOR = Actor("op.nguyen", frozenset({ROLE_IOC}))
ENVIRONMENT = Actor("cb.moitruong", frozenset({officer("environment")}))
TRANSPORT = Actor("cb.giaothong", frozenset({officer("transport")}))
CITIZEN = Actor.citizen("web")


def report(category="environment", where=DONG_XOAI, **kwargs) -> Incident:
    return services.incident_report(category=category, lon=where[0], lat=where[1], channel="web", actor=CITIZEN,
                                    description=kwargs.pop("description", "Rác thải đổ bên đường"), **kwargs)


def test_a_report_gets_a_tracking_code_its_district_and_a_due_time_from_the_service_level():
    before = timezone.now()
    incident = report(reporter={"name": "Nguyễn Văn A", "phone": "0912345678"})
    assert incident.tracking_code.startswith("PA-") and len(incident.tracking_code) == 13
    assert incident.status == Status.RECEIVED and incident.district_id == "689"
    assert incident.agency_id == "environment"
    # environment is a timed category; normal priority: 72 h (incidents/codelists/service_level.csv)
    assert abs((incident.due_at - incident.reported_at) - dt.timedelta(hours=72)) < dt.timedelta(seconds=1)
    assert incident.reported_at >= before
    assert IncidentReporter.objects.get(incident=incident).phone == "0912345678"
    entry = Change.objects.filter(layer_id="incidents", feature_id=incident.pk).get()
    assert (entry.op, entry.source, entry.actor) == ("I", "report", "công dân (web)")


def test_the_timed_process_runs_from_report_to_published_result_with_a_timeline():
    incident = report()
    services.incident_act(incident_id=incident.pk, action="verify", actor=OPERATOR)
    services.incident_act(incident_id=incident.pk, action="forward", actor=OPERATOR, agency="environment")
    with pytest.raises(WorkflowRefused) as refused:  # another agency cannot post the result
        services.incident_act(incident_id=incident.pk, action="handle", actor=TRANSPORT, result="Đã dọn")
    assert refused.value.status == 403
    services.incident_act(incident_id=incident.pk, action="handle", actor=ENVIRONMENT, result="Đã thu gom rác")
    assert selectors.public_status(Incident.objects.get(pk=incident.pk))["result"] == ""  # not yet published
    services.incident_act(incident_id=incident.pk, action="review", actor=OPERATOR)
    done = services.incident_act(incident_id=incident.pk, action="publish", actor=OPERATOR)
    assert done.status == Status.PUBLISHED and done.closed_at is not None and done.result_published_at
    kinds = list(IncidentUpdate.objects.filter(incident=incident).values_list("kind", "actor"))
    assert kinds == [("report", "công dân (web)"), ("verify", "op.nguyen"), ("forward", "op.nguyen"),
                     ("handle", "cb.moitruong"), ("review", "op.nguyen"), ("publish", "op.nguyen")]
    public = selectors.public_status(done)
    assert public["result"] == "Đã thu gom rác" and public["status_name"] == "Đã công khai kết quả"
    # Every step is a version of the feature, attributed in the change log.
    versions, _ = history.versions(INCIDENTS, incident.pk, limit=20)
    assert [v.source for v in versions] == ["report"] + ["workflow"] * 5


def test_steps_out_of_order_or_of_another_process_are_refused_and_change_nothing():
    incident = report()
    for action, actor, status in (("publish", OPERATOR, 409), ("dispatch", OPERATOR, 409),
                                  ("verify", ENVIRONMENT, 403), ("verify", CITIZEN, 403), ("explode", OPERATOR, 400),
                                  ("reject", OPERATOR, 400)):  # reject needs a note
        with pytest.raises(WorkflowRefused) as refused:
            services.incident_act(incident_id=incident.pk, action=action, actor=actor)
        assert refused.value.status == status, action
    assert Incident.objects.get(pk=incident.pk).status == Status.RECEIVED
    assert IncidentUpdate.objects.filter(incident=incident).count() == 1


def test_overdue_is_computed_from_the_due_time_never_typed():
    incident = report(reported_at=timezone.now() - dt.timedelta(hours=80))  # 72 h service level
    fresh = report()
    overdue = set(Incident.objects.overdue(timezone.now()).values_list("pk", flat=True))
    assert incident.pk in overdue and fresh.pk not in overdue
    assert selectors.incident_detail(incident.pk, roles={ROLE_IOC})["overdue"] is True
    services.incident_act(incident_id=incident.pk, action="reject", actor=OPERATOR, note="Không đúng sự thật")
    assert incident.pk not in set(Incident.objects.overdue(timezone.now()).values_list("pk", flat=True))


def test_a_duplicate_is_offered_nearby_and_a_merged_report_follows_its_primary():
    Incident.objects.all().delete()  # the demo month's reports around Đồng Xoài (rolled back after the test)
    primary = report(description="Cống bốc mùi hôi")
    # 100 m north: 0.0009 degrees of latitude is about 100 m
    second = report(where=(DONG_XOAI[0], DONG_XOAI[1] + 0.0009), description="Mùi hôi từ cống")
    far = report(where=(DONG_XOAI[0], DONG_XOAI[1] + 0.01))  # about 1.1 km: not offered
    offered = selectors.nearby_open(category="environment", lon=DONG_XOAI[0], lat=DONG_XOAI[1] + 0.0009,
                                    exclude=second.pk)
    assert [o["id"] for o in offered][:1] == [primary.pk] and far.pk not in [o["id"] for o in offered]
    assert 90 <= offered[0]["distance_m"] <= 110
    assert selectors.nearby_open(category="traffic", lon=DONG_XOAI[0], lat=DONG_XOAI[1]) == []
    services.incident_act(incident_id=second.pk, action="merge", actor=OPERATOR, primary_id=primary.pk)
    assert Incident.objects.get(pk=primary.pk).supporters == 1
    services.incident_act(incident_id=primary.pk, action="reject", actor=OPERATOR, note="Đã kiểm tra, không có")
    followed = selectors.public_status(Incident.objects.get(pk=second.pk))
    assert followed["merged_into"] == primary.tracking_code and followed["status"] == Status.REJECTED
    with pytest.raises(WorkflowRefused):  # a closed report cannot be supported or merged into
        services.incident_support(incident_id=primary.pk, actor=CITIZEN)


def test_personal_data_is_seen_by_ioc_roles_only():
    incident = report(reporter={"name": "Trần Thị B", "phone": "0987654321"})
    assert selectors.incident_detail(incident.pk, roles={ROLE_IOC})["reporter"]["phone"] == "0987654321"
    assert selectors.incident_detail(incident.pk, roles={ROLE_MANAGER})["reporter"] is None
    assert selectors.incident_detail(incident.pk, roles={officer("environment")}) is None  # not forwarded yet
    services.incident_act(incident_id=incident.pk, action="forward", actor=OPERATOR, agency="environment")
    seen = selectors.incident_detail(incident.pk, roles={officer("environment")})
    assert seen["reporter"] is None and [a["action"] for a in seen["actions"]] == ["handle"]
    public = selectors.public_status(incident)
    assert "0987654321" not in str(public) and "Trần Thị B" not in str(public)


def test_bad_report_input_is_refused_with_a_clear_message():
    for kwargs, words in ((dict(category="nope"), "Unknown category"),
                          (dict(where=(105.0, 10.0)), "outside"),
                          (dict(description=" "), "description"),
                          (dict(description="x" * 2001), "longer than"),
                          (dict(description="a\x00b"), "control characters"),
                          (dict(priority="asap"), "priority")):
        with pytest.raises(WorkflowRefused) as refused:
            report(**kwargs)
        assert refused.value.status == 400 and words in str(refused.value), kwargs
    assert not Incident.objects.filter(description__startswith="x" * 10).exists()


def test_command_support_opens_tasks_per_agency_for_the_board():
    storm = report(category="storm", description="Lốc xoáy tốc mái nhà")
    services.incident_act(incident_id=storm.pk, action="command", actor=OPERATOR)
    board = selectors.board(storm.pk, roles={ROLE_MANAGER})
    assert {t["agency"] for t in board["tasks"]} == {"agriculture", "public_security", "fire", "health", "utilities",
                                                   "district"}
    fire_task = next(t for t in board["tasks"] if t["agency"] == "fire")
    with pytest.raises(WorkflowRefused):
        services.task_set(task_id=fire_task["id"], state="done", actor=ENVIRONMENT)
    services.task_set(task_id=fire_task["id"], state="doing", actor=Actor("pccc", frozenset({officer("fire")})))
    assert selectors.board(storm.pk, roles={ROLE_MANAGER})["task_counts"] == {"todo": 5, "doing": 1}
    assert selectors.board(storm.pk, roles={officer("fire")}) is None


def test_every_agency_incidents_go_to_has_officers_who_can_be_given_accounts():
    from accounts.services import DEPARTMENTS
    from incidents.models import Agency, IncidentCategory

    assert set(Agency.objects.values_list("code", flat=True)) <= set(DEPARTMENTS)
    for category in IncidentCategory.objects.all():  # every scenario names real agencies and unit kinds
        assert set(filter(None, category.alert_agencies.split("|"))) <= set(DEPARTMENTS), category.code
        kinds = {part.split(":")[0] for part in filter(None, category.dispatch_units.split("|"))}
        assert kinds <= {"fire", "police", "ambulance", "rescue"}, category.code
