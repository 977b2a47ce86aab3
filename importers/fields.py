"""Matching a file's fields to a layer's columns, and turning cell values into column values."""
from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from layers.models import CodeListEntry
from layers.registry import LayerSpec

from .safety import ImportRejected


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


def missing_required(spec: LayerSpec, mapping: dict[str, str]) -> list[TargetField]:
    return [t for t in target_fields(spec) if t.required and t.column not in mapping]


def match_fields(source_fields: list[str], spec: LayerSpec, explicit: dict[str, str], *,
                 require: bool = True) -> dict[str, str]:
    """{target column: source field}: explicit `--map target=source` first, then names that agree
    ignoring case and diacritics (column name, Django field name, Vietnamese label, the layer's
    aliases). Refuses unknown targets/sources in `explicit`, and missing required columns unless
    `require` is off (the web page then lets the officer map them)."""
    targets = {t.column: t for t in target_fields(spec)}
    by_norm = {}
    for source in source_fields:
        by_norm.setdefault(normalise(source), source)
    mapping: dict[str, str] = {}
    for target, source in explicit.items():
        if target not in targets:
            raise ImportRejected(f"--map: lớp {spec.id} không có cột {target!r}; các cột: "
                                 f"{', '.join(targets)} (unknown target column).")
        if source not in source_fields:
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
        raise ImportRejected(f"Thiếu cột bắt buộc: {', '.join(t.label for t in missing)}; dùng --map cột=trường "
                             f"(required columns not found in the file).")
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


class RowConverter:
    """Converts a source row to column values with the layer's own validators and code lists
    (loaded once per import; each column's converter is built once)."""

    def __init__(self, spec: LayerSpec, mapping: dict[str, str]):
        self.fields = target_fields(spec)  # unmapped columns get their default
        self.mapping = mapping
        self.defaults = {t.column: t.field.get_default() for t in self.fields if t.column not in mapping}
        self.mapped = [(t, mapping[t.column], self._converter(t)) for t in self.fields if t.column in mapping]

    def convert(self, row: dict) -> tuple[dict[str, object], list[str]]:
        values, problems = dict(self.defaults), []
        for target, source, convert in self.mapped:
            raw_value = row.get(source)
            if isinstance(raw_value, str):
                if "\x00" in raw_value:  # PostgreSQL text cannot hold it; the row is refused, not the server
                    problems.append(f"{target.column}: chứa ký tự NUL (NUL character)")
                    continue
                raw_value = unicodedata.normalize("NFC", raw_value).strip()
            elif isinstance(raw_value, (dict, list, tuple)):
                problems.append(f"{target.column}: không phải một giá trị đơn (not a single value)")
                continue
            if raw_value is None or raw_value == "":
                if target.required:
                    problems.append(f"{target.column}: thiếu giá trị (missing value)")
                else:
                    values[target.column] = None if target.field.null else ""
                continue
            try:
                values[target.column] = convert(raw_value)
            except ValueProblem as problem:
                problems.append(f"{target.column}: {raw_value!r} {problem}")
            except ValidationError as error:
                problems.append(f"{target.column}: {raw_value!r} {'; '.join(error.messages)}")
            except (TypeError, ValueError):
                problems.append(f"{target.column}: {raw_value!r} sai kiểu dữ liệu (wrong type)")
        return values, problems

    def _converter(self, target: TargetField):
        field = target.field
        if target.code_list:
            codes = set(target.code_list.objects.values_list("code", flat=True))
            label = target.code_list._meta.verbose_name

            def code(raw_value):
                value = str(raw_value).strip()
                if value not in codes:
                    raise ValueProblem(f"không có trong danh mục {label} (unknown code)")
                return value
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
