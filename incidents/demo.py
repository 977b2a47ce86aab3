"""A realistic month of incidents for the demo province, so the IOC map is alive on first run.

About 25 reports a day (fewer at weekends), at the hours people report (a morning and a late-afternoon
peak, quiet nights), in districts weighted by population (towns report more per person: apps, web,
cameras), in the district's communes (wards and townships more than rural communes), of categories
weighted by how often the IOC meets them. Each report's life is simulated through its workflow
(workflows.STEPS, checked step by step): older ones are handled and published, some late (overdue while
open), some rejected or merged into an earlier duplicate; immediate ones dispatched within minutes.

Two paths, both through the one write service (layers.writes), so the change log has every incident:
- the month's history (all but the last LIVE_HOURS) is written in bulk: writes.create_many inserts the
  incidents in their simulated final state (one change-log entry each, source "seed") with their
  timelines at the simulated times. The per-incident service path costs about 23 ms a report and 20 ms
  a step (about 65 s for a month; seed_demo must stay fast);
- the last LIVE_HOURS, two immediate incidents with units on the way (when the dispatch layer has
  units) and an active storm under command support with tasks go through incidents.services
  (incident_report, incident_act, task_set) as an operator would, steps timed "now".
"""
from __future__ import annotations

import datetime as dt
import json
import random

import shapely
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Point
from django.db import connection
from django.utils import timezone
from shapely.geometry import shape
from shapely.prepared import prep

from layers import registry, writes
from layers.editing import Editor
from layers.registry import ROLE_IOC, officer
from places.selectors import admin_boundaries_geojson, admin_unit_wkb

from . import services, workflows
from .layers import INCIDENTS
from .models import (Incident, IncidentArea, IncidentCategory, IncidentReporter, IncidentUpdate, Priority,
                     ServiceLevel, Status)
from .services import Actor

SEED_EDITOR = Editor.system("seed_demo")
PER_DAY = 25  # reports a day on weekdays (the IOC of a province of ~1 million people, in its first year)
LIVE_HOURS = 3  # the most recent reports go through the services, as an operator works them

# Population of the district-level units, persons (2019 census, approximate, rounded).
DISTRICT_POPULATION = {
    "688": 75_000, "689": 108_000, "690": 60_000, "691": 82_000, "692": 124_000, "693": 57_000,
    "694": 108_000, "695": 100_000, "696": 153_000, "697": 84_000, "698": 96_000,
}
# Reports per person relative to rural districts: the capital and the towns report far more (IOC app,
# web portal, cameras in the streets).
URBAN_FACTOR = {"689": 2.4, "688": 1.4, "690": 1.4, "697": 1.3}

# Share of reports by category (timed ones dominate; command support is rare and added apart).
CATEGORY_WEIGHT = {"environment": 19, "urban_order": 14, "traffic": 16, "utilities": 15, "security": 8,
                   "accident": 9, "fire": 4, "robbery": 4, "disorder": 4, "medical": 7}
CHANNEL_WEIGHT = {
    workflows.TIMED: {"web": 40, "app": 32, "hotline": 20, "camera": 6, "sensor": 2},
    workflows.IMMEDIATE: {"hotline": 62, "app": 12, "web": 4, "camera": 15, "sensor": 7},
}
PRIORITY_WEIGHT = {
    workflows.TIMED: {Priority.URGENT: 4, Priority.HIGH: 20, Priority.NORMAL: 61, Priority.LOW: 15},
    workflows.IMMEDIATE: {Priority.URGENT: 80, Priority.HIGH: 20},
}
# Reports by hour of the day (local time): quiet nights, peaks at 7-9 and 16-19.
HOUR_WEIGHT = [2, 1, 1, 1, 1, 2, 4, 8, 9, 8, 7, 7, 6, 6, 6, 7, 8, 9, 9, 8, 6, 5, 4, 3]

OPERATORS = [Actor(name, frozenset({ROLE_IOC})) for name in ("ioc.nguyen.van.an", "ioc.tran.thi.binh",
                                                               "ioc.le.hoang.chau", "ioc.pham.thu.dung")]
DESCRIPTIONS = {
    "environment": ["Rác thải đổ trộm ven đường", "Khói đốt rác gây ô nhiễm khu dân cư", "Nước thải chảy ra mương",
                    "Mùi hôi từ cơ sở chăn nuôi", "Bãi rác tự phát chưa được thu gom"],
    "urban_order": ["Lấn chiếm vỉa hè buôn bán", "Xây dựng không phép", "Quảng cáo dán sai quy định",
                    "Vật liệu xây dựng để trên lòng đường"],
    "traffic": ["Ổ gà lớn giữa đường", "Đèn tín hiệu giao thông không hoạt động", "Ùn tắc kéo dài giờ cao điểm",
                "Biển báo bị đổ", "Mặt đường sụt lún"],
    "utilities": ["Mất điện kéo dài", "Đèn chiếu sáng công cộng hỏng", "Vỡ ống nước, nước tràn mặt đường",
                  "Dây điện võng thấp nguy hiểm", "Mất nước sinh hoạt"],
    "security": ["Tụ tập thanh thiếu niên gây ồn ào ban đêm", "Nghi vấn đánh bạc", "Đối tượng lạ khả nghi"],
    "accident": ["Va chạm giữa xe máy và ô tô", "Xe tải lật bên đường", "Tai nạn giao thông, có người bị thương"],
    "fire": ["Cháy nhà dân", "Cháy vườn cao su", "Cháy kho hàng", "Cháy rẫy lan rộng"],
    "robbery": ["Cướp giật túi xách", "Trộm xe máy", "Trộm tài sản trong nhà"],
    "disorder": ["Đánh nhau tại quán nhậu", "Gây rối trật tự tại chợ"],
    "medical": ["Người đột quỵ cần cấp cứu", "Người bị ngã cần cấp cứu", "Ngộ độc thực phẩm"],
}
RESULTS = {
    "environment": "Đã thu gom, xử lý và nhắc nhở hộ vi phạm.", "urban_order": "Đã lập biên bản, yêu cầu khắc phục.",
    "traffic": "Đã sửa chữa, thông tuyến.", "utilities": "Đã khắc phục sự cố.",
    "security": "Công an xã đã kiểm tra, xử lý.",
}
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Võ", "Đặng", "Bùi", "Đỗ", "Điểu", "Thị"]
GIVEN = ["Văn An", "Thị Bình", "Minh Châu", "Thị Dung", "Quốc Hùng", "Thị Lan", "Văn Nam", "Thu Hà", "Đức Thắng"]


# -- where ---------------------------------------------------------------------------------------------

class Places:
    """Districts (exact boundaries) and their communes, with the weights reports are drawn by."""

    def __init__(self):
        self.districts = {}
        for row in admin_boundaries_geojson(levels=("district",)):
            self.districts[row["gso_code"]] = (row["name"], prep(shapely.from_wkb(admin_unit_wkb(row["gso_code"]))))
        self.communes: dict[str, list[tuple[str, object, float]]] = {code: [] for code in self.districts}
        for row in admin_boundaries_geojson(levels=("commune",)):
            geom = shape(json.loads(row["geojson"]))
            inside = geom.representative_point()
            district = next((c for c, (_, d) in self.districts.items() if d.contains(inside)), None)
            if district is not None:
                urban = row["name"].startswith(("Phường", "Thị trấn"))
                self.communes[district].append((row["name"], geom, 3.0 if urban else 1.0))
        self.codes = sorted(c for c in self.districts if self.communes[c])
        self.weights = [DISTRICT_POPULATION.get(c, 60_000) * URBAN_FACTOR.get(c, 1.0) for c in self.codes]

    def point(self, rng: random.Random, district: str) -> tuple[float, float, str]:
        """A random point (lon/lat, EPSG:4326) inside the district, in one of its communes; its name."""
        communes = self.communes[district]
        name, geom, _ = rng.choices(communes, weights=[w for *_, w in communes])[0]
        minx, miny, maxx, maxy = geom.bounds
        for _ in range(200):  # rejection in the commune's box: a few tries on average
            lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
            if geom.contains(shapely.Point(lon, lat)) and self.districts[district][1].contains(shapely.Point(lon, lat)):
                return round(lon, 6), round(lat, 6), name
        seat = geom.representative_point()
        return seat.x, seat.y, name


# -- when and how a report lives -------------------------------------------------------------------------

def _report_times(rng: random.Random, now: dt.datetime, days: int) -> list[dt.datetime]:
    """Report times over the last `days` days: a daily count around PER_DAY (weekends 70 %), hours by
    HOUR_WEIGHT, minutes uniform; never after `now`."""
    local_now = timezone.localtime(now)
    times = []
    for back in range(days, -1, -1):
        day = (local_now - dt.timedelta(days=back)).replace(hour=0, minute=0, second=0, microsecond=0)
        count = max(0, round(rng.gauss(PER_DAY, PER_DAY ** 0.5) * (0.7 if day.weekday() >= 5 else 1.0)))
        for hour in rng.choices(range(24), weights=HOUR_WEIGHT, k=count):
            at = day + dt.timedelta(hours=hour, seconds=rng.uniform(0, 3600))
            if now - dt.timedelta(days=days) <= at <= now:
                times.append(at)
    return sorted(times)


def _hours(rng: random.Random, low: float, high: float) -> dt.timedelta:
    return dt.timedelta(hours=rng.uniform(low, high))


def _plan(rng: random.Random, process: str, sla_h: float) -> list[tuple[str, dt.timedelta]]:
    """The steps a report will take and how long after the previous one each comes."""
    roll = rng.random()
    if process == workflows.TIMED:
        if roll < 0.06:
            return [("verify", _hours(rng, 0.2, 3)), ("reject", _hours(rng, 0.5, 6))] if rng.random() < 0.5 else [
                ("reject", _hours(rng, 0.3, 4))]
        if roll < 0.11:
            return [("merge", _hours(rng, 0.2, 4))]
        late = 3.0 if roll > 0.85 else 1.0  # one agency in seven is slow: overdue reports
        return [("verify", _hours(rng, 0.1, 2)), ("forward", _hours(rng, 0.1, 2)),
                ("handle", dt.timedelta(hours=sla_h * late * rng.uniform(0.2, 0.9))),
                ("review", _hours(rng, 0.3, 8)), ("publish", _hours(rng, 0.5, 24))]
    if roll < 0.05:
        return [("reject", dt.timedelta(minutes=rng.uniform(3, 20)))]
    if roll < 0.08:
        return [("merge", dt.timedelta(minutes=rng.uniform(2, 15)))]
    steps = [("dispatch", dt.timedelta(minutes=rng.uniform(1, 5))), ("arrive", dt.timedelta(minutes=rng.uniform(6, 25))),
             ("resolve", dt.timedelta(minutes=rng.uniform(20, 150)))]
    return steps + ([("publish", _hours(rng, 2, 48))] if rng.random() < 0.6 else [])


def _actor(action: str, agency: str, rng: random.Random) -> Actor:
    if workflows.STEPS[action].who == workflows.AGENCY:
        return Actor(f"cb.{agency}", frozenset({officer(agency)}))
    return rng.choice(OPERATORS)


def _note(action: str, category: str) -> str:
    return {"reject": "Không đúng sự thật hoặc không thuộc thẩm quyền.", "handle": RESULTS.get(category, "Đã xử lý."),
            "resolve": "Đã xử lý xong tại hiện trường.", "close": "Tình hình đã ổn định."}.get(action, "")


def _tracking_codes(rng: random.Random, times: list[dt.datetime]) -> list[str]:
    """Unique tracking codes; drawn from a generator of their own, so that a code taken already (a
    second load) does not shift the draws of everything after it."""
    taken = set(Incident.objects.values_list("tracking_code", flat=True))
    rng = random.Random(rng.random())
    codes = []
    for at in times:
        while True:
            code = f"PA-{at:%y%m}-" + "".join(rng.choice(services.TRACKING_ALPHABET) for _ in range(5))
            if code not in taken:
                taken.add(code)
                codes.append(code)
                break
    return codes


def _ids(count: int) -> list[int]:
    """Ids for `count` new incidents, drawn from the table's own sequence (merges need them upfront)."""
    if not count:
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                       [Incident._meta.db_table, count])
        return [row[0] for row in cursor.fetchall()]


def _reporter(rng: random.Random, channel: str) -> dict:
    if channel in ("camera", "sensor") or rng.random() < 0.4:
        return {}
    return {"name": f"{rng.choice(FAMILY)} {rng.choice(GIVEN)}", "phone": "09" + "".join(rng.choice("0123456789")
                                                                                         for _ in range(8))}


# -- the loader -------------------------------------------------------------------------------------------

def demo_incidents_load(*, rng: random.Random, now: dt.datetime | None = None, days: int = 30) -> int:
    """Create a month (`days`) of incidents ending at `now`; returns how many. Deterministic for a
    given `rng` seed and `now`. Runs inside the caller's writing block or its own (source seed)."""
    now = now or timezone.now()
    with writes.writing(SEED_EDITOR, source=writes.SEED):
        places = Places()
        categories = {c.code: c for c in IncidentCategory.objects.all()}
        levels = {(s.category_id, s.priority): s.hours for s in ServiceLevel.objects.all()}
        times = _report_times(rng, now, days)
        live_from = now - dt.timedelta(hours=LIVE_HOURS)
        history = [t for t in times if t < live_from]
        live = [t for t in times if t >= live_from]
        count = _history_load(rng, now, history, places, categories, levels)
        count += _live_load(rng, now, live, places, categories)
        count += _emergencies_load(rng, now, places)
    return count


def _draw(rng, places, categories, levels, at):
    district = rng.choices(places.codes, weights=places.weights)[0]
    code = rng.choices(list(CATEGORY_WEIGHT), weights=list(CATEGORY_WEIGHT.values()))[0]
    category = categories[code]
    channels = CHANNEL_WEIGHT[category.process]
    channel = rng.choices(list(channels), weights=list(channels.values()))[0]
    priorities = PRIORITY_WEIGHT[category.process]
    priority = rng.choices(list(priorities), weights=list(priorities.values()))[0]
    lon, lat, commune = places.point(rng, district)
    sla = levels.get((code, priority))
    return {"category": category, "district": district, "channel": channel, "priority": priority, "lon": lon,
            "lat": lat, "commune": commune, "reported_at": at, "sla_h": sla,
            "due_at": at + dt.timedelta(hours=sla) if sla is not None else None,
            "description": f"{rng.choice(DESCRIPTIONS[code])} tại {commune}, {places.districts[district][0]}."}


def _history_load(rng, now, times, places, categories, levels) -> int:
    drawn = [_draw(rng, places, categories, levels, at) for at in times]
    ids, codes = _ids(len(drawn)), _tracking_codes(rng, times)
    incidents, updates, reporters = [], [], []
    by_key: dict[tuple[str, str], list[int]] = {}  # (category, district) -> indexes of earlier reports
    closed_at: list[dt.datetime | None] = []
    supporters = [0] * len(drawn)
    for i, report in enumerate(drawn):
        category, process = report["category"], report["category"].process
        status, at, fields = Status.RECEIVED, report["reported_at"], {}
        reporter_actor = Actor.citizen(report["channel"])
        updates.append(IncidentUpdate(incident_id=ids[i], at=at, actor=reporter_actor.name, kind="report",
                                      status_to=status, note="Đã tiếp nhận phản ánh.", public=True))
        for action, delay in _plan(rng, process, report["sla_h"] or 24):
            at = at + delay
            if at > now:
                break
            step = workflows.STEPS[action]
            actor = _actor(action, category.agency_id, rng)
            workflows.check_step(step, process=process, status=status, roles=actor.roles, agency=category.agency_id)
            note = _note(action, category.code)
            if action == "merge":
                primary = next((j for j in reversed(by_key.get((category.code, report["district"]), []))
                                if drawn[j].get("merged_into") is None and (closed_at[j] is None or closed_at[j] > at)), None)
                if primary is None:
                    break  # no open report to merge into: it stays received (and may become overdue)
                fields["merged_into"] = ids[primary]
                report["merged_into"] = ids[primary]
                supporters[primary] += 1
                note = f"Trùng với phản ánh {codes[primary]}."
                updates.append(IncidentUpdate(incident_id=ids[primary], at=at, actor=actor.name, kind="merged_in",
                                              note=f"Gộp phản ánh {codes[i]}.", public=True))
            if action == "dispatch":
                for agency in filter(None, category.alert_agencies.split("|")):
                    updates.append(IncidentUpdate(incident_id=ids[i], at=at, actor=actor.name, kind="alert",
                                                  note=f"Báo động: {agency}"))
            if step.needs == "result":
                fields["result"] = note
            if action == "publish":
                fields["result_published_at"] = at
            if workflows.is_closing(process, step.target) and "closed_at" not in fields:
                fields["closed_at"] = at
            updates.append(IncidentUpdate(incident_id=ids[i], at=at, actor=actor.name, kind=action, status_from=status,
                                          status_to=step.target, note=note, public=step.public))
            status = step.target
        closed_at.append(fields.get("closed_at"))
        by_key.setdefault((category.code, report["district"]), []).append(i)
        incidents.append(Incident(
            pk=ids[i], tracking_code=codes[i], category=category, description=report["description"],
            district_id=report["district"], channel=report["channel"], priority=report["priority"], status=status,
            agency_id=category.agency_id, reported_at=report["reported_at"], due_at=report["due_at"],
            geom=Point(report["lon"], report["lat"], srid=4326), **fields))
        person = _reporter(rng, report["channel"])
        if person:
            reporters.append(IncidentReporter(incident_id=ids[i], **person))
    for incident, extra in zip(incidents, supporters):
        incident.supporters = extra + (rng.randint(1, 4) if rng.random() < 0.05 else 0)
    writes.create_many(INCIDENTS, SEED_EDITOR, incidents)
    IncidentUpdate.objects.bulk_create(updates, batch_size=2000)
    IncidentReporter.objects.bulk_create(reporters, batch_size=2000)
    return len(incidents)


def _live_load(rng, now, times, places, categories) -> int:
    """The last hours as the operators work them now: through incident_report and incident_act."""
    levels = {(s.category_id, s.priority): s.hours for s in ServiceLevel.objects.all()}
    dispatch = _units_exist()
    for at in times:
        report = _draw(rng, places, categories, levels, at)
        category = report["category"]
        incident = _report(report, rng)
        if category.process == workflows.TIMED and rng.random() < 0.6:
            services.incident_act(incident_id=incident.pk, action="verify", actor=rng.choice(OPERATORS))
            if rng.random() < 0.5:
                services.incident_act(incident_id=incident.pk, action="forward", actor=rng.choice(OPERATORS))
        elif category.process == workflows.IMMEDIATE and dispatch:
            services.incident_act(incident_id=incident.pk, action="dispatch", actor=rng.choice(OPERATORS))
            if now - at > dt.timedelta(hours=1):
                services.incident_act(incident_id=incident.pk, action="resolve", actor=rng.choice(OPERATORS),
                                      result=_note("resolve", category.code))
    return len(times)


def _report(report: dict, rng: random.Random, area=None) -> Incident:
    return services.incident_report(
        category=report["category"].code, lon=report["lon"], lat=report["lat"], description=report["description"],
        channel=report["channel"], actor=Actor.citizen(report["channel"]), priority=report["priority"],
        reporter=_reporter(rng, report["channel"]), reported_at=report["reported_at"], area=area, source=writes.SEED)


def _units_exist() -> bool:
    spec = next((s for s in registry.all_layers() if s.id == "response_units"), None)
    return spec is not None and spec.model.objects.exists()


def _emergencies_load(rng, now, places) -> int:
    """Immediate incidents with units on the way (when there are units) and an active storm under
    command support with its tasks, through the services."""
    categories = {c.code: c for c in IncidentCategory.objects.all()}
    made = 0
    capital = max(places.codes, key=lambda c: places.weights[places.codes.index(c)])
    dispatch = _units_exist()
    for code, minutes, arrived in (("accident", 12, False), ("medical", 35, True)):
        lon, lat, commune = places.point(rng, capital)
        incident = _report({"category": categories[code], "lon": lon, "lat": lat, "channel": "hotline",
                            "priority": Priority.URGENT, "reported_at": now - dt.timedelta(minutes=minutes),
                            "description": f"{rng.choice(DESCRIPTIONS[code])} tại {commune}."}, rng)
        made += 1
        if dispatch:
            services.incident_act(incident_id=incident.pk, action="dispatch", actor=OPERATORS[0])
            if arrived:
                services.incident_act(incident_id=incident.pk, action="arrive", actor=OPERATORS[0])
    # The storm: a whirlwind over a rural district, five hours ago, an area of about 4 km around it.
    district = "696" if "696" in places.codes else places.codes[-1]
    lon, lat, commune = places.point(rng, district)
    area = MultiPolygon(GEOSGeometry(shapely.Point(lon, lat).buffer(0.035, quad_segs=8).wkt, srid=4326), srid=4326)
    storm = _report({"category": categories["storm"], "lon": lon, "lat": lat, "channel": "hotline",
                     "priority": Priority.URGENT, "reported_at": now - dt.timedelta(hours=5),
                     "description": f"Lốc xoáy kèm mưa đá làm tốc mái nhiều nhà dân tại {commune}."}, rng, area=area)
    services.incident_act(incident_id=storm.pk, action="command", actor=OPERATORS[1])
    for task in storm.tasks.order_by("id")[:3]:
        services.task_set(task_id=task.pk, state="doing", actor=Actor(f"cb.{task.agency_id}",
                                                                     frozenset({officer(task.agency_id)})))
    return made + 1 + _past_emergencies(rng, now, places, categories)


def _past_emergencies(rng, now, places, categories) -> int:
    """Two emergencies of the month, over: a flood (closed and published) and a storm (closed)."""
    made = []
    for code, days_ago, hours, publish in (("flood", 18, 40, True), ("storm", 9, 20, False)):
        district = rng.choice(places.codes)
        lon, lat, commune = places.point(rng, district)
        category = categories[code]
        reported = now - dt.timedelta(days=days_ago)
        pk = _ids(1)[0]
        area = MultiPolygon(GEOSGeometry(shapely.Point(lon, lat).buffer(0.05, quad_segs=8).wkt, srid=4326), srid=4326)
        steps = [("command", dt.timedelta(minutes=20)), ("close", dt.timedelta(hours=hours))]
        steps += [("publish", dt.timedelta(hours=6))] if publish else []
        status, at, updates, fields = Status.RECEIVED, reported, [], {}
        updates.append(IncidentUpdate(incident_id=pk, at=at, actor="công dân (hotline)", kind="report",
                                      status_to=status, note="Đã tiếp nhận phản ánh.", public=True))
        for action, delay in steps:
            at += delay
            step = workflows.STEPS[action]
            workflows.check_step(step, process=category.process, status=status, roles=OPERATORS[2].roles, agency=None)
            updates.append(IncidentUpdate(incident_id=pk, at=at, actor=OPERATORS[2].name, kind=action, status_from=status,
                                          status_to=step.target, note=_note(action, code), public=step.public))
            status = step.target
            if action == "close":
                fields.update(closed_at=at, result=_note(action, code))
            if action == "publish":
                fields["result_published_at"] = at
        description = ("Mưa lớn kéo dài gây ngập úng" if code == "flood" else "Lốc xoáy tốc mái nhà") + f" tại {commune}."
        made.append((Incident(pk=pk, tracking_code=_tracking_codes(rng, [reported])[0], category=category,
                              description=description, district_id=district, channel="hotline", priority="urgent",
                              status=status, agency_id=category.agency_id, reported_at=reported,
                              due_at=reported + dt.timedelta(hours=24), geom=Point(lon, lat, srid=4326), **fields),
                     updates, area))
    writes.create_many(INCIDENTS, SEED_EDITOR, [m[0] for m in made])
    IncidentUpdate.objects.bulk_create([u for m in made for u in m[1]])
    IncidentArea.objects.bulk_create([IncidentArea(incident_id=m[0].pk, geom=m[2]) for m in made])
    return len(made)

