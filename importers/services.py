"""Importing a file into a layer: read in batches, check every row, COPY the good ones into a staging
table, check them against the layer in SQL, then write all of them or nothing."""
from __future__ import annotations

import csv
import datetime as dt
import getpass
import hashlib
import json
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import shapely
from django.db import connection
from django.utils import timezone
from psycopg2 import sql

from layers import changelog, registry, writes
from layers.editing import EditRefused, Editor, check_may_edit
from layers.formats import whole_number_vi
from layers.registry import LayerSpec

from layers.fields import (
    FIXED_PREFIX,
    GSO_WIDTH,
    RowConverter,
    admin_level_of,
    code_list_problem,
    fixed_value,
    level_vi,
    match_fields,
    target_fields,
)
from layers.geometry_checks import GeometryChecker
from .models import ImportRecord
from .records import import_record_fail, import_record_running, rejects_dir
from .safety import ImportRejected
from .sources import Batch, Source, crs_label, open_vector

MODES = ("append", "replace", "upsert")
SAMPLES = 5  # rows shown as they will be stored, for the officer to check before confirming
VALUES_SHOWN = 30  # distinct values of a code-list column shown with what they resolve to
STAGING = "import_staging"
Progress = Callable[[int, int | None], None]


@dataclass
class ImportOptions:
    layer: str | None = None  # layer inside a GeoPackage / archive, sheet of a workbook
    crs: str | None = None  # the file's CRS when it has none (or a wrong one)
    encoding: str | None = None  # utf-8, cp1258, vni, tcvn3
    # target column -> source field, or "=value" for the same value in every row (fields.FIXED_PREFIX)
    mapping: dict[str, str] = field(default_factory=dict)
    mode: str = "append"
    key: tuple[str, ...] = ()  # columns identifying a feature for upsert
    dry_run: bool = False
    skip_invalid: bool = False
    repair: bool = False
    batch_size: int = 20_000
    max_rows: int | None = None  # read only the first rows (the web preview)


@dataclass
class ImportReport:
    record_id: int
    status: str
    source: dict
    mapping: dict[str, str]
    total: int = 0
    accepted: int = 0
    rejected: int = 0
    repaired: int = 0
    reasons: list[tuple[int, str]] = field(default_factory=list)  # first rejects: (row, reason)
    rejects_file: str = ""
    message: str = ""
    duration_s: float = 0.0
    # What the officer checks before confirming (all JSON-ready): the first rows as they will be
    # stored (RowConverter.sample cells, plus "row", "ok" and "problems"), each code-list column's
    # distinct values and the code each resolved to, the valid codes of the lists a value was refused
    # by, and the columns given one value for every row.
    samples: list[dict] = field(default_factory=list)
    value_map: dict[str, list[dict]] = field(default_factory=dict)
    code_lists: dict[str, list[dict]] = field(default_factory=dict)
    fixed: dict[str, object] = field(default_factory=dict)

    @property
    def written(self) -> bool:
        return self.status == ImportRecord.Status.DONE


class _Rollback(Exception):
    """Leaves the transaction with nothing written (dry run, or rejects without --skip-invalid)."""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _check_options(spec: LayerSpec, options: ImportOptions) -> None:
    if options.mode not in MODES:
        raise ImportRejected(f"Cách ghi {options.mode!r} không hợp lệ; dùng {', '.join(MODES)}.")
    columns = {t.column for t in target_fields(spec)}
    if options.mode == "upsert":
        if not options.key:
            raise ImportRejected("upsert cần --key (ví dụ --key asset_code) (upsert needs --key).")
        unknown = [k for k in options.key if k not in columns]
        if unknown:
            raise ImportRejected(f"--key: lớp {spec.id} không có cột {', '.join(unknown)}.")
    if not 100 <= options.batch_size <= 200_000:
        raise ImportRejected("batch size must be between 100 and 200,000")
    if options.max_rows is not None and not options.dry_run:
        raise ImportRejected("max_rows is for dry runs (previews) only")


def layer_import(*, layer_id: str, path: Path, file_name: str | None = None, user=None,
                 options: ImportOptions | None = None, progress: Progress | None = None, job_token: str = "",
                 started: Callable[[ImportRecord], None] | None = None) -> ImportReport:
    """Import `path` into layer `layer_id`. All or nothing: a rejected row (unless skip_invalid), a
    dry run, an error or a killed process leave the layer as it was. Every run is recorded, and its
    record is never left saying "running" (records.py): `started` is called once it exists. A refusal
    raises ImportRejected; anything unexpected (a bug, the database going away) ends the record FAILED
    and raises ImportFailed (an ImportRejected) whose message shows a reference, never internals."""
    options = options or ImportOptions()
    try:
        spec = registry.get(layer_id)
    except KeyError:
        raise ImportRejected(f"Không có lớp {layer_id!r}; các lớp: "
                             f"{', '.join(s.id for s in registry.all_layers())} (unknown layer).")
    _check_options(spec, options)
    editor = _editor(user)
    try:
        check_may_edit(spec, editor)
    except EditRefused as refused:
        raise ImportRejected(str(refused))
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError:
        raise ImportRejected("Không đọc được tệp (the file cannot be read).")
    with import_record_running(
            user=user if getattr(user, "is_authenticated", False) else None, layer_id=layer_id,
            file_name=file_name or path.name, sha256="", size_bytes=size, file_format="?", mode=options.mode,
            options={k: v for k, v in options.__dict__.items() if k not in ("batch_size",)} | {"key": list(options.key)},
            job_token=job_token) as record:
        report = ImportReport(record.id, ImportRecord.Status.RUNNING, {}, {})
        try:
            if started:
                started(record)
            try:
                _run(spec, editor, path, file_name, options, record, report, progress)
            except ImportRejected as error:
                report.status, report.message = ImportRecord.Status.REJECTED, str(error)
                _finish(record, report)
                raise
        except ImportRejected:
            raise
        except Exception as error:  # not the file's fault: logged with its traceback, shown as a reference
            raise import_record_fail(record, what=f"importing {record.file_name!r} into {layer_id}",
                                     error=error) from error
    return report


def _editor(user) -> Editor:
    """Who imports: the signed-in officer (web), or the server's operator (the command line)."""
    if getattr(user, "is_authenticated", False):
        return Editor.of(user)
    return Editor.system(f"command line ({getpass.getuser()})")


def _owner_stamp(spec: LayerSpec, editor: Editor, source_fields: list[str], options: ImportOptions) -> None:
    """An owner-scoped editor (a utility) writes its own organisation's features: rows get its
    organisation unless the file has an owner column (then rows of another one are refused)."""
    if not editor.owner_bound(spec):
        return
    column = spec.model._meta.get_field(spec.owner_field).column
    if column not in match_fields(source_fields, spec, options.mapping, require=False):
        options.mapping[column] = FIXED_PREFIX + editor.organisation


def _run(spec: LayerSpec, editor: Editor, path: Path, file_name: str | None, options: ImportOptions,
         record: ImportRecord, report: ImportReport, progress: Progress | None) -> None:
    record.sha256 = file_sha256(path)  # after the record exists: a web job's page must not wait for this
    record.save(update_fields=["sha256"])
    source = open_vector(path, name=file_name, layer=options.layer, crs=options.crs, encoding=options.encoding)
    report.source = source.describe()
    record.file_format, record.source_crs, record.encoding = source.format, crs_label(source.crs), \
        source.encoding.encoding
    _owner_stamp(spec, editor, source.fields, options)
    report.mapping = match_fields(source.fields, spec, options.mapping)
    try:
        with writes.writing(editor, source=writes.IMPORT, record_id=record.id):
            _load(spec, editor, source, report, options, record, progress)
            if options.dry_run or (report.rejected and not options.skip_invalid):
                raise _Rollback
            report.status = ImportRecord.Status.DONE
            report.message = (f"Đã nạp {whole_number_vi(report.accepted)} dòng vào lớp {spec.title_vi} "
                              f"({whole_number_vi(report.accepted)} rows loaded into {spec.title_en}).")
            # Committed with the rows: a process killed at any point leaves rows and "done" together or neither.
            _finish(record, report)
    except _Rollback:
        pass
    if report.status == ImportRecord.Status.DONE:
        return
    if options.dry_run:
        report.status = ImportRecord.Status.DRY_RUN
        report.message = (f"Chạy thử: {whole_number_vi(report.total - report.rejected)} dòng hợp lệ, "
                          f"{whole_number_vi(report.rejected)} dòng bị loại; không ghi gì (dry run, nothing written).")
    else:
        report.status = ImportRecord.Status.REJECTED
        report.message = (f"{whole_number_vi(report.rejected)} dòng không hợp lệ; không ghi gì. Sửa tệp, hoặc dùng "
                          "--skip-invalid để chỉ nạp các dòng hợp lệ (invalid rows; nothing written).")
        report.accepted = 0
    _finish(record, report)


def _finish(record: ImportRecord, report: ImportReport) -> None:
    report.duration_s = (timezone.now() - record.started_at).total_seconds()
    record.status, record.message = report.status, report.message
    record.total, record.accepted, record.rejected = report.total, report.accepted, report.rejected
    record.rejects_file = report.rejects_file
    record.finished_at, record.duration_s = timezone.now(), report.duration_s
    record.save()


# -- loading ----------------------------------------------------------------------------------------

def _copy_text(value) -> str:
    if type(value) is int:
        return str(value)
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return (str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r"))


class _Rejects:
    """The rejects file (CSV, UTF-8 with BOM for Excel): row number, reason, then the row's fields."""

    KEEP = 20  # reasons kept in the report itself

    def __init__(self, record: ImportRecord, fields: list[str], report: ImportReport):
        self.path = rejects_dir(record.id) / "rejects.csv"
        self.fields, self.report, self.writer, self.file = fields, report, None, None

    def add(self, row_number: int, reason: str, row: dict, geometry_wkt: str = "") -> None:
        if self.writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.file = open(self.path, "w", encoding="utf-8-sig", newline="")
            self.writer = csv.writer(self.file)
            self.writer.writerow(["row", "reason", *self.fields, "geometry_wkt"])
            self.report.rejects_file = str(self.path)
        self.writer.writerow([row_number, reason, *(row.get(f, "") for f in self.fields), geometry_wkt])
        self.report.rejected += 1
        if len(self.report.reasons) < self.KEEP:
            self.report.reasons.append((row_number, reason))

    def close(self) -> None:
        if self.file:
            self.file.close()


def _wkt(wkb) -> str:
    try:
        return shapely.to_wkt(shapely.from_wkb(wkb), rounding_precision=8) if wkb else ""
    except shapely.errors.ShapelyError:
        return ""


class _ColumnConverter:
    """The converter's cells, column by column: a file repeats few distinct values in most columns
    (codes, sheet numbers, hamlets), so each distinct value of a column is converted and checked
    once (by RowConverter's own rules, whatever its type) and turned into COPY text once."""

    MEMO = 50_000  # distinct values remembered per column

    def __init__(self, converter: RowConverter, columns: list[str]):
        self.converter = converter
        mapped = {target.column: (target, source, convert) for target, source, convert in converter.mapped}
        # Per target column: (target, source field, convert, memo), or the COPY text of its fixed value.
        self.plan: list[tuple | str] = []
        for column in columns:
            if column in mapped:
                self.plan.append((*mapped[column], {}))
            else:
                self.plan.append(_copy_text(converter.defaults[column]))

    def batch(self, batch: Batch) -> tuple[list[list[str]], dict[int, list[str]]]:
        """(COPY text of each target column, {row index: its problems} for the rows refused)."""
        n = len(batch)
        problems: dict[int, list[str]] = {}
        texts = []
        cell = self.converter._cell
        for step in self.plan:
            if isinstance(step, str):
                texts.append([step] * n)
                continue
            target, source, convert, memo = step
            remembered = memo.get
            column_texts = []
            add = column_texts.append
            values = batch.columns.get(source)
            for i, raw in enumerate(values if values is not None else [None] * n):
                key = (raw.__class__, raw)
                try:
                    found = remembered(key)
                except TypeError:  # unhashable (a list or dict from a GeoJSON property)
                    found, key = None, None
                if found is None:
                    value, problem = cell(target, raw, convert)
                    found = (None, f"{target.column}: {problem}") if problem else (_copy_text(value), None)
                    if key is not None and len(memo) < self.MEMO:
                        memo[key] = found
                if found[1] is not None:
                    problems.setdefault(i, []).append(found[1])
                add(found[0])
            texts.append(column_texts)
        return texts, problems


class _CopyStream:
    """The staging COPY's input, produced batch by batch as the server reads it: the file is read,
    checked and converted while the database parses the previous batch (both CPU cores busy, and
    never more than one batch in memory)."""

    def __init__(self, chunks):
        self.chunks = chunks
        self.error: BaseException | None = None  # what stopped the producer (psycopg2 reports "COPY failed")

    def read(self, size: int = -1) -> str:
        try:
            return next(self.chunks, "")
        except BaseException as error:
            self.error = error
            raise

    def copy(self, cursor, statement: str) -> None:
        """COPY from this stream; a refusal raised while producing it comes out as itself."""
        try:
            cursor.copy_expert(statement, self, size=1 << 20)
        except Exception:
            if self.error is not None:
                raise self.error
            raise


def _load(spec: LayerSpec, editor: Editor, source: Source, report: ImportReport, options: ImportOptions,
          record: ImportRecord, progress: Progress | None) -> None:
    converter = RowConverter(spec, report.mapping)
    report.fixed = {c: v.isoformat() if isinstance(v, dt.date) else v for c, v in converter.fixed.items()}
    values_seen = _CodeValues(converter)
    checker = GeometryChecker(source.crs, spec.geometry_type, repair=options.repair, max_vertices=spec.max_vertices)
    columns = [t.column for t in converter.fields]
    cells = _ColumnConverter(converter, columns)
    geom = spec.geometry_field.column
    rejects = _Rejects(record, source.fields, report)
    table = sql.Identifier(spec.table)
    staged = [sql.Identifier(c) for c in (*columns, geom)]

    def chunks():
        """COPY text, one batch at a time; rows refused here go to the rejects file."""
        for batch in source.batches(min(options.batch_size, options.max_rows or options.batch_size)):
            if options.max_rows and report.total >= options.max_rows:
                break
            checked = checker.check(batch.wkb)
            report.repaired += checked.repaired
            texts, problems = cells.batch(batch)
            values_seen.add(batch)
            first = batch.first_row
            for i, reason in enumerate(checked.reasons):
                if reason:
                    problems.setdefault(i, []).insert(0, reason)
            for i in range(min(len(batch), SAMPLES - len(report.samples))):
                report.samples.append({"row": first + i, "ok": i not in problems, "problems": list(problems.get(i, [])),
                                       "cells": converter.sample(batch.row(i))})
            for i in sorted(problems):
                rejects.add(first + i, "; ".join(problems[i]), batch.row(i), _wkt(batch.wkb[i]))
            hexes, numbers = checked.ewkb_hex, range(first, first + len(batch))
            lines = ["\t".join(values) for values in zip(*texts, hexes, map(str, numbers))] if not problems \
                else ["\t".join([*(t[i] for t in texts), hexes[i], str(first + i)])
                      for i in range(len(batch)) if i not in problems]
            report.total += len(batch)
            if progress:
                progress(report.total, source.feature_count)
            if lines:
                yield "\n".join(lines) + "\n"

    with connection.cursor() as cursor:
        changelog.constraints_immediate(cursor)
        cursor.execute(sql.SQL("DROP TABLE IF EXISTS {staging}; CREATE TEMP TABLE {staging} ON COMMIT DROP AS "
                               "SELECT {cols} FROM {table} WITH NO DATA; ALTER TABLE {staging} ADD COLUMN _row integer")
                       .format(staging=sql.Identifier(STAGING), cols=sql.SQL(", ").join(staged), table=table))
        copy = sql.SQL("COPY {staging} ({cols}, _row) FROM STDIN").format(
            staging=sql.Identifier(STAGING), cols=sql.SQL(", ").join(staged)).as_string(cursor.connection)
        try:
            _CopyStream(chunks()).copy(cursor, copy)
            _restore_leading_zeros(cursor, converter)
            refused = []
            samples = {sample["row"]: sample for sample in report.samples}
            for number, reason, staged_row in _database_problems(cursor, spec, editor, columns, options):
                source_row = {report.mapping[c]: staged_row.get(c) for c in report.mapping
                              if fixed_value(report.mapping[c]) is None}
                rejects.add(number, reason, source_row, staged_row.get("_wkt", ""))
                refused.append(number)
                if number in samples:
                    samples[number]["ok"] = False
                    samples[number]["problems"].append(reason)
            _name_units(cursor, converter, report.samples)
            report.value_map, report.code_lists = values_seen.summary()
            if refused:
                cursor.execute(sql.SQL("DELETE FROM {} WHERE _row = ANY(%s)").format(sql.Identifier(STAGING)), [refused])
        finally:
            rejects.close()
        if options.dry_run or (report.rejected and not options.skip_invalid):
            report.accepted = report.total - report.rejected
            return
        report.accepted = writes.bulk_write(cursor, spec, editor, staging=STAGING, columns=columns,
                                            mapped=list(report.mapping), mode=options.mode, key=options.key)


class _CodeValues:
    """The distinct values read in each code-list column (the first VALUES_SHOWN of them, counted)."""

    def __init__(self, converter: RowConverter):
        self.converter = converter
        self.columns = [(t, source) for t, source, _ in converter.mapped if t.column in converter.lookups]
        self.counts: dict[str, dict[str, int]] = {t.column: {} for t, _ in self.columns}

    def add(self, batch: Batch) -> None:
        for target, source in self.columns:
            counts = self.counts[target.column]
            # Counted by raw value first (in order of first appearance), then each distinct value once.
            for raw, n in Counter(v for v in batch.columns.get(source, ())
                                  if v is not None and not isinstance(v, (dict, list, tuple))).items():
                text = unicodedata.normalize("NFC", str(raw)).strip()[:200]
                if text and (text in counts or len(counts) < VALUES_SHOWN):
                    counts[text] = counts.get(text, 0) + n

    def summary(self) -> tuple[dict[str, list[dict]], dict[str, list[dict]]]:
        """(value_map, code_lists) for the report: see ImportReport."""
        value_map, code_lists = {}, {}
        for target, _ in self.columns:
            lookup = self.converter.lookups[target.column]
            shown = []
            for text, count in self.counts[target.column].items():
                resolution = lookup.resolve(text)
                entry = resolution.entry
                problem = "" if entry else code_list_problem(lookup, target.code_list._meta.verbose_name, text)
                shown.append({"raw": text, "code": entry.code if entry else None,
                              "name_vi": entry.name_vi if entry else "", "name_en": entry.name_en if entry else "",
                              "count": count, "problem": problem})
                if entry is None:
                    code_lists[target.column] = [{"code": e.code, "name_vi": e.name_vi, "name_en": e.name_en}
                                                 for e in lookup.entries]
            value_map[target.column] = shown
        return value_map, code_lists


def _restore_leading_zeros(cursor, converter: RowConverter) -> None:
    """A GSO code read from a number column lost its leading zeros ("012" became 12): give them back
    where the code as read names no unit and the padded one names a unit of the column's level."""
    units = _admin_units()
    for target in converter.fields:
        level = admin_level_of(target)
        if level is None:
            continue
        cursor.execute(sql.SQL(
            "UPDATE {staging} AS s SET {col} = lpad(s.{col}, %(width)s, '0') "
            "WHERE s.{col} ~ '^[0-9]+$' AND length(s.{col}) < %(width)s "
            "AND NOT EXISTS (SELECT 1 FROM {units} AS u WHERE u.{code} = s.{col}) "
            "AND EXISTS (SELECT 1 FROM {units} AS u WHERE u.{code} = lpad(s.{col}, %(width)s, '0') AND u.{level} = %(level)s)"
        ).format(staging=sql.Identifier(STAGING), col=sql.Identifier(target.column), units=sql.Identifier(units.table),
                 code=sql.Identifier(units.code), level=sql.Identifier(units.level)),
            {"width": GSO_WIDTH[level], "level": level})


def _name_units(cursor, converter: RowConverter, samples: list[dict]) -> None:
    """Show the unit a sample's GSO code names: "25237 → Phường Tân Phú (xã)"."""
    columns = {t.column for t in converter.fields if t.foreign is not None and t.foreign._meta.label == "places.AdminUnit"}
    cells = [c for sample in samples for c in sample["cells"] if c["column"] in columns and c["value"] and not c["problem"]]
    if not cells:
        return
    found = _units_named(cursor, _admin_units(), {str(c["value"]) for c in cells})
    for cell in cells:
        if str(cell["value"]) in found:
            name, level = found[str(cell["value"])]
            cell["display"] = f"{cell['value']} → {name} ({level_vi(level)})"


@dataclass(frozen=True)
class _Units:
    table: str
    code: str
    name: str
    level: str
    parent: str


def _admin_units() -> _Units:
    from django.apps import apps

    model = apps.get_model("places", "AdminUnit")
    column = {f.name: f.column for f in model._meta.concrete_fields}
    return _Units(model._meta.db_table, column["gso_code"], column["name"], column["level"], column["parent"])


def _unique_sets(spec: LayerSpec) -> list[tuple[str, ...]]:
    """Column sets the layer keeps unique (besides its primary key)."""
    model = spec.model
    sets = [(f.column,) for f in model._meta.concrete_fields if f.unique and not f.primary_key]
    for constraint in model._meta.constraints:
        fields = getattr(constraint, "fields", ())
        if fields and getattr(constraint, "condition", None) is None:
            sets.append(tuple(model._meta.get_field(name).column for name in fields))
    return sets


def _staged_rows(cursor, where: sql.Composable, params=()) -> list[tuple[int, dict]]:
    """Staged rows matching `where` (on alias s): (row number, values by column incl. _wkt)."""
    cursor.execute(sql.SQL("SELECT s._row, row_to_json(s)::text, ST_AsText(s.geom) FROM {} AS s WHERE ").format(
        sql.Identifier(STAGING)) + where + sql.SQL(" ORDER BY s._row"), params)
    return [(row, {**json.loads(data), "_wkt": wkt or ""}) for row, data, wkt in cursor.fetchall()]


def _database_problems(cursor, spec: LayerSpec, editor: Editor, columns: list[str], options: ImportOptions):
    """(row, reason, staged values) for rows the layer would refuse: rows the editor may not write
    (another organisation's), duplicates of a unique column set within the file or against features
    already in the layer, references to unknown units."""
    table = sql.Identifier(spec.table)
    staging = sql.Identifier(STAGING)
    seen: set[int] = set()  # a row is reported once, for its first problem
    refused = dict(writes.bulk_problems(cursor, spec, editor, staging=STAGING, mode=options.mode, key=options.key))
    for number, staged in _staged_rows(cursor, sql.SQL("s._row = ANY(%s)"), [list(refused)]) if refused else ():
        seen.add(number)
        yield number, refused[number], staged
    for unique in _unique_sets(spec):
        if not set(unique) <= set(columns):
            continue
        cols = sql.SQL(", ").join(sql.Identifier(c) for c in unique)
        label = ", ".join(unique)
        where = sql.SQL("s._row IN (SELECT _row FROM (SELECT _row, count(*) OVER (PARTITION BY {cols}) AS n "
                        "FROM {staging}) AS d WHERE n > 1)").format(cols=cols, staging=staging)
        for number, staged in _staged_rows(cursor, where):
            if number not in seen:
                seen.add(number)
                yield number, f"trùng ({label}) với dòng khác trong tệp (duplicate in the file)", staged
        if options.mode == "replace":
            continue
        same = sql.SQL(" AND ").join(sql.SQL("t.{c} = s.{c}").format(c=sql.Identifier(c)) for c in unique)
        if options.mode == "upsert":
            if set(unique) == set(options.key):
                continue  # these are the features being updated
            same = same + sql.SQL(" AND NOT (") + sql.SQL(" AND ").join(
                sql.SQL("t.{c} = s.{c}").format(c=sql.Identifier(c)) for c in options.key) + sql.SQL(")")
        where = sql.SQL("EXISTS (SELECT 1 FROM {table} AS t WHERE ").format(table=table) + same + sql.SQL(")")
        for number, staged in _staged_rows(cursor, where):
            if number not in seen:
                seen.add(number)
                yield number, f"({label}) đã có trong lớp {spec.id} (already in the layer)", staged
    def once(found, reason):
        for number, staged in found:
            if number not in seen:
                seen.add(number)
                yield number, reason(staged), staged

    units = _admin_units()
    if spec.table == units.table:
        yield from _unit_problems(cursor, units, options, once)
    for target in target_fields(spec):
        if target.foreign is None or target.column not in columns or target.foreign._meta.db_table == spec.table:
            continue  # a unit's parent may be in the same file: checked by _unit_problems
        remote = target.field.target_field
        col, key = sql.Identifier(target.column), sql.Identifier(remote.column)
        other = sql.Identifier(target.foreign._meta.db_table)
        where = sql.SQL("s.{col} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {other} AS o WHERE o.{key} = s.{col})").format(
            col=col, other=other, key=key)
        level = admin_level_of(target)
        if level:
            yield from once(_staged_rows(cursor, where), lambda staged, c=target.column, lv=level: (
                f"{c}: mã {staged.get(c)!r} không có trong danh mục đơn vị hành chính; cần mã GSO của một "
                f"{level_vi(lv)} đã có (unknown GSO {lv} code)"))
            wrong = sql.SQL("EXISTS (SELECT 1 FROM {other} AS o WHERE o.{key} = s.{col} AND o.{level} <> %s)").format(
                col=col, other=other, key=key, level=sql.Identifier(units.level))
            found = _staged_rows(cursor, wrong, [level])
            named = _units_named(cursor, units, {staged[target.column] for _, staged in found})
            yield from once(found, lambda staged, c=target.column, lv=level, named=named: (
                f"{c}: mã {staged.get(c)!r} là {named[staged[c]][0]} (cấp {level_vi(named[staged[c]][1])}), "
                f"không phải một {level_vi(lv)} (a {named[staged[c]][1]} code, not a {lv} code)"))
        else:
            yield from once(_staged_rows(cursor, where), lambda staged, t=target: (
                f"{t.column}: {staged.get(t.column)!r} không có trong {t.foreign._meta.verbose_name} (unknown reference)"))


_RANK = "array_position(ARRAY['province', 'district', 'commune']::text[], {})"


def _unit_problems(cursor, units: _Units, options: ImportOptions, once):
    """Administrative units the file brings: a GSO code of the width of its level (province 2 digits,
    district 3, commune 5), and a parent of a higher level, in the file or already known (a district
    belongs to a province, a commune to a district or, since the 2025 reform, a province)."""
    code, level, parent = (sql.Identifier(c) for c in (units.code, units.level, units.parent))
    width = sql.SQL("CASE s.{level} ").format(level=level) + sql.SQL(" ").join(
        sql.SQL("WHEN {} THEN {}").format(sql.Literal(name), sql.Literal(digits)) for name, digits in GSO_WIDTH.items()
    ) + sql.SQL(" END")
    where = sql.SQL("s.{code} !~ '^[0-9]+$' OR length(s.{code}) <> ").format(code=code) + width
    yield from once(_staged_rows(cursor, where), lambda staged: (
        f"{units.code}: {staged.get(units.code)!r} không phải mã GSO của một {level_vi(staged.get(units.level))} "
        f"({GSO_WIDTH.get(staged.get(units.level), '?')} chữ số) (not a GSO {staged.get(units.level)} code)"))
    where = sql.SQL("s.{parent} IS NULL AND s.{level} <> 'province'").format(parent=parent, level=level)
    yield from once(_staged_rows(cursor, where), lambda staged: (
        f"{units.parent}: thiếu đơn vị cấp trên: {level_vi(staged.get(units.level))} {staged.get(units.code)} phải "
        f"thuộc một {'tỉnh' if staged.get(units.level) == 'district' else 'huyện (hoặc tỉnh)'} "
        f"(no parent unit)"))
    # The parent's level: from the file first (it is being loaded), else from the units already known,
    # unless a replace empties them.
    known = sql.SQL("(SELECT o.{level} FROM {table} AS o WHERE o.{code} = s.{parent})").format(
        level=level, table=sql.Identifier(units.table), code=code, parent=parent)
    parent_level = sql.SQL("COALESCE((SELECT p.{level} FROM {staging} AS p WHERE p.{code} = s.{parent} LIMIT 1), ").format(
        level=level, staging=sql.Identifier(STAGING), code=code, parent=parent) + (
        sql.SQL("NULL::text") if options.mode == "replace" else known) + sql.SQL(")")
    where = sql.SQL("s.{parent} IS NOT NULL AND ").format(parent=parent) + parent_level + sql.SQL(" IS NULL")
    yield from once(_staged_rows(cursor, where), lambda staged: (
        f"{units.parent}: đơn vị cấp trên {staged.get(units.parent)!r} không có trong tệp hay trong danh mục "
        f"đơn vị hành chính (unknown parent unit)"))
    where = (sql.SQL(_RANK).format(parent_level) + sql.SQL(" >= ")
             + sql.SQL(_RANK).format(sql.SQL("s.{level}").format(level=level)))
    yield from once(_staged_rows(cursor, where), lambda staged: (
        f"{units.parent}: {staged.get(units.parent)!r} không phải đơn vị cấp trên của một "
        f"{level_vi(staged.get(units.level))} (the parent must be of a higher level)"))


def _units_named(cursor, units: _Units, codes: set[str]) -> dict[str, tuple[str, str]]:
    """{GSO code: (name, level)} of the given codes."""
    cursor.execute(sql.SQL("SELECT {code}, {name}, {level} FROM {table} WHERE {code} = ANY(%s)").format(
        code=sql.Identifier(units.code), name=sql.Identifier(units.name), level=sql.Identifier(units.level),
        table=sql.Identifier(units.table)), [sorted(codes)])
    return {code: (name, level) for code, name, level in cursor.fetchall()}
