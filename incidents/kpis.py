"""Chỉ số điều hành (KPIs) of the IOC page: one parameterised SQL statement per group.

- open and overdue incidents by district and by category (open: not closed and not merged; overdue:
  open past its due time, computed at `now`, never stored);
- the median time to close (closed_at − reported_at, hours) of incidents closed in the window
  (last 30 days), duplicates merged into another report left out (they were never worked);
- the share handled on time per agency: an incident counts once it was handled in the window, or
  while it is still unhandled past its due time (late for certain). It was handled when the agency
  posted its result (the first "handle" step of the timeline) in the timed process, when it closed in
  the others; on time when that moment is at or before its due time. Only incidents with a due time,
  neither rejected nor merged, count.
"""
from __future__ import annotations

import datetime as dt

from django.db import connection
from django.utils import timezone
from psycopg2 import sql

from places.models import AdminUnit

from .models import Agency, Incident, IncidentCategory, IncidentUpdate, Process, Status

WINDOW_DAYS = 30


def _tables() -> dict:
    return {"incident": sql.Identifier(Incident._meta.db_table), "update": sql.Identifier(IncidentUpdate._meta.db_table),
            "unit": sql.Identifier(AdminUnit._meta.db_table), "category": sql.Identifier(IncidentCategory._meta.db_table),
            "agency": sql.Identifier(Agency._meta.db_table)}


_BY_DISTRICT = """
SELECT i.district_code, coalesce(u.name, ''), count(*), count(*) FILTER (WHERE i.due_at < %(now)s)
FROM {incident} i LEFT JOIN {unit} u ON u.gso_code = i.district_code
WHERE i.closed_at IS NULL AND i.merged_into IS NULL
GROUP BY i.district_code, u.name
ORDER BY count(*) DESC, u.name
"""

_BY_CATEGORY = """
SELECT c.code, c.name_vi, c.name_en, c.color, count(*), count(*) FILTER (WHERE i.due_at < %(now)s)
FROM {incident} i JOIN {category} c ON c.code = i.category
WHERE i.closed_at IS NULL AND i.merged_into IS NULL
GROUP BY c.code, c.name_vi, c.name_en, c.color, c.sort_order
ORDER BY count(*) DESC, c.sort_order, c.code
"""

_TIME_TO_CLOSE = """
SELECT count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM i.closed_at - i.reported_at))
FROM {incident} i
WHERE i.closed_at >= %(since)s AND i.closed_at <= %(now)s AND i.status <> %(merged)s
"""

_ON_TIME = """
WITH handled AS (
    SELECT i.agency, i.due_at,
           CASE WHEN c.process = %(timed)s
                THEN (SELECT min(h.at) FROM {update} h WHERE h.incident_id = i.id AND h.kind = 'handle')
                ELSE i.closed_at END AS handled_at
    FROM {incident} i JOIN {category} c ON c.code = i.category
    WHERE i.agency IS NOT NULL AND i.due_at IS NOT NULL AND i.status NOT IN (%(merged)s, %(rejected)s)
      AND i.reported_at <= %(now)s
)
SELECT a.code, a.name_vi, a.name_en, count(*), count(*) FILTER (WHERE h.handled_at <= h.due_at)
FROM handled h JOIN {agency} a ON a.code = h.agency
WHERE (h.handled_at >= %(since)s AND h.handled_at <= %(now)s) OR (h.handled_at IS NULL AND h.due_at < %(now)s)
GROUP BY a.code, a.name_vi, a.name_en, a.sort_order
ORDER BY a.sort_order, a.code
"""


def _rows(statement: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL(statement).format(**_tables()), params)
        return cursor.fetchall()


def open_by_district(*, now: dt.datetime) -> list[dict]:
    """Open and overdue incidents per district (GSO code; '' for a point outside every district)."""
    return [{"district_code": code or "", "district": name, "open": n_open, "overdue": n_overdue}
            for code, name, n_open, n_overdue in _rows(_BY_DISTRICT, {"now": now})]


def open_by_category(*, now: dt.datetime, language: str = "vi") -> list[dict]:
    return [{"category": code, "name": name_en if language == "en" else name_vi, "color": color, "open": n_open,
             "overdue": n_overdue}
            for code, name_vi, name_en, color, n_open, n_overdue in _rows(_BY_CATEGORY, {"now": now})]


def time_to_close(*, now: dt.datetime, days: int = WINDOW_DAYS) -> dict:
    """The median hours from report to close of incidents closed in the last `days` days."""
    (closed, median_s), = _rows(_TIME_TO_CLOSE, {"now": now, "since": now - dt.timedelta(days=days),
                                                 "merged": Status.MERGED})
    return {"closed": closed, "median_hours": round(median_s / 3600, 2) if median_s is not None else None,
            "days": days}


def on_time_by_agency(*, now: dt.datetime, days: int = WINDOW_DAYS, language: str = "vi") -> list[dict]:
    """Per agency: incidents counted (see the module docstring), handled on time, and the share in %."""
    rows = _rows(_ON_TIME, {"now": now, "since": now - dt.timedelta(days=days), "timed": Process.TIMED,
                            "merged": Status.MERGED, "rejected": Status.REJECTED})
    return [{"agency": code, "name": name_en if language == "en" else name_vi, "counted": counted,
             "on_time": on_time, "share": round(100.0 * on_time / counted, 1) if counted else None}
            for code, name_vi, name_en, counted, on_time in rows]


def kpis(*, now: dt.datetime | None = None, language: str = "vi") -> dict:
    """Every KPI group of the IOC page (four statements)."""
    now = now or timezone.now()
    by_district = open_by_district(now=now)
    return {"at": now.isoformat(), "open": sum(r["open"] for r in by_district),
            "overdue": sum(r["overdue"] for r in by_district), "by_district": by_district,
            "by_category": open_by_category(now=now, language=language), "time_to_close": time_to_close(now=now),
            "on_time": on_time_by_agency(now=now, language=language)}
