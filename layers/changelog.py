"""The change log: every insert, update, delete and truncate of every registered layer, recorded by
statement-level triggers from the statement's transition tables (one INSERT ... SELECT per
statement, however many rows it wrote: a 1,000,000-row COPY adds one set-based insert).

Who wrote, from where and for which import record come from transaction-local settings that the
one write service (layers/writes.py) sets; a write that bypasses it (psql, a migration) is still
logged, with source "sql" and no actor.

Each logging statement also notifies channel `layers_change` with "<layer id> <txid>"
(pg_notify: delivered at commit, once per transaction and payload); the live push (live/hub.py)
listens.

The functions and triggers are (re)attached from the registry after every `migrate` (apps.py), so a
layer added later is tracked on a database that is already migrated; the system check `layers.E010`
fails when a registered table lacks them. The triggers name the columns `id` and `geom`, which
every layer has (registry.register checks it). `before` holds every column as JSON, the geometry as
hex EWKB (exact; `jsonb_populate_record(NULL::<table>, before)` gives the row back).
`before` is built column by column (layers_row_json), not as `to_jsonb(row) - 'geom'`: to_jsonb
turns a geometry into GeoJSON through PostGIS's cast, text thrown away at once that cost ~45 µs a row
(9 s of a 200,000-parcel replace).
"""
from __future__ import annotations

from contextlib import contextmanager

from django.db import connection
from psycopg2 import sql

from . import registry

# The settings the triggers read (set_config(..., is_local => true): they end with the transaction).
ACTOR, SOURCE, RECORD = "geo.actor", "geo.source", "geo.record"

_CONTEXT = """
    ts timestamptz := clock_timestamp();
    tx bigint := pg_current_xact_id()::text::bigint;
    who text := coalesce(current_setting('geo.actor', true), '');
    origin text := coalesce(nullif(current_setting('geo.source', true), ''), 'sql');
    record bigint := nullif(current_setting('geo.record', true), '')::bigint;
    n bigint;
"""

FUNCTIONS = f"""
-- The layer's version moves at commit (migration 0006: layers_apply_versions, a deferred constraint
-- trigger): here the statement only notes the layer, without locking anything another writer needs.
CREATE OR REPLACE FUNCTION layers_bump_version(layer text, ts timestamptz) RETURNS void LANGUAGE sql AS $$
    INSERT INTO layers_pending_version (layer_id, at) VALUES (layer, ts)
$$;

CREATE OR REPLACE FUNCTION layers_log_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE {_CONTEXT}
BEGIN
    -- A feature id that was deleted before and comes back (a revert, an undone import) continues its
    -- versions; new ids (above every tombstone) start at 1 without a look-up per row.
    IF EXISTS (SELECT 1 FROM layers_change c WHERE c.layer_id = TG_ARGV[0] AND c.op = 'D'
               AND c.feature_id BETWEEN (SELECT min(id) FROM new_rows) AND (SELECT max(id) FROM new_rows)) THEN
        INSERT INTO layers_change (layer_id, feature_id, op, version, at, txid, actor, source, record_id)
        SELECT TG_ARGV[0], r.id, 'I', coalesce(l.version, 0) + 1, ts, tx, who, origin, record
        FROM new_rows r LEFT JOIN LATERAL (
            SELECT c.version FROM layers_change c WHERE c.layer_id = TG_ARGV[0] AND c.feature_id = r.id
            ORDER BY c.id DESC LIMIT 1) l ON true
        ORDER BY r.id;
    ELSE
        INSERT INTO layers_change (layer_id, feature_id, op, version, at, txid, actor, source, record_id)
        SELECT TG_ARGV[0], r.id, 'I', 1, ts, tx, who, origin, record FROM new_rows r ORDER BY r.id;
    END IF;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n > 0 THEN
        PERFORM layers_bump_version(TG_ARGV[0], ts);
        PERFORM pg_notify('layers_change', TG_ARGV[0] || ' ' || tx::text);
    END IF;
    RETURN NULL;
END $$;

-- The columns of a row of table `rel` (alias `alias`) but its geometry, as one jsonb expression:
-- jsonb_build_object('id', o.id, ...), in groups of 50 columns (a function takes at most 100 arguments).
CREATE OR REPLACE FUNCTION layers_row_json(rel oid, alias text) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce(string_agg(part, ' || ' ORDER BY chunk), '''{{}}''::jsonb') FROM (
        SELECT chunk, 'jsonb_build_object(' || string_agg(format('%L, %I.%I', attname, alias, attname), ', '
                                                          ORDER BY attnum) || ')' AS part
        FROM (SELECT attname, attnum, (row_number() OVER (ORDER BY attnum) - 1) / 50 AS chunk
              FROM pg_attribute WHERE attrelid = rel AND attnum > 0 AND NOT attisdropped AND attname <> 'geom') a
        GROUP BY chunk) p
$$;

CREATE OR REPLACE FUNCTION layers_log_update() RETURNS trigger LANGUAGE plpgsql
-- Before-images sorted by feature id in memory rather than on disk (only while the trigger runs).
SET work_mem = '128MB' AS $$
DECLARE {_CONTEXT}
BEGIN
    -- A row written back unchanged (an upsert of the same values) makes no new version.
    EXECUTE format($q$
    INSERT INTO layers_change (layer_id, feature_id, op, version, at, txid, actor, source, record_id, before)
    SELECT $1, r.id, 'U', coalesce(l.version, 1) + 1, $2, $3, $4, $5, $6,
        (%1$s) || jsonb_build_object('geom', encode(ST_AsEWKB(o.geom), 'hex'))
    FROM new_rows r JOIN old_rows o ON o.id = r.id LEFT JOIN LATERAL (
        SELECT c.version FROM layers_change c WHERE c.layer_id = $1 AND c.feature_id = r.id
        ORDER BY c.id DESC LIMIT 1) l ON true
    WHERE (%1$s) IS DISTINCT FROM (%2$s) OR o.geom IS DISTINCT FROM r.geom
    ORDER BY r.id$q$, layers_row_json(TG_RELID, 'o'), layers_row_json(TG_RELID, 'r'))
    USING TG_ARGV[0], ts, tx, who, origin, record;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n > 0 THEN
        PERFORM layers_bump_version(TG_ARGV[0], ts);
        PERFORM pg_notify('layers_change', TG_ARGV[0] || ' ' || tx::text);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION layers_log_delete() RETURNS trigger LANGUAGE plpgsql
-- Before-images sorted by feature id in memory rather than on disk (only while the trigger runs).
SET work_mem = '128MB' AS $$
DECLARE {_CONTEXT}
BEGIN
    EXECUTE format($q$
    INSERT INTO layers_change (layer_id, feature_id, op, version, at, txid, actor, source, record_id, before)
    SELECT $1, o.id, 'D', coalesce(l.version, 1) + 1, $2, $3, $4, $5, $6,
        (%s) || jsonb_build_object('geom', encode(ST_AsEWKB(o.geom), 'hex'))
    FROM old_rows o LEFT JOIN LATERAL (
        SELECT c.version FROM layers_change c WHERE c.layer_id = $1 AND c.feature_id = o.id
        ORDER BY c.id DESC LIMIT 1) l ON true
    ORDER BY o.id$q$, layers_row_json(TG_RELID, 'o'))
    USING TG_ARGV[0], ts, tx, who, origin, record;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n > 0 THEN
        PERFORM layers_bump_version(TG_ARGV[0], ts);
        PERFORM pg_notify('layers_change', TG_ARGV[0] || ' ' || tx::text);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION layers_log_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE {_CONTEXT}
BEGIN
    INSERT INTO layers_change (layer_id, feature_id, op, version, at, txid, actor, source, record_id)
    VALUES (TG_ARGV[0], NULL, 'T', NULL, ts, tx, who, origin, record);
    PERFORM layers_bump_version(TG_ARGV[0], ts);
    PERFORM pg_notify('layers_change', TG_ARGV[0] || ' ' || tx::text);
    RETURN NULL;
END $$;
"""

# trigger name suffix -> (event, transition tables, function)
TRIGGERS = {
    "log_insert": ("INSERT", "REFERENCING NEW TABLE AS new_rows", "layers_log_insert"),
    "log_update": ("UPDATE", "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows", "layers_log_update"),
    "log_delete": ("DELETE", "REFERENCING OLD TABLE AS old_rows", "layers_log_delete"),
    "log_truncate": ("TRUNCATE", "", "layers_log_truncate"),
}


def trigger_names(spec: registry.LayerSpec) -> list[str]:
    return [f"{spec.table}_{suffix}"[:63] for suffix in TRIGGERS]


def attach(specs: list[registry.LayerSpec] | None = None, using=None) -> None:
    """Create (or replace) the logging functions and each registered table's four triggers."""
    conn = using or connection
    with conn.cursor() as cursor:
        cursor.execute(FUNCTIONS)
        for spec in specs if specs is not None else registry.all_layers():
            for name, (event, referencing, function) in zip(trigger_names(spec), TRIGGERS.values()):
                cursor.execute(sql.SQL(
                    "CREATE OR REPLACE TRIGGER {name} AFTER {event} ON {table} {referencing} "
                    "FOR EACH STATEMENT EXECUTE FUNCTION {function}({layer})").format(
                    name=sql.Identifier(name), event=sql.SQL(event), table=sql.Identifier(spec.table),
                    referencing=sql.SQL(referencing), function=sql.Identifier(function),
                    layer=sql.Literal(spec.id)))


def untracked(using=None) -> list[tuple[str, list[str]]]:
    """(layer id, missing trigger names) of every registered layer whose table lacks a log trigger."""
    conn = using or connection
    specs = registry.all_layers()
    with conn.cursor() as cursor:
        cursor.execute("SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                       "WHERE c.relname = ANY(%s) AND t.tgenabled <> 'D' AND NOT t.tgisinternal",
                       [[spec.table for spec in specs]])
        present = set(cursor.fetchall())
    return [(spec.id, missing) for spec in specs
            if (missing := [name for name in trigger_names(spec) if (spec.table, name) not in present])]


# The deferred trigger that bumps layer versions at commit; SET CONSTRAINTS ALL IMMEDIATE (foreign keys
# checked row by row) must leave it deferred, see constraints_immediate().
VERSION_AT_COMMIT = "layers_version_at_commit"


def constraints_immediate(cursor) -> None:
    """Check foreign keys statement by statement from here on, but still bump layer versions at commit."""
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute(f"SET CONSTRAINTS {VERSION_AT_COMMIT} DEFERRED")


@contextmanager
def attributed(*, actor: str, source: str, record_id: int | None = None, using=None):
    """Within a transaction (the caller's atomic block): the changes written inside are logged as
    `actor`'s, from `source` (and import record `record_id`)."""
    conn = using or connection
    with conn.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s, true), current_setting(%s, true), current_setting(%s, true)",
                       [ACTOR, SOURCE, RECORD])
        previous = cursor.fetchone()
        cursor.execute("SELECT set_config(%s, %s, true), set_config(%s, %s, true), set_config(%s, %s, true)",
                       [ACTOR, actor[:150], SOURCE, source, RECORD, str(record_id or "")])
    yield
    # On success the previous attribution comes back; on an error the savepoint or transaction that
    # rolls back takes the settings with it.
    with conn.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, %s, true), set_config(%s, %s, true), set_config(%s, %s, true)",
                       [ACTOR, previous[0] or "", SOURCE, previous[1] or "", RECORD, previous[2] or ""])
