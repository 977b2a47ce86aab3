"""The IOC's three processes (DOMAIN.md "IOC processes") as state machines: which action moves an
incident from which status to which, who may take it, and what it needs.

- timed: received → verified → forwarded to the agency → handled (the agency's result) → reviewed by
  the IOC → published; the IOC may send a result back (handled → forwarded), reject an invalid
  report or merge a duplicate into its primary.
- immediate (fire, accident, robbery, disorder, medical): received → dispatched (the category's
  scenario: agencies alerted, nearest units by road sent at once) → on scene → resolved → published.
- command support (storms, floods, epidemics, riots): received → command (tasks per agency, the
  leaders' board) → closed → published.

Overdue is never stored: an incident is overdue while it is open (no closed_at) past its due time.
"""
from __future__ import annotations

from dataclasses import dataclass

from layers.registry import ROLE_ADMIN, ROLE_IOC, officer

from .models import Process, Status

TIMED, IMMEDIATE, COMMAND = Process.TIMED, Process.IMMEDIATE, Process.COMMAND
ALL = frozenset({TIMED, IMMEDIATE, COMMAND})

# Statuses after which the incident is no longer worked (closed_at is set on entering them).
CLOSING = {
    TIMED: {Status.REVIEWED, Status.PUBLISHED, Status.REJECTED, Status.MERGED},
    IMMEDIATE: {Status.RESOLVED, Status.PUBLISHED, Status.REJECTED, Status.MERGED},
    COMMAND: {Status.CLOSED, Status.PUBLISHED, Status.REJECTED, Status.MERGED},
}
FINAL = {Status.PUBLISHED, Status.REJECTED, Status.MERGED}
# Open311 has two statuses; the detailed one travels in status_notes and our own fields.
OPEN311_CLOSED = {Status.REVIEWED, Status.PUBLISHED, Status.REJECTED, Status.MERGED, Status.RESOLVED,
                  Status.CLOSED}

IOC = "ioc"          # the operators (role ioc_operator) and administrators
AGENCY = "agency"    # officers of the incident's agency (role officer:<agency>), and the IOC


@dataclass(frozen=True)
class Step:
    action: str
    processes: frozenset[str]
    sources: frozenset[str]
    target: str
    who: str = IOC
    needs: str = ""  # "note", "result", "agency", "primary", "units"
    public: bool = True  # whether the step shows on the reporter's timeline
    label_vi: str = ""
    label_en: str = ""


def _step(action, processes, sources, target, label_vi, label_en, **kwargs) -> Step:
    return Step(action, frozenset(processes), frozenset(sources), target, label_vi=label_vi, label_en=label_en,
                **kwargs)


R, V, F, H = Status.RECEIVED, Status.VERIFIED, Status.FORWARDED, Status.HANDLED
STEPS = {s.action: s for s in (
    _step("verify", {TIMED}, {R}, V, "Xác minh", "Verify"),
    _step("forward", {TIMED}, {R, V, H}, F, "Chuyển cơ quan xử lý", "Forward to agency", needs="agency"),
    _step("handle", {TIMED}, {F}, H, "Báo cáo kết quả xử lý", "Post the result", who=AGENCY, needs="result",
          public=False),
    _step("review", {TIMED}, {H}, Status.REVIEWED, "Duyệt kết quả", "Accept the result", public=False),
    _step("publish", ALL, {Status.REVIEWED, Status.RESOLVED, Status.CLOSED}, Status.PUBLISHED,
          "Công khai kết quả", "Publish the result"),
    _step("reject", ALL, {R, V}, Status.REJECTED, "Từ chối (không hợp lệ)", "Reject as invalid", needs="note"),
    _step("merge", ALL, {R, V, F}, Status.MERGED, "Gộp vào phản ánh trùng", "Merge as duplicate", needs="primary"),
    _step("dispatch", {IMMEDIATE}, {R, V, Status.DISPATCHED}, Status.DISPATCHED, "Kích hoạt kịch bản, điều lực lượng",
          "Run the scenario, dispatch units"),
    _step("arrive", {IMMEDIATE}, {Status.DISPATCHED}, Status.ON_SCENE, "Lực lượng đến hiện trường",
          "Units on scene"),
    _step("resolve", {IMMEDIATE}, {Status.DISPATCHED, Status.ON_SCENE}, Status.RESOLVED, "Kết thúc xử lý",
          "Resolved", needs="result"),
    _step("command", {COMMAND}, {R, V}, Status.COMMAND, "Mở chỉ huy ứng phó", "Open command support"),
    _step("close", {COMMAND}, {Status.COMMAND}, Status.CLOSED, "Kết thúc ứng phó", "Stand down", needs="result"),
)}


class WorkflowRefused(Exception):
    """A step the workflow does not allow: HTTP status and a message for the user (vi / en)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def step_for(action: str) -> Step:
    try:
        return STEPS[action]
    except KeyError:
        raise WorkflowRefused(400, f"Không có thao tác {action!r}. / Unknown action {action!r}.") from None


def may_act(step: Step, roles: frozenset[str], agency: str | None) -> bool:
    if ROLE_ADMIN in roles or ROLE_IOC in roles:
        return True
    return step.who == AGENCY and agency is not None and officer(agency) in roles


def check_step(step: Step, *, process: str, status: str, roles: frozenset[str], agency: str | None) -> None:
    """Raise WorkflowRefused unless an actor with `roles` may take `step` on an incident of `process`
    at `status` handled by `agency`."""
    if not may_act(step, roles, agency):
        raise WorkflowRefused(403, "Bạn không có quyền thực hiện thao tác này. / You may not take this step.")
    if process not in step.processes:
        raise WorkflowRefused(409, f"Thao tác “{step.label_vi}” không thuộc quy trình của sự cố này. / "
                                   f"“{step.label_en}” is not part of this incident's process.")
    if status not in step.sources:
        raise WorkflowRefused(409, f"Không thể “{step.label_vi}” khi sự cố đang “{Status(status).label}”. / "
                                   f"Cannot “{step.label_en.lower()}” an incident that is {status}.")


def actions_open(*, process: str, status: str, roles: frozenset[str], agency: str | None) -> list[Step]:
    """The steps this actor may take now (the buttons an operator or officer sees)."""
    return [s for s in STEPS.values() if process in s.processes and status in s.sources and may_act(s, roles, agency)]


def is_closing(process: str, status: str) -> bool:
    return status in CLOSING[process]


STATUS_EN = {
    Status.RECEIVED: "Received", Status.VERIFIED: "Verified", Status.FORWARDED: "Forwarded to the agency",
    Status.HANDLED: "Handled, awaiting IOC review", Status.REVIEWED: "Result reviewed",
    Status.PUBLISHED: "Result published", Status.REJECTED: "Rejected (invalid)", Status.MERGED: "Duplicate (merged)",
    Status.DISPATCHED: "Units dispatched", Status.ON_SCENE: "Units on scene", Status.RESOLVED: "Resolved",
    Status.COMMAND: "Command support active", Status.CLOSED: "Closed",
}


def status_label(status: str, language: str = "vi") -> str:
    return STATUS_EN[status] if language == "en" else Status(status).label
