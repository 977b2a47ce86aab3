"""The change feed: a layer's changes after a cursor, in the order a client can apply them, and the
compaction of old change-log entries.

Change numbers (layers_change.id) are taken when a trigger runs, not when its transaction commits:
T1 can take change 10, T2 change 11, and T2 commit first. A reader paging by change number alone
would pass 11 and never see 10. So the feed pages by (txid, id), the writing transaction's xid8 and
the change number, and serves only changes of transactions below the xmin of the reader's snapshot
(`pg_snapshot_xmin(pg_current_snapshot())`): every transaction below it has ended, and every
transaction that has not ended yet, or has not written yet, has an xid at or above it. Nothing can
appear later below a cursor that was handed out. A long-running writing transaction holds the feed
back (it never skips); the client simply sees its changes once it ends.

A cursor is "<txid>.<id>": the last change delivered, or "<xmin>.0" when the client has seen
everything the database had finished (`since=latest`, and every last page).

Compaction (manage.py compact_change_log) deletes entries older than the retention except each
feature's latest one, so versions keep counting, and records per layer the last position it
deleted: a cursor below that horizon may have missed changes and is refused with `CursorGone`.
The horizon table is created by migration 0005_change_horizon (SQL only: no model).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from psycopg2 import sql

from .registry import LayerSpec

BIGINT_MAX = 2**63 - 1
LATEST = "latest"
_CURSOR = re.compile(r"([0-9]{1,19})\.([0-9]{1,19})")


@dataclass(frozen=True, order=True)
class Cursor:
    """A position in a layer's feed: after change `change_id` of transaction `txid`."""

    txid: int
    change_id: int

    def __str__(self) -> str:
        return f"{self.txid}.{self.change_id}"


START = Cursor(0, 0)  # before every change (a feed read without `since`)


class BadCursor(ValueError):
    """A `since` this server never handed out (HTTP 400); the message is for the client."""


class CursorGone(Exception):
    """The cursor is older than the layer's compaction horizon: changes after it were deleted, the
    client must resynchronise from a full copy (HTTP 410)."""

    def __init__(self, horizon: Cursor, compacted_before: datetime):
        super().__init__(f"cursor older than the compaction horizon {horizon}")
        self.horizon = horizon
        self.compacted_before = compacted_before


def parse_cursor(text: str) -> Cursor:
    """The cursor a client sent back; BadCursor unless it has the form this module hands out."""
    match = _CURSOR.fullmatch(text)
    if not match or max(int(part) for part in match.groups()) > BIGINT_MAX:
        raise BadCursor("Con trỏ since không hợp lệ: dùng giá trị next của trang trước, hoặc since=latest. / "
                        "Invalid since cursor: pass the previous page's next, or since=latest.")
    return Cursor(int(match[1]), int(match[2]))


def _future() -> BadCursor:
    return BadCursor("Con trỏ since không do máy chủ này cấp (lớn hơn mọi thay đổi đã có); hãy đồng bộ lại từ "
                     "bản sao đầy đủ. / The since cursor was not issued by this server (it is past every "
                     "change); resynchronise from a full copy.")


_SAFE_XMIN = "pg_snapshot_xmin(pg_current_snapshot())::text::bigint"


def latest_cursor() -> Cursor:
    """The cursor after every change of every transaction that has ended: a client takes it before
    its full copy and follows the feed from there (whatever commits during the copy comes again)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {_SAFE_XMIN}")
        return Cursor(cursor.fetchone()[0], 0)


@dataclass(frozen=True)
class Page:
    """One page of a feed. `changes` is the JSON array as PostgreSQL wrote it (passed through)."""

    changes: str
    count: int
    next: Cursor
    more: bool


def properties_sql(spec: LayerSpec) -> sql.Composable:
    """The feature's properties as the items of the OGC API show them (every column but id and geom),
    as JSON text. json_build_object takes at most 50 pairs; wider tables go through row_to_json."""
    columns = [f.column for f in spec.model._meta.concrete_fields if f.column not in ("id", "geom")]
    if not columns:
        return sql.SQL("'{}'")
    if len(columns) > 50:
        return sql.SQL("(SELECT row_to_json(p) FROM (SELECT {}) p)::text").format(
            sql.SQL(", ").join(sql.SQL("f.{}").format(sql.Identifier(c)) for c in columns))
    return sql.SQL("json_build_object({})::text").format(sql.SQL(", ").join(
        sql.SQL("{}, f.{}").format(sql.Literal(c), sql.Identifier(c)) for c in columns))


# One statement per page: the safe xmin, the page (limit + 1 rows, to know whether more follow), each
# change with the current feature of inserts and updates (GeoJSON written here, with the feature's
# current version), the horizon. The page's rows come from the (layer_id, txid, id) index, in its
# order. Each change's JSON is concatenated as text: only the properties need JSON escaping, and
# json_build_object/json_agg around the rest cost twice as much (bench: 10,000 changes a page).
_PAGE = """
WITH safe AS MATERIALIZED (SELECT {xmin} AS xmin),
page AS MATERIALIZED (
    SELECT c.id, c.txid, c.op, c.feature_id, c.version, c.at FROM layers_change c
    WHERE c.layer_id = %(layer)s AND (c.txid, c.id) > (%(txid)s, %(id)s) AND c.txid < (SELECT xmin FROM safe)
    ORDER BY c.txid, c.id LIMIT %(limit)s + 1),
shown AS MATERIALIZED (SELECT * FROM page ORDER BY txid, id LIMIT %(limit)s)
SELECT (SELECT xmin FROM safe), (SELECT count(*) FROM page),
    (SELECT ARRAY[txid, id] FROM shown ORDER BY txid DESC, id DESC LIMIT 1),
    (SELECT ARRAY[h.txid, h.change_id] FROM layers_change_horizon h WHERE h.layer_id = %(layer)s),
    (SELECT h.compacted_before FROM layers_change_horizon h WHERE h.layer_id = %(layer)s),
    (SELECT '[' || coalesce(string_agg(
        '{{"cursor":"' || s.txid || '.' || s.id
        || '","op":"' || CASE s.op WHEN 'I' THEN 'insert' WHEN 'U' THEN 'update' WHEN 'D' THEN 'delete'
                                   ELSE 'truncate' END
        || '","id":' || coalesce(s.feature_id::text, 'null') || ',"version":' || coalesce(s.version::text, 'null')
        || ',"time":' || rtrim(to_json(s.at AT TIME ZONE 'UTC')::text, '"') || 'Z","feature":'
        || CASE WHEN f.id IS NULL THEN 'null' ELSE
               '{{"type":"Feature","id":' || f.id || ',"version":' || coalesce(v.version, 1)
               || ',"geometry":' || coalesce(ST_AsGeoJSON(f.geom, 15), 'null') || ',"properties":' || {properties}
               || '}}' END
        || '}}', ',' ORDER BY s.txid, s.id), '') || ']'
     FROM shown s
     -- Both look-ups driven by the page's rows (LIMIT 1 keeps the planner from turning them into a join
     -- over the whole layer, which it chose once right after a bulk load, before statistics).
     LEFT JOIN LATERAL (SELECT * FROM {table} f WHERE s.op IN ('I', 'U') AND f.id = s.feature_id LIMIT 1) f ON true
     LEFT JOIN LATERAL (SELECT h.version FROM layers_change h WHERE h.layer_id = %(layer)s
                        AND h.feature_id = s.feature_id AND f.id IS NOT NULL ORDER BY h.id DESC LIMIT 1) v ON true)
"""


def changes_since(spec: LayerSpec, since: Cursor | None, limit: int) -> Page:
    """Up to `limit` changes of layer `spec` after `since` (None: from the oldest change kept).
    Raises CursorGone below the compaction horizon, BadCursor for a cursor from the future."""
    statement = sql.SQL(_PAGE).format(xmin=sql.SQL(_SAFE_XMIN), table=sql.Identifier(spec.table),
                                      properties=properties_sql(spec))
    position = since or START
    with connection.cursor() as cursor:
        cursor.execute(statement, {"layer": spec.id, "txid": position.txid, "id": position.change_id,
                                   "limit": limit})
        xmin, fetched, last, horizon, compacted_before, changes = cursor.fetchone()
    if since is not None and horizon and since < Cursor(*horizon):
        raise CursorGone(Cursor(*horizon), compacted_before)
    if position.txid > xmin:
        raise _future()
    more = fetched > limit
    # A last page ends at the safe xmin: the client's cursor moves on even while the layer is quiet.
    following = Cursor(*last) if more else max(position, Cursor(xmin, 0))
    return Page(changes=changes, count=min(fetched, limit), next=following, more=more)


# -- compaction -----------------------------------------------------------------------------------------

_COMPACT = """
WITH gone AS (
    DELETE FROM layers_change c
    WHERE c.layer_id = %(layer)s AND c.at < %(before)s
      -- only what the feed may already have delivered: the horizon never passes a fresh cursor
      AND c.txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint
      AND (c.feature_id IS NULL OR EXISTS (
          SELECT 1 FROM layers_change later
          WHERE later.layer_id = c.layer_id AND later.feature_id = c.feature_id AND later.id > c.id))
    RETURNING c.txid, c.id),
last AS (SELECT txid, id FROM gone ORDER BY txid DESC, id DESC LIMIT 1),
horizon AS (
    INSERT INTO layers_change_horizon AS h (layer_id, txid, change_id, compacted_before, compacted_at)
    SELECT %(layer)s, txid, id, %(before)s, now() FROM last
    ON CONFLICT (layer_id) DO UPDATE SET
        txid = CASE WHEN (EXCLUDED.txid, EXCLUDED.change_id) > (h.txid, h.change_id) THEN EXCLUDED.txid ELSE h.txid END,
        change_id = CASE WHEN (EXCLUDED.txid, EXCLUDED.change_id) > (h.txid, h.change_id)
                         THEN EXCLUDED.change_id ELSE h.change_id END,
        compacted_before = GREATEST(h.compacted_before, EXCLUDED.compacted_before), compacted_at = EXCLUDED.compacted_at)
SELECT count(*) FROM gone
"""


@dataclass(frozen=True)
class Compacted:
    layer_id: str
    removed: int
    horizon: Cursor | None


def horizon(spec: LayerSpec) -> Cursor | None:
    """The last position compaction deleted in the layer's feed (None: never compacted)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT txid, change_id FROM layers_change_horizon WHERE layer_id = %s", [spec.id])
        row = cursor.fetchone()
    return Cursor(*row) if row else None


@transaction.atomic
def change_log_compact(spec: LayerSpec, *, before: datetime) -> Compacted:
    """Delete the layer's change-log entries written before `before` (an aware datetime), except each
    feature's latest entry (its version, or its tombstone, stays), and move the layer's horizon."""
    with connection.cursor() as cursor:
        # One compaction of a layer at a time: two would race on the horizon.
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('layers_change_compact'), hashtext(%s))", [spec.id])
        cursor.execute(_COMPACT, {"layer": spec.id, "before": before})
        removed = cursor.fetchone()[0]
    return Compacted(spec.id, removed, horizon(spec))
