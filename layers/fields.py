"""Matching a file's fields to a layer's columns, and turning cell values into column values."""
from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from layers.codelist_loader import CodeLookup
from layers.formats import date_vi, number_vi
from layers.models import CodeListEntry
from layers.registry import LayerSpec

from .errors import ImportRejected


def normalise(name: str) -> str:
    """Field names compared ignoring case, diacritics and punctuation: 'Số_Thửa' -> 'sothua'."""
    text = unicodedata.normalize("NFD", str(name)).replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in text if c.isalnum() and not unicodedata.combining(c)).lower()


@dataclass(frozen=True)
class TargetField:
    """A writable column of a layer, as the importer sees it."""

    column: str
    field: models.Field
    required: bool
    code_list: type[CodeListEntry] | None
    foreign: type[models.Model] | None  # other (non code-list) foreign keys, checked in the database

    @property
    def label(self) -> str:
        return f"{self.column} ({self.field.verbose_name})"


def target_fields(spec: LayerSpec) -> list[TargetField]:
    """Every column an import may fill: not the key, the geometry or computed columns."""
    result = []
    for f in spec.model._meta.concrete_fields:
        if f.primary_key or f.column == spec.geometry_field.column or isinstance(f, models.GeneratedField):
            continue
        related = f.related_model if f.is_relation else None
        code_list = related if related and issubclass(related, CodeListEntry) else None
        required = not (f.null or f.blank or f.has_default())
        result.append(TargetField(f.column, f, required, code_list, related if related and not code_list else None))
    return result


# A mapping's value names a field of the file, or, starting with "=", gives every row the same value:
# {"level": "=district"} (the web form's map_level "=Huyện", the command's --map level==district).
FIXED_PREFIX = "="


def fixed_value(mapped: str) -> str | None:
    """The value every row gets when a mapping value sets one ("=district" -> "district"), else None."""
    return mapped[len(FIXED_PREFIX):].strip() if mapped.startswith(FIXED_PREFIX) else None


def missing_required(spec: LayerSpec, mapping: dict[str, str]) -> list[TargetField]:
    """Required columns neither mapped to a field nor given a fixed value (an empty fixed value counts
    as missing)."""
    return [t for t in target_fields(spec) if t.required and (
        t.column not in mapping or fixed_value(mapping[t.column]) == "")]


def match_fields(source_fields: list[str], spec: LayerSpec, explicit: dict[str, str], *,
                 require: bool = True) -> dict[str, str]:
    """{target column: source field or "=fixed value"}: explicit `--map target=source` (or
    `target==value`) first, then names that agree ignoring case and diacritics (column name, Django
    field name, Vietnamese label, the layer's aliases). Refuses unknown targets/sources in `explicit`,
    and missing required columns unless `require` is off (the web page then lets the officer map them)."""
    targets = {t.column: t for t in target_fields(spec)}
    by_norm = {}
    for source in source_fields:
        by_norm.setdefault(normalise(source), source)
    mapping: dict[str, str] = {}
    for target, source in explicit.items():
        if target not in targets:
            raise ImportRejected(f"--map: lớp {spec.id} không có cột {target!r}; các cột: "
                                 f"{', '.join(targets)} (unknown target column).")
        if fixed_value(source) is None and source not in source_fields:
            raise ImportRejected(f"--map: tệp không có trường {source!r}; các trường: "
                                 f"{', '.join(source_fields)} (unknown source field).")
        mapping[target] = source
    taken = set(mapping.values())
    for column, target in targets.items():
        if column in mapping:
            continue
        # column[:10]: a Shapefile keeps ten characters of a field name.
        names = dict.fromkeys([column, column[:10], target.field.name, str(target.field.verbose_name),
                               *spec.field_aliases.get(column, ())])
        for name in names:
            source = by_norm.get(normalise(name))
            if source is not None and source not in taken:
                mapping[column] = source
                taken.add(source)
                break
    missing = missing_required(spec, mapping)
    if missing and require:
        raise ImportRejected(f"Thiếu cột bắt buộc: {', '.join(t.label for t in missing)}; dùng --map cột=trường, "
                             f"hoặc --map cột==giá_trị cho mọi dòng (required columns not found in the file; map "
                             f"a field, or set one value for every row).")
    return mapping


class ValueProblem(Exception):
    """A cell value a column cannot take (its message goes into the reject's reason)."""


def _integer(value) -> int:
    if isinstance(value, bool):
        raise ValueProblem("không phải số nguyên")
    if isinstance(value, int):
        return value
    number = float(str(value).strip().replace(",", "."))
    if not number.is_integer():
        raise ValueProblem("không phải số nguyên")
    return int(number)


def _float(value) -> float:
    number = float(str(value).strip().replace(",", ".")) if not isinstance(value, (int, float)) else float(value)
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueProblem("không phải số hữu hạn")
    return number


def _date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%Y/%m/%d"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueProblem("không phải ngày (YYYY-MM-DD hoặc DD/MM/YYYY)")


_INTEGER_TYPES = ("IntegerField", "PositiveIntegerField", "PositiveSmallIntegerField", "SmallIntegerField",
                  "BigIntegerField")


def _bounds(field) -> tuple[float | None, float | None, list]:
    """The field's Min/Max validators as numbers (checked inline: they run for every row), and
    the other validators, run through Django."""
    low = high = None
    others = []
    for validator in field.validators:
        if isinstance(validator, MinValueValidator):
            low = validator.limit_value if low is None else max(low, validator.limit_value)
        elif isinstance(validator, MaxValueValidator):
            high = validator.limit_value if high is None else min(high, validator.limit_value)
        else:
            others.append(validator)
    return low, high, others


# Code lists longer than this are listed by code only in a row's reason (the report lists them
# once with their names: ImportReport.code_lists).
LISTED_WITH_NAMES = 20
# GSO codes are fixed width by level (a spreadsheet or DBF number column loses their leading zeros).
GSO_WIDTH = {"province": 2, "district": 3, "commune": 5}


def admin_level_of(target: TargetField) -> str | None:
    """The level of administrative unit a reference column must name (a foreign key to the admin
    units named after the level: commune, district, province), else None."""
    if target.foreign is None or target.foreign._meta.label != "places.AdminUnit":
        return None
    return target.field.name if target.field.name in GSO_WIDTH else None


def code_list_problem(lookup: CodeLookup, label: str, value: str) -> str:
    """Why `value` is refused for a code list (unknown or ambiguous), naming the valid codes."""
    resolution = lookup.resolve(value)
    if resolution.ambiguous:
        names = " hoặc ".join(e.label for e in resolution.candidates)
        codes = ", ".join(e.code for e in resolution.candidates)
        return f"có thể là {names}; ghi rõ mã (ambiguous: {codes}; write the code)"
    entries = lookup.entries
    if len(entries) > LISTED_WITH_NAMES:
        return (f"không có trong danh mục {label}; dùng mã hoặc tên của một trong {len(entries)} mã: "
                f"{', '.join(e.code for e in entries)} (tên từng mã: xem danh sách mã hợp lệ) "
                f"(unknown value; use one of these codes or its name, listed with the valid codes)")
    return (f"không có trong danh mục {label}; dùng mã hoặc tên: {', '.join(e.label for e in entries)} "
            f"(unknown value; valid codes: {', '.join(f'{e.code} ({e.name_en})' for e in entries)})")


class RowConverter:
    """Converts a source row to column values with the layer's own validators and code lists
    (loaded once per import; each column's converter is built once). Code-list cells may give the
    code, its names (any case, with or without diacritics) or a synonym; a mapping value "=..." gives
    every row that value, checked once here: an invalid one refuses the import (ImportRejected)."""

    def __init__(self, spec: LayerSpec, mapping: dict[str, str]):
        self.fields = target_fields(spec)  # unmapped columns get their default
        self.mapping = mapping
        self.lookups = {t.column: CodeLookup.for_model(t.code_list) for t in self.fields
                        if t.code_list and t.column in mapping}
        self.defaults = {t.column: t.field.get_default() for t in self.fields if t.column not in mapping}
        self.mapped = []
        self.fixed: dict[str, object] = {}
        for target in self.fields:
            if target.column not in mapping:
                continue
            convert = self._converter(target)
            fixed = fixed_value(mapping[target.column])
            if fixed is None:
                self.mapped.append((target, mapping[target.column], convert))
                continue
            value, problem = self._cell(target, fixed, convert)
            if problem:
                raise ImportRejected(f"Giá trị cố định {target.column} = {fixed!r}: {problem} (invalid fixed value).")
            self.fixed[target.column] = value
        self.defaults.update(self.fixed)

    def convert(self, row: dict) -> tuple[dict[str, object], list[str]]:
        values, problems = self._convert(row)
        return values, [f"{column}: {problem}" for column, problem in problems.items()]

    def _convert(self, row: dict) -> tuple[dict[str, object], dict[str, str]]:
        values, problems = dict(self.defaults), {}
        for target, source, convert in self.mapped:
            value, problem = self._cell(target, row.get(source), convert)
            if problem:
                problems[target.column] = problem
            else:
                values[target.column] = value
        return values, problems

    def _cell(self, target: TargetField, raw_value, convert) -> tuple[object, str]:
        """(the column value, "") or (None, why the cell is refused)."""
        if isinstance(raw_value, str):
            if "\x00" in raw_value:  # PostgreSQL text cannot hold it; the row is refused, not the server
                return None, "chứa ký tự NUL (NUL character)"
            raw_value = unicodedata.normalize("NFC", raw_value).strip()
        elif isinstance(raw_value, (dict, list, tuple)):
            return None, "không phải một giá trị đơn (not a single value)"
        if raw_value is None or raw_value == "":
            if target.required:
                level = admin_level_of(target)
                if level:
                    return None, (f"thiếu mã {level_vi(level)}: mỗi dòng phải thuộc một đơn vị hành chính "
                                  f"(missing {level} code: every row must belong to a unit)")
                return None, "thiếu giá trị (missing value)"
            return (None if target.field.null else ""), ""
        try:
            return convert(raw_value), ""
        except ValueProblem as problem:
            return None, f"{_shown(raw_value)} {problem}"
        except ValidationError as error:
            return None, f"{_shown(raw_value)} {'; '.join(error.messages)}"
        except (TypeError, ValueError):
            return None, f"{_shown(raw_value)} sai kiểu dữ liệu (wrong type)"

    def sample(self, row: dict) -> list[dict]:
        """The row's mapped cells as an officer checks them before confirming: each column's label,
        where its value comes from, the text read (NFC, decoded), the value stored and a line to show
        ("Huyện → district (Huyện / thị xã / thành phố)"), or the problem."""
        values, problems = self._convert(row)
        cells = []
        for target in self.fields:
            if target.column not in self.mapping:
                continue
            source = self.mapping[target.column]
            fixed = fixed_value(source)
            raw = fixed if fixed is not None else row.get(source)
            raw_text = "" if raw is None else unicodedata.normalize("NFC", str(raw)).strip()[:500]
            problem = problems.get(target.column, "")
            value = None if problem else values.get(target.column)
            cells.append({"column": target.column, "label": target.label, "source": source, "raw": raw_text,
                          "value": _plain(value), "display": problem or self._display(target, raw_text, value),
                          "problem": problem})
        return cells

    def _display(self, target: TargetField, raw: str, value) -> str:
        if value is None or value == "":
            return "—"
        if target.column in self.lookups:
            entry = self.lookups[target.column].resolve(value).entry
            named = f"{value} ({entry.name_vi})" if entry else str(value)
            return named if raw == value else f"{raw} → {named}"
        if isinstance(value, bool):
            return "có (yes)" if value else "không (no)"
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float):
            return number_vi(value, digits=6)
        if isinstance(value, dt.date):
            return date_vi(value)
        return str(value) if raw == str(value) else f"{raw} → {value}"

    def _converter(self, target: TargetField):
        field = target.field
        if target.code_list:
            lookup = self.lookups[target.column]
            label = target.code_list._meta.verbose_name

            resolved: dict[str, str] = {}  # a file repeats few distinct values: each is resolved once

            def code(raw_value):
                text = str(raw_value)
                if text in resolved:
                    return resolved[text]
                resolution = lookup.resolve(text)
                if resolution.entry is None:
                    raise ValueProblem(code_list_problem(lookup, label, resolution.value))
                if len(resolved) < 10_000:
                    resolved[text] = resolution.entry.code
                return resolution.entry.code
            return code
        if target.foreign:
            return lambda raw_value: str(_integer(raw_value)) if isinstance(raw_value, float) else str(raw_value).strip()
        internal = field.get_internal_type()
        parse = {"FloatField": _float, "DateField": _date,
                 "BooleanField": lambda v: str(v).strip().lower() in ("1", "true", "t", "yes", "có", "x")
                 }.get(internal, _integer if internal in _INTEGER_TYPES else None)
        low, high, others = _bounds(field)
        choices = {c for c, _ in field.choices} if field.choices else None
        max_length = field.max_length

        def value(raw_value):
            if parse is not None:
                result = parse(raw_value)
            else:
                result = str(_integer(raw_value) if isinstance(raw_value, float) and raw_value.is_integer() else raw_value)
                if max_length and len(result) > max_length:
                    raise ValueProblem(f"dài quá {max_length} ký tự")
            if low is not None and result < low:
                raise ValueProblem(f"phải ≥ {low}")
            if high is not None and result > high:
                raise ValueProblem(f"phải ≤ {high}")
            for validator in others:
                validator(result)
            if choices is not None and result not in choices:
                raise ValueProblem(f"phải là một trong {', '.join(str(c) for c in choices)}")
            return result
        return value


def level_vi(level: str) -> str:
    return {"province": "tỉnh", "district": "huyện", "commune": "xã"}.get(level, level)


def _plain(value):
    """A column value as JSON can carry it (dates as ISO text)."""
    return value.isoformat() if isinstance(value, dt.date) else value


def _shown(value, limit: int = 80) -> str:
    """A cell value as a message quotes it: a huge cell is cut, not copied into every reason."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"
