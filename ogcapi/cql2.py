"""OGC API Features Part 3 filtering: a CQL2 filter (text or JSON) compiled into a parameterised
WHERE fragment over the layer's table (alias `l`).

pygeofilter parses; this module translates its syntax tree through a whitelist of node types.
Property names are checked against the layer's columns (the registry), identifiers are composed only
with psycopg2.sql.Identifier from that column list, and every value is a bound parameter typed by its
column: a value the column cannot hold is a FilterRefused (HTTP 400), never a database error.

pygeofilter 0.4.0's text grammar is reused with repairs: AND binds tighter than OR (it parses
`a OR b AND c` as `(a OR b) AND c`), NOT takes a parenthesised condition (`NOT (a OR b)`), a quote
inside a string is written twice (`'Nhà ''A'''`), temporal functions have CQL2's function form
(`T_AFTER(a, b)`), ILIKE (sent by GDAL's OAPIF driver) is understood, and the WKT transformer no
longer prints to stdout.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import re
from pathlib import Path

from django.contrib.gis.gdal import GDALException
from django.contrib.gis.geos import GEOSException, GEOSGeometry
from django.db import models
from lark import Lark, v_args
from lark.exceptions import LarkError
from psycopg2 import sql
from pygeofilter import ast, values
from pygeofilter.parsers.cql2_json import parser as json_parser
from pygeofilter.parsers.cql2_text import parser as text_parser

from layers.registry import LayerSpec

from .params import (
    _CONTROL,
    MAX_VALUE_LENGTH,
    BadParameter,
    _column_type,
    _typed,
    property_fields,
    property_schema,
)

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/accent-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
]  # not property-property: two properties compare (same type), but two literals or two geometries do not
LANGUAGES = ("cql2-text", "cql2-json")
# GDAL 3.6's OAPIF driver sends its (CQL2-compatible) filters as filter-lang=cql-text.
LANGUAGE_ALIASES = {"cql-text": "cql2-text"}
MAX_FILTER_LENGTH = 8_000  # characters, checked before parsing
MAX_DEPTH = 40  # nested parentheses (text) or nested operations (JSON)
MAX_PREDICATES = 500
MAX_IN_VALUES = 1_000

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
_EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
# filter-crs -> (SRID, axes given latitude first, allowed (x, y) range of a coordinate as given).
# EPSG:4326 is latitude/longitude in its official axis order (CQL2 follows the CRS); CRS84 and the
# projected systems are x/east first. The projected ranges are those in which PROJ's inverse is
# defined for every point: Web Mercator's square, and VN-2000's transverse Mercator zones
# (EPSG:3405 UTM 48N, EPSG:9212 TM-3 106°15') within 1,000 km of false easting 500 km.
FILTER_CRS = {
    CRS84: (4326, False, ((-180.0, 180.0), (-90.0, 90.0))),
    f"{_EPSG}4326": (4326, True, ((-90.0, 90.0), (-180.0, 180.0))),
    f"{_EPSG}3857": (3857, False, ((-20037508.35, 20037508.35), (-20037508.35, 20037508.35))),
    f"{_EPSG}9212": (9212, False, ((-500_000.0, 1_500_000.0), (0.0, 9_000_000.0))),
    f"{_EPSG}3405": (3405, False, ((-500_000.0, 1_500_000.0), (0.0, 9_000_000.0))),
}
GEOMETRY_PROPERTY = "geometry"

_INTEGER = (models.IntegerField, models.BigIntegerField, models.SmallIntegerField, models.PositiveIntegerField,
            models.PositiveSmallIntegerField, models.PositiveBigIntegerField, models.AutoField,
            models.BigAutoField, models.SmallAutoField)
_COMPARISONS = {ast.Equal: "=", ast.NotEqual: "<>", ast.LessThan: "<", ast.LessEqual: "<=",
                ast.GreaterThan: ">", ast.GreaterEqual: ">="}
_SPATIAL = {ast.GeometryIntersects: "ST_Intersects", ast.GeometryDisjoint: "ST_Disjoint",
            ast.GeometryContains: "ST_Contains", ast.GeometryWithin: "ST_Within",
            ast.GeometryTouches: "ST_Touches", ast.GeometryCrosses: "ST_Crosses",
            ast.GeometryOverlaps: "ST_Overlaps", ast.GeometryEquals: "ST_Equals"}
# CASEI and ACCENTI, as the platform folds Vietnamese text (layers.text.folded: unaccent(lower(x))).
_TEXT_FUNCTIONS = {"lower": "lower", "casei": "lower", "accenti": "unaccent"}
_RELATE_PATTERN = re.compile(r"^[012TF*]{9}$", re.IGNORECASE)
_GDAL_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T$")
_GEOMETRY_NESTING = {"Point": 0, "MultiPoint": 1, "LineString": 1, "Polygon": 2, "MultiLineString": 2,
                     "MultiPolygon": 3}


class FilterRefused(Exception):
    """A filter the server will not run; str() is the bilingual message for the client (HTTP 400)."""


def _refuse(vi: str, en: str) -> FilterRefused:
    return FilterRefused(f"{vi} / {en}")


def _encodable(text: str) -> bool:
    """False for text PostgreSQL cannot be sent: lone surrogates (JSON "\\ud800")."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _shown(name) -> str:
    text = str(name)
    return repr(text[:40] + ("…" if len(text) > 40 else ""))


# -- parsing --------------------------------------------------------------------------------------

@v_args(meta=False, inline=True)
class _TextTransformer(text_parser.CQLTransformer):
    def SINGLE_QUOTED(self, token):
        return token[1:-1].replace("''", "'")

    def wkt__geometry_with_srid(self, srid, geometry):
        return {**geometry, "crs": int(srid)}  # refused later: the CRS of literals is filter-crs

    def temporal_function(self, op, lhs, rhs):
        return self.binary_temporal_predicate(lhs, op, rhs)

    def wkt__multipoint_2(self, *coordinates):
        return {"type": "MultiPoint", "coordinates": coordinates}


def _text_grammar() -> str:
    grammar = (Path(text_parser.__file__).with_name("grammar.lark")).read_text(encoding="utf-8")
    repairs = [
        (re.compile(r"\?condition: condition_1\n.*?-> or_\n", re.DOTALL),
         ('?condition: condition_and\n          | condition "OR"i condition_and -> or_\n'
          '?condition_and: condition_1\n          | condition_and "AND"i condition_1 -> and_\n')),
        (re.compile(r'(\| expression "NOT"i "LIKE"i expression\s+-> not_like\n)'),
         (r'\1          | expression "ILIKE"i expression -> ilike\n'
          r'          | expression "NOT"i "ILIKE"i expression -> not_ilike\n')),
        (re.compile(r"SINGLE_QUOTED: .*\n"), "SINGLE_QUOTED: /'(?:[^']|'')*'/\n"),
        # NOT (a OR b): pygeofilter 0.4 takes a single predicate only inside NOT's parentheses.
        (re.compile(r'"NOT"i "\(" predicate "\)"'), '"NOT"i "(" condition ")"'),
        # CQL2 writes temporal functions as T_AFTER(a, b); pygeofilter 0.4 only as a T_AFTER b.
        (re.compile(r"(\?temporal_predicate: expression _binary_temporal_predicate_func expression"
                    r" -> binary_temporal_predicate\n)"),
         (r'\1                   | _binary_temporal_predicate_func "(" expression "," expression ")"'
          r' -> temporal_function\n')),
    ]
    for pattern, replacement in repairs:
        grammar, count = pattern.subn(lambda m, r=replacement: m.expand(r), grammar, count=1)
        if count != 1:
            raise RuntimeError(f"pygeofilter's CQL2 grammar changed: cannot apply {pattern.pattern!r}")
    return grammar


_TEXT_PARSER = Lark(_text_grammar(), parser="lalr", maybe_placeholders=False, transformer=_TextTransformer(),
                    import_paths=[str(Path(text_parser.__file__).parent.parent)])


def _check_text(text) -> str:
    if not isinstance(text, str) or not text.strip():
        raise _refuse("Bộ lọc (filter) rỗng.", "The filter is empty.")
    if len(text) > MAX_FILTER_LENGTH:
        raise _refuse(f"Bộ lọc dài quá {MAX_FILTER_LENGTH:,} ký tự.",
                      f"The filter is longer than {MAX_FILTER_LENGTH:,} characters.")
    if _CONTROL.search(text):
        raise _refuse("Bộ lọc chứa ký tự điều khiển.", "The filter holds control characters.")
    return text


def _too_deep() -> FilterRefused:
    return _refuse(f"Bộ lọc lồng nhau quá {MAX_DEPTH} mức.", f"The filter nests deeper than {MAX_DEPTH} levels.")


def _check_text_depth(text: str) -> None:
    """Parentheses outside quoted strings nest at most MAX_DEPTH deep (checked without recursion)."""
    depth, quote = 0, None
    for char in text:
        if quote:
            if char == quote:
                quote = None  # a doubled quote closes and reopens: the same depth
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
            if depth > MAX_DEPTH:
                raise _too_deep()
        elif char == ")":
            depth -= 1


def _check_json_depth(text: str) -> None:
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > 2 * MAX_DEPTH + 4:  # an operation is two levels: {"op": .., "args": [..]}
                raise _too_deep()
        elif char in "]}":
            depth -= 1


def _not_cql2() -> FilterRefused:
    return _refuse("Bộ lọc không đúng cú pháp CQL2.", "The filter is not valid CQL2.")


def _refuse_constant(name):
    raise _refuse(f"Bộ lọc không nhận {name}.", f"{name} is not a number the filter accepts.")


def _normalised_json(node):
    """CQL2 1.0 JSON rewritten into the forms pygeofilter 0.4 reads: BETWEEN with three arguments,
    bbox literals and ACCENTI (walked iteratively; the depth was checked before)."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
            continue
        if not isinstance(item, dict):
            continue
        if "filter-lang" in item and item["filter-lang"] != "cql2-json":
            raise _not_cql2()
        if "bbox" in item and "op" not in item:
            box = item.pop("bbox")
            if not isinstance(box, list):
                raise _not_cql2()
            item["function"] = {"name": "bbox", "arguments": box}
        function = item.get("function")
        if function is not None and not (isinstance(function, dict) and isinstance(function.get("name"), str)
                                         and isinstance(function.get("arguments"), list)):
            raise _not_cql2()
        op, args = item.get("op"), item.get("args")
        if op == "between" and isinstance(args, list) and len(args) == 3:
            item["args"] = [args[0], [args[1], args[2]]]
        elif op == "accenti" and isinstance(args, list):
            del item["op"], item["args"]
            item["function"] = {"name": "accenti", "arguments": args}
        elif op in ("and", "or") and isinstance(args, list) and len(args) < 2:
            raise _refuse("AND và OR cần ít nhất hai điều kiện.", "AND and OR take at least two conditions.")
        stack.extend(item.values())
    return node


def _parse(text: str, lang: str):
    if lang == "cql2-text":
        _check_text_depth(text)
        try:
            return _TEXT_PARSER.parse(text)
        except (LarkError, ValueError, TypeError, KeyError, IndexError, AttributeError):
            raise _not_cql2()
    _check_json_depth(text)
    try:
        document = json.loads(text, parse_constant=_refuse_constant)
    except ValueError:  # JSONDecodeError, and integers longer than Python converts
        raise _refuse("Bộ lọc không phải JSON hợp lệ.", "The filter is not valid JSON.")
    try:
        return json_parser.parse(_normalised_json(document))
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        raise _not_cql2()


# -- translation ----------------------------------------------------------------------------------

def _kind(field: models.Field) -> str:
    target = _column_type(field)
    if isinstance(target, _INTEGER):
        return "integer"
    if isinstance(target, (models.FloatField, models.DecimalField)):
        return "number"
    if isinstance(target, models.DateTimeField):
        return "datetime"
    if isinstance(target, models.DateField):
        return "date"
    if isinstance(target, models.BooleanField):
        return "boolean"
    return "text"


_FAMILY = {"integer": "number", "number": "number", "date": "time", "datetime": "time", "text": "text",
           "boolean": "boolean"}


class _Compiler:
    def __init__(self, spec: LayerSpec, filter_crs: str | None):
        self.spec = spec
        self.fields = property_fields(spec)
        self.geometry_names = {GEOMETRY_PROPERTY, spec.geometry_field.column}
        if filter_crs is None:
            filter_crs = CRS84
        if filter_crs not in FILTER_CRS:
            raise _refuse(f"filter-crs không hỗ trợ; dùng một trong: {', '.join(FILTER_CRS)}.",
                          "Unsupported filter-crs.")
        self.crs = filter_crs
        self.params: list = []
        self.predicates = 0

    # conditions
    def condition(self, node) -> sql.Composable:
        self.predicates += 1
        if self.predicates > MAX_PREDICATES:
            raise _refuse(f"Bộ lọc có quá {MAX_PREDICATES} điều kiện.",
                          f"The filter has more than {MAX_PREDICATES} conditions.")
        kind = type(node)
        if kind in (ast.And, ast.Or):
            operands, stack = [], [node]
            while stack:  # a long chain of AND (or OR) is flattened, not recursed into
                item = stack.pop()
                if type(item) is kind:
                    stack.extend((item.rhs, item.lhs))
                else:
                    operands.append(item)
            joiner = sql.SQL(" AND " if kind is ast.And else " OR ")
            return sql.SQL("({})").format(joiner.join(self.condition(o) for o in operands))
        if kind is ast.Not:
            return sql.SQL("(NOT {})").format(self.condition(node.sub_node))
        if kind in _COMPARISONS:
            return self.comparison(node.lhs, _COMPARISONS[kind], node.rhs)
        if kind is ast.Like:
            return self.like(node)
        if kind is ast.Between:
            return self.between(node)
        if kind is ast.In:
            return self.in_(node)
        if kind is ast.IsNull:
            column = self.any_property(node.lhs)
            return sql.SQL("({} IS {}NULL)").format(column, sql.SQL("NOT " if node.not_ else ""))
        if kind is ast.Include:
            return sql.SQL("FALSE" if node.not_ else "TRUE")
        if kind in _SPATIAL:
            return self.spatial(_SPATIAL[kind], node.lhs, node.rhs)
        if kind is ast.BBox:
            return self.bbox_predicate(node)
        if kind is ast.Relate:
            if not isinstance(node.pattern, str) or not _RELATE_PATTERN.match(node.pattern):
                raise _refuse("Mẫu RELATE phải gồm 9 ký tự 0, 1, 2, T, F hoặc *.",
                              "A RELATE pattern is 9 characters of 0, 1, 2, T, F or *.")
            return self.spatial("ST_Relate", node.lhs, node.rhs, pattern=node.pattern.upper())
        if isinstance(node, ast.TemporalPredicate):
            return self.temporal(node)
        raise self.unsupported(node)

    def unsupported(self, node) -> FilterRefused:
        if isinstance(node, ast.Function):
            return _refuse(f"Hàm {_shown(node.name)} không được hỗ trợ (chỉ CASEI, ACCENTI, BBOX).",
                           f"Function {_shown(node.name)} is not supported (only CASEI, ACCENTI, BBOX).")
        if isinstance(node, ast.Arithmetic):
            return _refuse("Bộ lọc không hỗ trợ phép tính số học.", "Arithmetic is not supported in filters.")
        if isinstance(node, ast.Attribute):
            return self.unknown(node.name)
        return _refuse(f"Bộ lọc không hỗ trợ {type(node).__name__}.",
                       f"{type(node).__name__} is not supported in filters.")

    def unknown(self, name) -> FilterRefused:
        return _refuse(f"Không có thuộc tính {_shown(name)}; dùng: {', '.join([*self.fields, GEOMETRY_PROPERTY])}.",
                       f"Unknown property {_shown(name)} (see the collection's queryables).")

    # properties and values
    def property(self, node) -> tuple[sql.Composable, models.Field]:
        if not isinstance(node, ast.Attribute) or not isinstance(node.name, str):
            raise self.unsupported(node)
        if self.is_geometry(node):
            raise _refuse(f"Thuộc tính {GEOMETRY_PROPERTY} chỉ dùng trong hàm không gian (S_INTERSECTS...).",
                          f"The {GEOMETRY_PROPERTY} property is only for spatial functions (S_INTERSECTS...).")
        if node.name not in self.fields:
            raise self.unknown(node.name)
        column = next(c for c in self.fields if c == node.name)  # the registry's own string
        return sql.SQL("l.{}").format(sql.Identifier(column)), self.fields[column]

    def is_geometry(self, node) -> bool:
        return isinstance(node, ast.Attribute) and isinstance(node.name, str) and node.name in self.geometry_names

    def any_property(self, node) -> sql.Composable:
        if self.is_geometry(node):
            return sql.SQL("l.{}").format(sql.Identifier(self.spec.geometry_field.column))
        return self.property(node)[0]

    def anchor(self, *nodes) -> models.Field | None:
        """The column a literal is typed by: the first property among the operands."""
        for node in nodes:
            while (isinstance(node, ast.Function) and str(node.name).lower() in _TEXT_FUNCTIONS
                   and len(node.arguments) == 1):
                node = node.arguments[0]
            if isinstance(node, ast.Attribute):
                return self.property(node)[1]
        return None

    def scalar(self, node, anchor: models.Field) -> tuple[sql.Composable, str]:
        """An operand: a property, CASEI/ACCENTI of text, or a literal typed by `anchor`'s column."""
        if isinstance(node, ast.Attribute):
            column, field = self.property(node)
            return column, _kind(field)
        if isinstance(node, ast.Function):
            function = _TEXT_FUNCTIONS.get(str(node.name).lower())
            if function is None or len(node.arguments) != 1:
                raise self.unsupported(node)
            inner, kind = self.scalar(node.arguments[0], anchor)
            if kind != "text":
                raise _refuse("CASEI và ACCENTI chỉ dùng cho chữ.", "CASEI and ACCENTI apply to text only.")
            return sql.SQL(function + "({})").format(inner), kind
        if isinstance(node, ast.Node):
            raise self.unsupported(node)
        return self.value(node, anchor), _kind(anchor)

    def value(self, value, field: models.Field, *, pattern: bool = False) -> sql.Composable:
        """A literal bound as a parameter, refused unless the column can hold it."""
        name = field.column
        kind = _kind(field)
        if isinstance(value, bool):
            if kind != "boolean":
                raise _refuse(f"{name} không phải đúng/sai.", f"{name} is not a boolean.")
        elif isinstance(value, int):
            if kind == "integer":
                schema = property_schema(field)
                if not schema["minimum"] <= value <= schema["maximum"]:
                    raise _refuse(f"{name} phải trong khoảng {schema['minimum']}–{schema['maximum']}.",
                                  f"{name} must be between {schema['minimum']} and {schema['maximum']}.")
            elif kind != "number" or abs(value) > 1e308:
                raise _refuse(f"{name} không phải số.", f"{name} is not a number.")
        elif isinstance(value, float):
            if kind not in ("integer", "number"):
                raise _refuse(f"{name} không phải số.", f"{name} is not a number.")
            if not math.isfinite(value):
                raise _refuse(f"{name} phải là số hữu hạn.", f"{name} must be a finite number.")
        elif isinstance(value, str):
            if _CONTROL.search(value) or not value.isprintable() and not _encodable(value):
                raise _refuse("Giá trị chứa ký tự điều khiển hoặc không phải UTF-8.",
                              "A value holds control characters or is not UTF-8.")
            if len(value) > MAX_VALUE_LENGTH:
                raise _refuse("Giá trị quá dài.", "A value is too long.")
            if kind in ("date", "datetime") and not pattern:
                if _GDAL_DAY.match(value):  # GDAL 3.6's OAPIF driver writes a day as '2024-01-31T'
                    value = value[:-1]
                try:
                    _typed(name, field, value)
                except BadParameter as refusal:
                    raise FilterRefused(str(refusal))
            elif kind != "text":
                raise _refuse(f"{name} không phải chữ; viết giá trị không có nháy.",
                              f"{name} is not text; write the value without quotes.")
            elif not pattern:
                try:
                    _typed(name, field, value)
                except BadParameter as refusal:
                    raise FilterRefused(str(refusal))
        elif isinstance(value, (dt.date, dt.datetime)):
            if kind not in ("date", "datetime"):
                raise _refuse(f"{name} không phải ngày/thời điểm.", f"{name} is not a date or timestamp.")
        else:
            raise _refuse(f"Giá trị không hợp lệ cho {name}.", f"Not a valid value for {name}.")
        self.params.append(value)
        return sql.Placeholder()

    # predicates
    def comparison(self, lhs, operator: str, rhs) -> sql.Composable:
        anchor = self.anchor(lhs, rhs)
        if anchor is None:
            for side in (lhs, rhs):
                if isinstance(side, ast.Node):
                    raise self.unsupported(side)
            raise _refuse("So sánh phải có một thuộc tính của lớp.", "A comparison needs a property of the layer.")
        left, left_kind = self.scalar(lhs, anchor)
        right, right_kind = self.scalar(rhs, anchor)
        if _FAMILY[left_kind] != _FAMILY[right_kind]:
            raise _refuse("Hai vế của phép so sánh khác kiểu.", "The two sides of a comparison differ in type.")
        return sql.SQL("({} " + operator + " {})").format(left, right)

    def like(self, node: ast.Like) -> sql.Composable:
        anchor = self.anchor(node.lhs)
        if anchor is None or _kind(anchor) != "text":
            raise _refuse("LIKE cần một thuộc tính chữ ở vế trái.", "LIKE needs a text property on its left.")
        left, _ = self.scalar(node.lhs, anchor)
        pattern = node.pattern
        if isinstance(pattern, str):
            if (len(pattern) - len(pattern.rstrip("\\"))) % 2:
                raise _refuse("Mẫu LIKE không được kết thúc bằng ký tự thoát \\.",
                              "A LIKE pattern cannot end with the escape character \\.")
            right = self.value(pattern, anchor, pattern=True)
        elif isinstance(pattern, ast.Function):
            right, _ = self.scalar(pattern, anchor)
            if self.anchor(pattern) is not None:
                raise _refuse("Mẫu LIKE phải là một chuỗi.", "A LIKE pattern is a string.")
        else:
            raise _refuse("Mẫu LIKE phải là một chuỗi.", "A LIKE pattern is a string.")
        operator = ("NOT " if node.not_ else "") + ("ILIKE" if node.nocase else "LIKE")
        return sql.SQL("({} " + operator + " {})").format(left, right)

    def between(self, node: ast.Between) -> sql.Composable:
        anchor = self.anchor(node.lhs)
        if anchor is None or isinstance(node.lhs, ast.Function):
            raise _refuse("BETWEEN cần một thuộc tính ở vế trái.", "BETWEEN needs a property on its left.")
        column, kind = self.scalar(node.lhs, anchor)
        if kind in ("text", "boolean"):
            raise _refuse("BETWEEN chỉ dùng cho số và thời gian.", "BETWEEN applies to numbers and times.")
        low, _ = self.scalar(node.low, anchor)
        high, _ = self.scalar(node.high, anchor)
        return sql.SQL("({} {}BETWEEN {} AND {})").format(column, sql.SQL("NOT " if node.not_ else ""), low, high)

    def in_(self, node: ast.In) -> sql.Composable:
        anchor = self.anchor(node.lhs)
        if anchor is None:
            raise _refuse("IN cần một thuộc tính ở vế trái.", "IN needs a property on its left.")
        if not isinstance(node.sub_nodes, list) or not 1 <= len(node.sub_nodes) <= MAX_IN_VALUES:
            raise _refuse(f"IN cần từ 1 đến {MAX_IN_VALUES} giá trị.", f"IN takes 1 to {MAX_IN_VALUES} values.")
        column, _ = self.scalar(node.lhs, anchor)
        options = []
        for option in node.sub_nodes:
            if isinstance(option, ast.Node) and not isinstance(option, ast.Function):
                raise _refuse("IN chỉ nhận các giá trị.", "IN takes values only.")
            options.append(self.scalar(option, anchor)[0])
        return sql.SQL("({} {}IN ({}))").format(column, sql.SQL("NOT " if node.not_ else ""),
                                                sql.SQL(", ").join(options))

    def temporal(self, node) -> sql.Composable:
        anchor = self.anchor(node.lhs)
        if anchor is None or _kind(anchor) not in ("date", "datetime") or not isinstance(node.lhs, ast.Attribute):
            raise _refuse("Hàm thời gian (T_...) cần một thuộc tính ngày/thời điểm ở vế trái.",
                          "Temporal functions (T_...) need a date or timestamp property first.")
        column = self.property(node.lhs)[0]
        kind = type(node)
        if isinstance(node.rhs, values.Interval):
            start, end = node.rhs.start, node.rhs.end
            if start is None and end is None:
                raise _refuse("Khoảng thời gian không có đầu mút.", "The interval has no ends.")
            bounds = {"start": start, "end": end}
            rules = {  # an instant property against an interval
                ast.TimeBefore: [("<", "start")], ast.TimeAfter: [(">", "end")],
                ast.TimeDuring: [(">", "start"), ("<", "end")],
                ast.TimeOverlaps: [(">=", "start"), ("<=", "end")],  # pygeofilter's T_INTERSECTS
            }
        else:
            bounds = {"at": node.rhs}
            rules = {ast.TimeBefore: [("<", "at")], ast.TimeAfter: [(">", "at")],
                     ast.TimeEquals: [("=", "at")], ast.TimeOverlaps: [("=", "at")]}
        if kind not in rules:
            raise _refuse(f"Hàm thời gian {kind.__name__} chưa được hỗ trợ ở đây.",
                          f"Temporal function {kind.__name__} is not supported here.")
        parts = []
        for operator, bound in rules[kind]:
            value = bounds[bound]
            if value is None:
                continue  # an open end ('..')
            if not isinstance(value, (dt.date, dt.datetime, str)):
                raise _refuse("Mốc thời gian không hợp lệ.", "Not a valid instant.")
            parts.append(sql.SQL("({} " + operator + " {})").format(column, self.value(value, anchor)))
        return sql.SQL("({})").format(sql.SQL(" AND ").join(parts))

    # spatial
    def spatial(self, function: str, lhs, rhs, pattern: str | None = None) -> sql.Composable:
        sides = [self.spatial_operand(side) for side in (lhs, rhs)]
        if sum(is_property for _, is_property in sides) != 1:
            raise _refuse(f"Hàm không gian so thuộc tính {GEOMETRY_PROPERTY} với một hình học.",
                          f"A spatial function compares the {GEOMETRY_PROPERTY} property with a geometry literal.")
        arguments = [composed for composed, _ in sides]
        if pattern is not None:
            self.params.append(pattern)
            arguments.append(sql.Placeholder())
        return sql.SQL(function + "({})").format(sql.SQL(", ").join(arguments))

    def spatial_operand(self, node) -> tuple[sql.Composable, bool]:
        if isinstance(node, ast.Attribute):
            if not self.is_geometry(node):
                if isinstance(node.name, str) and node.name in self.fields:
                    raise _refuse(f"{_shown(node.name)} không phải hình học; dùng {GEOMETRY_PROPERTY}.",
                                  f"{_shown(node.name)} is not a geometry; use {GEOMETRY_PROPERTY}.")
                raise self.unknown(node.name)
            return self.any_property(node), True
        if isinstance(node, values.Geometry):
            return self.geometry(node.geometry, self.crs), False
        if isinstance(node, ast.Function) and str(node.name).lower() == "bbox":
            return self.envelope(node.arguments, self.crs), False
        if isinstance(node, values.Envelope):
            raise _refuse("Dùng BBOX(minx, miny, maxx, maxy) thay cho ENVELOPE.",
                          "Use BBOX(minx, miny, maxx, maxy) instead of ENVELOPE.")
        raise self.unsupported(node) if isinstance(node, ast.Node) else _refuse(
            "Hàm không gian cần một hình học.", "A spatial function needs a geometry.")

    def bbox_predicate(self, node: ast.BBox) -> sql.Composable:
        crs = self.crs if node.crs is None else node.crs
        if crs not in FILTER_CRS:
            raise _refuse("CRS của BBOX không hỗ trợ.", "Unsupported BBOX CRS.")
        column, is_property = self.spatial_operand(node.lhs)
        if not is_property:
            raise _refuse(f"BBOX cần thuộc tính {GEOMETRY_PROPERTY}.", f"BBOX needs the {GEOMETRY_PROPERTY} property.")
        box = self.envelope([node.minx, node.miny, node.maxx, node.maxy], crs)
        return sql.SQL("ST_Intersects({}, {})").format(column, box)

    def envelope(self, numbers, crs: str) -> sql.Composable:
        """BBOX(x1, y1, x2, y2) or with heights BBOX(x1, y1, z1, x2, y2, z2), in the axis order of `crs`."""
        if len(numbers) == 6:
            numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
        if len(numbers) != 4 or not all(isinstance(n, (int, float)) and not isinstance(n, bool) for n in numbers):
            raise _refuse("BBOX cần 4 hoặc 6 số.", "BBOX takes 4 or 6 numbers.")
        a1, b1, a2, b2 = (float(n) for n in numbers)
        if not (a1 < a2 and b1 < b2):
            raise _refuse("BBOX phải có góc dưới trái nhỏ hơn góc trên phải (không vắt qua kinh tuyến 180).",
                          "BBOX needs its lower corner below and left of its upper corner (no antimeridian).")
        ring = [[a1, b1], [a2, b1], [a2, b2], [a1, b2], [a1, b1]]
        return self.geometry({"type": "Polygon", "coordinates": [ring]}, crs)

    def geometry(self, geojson, crs: str) -> sql.Composable:
        """A geometry literal in `crs` (axis order as that CRS defines it), checked in Python and bound
        as EWKB; transformed in the database to the storage SRID."""
        srid, lat_first, (x_range, y_range) = FILTER_CRS[crs]
        budget = [self.spec.max_vertices]

        def position(value):
            if not isinstance(value, (list, tuple)) or len(value) not in (2, 3) or not all(
                    isinstance(n, (int, float)) and not isinstance(n, bool) for n in value):
                raise _refuse("Tọa độ phải gồm 2 hoặc 3 số.", "A position is 2 or 3 numbers.")
            budget[0] -= 1
            if budget[0] < 0:
                raise _refuse(f"Hình học có quá {self.spec.max_vertices:,} đỉnh.",
                              f"The geometry has more than {self.spec.max_vertices:,} vertices.")
            x, y = float(value[0]), float(value[1])
            if not (math.isfinite(x) and math.isfinite(y)
                    and x_range[0] <= x <= x_range[1] and y_range[0] <= y <= y_range[1]):
                raise _refuse("Tọa độ nằm ngoài miền của hệ tọa độ (filter-crs).",
                              "A coordinate lies outside the range of the filter CRS.")
            return [y, x] if lat_first else [x, y]

        def positions(value, nesting: int, closed_rings: bool):
            if not isinstance(value, (list, tuple)) or not value:
                raise _refuse("Hình học rỗng hoặc sai cấu trúc.", "An empty or malformed geometry.")
            if nesting == 1:
                points = [position(p) for p in value]
                if closed_rings and (len(points) < 4 or points[0] != points[-1]):
                    raise _refuse("Vòng đa giác phải khép kín và có ít nhất 4 điểm.",
                                  "A polygon ring must be closed and have at least 4 positions.")
                return points
            return [positions(v, nesting - 1, closed_rings) for v in value]

        def clean(shape, level: int) -> dict:
            if not isinstance(shape, dict) or "crs" in shape:
                raise _refuse("Hình học trong bộ lọc dùng hệ tọa độ filter-crs, không ghi SRID riêng.",
                              "Geometry literals are in the filter-crs; no SRID of their own.")
            kind = shape.get("type")
            if kind == "GeometryCollection" and level == 0:
                members = shape.get("geometries")
                if not isinstance(members, (list, tuple)) or not members:
                    raise _refuse("GEOMETRYCOLLECTION rỗng.", "An empty GEOMETRYCOLLECTION.")
                return {"type": kind, "geometries": [clean(m, 1) for m in members]}
            if kind not in _GEOMETRY_NESTING:
                raise _refuse("Kiểu hình học không hỗ trợ.", "Unsupported geometry type.")
            nesting = _GEOMETRY_NESTING[kind]
            coordinates = shape.get("coordinates")
            if nesting == 0:
                return {"type": kind, "coordinates": position(coordinates)}
            result = positions(coordinates, nesting, kind in ("Polygon", "MultiPolygon"))
            if kind == "LineString" and len(result) < 2 or kind == "MultiLineString" and min(map(len, result)) < 2:
                raise _refuse("Đường phải có ít nhất 2 điểm.", "A line needs at least 2 positions.")
            return {"type": kind, "coordinates": result}

        try:
            shape = GEOSGeometry(json.dumps(clean(geojson, 0)))  # GDAL's GeoJSON reader says 4326
        except (GEOSException, GDALException, ValueError, TypeError) as error:
            raise _refuse("Hình học không hợp lệ.", "Invalid geometry.") from error
        if not shape.valid:
            raise _refuse(f"Hình học không hợp lệ ({shape.valid_reason[:80]}).",
                          f"Invalid geometry ({shape.valid_reason[:80]}).")
        shape.srid = srid
        self.params.append(shape.hexewkb.decode("ascii"))
        literal = sql.SQL("{}::geometry").format(sql.Placeholder())
        if srid != self.spec.srid:
            literal = sql.SQL("ST_Transform({}, {})").format(literal, sql.Literal(int(self.spec.srid)))
        return literal


def compile_filter(spec: LayerSpec, text: str, lang: str = "cql2-text",
                   filter_crs: str | None = None) -> tuple[sql.Composable, list]:
    """The CQL2 filter `text` (filter-lang `lang`, geometry literals in `filter_crs`, default CRS84
    lon/lat degrees) of layer `spec` as a WHERE fragment over table alias `l` and its parameters.
    Raises FilterRefused (HTTP 400) for anything outside the supported subset."""
    lang = LANGUAGE_ALIASES.get(lang or "cql2-text", lang or "cql2-text")
    if lang not in LANGUAGES:
        raise _refuse(f"filter-lang phải là một trong {', '.join(LANGUAGES)}.",
                      f"filter-lang must be one of {', '.join(LANGUAGES)}.")
    compiler = _Compiler(spec, filter_crs)
    tree = _parse(_check_text(text), lang)
    if not isinstance(tree, ast.Node):
        raise _refuse("Bộ lọc phải là một điều kiện.", "The filter must be a condition.")
    where = compiler.condition(tree)
    return where, compiler.params


def queryables(spec: LayerSpec) -> dict:
    """The layer's queryables (OGC API Features Part 3): a JSON Schema of the properties a filter may
    name, typed as compile_filter types their values. The caller adds "$id" (the queryables URL).
    The geometry column's own name is accepted in filters too, as an alias of "geometry"."""
    properties = {GEOMETRY_PROPERTY: {
        "title": "hình học / geometry",
        "format": f"geometry-{spec.geometry_type.lower()}",
        "x-ogc-role": "primary-geometry",
    }}
    for column, field in property_fields(spec).items():
        schema = {"title": str(field.verbose_name), **property_schema(field)}
        if column == spec.id_field:
            schema["x-ogc-role"] = "id"
        properties[column] = schema
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "title": f"{spec.title_vi} / {spec.title_en}",
        "properties": properties,
        "additionalProperties": False,
    }
