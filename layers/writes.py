"""The one write service: every write to a registered layer goes through here.

Writers: the OGC API (Features Part 4: create, replace, merge-patch, delete), the admin's feature
pages, file imports (web and command line, every mode), the demo seed, reverts and undone imports,
and later incidents and processes. Each write runs in one transaction with the same rules: the edit
role, the `write` scope of tokens, owner scoping (an owner-scoped editor, a utility, writes only its
own organisation's features), validation (layers/editing.py) and attribution: the change log
(layers/changelog.py) records who wrote, from which source and for which import record.

Single features are locked while they are checked and written (no lost update) and may be written
only if they are still at the version the writer saw (`expected`, the versions of `If-Match`).
Bulk imports keep their set-based path: staged rows move into the layer with one statement per step.
"""
from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterable

from django.contrib.gis.geos import GEOSGeometry
from django.db import DatabaseError, IntegrityError, connection, transaction
from psycopg2 import sql

from . import changelog, history
from .editing import EditRefused, Editor, check_may_edit, check_owner, values_of
from .errors import ImportRejected, logged_reference
from .registry import LayerSpec

API, ADMIN, IMPORT, SEED, REVERT, UNDO, PROCESS = "api", "admin", "import", "seed", "revert", "undo", "process"
# Incidents: a report (citizen web page, Open311 app, hotline), a workflow step, a machine's alert.
REPORT, WORKFLOW, ALERT = "report", "workflow", "alert"
SOURCES = (API, ADMIN, IMPORT, SEED, REVERT, UNDO, PROCESS, REPORT, WORKFLOW, ALERT)
BIGINT_MAX = 2**63 - 1


@dataclass(frozen=True)
class Written:
    """The feature a write left: its id and its version now (a deletion: the tombstone's version)."""

    feature_id: int
    version: int


class PreconditionFailed(EditRefused):
    """If-Match named a version the feature no longer has: 412 with the current version."""

    def __init__(self, current: int):
        super().__init__(412, "PreconditionFailed", "Đối tượng đã bị sửa sau khi bạn đọc nó (phiên bản hiện tại "
                                                     f"{current}); hãy đọc lại rồi sửa. / The feature changed since "
                                                     f"you read it (now version {current}); read it again.")
        self.current = current


@contextmanager
def writing(editor: Editor, *, source: str, record_id: int | None = None):
    """One transaction whose writes the change log attributes to `editor`, from `source`."""
    if source not in SOURCES:
        raise ValueError(f"unknown write source {source!r}")
    with transaction.atomic():
        with changelog.attributed(actor=editor.name, source=source, record_id=record_id):
            yield


def _inside_writing() -> None:
    """Bulk steps run inside the caller's `writing` block (its transaction and attribution)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s, true)", [changelog.SOURCE])
        source = cursor.fetchone()[0]
    if not connection.in_atomic_block or not source:
        raise RuntimeError("bulk writes must run inside layers.writes.writing()")


# -- one feature --------------------------------------------------------------------------------------

def _apply(spec: LayerSpec, instance, values: dict, ewkb: str | None) -> None:
    attname = {f.column: f.attname for f in spec.model._meta.concrete_fields}
    for column, value in values.items():
        setattr(instance, attname[column], value)
    if ewkb is not None:
        instance.geom = GEOSGeometry(ewkb)


def _database_refusal(what: str, error: DatabaseError) -> EditRefused:
    # The database's words name constraints and columns: they go to the log under a reference.
    if isinstance(error, IntegrityError):
        reference = logged_reference(f"{what} refused by a constraint", error)
        return EditRefused(409, "Conflict", "Dữ liệu trùng hoặc xung đột với đối tượng khác trong lớp (mã tham chiếu "
                                            f"{reference}). / The feature conflicts with another (reference {reference}).")
    reference = logged_reference(f"{what} refused by the database", error)
    return EditRefused(400, "InvalidParameterValue", f"Cơ sở dữ liệu không nhận giá trị này (mã tham chiếu "
                                                     f"{reference}). / Refused by the database (reference {reference}).")


def _save(instance) -> None:
    try:
        with transaction.atomic():
            instance.save()
    except DatabaseError as error:
        raise _database_refusal(f"edit of {instance._meta.label}", error)


def _feature_id(feature_id) -> int:
    if not (str(feature_id).isascii() and str(feature_id).isdigit()) or not 0 < int(feature_id) <= BIGINT_MAX:
        raise EditRefused(404, "NotFound", "Không tìm thấy đối tượng. / Feature not found.")
    return int(feature_id)


def _locked(spec: LayerSpec, feature_id) -> object:
    """The feature, locked until the transaction ends (a concurrent writer waits here)."""
    try:
        return spec.model.objects.select_for_update().get(pk=_feature_id(feature_id))
    except spec.model.DoesNotExist:
        raise EditRefused(404, "NotFound", "Không tìm thấy đối tượng. / Feature not found.")


def _check_expected(spec: LayerSpec, feature_id: int, expected: Iterable[int] | None) -> int:
    """The feature's current version; PreconditionFailed when the writer expected another."""
    current = history.current_version(spec, feature_id)
    if expected is not None and current not in set(expected):
        raise PreconditionFailed(current)
    return current


def feature_create(*, spec: LayerSpec, editor: Editor, feature: dict, source: str = API) -> Written:
    check_may_edit(spec, editor)
    values, ewkb = values_of(spec, feature, partial=False)
    check_owner(spec, editor, values=values)
    with writing(editor, source=source):
        instance = spec.model()
        _apply(spec, instance, values, ewkb)
        _save(instance)
        return Written(instance.pk, history.current_version(spec, instance.pk))


def feature_replace(*, spec: LayerSpec, editor: Editor, feature_id, feature: dict, partial: bool,
                    expected: Iterable[int] | None = None, source: str = API) -> Written:
    """Replace a feature (PUT) or change the properties it names (partial: PATCH, where a property
    set to null is cleared), if it is still at an `expected` version."""
    check_may_edit(spec, editor)
    with writing(editor, source=source):
        instance = _locked(spec, feature_id)
        _check_expected(spec, instance.pk, expected)
        values, ewkb = values_of(spec, feature, partial=partial)
        check_owner(spec, editor, existing=instance, values=values)
        _apply(spec, instance, values, ewkb)
        _save(instance)
        return Written(instance.pk, history.current_version(spec, instance.pk))


def feature_delete(*, spec: LayerSpec, editor: Editor, feature_id, expected: Iterable[int] | None = None,
                   source: str = API) -> Written:
    check_may_edit(spec, editor)
    with writing(editor, source=source):
        instance = _locked(spec, feature_id)
        current = _check_expected(spec, instance.pk, expected)
        check_owner(spec, editor, existing=instance)
        try:
            with transaction.atomic():
                instance.delete()
        except DatabaseError as error:
            reference = logged_reference(f"delete from {spec.id} refused by the database", error)
            raise EditRefused(409, "Conflict", f"Không xóa được: đối tượng khác còn dựa vào nó (mã tham chiếu "
                                               f"{reference}). / Cannot delete: other features depend on it "
                                               f"(reference {reference}).")
        return Written(int(feature_id), current + 1)


def _columns(spec: LayerSpec) -> list[str]:
    """The columns a write sets (generated columns, such as a parcel's area, compute themselves)."""
    return [f.column for f in spec.model._meta.concrete_fields if not getattr(f, "generated", False)]


def _owner_column(spec: LayerSpec) -> str:
    return spec.model._meta.get_field(spec.owner_field).column


def feature_revert(*, spec: LayerSpec, editor: Editor, feature_id, version: int,
                   expected: Iterable[int] | None = None) -> Written:
    """Bring a feature back to how it was at an earlier `version`, as a new version (a deleted
    feature comes back with its id; reverting to a deletion's version deletes it again)."""
    check_may_edit(spec, editor)
    fid = _feature_id(feature_id)
    with writing(editor, source=REVERT):
        instance = spec.model.objects.select_for_update().filter(pk=fid).first()
        found = history.latest(spec, fid)
        if instance is None and (found is None or found.op != "D"):
            raise EditRefused(404, "NotFound", "Không tìm thấy đối tượng. / Feature not found.")
        current = history.current_version(spec, fid) if instance is not None else found.version
        if expected is not None and current not in set(expected):
            raise PreconditionFailed(current)
        if not isinstance(version, int) or not 0 < version < current:
            raise EditRefused(400, "InvalidParameterValue", f"Chỉ hoàn về một phiên bản trước {current}. / "
                                                            f"Revert to a version before {current}.")
        state = history.state_at_version(spec, fid, version)
        if state is None:  # that version was a deletion: revert means deleting again
            if instance is None:
                return Written(fid, current)
            check_owner(spec, editor, existing=instance)
            _execute(spec, "DELETE FROM {table} WHERE id = %s", [fid])
            return Written(fid, history.latest(spec, fid).version)
        if instance is not None:
            check_owner(spec, editor, existing=instance)
        if editor.owner_bound(spec) and state.get(_owner_column(spec)) != editor.organisation:
            raise EditRefused(403, "Forbidden", "Phiên bản đó thuộc đơn vị khác. / That version belongs to another "
                                                "organisation.")
        if instance is not None:
            _execute(spec, "UPDATE {table} AS t SET ({cols}) = (SELECT {cols} FROM jsonb_populate_record("
                           "NULL::{table}, %s::jsonb)) WHERE t.id = %s", [json.dumps(state), fid])
        else:
            _execute(spec, "INSERT INTO {table} (id, {cols}) SELECT id, {cols} FROM jsonb_populate_record("
                           "NULL::{table}, %s::jsonb)",
                     [json.dumps(state)])
        return Written(fid, history.current_version(spec, fid))


def _execute(spec: LayerSpec, statement: str, params) -> int:
    query = sql.SQL(statement).format(table=sql.Identifier(spec.table), cols=sql.SQL(", ").join(
        sql.Identifier(c) for c in _columns(spec) if c != "id"))
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(query, params)
            return cursor.rowcount
    except DatabaseError as error:
        raise _database_refusal(f"write to {spec.id}", error)


# -- bulk: imports --------------------------------------------------------------------------------------

def bulk_problems(cursor, spec: LayerSpec, editor: Editor, *, staging: str, mode: str,
                  key: tuple[str, ...] = ()) -> list[tuple[int, str]]:
    """(row, reason) of staged rows this editor may not write: for an owner-scoped editor, rows of
    another organisation, and upsert rows whose key names another organisation's feature."""
    if not editor.owner_bound(spec):
        return []
    owner, table, staged = sql.Identifier(_owner_column(spec)), sql.Identifier(spec.table), sql.Identifier(staging)
    found = []
    cursor.execute(sql.SQL("SELECT s._row FROM {staged} AS s WHERE s.{owner} IS DISTINCT FROM %s ORDER BY s._row")
                   .format(staged=staged, owner=owner), [editor.organisation])
    found += [(row, "thuộc đơn vị khác; chỉ được ghi tài sản của đơn vị mình (owned by another organisation)")
              for row, in cursor.fetchall()]
    if mode == "upsert" and key:
        same = sql.SQL(" AND ").join(sql.SQL("t.{c} = s.{c}").format(c=sql.Identifier(c)) for c in key)
        cursor.execute(sql.SQL("SELECT s._row FROM {staged} AS s WHERE EXISTS (SELECT 1 FROM {table} AS t WHERE ")
                       .format(staged=staged, table=table) + same + sql.SQL(
                       " AND t.{owner} IS DISTINCT FROM %s) ORDER BY s._row").format(owner=owner),
                       [editor.organisation])
        found += [(row, f"({', '.join(key)}) là tài sản của đơn vị khác (the key names another organisation's "
                        "feature)") for row, in cursor.fetchall()]
    return found


# From this many rows on, a load that replaces a whole layer (or fills an empty one) drops the layer's
# secondary indexes and foreign keys and builds them again once the rows are in: one sorted build and
# one set-wise foreign key check instead of 200,000 index insertions and 400,000 key look-ups. The
# price is an ACCESS EXCLUSIVE lock on the layer until commit (readers wait, instead of seeing the old
# rows), so small loads, the common case on the web, keep the indexes. Setting GEO_BULK_REBUILD_INDEXES_FROM
# overrides the threshold.
REBUILD_INDEXES_FROM = 20_000


def rebuild_indexes_from() -> int:
    from django.conf import settings

    return getattr(settings, "GEO_BULK_REBUILD_INDEXES_FROM", REBUILD_INDEXES_FROM)


_SECONDARY = """
SELECT 'index', (SELECT relname FROM pg_class WHERE oid = i.indexrelid)::text, pg_get_indexdef(i.indexrelid)
FROM pg_index AS i
WHERE i.indrelid = %(table)s::regclass AND NOT i.indisprimary
  AND NOT EXISTS (SELECT 1 FROM pg_constraint AS c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid)
UNION ALL
SELECT 'constraint', c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint AS c
WHERE c.conrelid = %(table)s::regclass AND (c.contype = 'f' OR c.contype = 'u' AND NOT EXISTS (
    SELECT 1 FROM pg_constraint AS f WHERE f.contype = 'f' AND f.conindid = c.conindid))
"""


@contextmanager
def indexes_rebuilt_after(cursor, spec: LayerSpec):
    """Drop the layer table's secondary indexes, its unique constraints that no foreign key needs and
    its own foreign keys; build them all again (same names, same definitions) when the block ends,
    in the same transaction: a failed rebuild (a duplicate, an unknown reference) rolls back the load.
    Takes the table's ACCESS EXCLUSIVE lock until commit."""
    table = sql.Identifier(spec.table)
    cursor.execute(sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(table))
    cursor.execute(_SECONDARY, {"table": spec.table})
    dropped = cursor.fetchall()
    for kind, name, _definition in dropped:
        if kind == "index":
            cursor.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
        else:
            cursor.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(table, sql.Identifier(name)))
    yield
    # Unique constraints first: a foreign key of another table may come to need one again.
    for kind, name, definition in sorted(dropped, key=lambda d: (d[0] != "index", d[2].startswith("FOREIGN"))):
        if kind == "index":
            cursor.execute(definition)  # pg_get_indexdef: the catalogue's own statement
        else:
            cursor.execute(sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} ").format(table, sql.Identifier(name))
                           + sql.SQL(definition))


def _rebuild_worthwhile(cursor, spec: LayerSpec, staging: str, mode: str, scoped: bool) -> bool:
    """A load that leaves only its own rows in the layer, and enough of them."""
    if scoped or mode == "upsert":
        return False
    cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(staging)))
    if cursor.fetchone()[0] < rebuild_indexes_from():
        return False
    if mode == "replace":
        return True
    empty = sql.SQL("SELECT NOT EXISTS (SELECT 1 FROM {})").format(sql.Identifier(spec.table))
    cursor.execute(empty)
    if not cursor.fetchone()[0]:
        return False
    # Still empty once nobody else may write to it (the lock indexes_rebuilt_after takes anyway).
    cursor.execute(sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(sql.Identifier(spec.table)))
    cursor.execute(empty)
    return cursor.fetchone()[0]


def bulk_write(cursor, spec: LayerSpec, editor: Editor, *, staging: str, columns: list[str], mapped: list[str],
               mode: str, key: tuple[str, ...] = ()) -> int:
    """Move the staged rows (table `staging`, with the layer's columns and `_row`) into the layer, in
    the caller's `writing` transaction: append inserts them; replace first deletes the layer's
    features (an owner-scoped editor's: only its organisation's); upsert updates the features whose
    `key` columns match (only the columns the file maps) and inserts the others."""
    _inside_writing()
    check_may_edit(spec, editor)
    if problems := bulk_problems(cursor, spec, editor, staging=staging, mode=mode, key=key):
        raise ImportRejected(f"Dòng {problems[0][0]}: {problems[0][1]}")
    table, staged = sql.Identifier(spec.table), sql.Identifier(staging)
    geom = spec.geometry_field.column
    all_cols = sql.SQL(", ").join(sql.Identifier(c) for c in (*columns, geom))
    insert = sql.SQL("INSERT INTO {table} ({cols}) SELECT {cols} FROM {staged} AS s").format(
        table=table, cols=all_cols, staged=staged)
    scoped = editor.owner_bound(spec)
    if _rebuild_worthwhile(cursor, spec, staging, mode, scoped):
        with indexes_rebuilt_after(cursor, spec):
            if mode == "replace":
                cursor.execute(sql.SQL("DELETE FROM {}").format(table))
            cursor.execute(insert)
            return cursor.rowcount
    if mode == "replace":
        if scoped:
            cursor.execute(sql.SQL("DELETE FROM {} WHERE {} = %s").format(table, sql.Identifier(_owner_column(spec))),
                           [editor.organisation])
        else:
            cursor.execute(sql.SQL("DELETE FROM {}").format(table))
    if mode != "upsert":
        cursor.execute(insert)
        return cursor.rowcount
    same = sql.SQL(" AND ").join(sql.SQL("t.{c} = s.{c}").format(c=sql.Identifier(c)) for c in key)
    updated = [c for c in (*mapped, geom) if c not in key]
    owned = sql.SQL(" AND t.{} = %s").format(sql.Identifier(_owner_column(spec))) if scoped else sql.SQL("")
    cursor.execute(sql.SQL("UPDATE {table} AS t SET {sets} FROM {staged} AS s WHERE ").format(
        table=table, staged=staged,
        sets=sql.SQL(", ").join(sql.SQL("{c} = s.{c}").format(c=sql.Identifier(c)) for c in updated)) + same + owned,
        [editor.organisation] if scoped else [])
    count = cursor.rowcount
    cursor.execute(insert + sql.SQL(" WHERE NOT EXISTS (SELECT 1 FROM {table} AS t WHERE ").format(table=table)
                   + same + sql.SQL(")"))
    return count + cursor.rowcount


# -- bulk: the demo seed and other system loads --------------------------------------------------------

def truncate(specs: list[LayerSpec], editor: Editor) -> None:
    """Empty these layers at once (the demo seed's replace), logged as one truncate each."""
    _inside_writing()
    for spec in specs:
        check_may_edit(spec, editor)
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE").format(
            sql.SQL(", ").join(sql.Identifier(spec.table) for spec in specs)))


def copy_rows(spec: LayerSpec, editor: Editor, columns: list[str], lines) -> None:
    """COPY tab-separated `lines` (a file-like object) into the layer's `columns`."""
    _inside_writing()
    check_may_edit(spec, editor)
    with connection.cursor() as cursor:
        copy = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(spec.table), sql.SQL(", ").join(sql.Identifier(c) for c in columns))
        cursor.copy_expert(copy.as_string(cursor.connection), lines)


def create_many(spec: LayerSpec, editor: Editor, instances: list, batch_size: int = 2000) -> int:
    """Insert model instances of the layer (already checked by the caller, e.g. generated data)."""
    _inside_writing()
    check_may_edit(spec, editor)
    spec.model.objects.bulk_create(instances, batch_size=batch_size)
    return len(instances)


# -- undoing an import ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Undone:
    """What undoing an import did: features it had added removed, features it had changed or
    deleted brought back as they were."""

    removed: int
    restored: int
    reinstated: int


_FIRST_CHANGES = ("(SELECT DISTINCT ON (feature_id) feature_id, op, before FROM layers_change "
                  "WHERE layer_id = %(layer)s AND record_id = %(record)s AND source = 'import' "
                  "ORDER BY feature_id, id)")


def undo_import(*, spec: LayerSpec, editor: Editor, record_id: int) -> Undone:
    """Undo every change one import record made to the layer, as new versions (source "undo", the
    same record). Refused (409) when a feature it touched has changed since, or when it was undone
    already; an owner-scoped editor may undo only what stays within its organisation."""
    check_may_edit(spec, editor)
    params = {"layer": spec.id, "record": record_id}
    with writing(editor, source=UNDO, record_id=record_id), connection.cursor() as cursor:
        # No other writer of the layer between the check and the undo.
        cursor.execute(sql.SQL("LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE").format(sql.Identifier(spec.table)))
        cursor.execute("SELECT bool_or(source = 'undo'), count(*) FILTER (WHERE source = 'import') FROM layers_change "
                       "WHERE layer_id = %(layer)s AND record_id = %(record)s", params)
        undone, changes = cursor.fetchone()
        if undone:
            raise EditRefused(409, "Conflict", "Lần nhập này đã được hoàn tác. / This import was undone already.")
        if not changes:
            raise EditRefused(404, "NotFound", "Lần nhập này không thay đổi đối tượng nào của lớp. / This import "
                                               "changed no feature of the layer.")
        cursor.execute("SELECT EXISTS (SELECT 1 FROM layers_change WHERE layer_id = %(layer)s AND op = 'T' AND id > "
                       "(SELECT max(id) FROM layers_change WHERE layer_id = %(layer)s AND record_id = %(record)s))",
                       params)
        if cursor.fetchone()[0]:
            raise EditRefused(409, "Conflict", "Lớp đã bị xóa toàn bộ sau lần nhập này. / The layer was emptied after "
                                               "this import.")
        # One index probe per feature (change_history): what changed it after the import's last change.
        cursor.execute("SELECT r.feature_id FROM (SELECT feature_id, max(id) AS last FROM layers_change "
                       "WHERE layer_id = %(layer)s AND record_id = %(record)s AND source = 'import' "
                       "GROUP BY feature_id) AS r WHERE EXISTS (SELECT 1 FROM layers_change AS c "
                       "WHERE c.layer_id = %(layer)s AND c.feature_id = r.feature_id AND c.id > r.last) "
                       "ORDER BY r.feature_id LIMIT 11", params)
        changed = [row[0] for row in cursor.fetchall()]
        if changed:
            shown = ", ".join(str(i) for i in changed[:10]) + ("…" if len(changed) > 10 else "")
            raise EditRefused(409, "Conflict", f"Các đối tượng {shown} đã được sửa sau lần nhập; hãy hoàn tác từng "
                                               f"đối tượng. / Features {shown} changed after the import.")
        table = sql.Identifier(spec.table)
        if editor.owner_bound(spec):
            owner = sql.Identifier(_owner_column(spec))
            cursor.execute(sql.SQL("SELECT count(*) FROM " + _FIRST_CHANGES + " AS f LEFT JOIN {table} AS t "
                                   "ON t.id = f.feature_id WHERE t.{owner} IS DISTINCT FROM %(org)s AND f.op = 'I' "
                                   "OR f.op <> 'I' AND (f.before ->> {owner_text}) IS DISTINCT FROM %(org)s").format(
                table=table, owner=owner, owner_text=sql.Literal(_owner_column(spec))),
                params | {"org": editor.organisation})
            if cursor.fetchone()[0]:
                raise EditRefused(403, "Forbidden", "Lần nhập chạm tới tài sản của đơn vị khác. / The import "
                                                    "touched another organisation's features.")
        columns = [c for c in _columns(spec) if c != "id"]
        cols = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
        restored_cols = sql.SQL(", ").join(sql.SQL("p.{}").format(sql.Identifier(c)) for c in columns)
        first = sql.SQL(_FIRST_CHANGES)
        try:
            with transaction.atomic():
                cursor.execute(sql.SQL("DELETE FROM {table} WHERE id IN (SELECT feature_id FROM {first} AS f "
                                       "WHERE f.op = 'I')").format(table=table, first=first), params)
                removed = cursor.rowcount
                cursor.execute(sql.SQL("UPDATE {table} AS t SET ({cols}) = ({restored}) FROM (SELECT (jsonb_populate_record("
                                       "NULL::{table}, f.before)).* FROM {first} AS f WHERE f.op = 'U') AS p "
                                       "WHERE t.id = p.id").format(table=table, cols=cols, restored=restored_cols,
                                                                  first=first), params)
                restored = cursor.rowcount
                cursor.execute(sql.SQL("INSERT INTO {table} (id, {cols}) SELECT p.id, {restored} FROM (SELECT "
                                       "(jsonb_populate_record(NULL::{table}, f.before)).* FROM {first} AS f "
                                       "WHERE f.op = 'D') AS p").format(table=table, cols=cols, restored=restored_cols,
                                                                       first=first), params)
                reinstated = cursor.rowcount
        except DatabaseError as error:
            raise _database_refusal(f"undo of import {record_id} into {spec.id}", error)
    return Undone(removed, restored, reinstated)
