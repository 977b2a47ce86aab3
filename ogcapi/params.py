"""The OGC API's query parameters checked before pygeoapi sees them: every value a client can send
is either understood or refused with a 400 in the OGC exception format (never a server error from
the provider's SQL). Property filters are typed by the layer's own model fields."""
from __future__ import annotations

import datetime as dt
import math
import re

from django.db import connection, models
from django.http import QueryDict

from layers.registry import LayerSpec

MAX_LIMIT = 10_000  # pygeoapi then throttles to its own max_items
MAX_OFFSET = 10_000_000
MAX_VALUE_LENGTH = 1_000
BIGINT_MAX = 2**63 - 1
FILTER_PARAMETERS = ("filter", "filter-lang", "filter-crs")  # OGC API Features Part 3 (ogcapi.cql2)
ITEMS_PARAMETERS = {"f", "lang", "limit", "offset", "bbox", "bbox-crs", "crs", "datetime", "sortby", "properties",
                    "skipGeometry", "resulttype", "q", *FILTER_PARAMETERS}
COMMON_PARAMETERS = {"f", "lang"}
FORMATS = ("json", "html", "jsonld")
FEATURE_FORMATS = ("json", "html")  # pygeoapi's JSON-LD rendering of features is not valid JSON
PROFILES = ("actual-domain", "valid-domain")
_INTEGER = (models.IntegerField, models.BigIntegerField, models.SmallIntegerField, models.PositiveIntegerField,
            models.PositiveSmallIntegerField, models.PositiveBigIntegerField, models.AutoField, models.BigAutoField)
_CONTROL_CHARACTERS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f"  # tab, line feed and carriage return are text
_CONTROL = re.compile(f"[{_CONTROL_CHARACTERS}]")
# The OpenAPI schema of a text value the server accepts (no control characters, not too long).
TEXT_SCHEMA = {"pattern": f"^[^{_CONTROL_CHARACTERS}]*$", "maxLength": MAX_VALUE_LENGTH}


class BadParameter(Exception):
    """A query parameter refused with a message for the client (HTTP 400)."""


def _single(params: QueryDict, name: str) -> str:
    values = params.getlist(name)
    if len(values) > 1:
        raise BadParameter(f"Tham số {name} lặp lại. / Parameter {name} given more than once.")
    return values[0]


# What PostgreSQL reads as it does: Python alone would also take "٣", "1_0" or "2024-W01-1".
_INTEGER_TEXT = re.compile(r"^\s*[+-]?[0-9]+\s*$")
_NUMBER_TEXT = re.compile(r"^\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\s*$")
_DATE_TEXT = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_DATETIME_TEXT = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
                            r"(Z|[+-][0-9]{2}:?[0-9]{2})?)?$")


def _integer(name: str, value: str, low: int, high: int) -> int:
    if not _INTEGER_TEXT.match(value):
        raise BadParameter(f"{name} phải là số nguyên. / {name} must be an integer.")
    number = int(value.strip())
    if not low <= number <= high:
        raise BadParameter(f"{name} phải trong khoảng {low}–{high}. / {name} must be between {low} and {high}.")
    return number


def _bbox(value: str, crs: str | None = None) -> str:
    """A checked bbox; `crs` is its bbox-crs (CRS84 when None): latitudes are clamped to the poles
    where the CRS has them (second and fourth in CRS84, first and third in EPSG:4326)."""
    try:
        numbers = [float(v) for v in value.split(",")]
    except ValueError:
        raise BadParameter("bbox phải gồm 4 hoặc 6 số. / bbox must be 4 or 6 numbers.")
    if len(numbers) not in (4, 6) or not all(math.isfinite(n) for n in numbers):
        raise BadParameter("bbox phải gồm 4 hoặc 6 số. / bbox must be 4 or 6 numbers.")
    if len(numbers) == 6:  # minx, miny, minz, maxx, maxy, maxz: heights are not stored
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    minx, miny, maxx, maxy = numbers
    # Latitudes beyond the poles mean "up to the pole"; a south edge given north of the north edge is
    # read the right way round (the OGC API leaves the answer to such boxes to the server).
    if crs == "http://www.opengis.net/def/crs/EPSG/0/4326":
        minx, maxx = sorted(min(max(v, -90.0), 90.0) for v in (minx, maxx))
    elif crs is None or crs.endswith("/CRS84"):
        miny, maxy = sorted(min(max(v, -90.0), 90.0) for v in (miny, maxy))
    else:  # a projected CRS: within the area where it can be transformed (beyond it PROJ fails)
        from . import cql2  # cql2 imports this module

        (low_x, high_x), (low_y, high_y) = cql2.FILTER_CRS[crs][2]
        minx, maxx = (min(max(v, low_x), high_x) for v in (minx, maxx))
        miny, maxy = (min(max(v, low_y), high_y) for v in (miny, maxy))
    return ",".join(repr(n) for n in (minx, miny, maxx, maxy))


def property_fields(spec: LayerSpec) -> dict[str, models.Field]:
    """The layer's properties as clients see them (column name -> field), geometry excluded."""
    return {f.column: f for f in spec.model._meta.concrete_fields if f.column != spec.geometry_field.column}


def _column_type(field: models.Field) -> models.Field:
    target = getattr(field, "target_field", field)  # a foreign key filters on the referenced key
    return target.output_field if isinstance(target, models.GeneratedField) else target


def property_schema(field: models.Field) -> dict:
    """The OpenAPI schema of a property-filter value: exactly what _typed accepts."""
    target = _column_type(field)
    if isinstance(target, _INTEGER):
        low, high = connection.ops.integer_field_range(target.get_internal_type())
        return {"type": "integer", "minimum": -BIGINT_MAX if low is None else low,
                "maximum": BIGINT_MAX if high is None else high}
    if isinstance(target, (models.FloatField, models.DecimalField)):
        return {"type": "number"}
    if isinstance(target, models.DateTimeField):
        return {"type": "string", "format": "date-time"}
    if isinstance(target, models.DateField):
        return {"type": "string", "format": "date"}
    if isinstance(target, models.BooleanField):
        return {"type": "boolean"}
    return {"type": "string", **TEXT_SCHEMA, "maxLength": min(target.max_length or MAX_VALUE_LENGTH, MAX_VALUE_LENGTH)}


def _typed(name: str, field: models.Field, value: str) -> None:
    """Refuse a property-filter value the column could not hold."""
    target = _column_type(field)
    if isinstance(target, _INTEGER):
        low, high = connection.ops.integer_field_range(target.get_internal_type())
        _integer(name, value, -BIGINT_MAX if low is None else low, BIGINT_MAX if high is None else high)
    elif isinstance(target, (models.FloatField, models.DecimalField)):
        if not _NUMBER_TEXT.match(value) or not math.isfinite(float(value)):
            raise BadParameter(f"{name} phải là số. / {name} must be a number.")
    elif isinstance(target, models.DateTimeField):
        try:
            if not _DATETIME_TEXT.match(value):
                raise ValueError
            dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise BadParameter(f"{name} phải là thời điểm ISO 8601. / {name} must be an ISO 8601 date-time.")
    elif isinstance(target, models.DateField):
        try:
            if not _DATE_TEXT.match(value):
                raise ValueError
            dt.date.fromisoformat(value)
        except ValueError:
            raise BadParameter(f"{name} phải là ngày YYYY-MM-DD. / {name} must be a date YYYY-MM-DD.")
    elif isinstance(target, models.BooleanField):
        if value.lower() not in ("true", "false", "1", "0"):
            raise BadParameter(f"{name} phải là true hoặc false. / {name} must be true or false.")
    elif getattr(target, "max_length", None) and len(value) > target.max_length:
        raise BadParameter(f"{name} dài quá {target.max_length} ký tự. / {name} is too long.")


def _names(name: str, value: str, known: dict, *, signed: bool) -> None:
    items = [v.strip() for v in value.split(",")]
    if not value.strip() or not all(items):
        raise BadParameter(f"{name} rỗng. / {name} is empty.")
    for item in items:
        bare = item[1:] if signed and item[:1] in "+-" else item
        if bare not in known:
            raise BadParameter(f"{name}: không có thuộc tính {bare!r}; dùng: {', '.join(known)}. / Unknown property.")


def _filter_length() -> int:
    from . import cql2  # cql2 imports this module

    return cql2.MAX_FILTER_LENGTH  # a CQL2 filter is longer than other values; cql2 bounds its parsing


def check_common(params: QueryDict, allowed: set[str] | None = None, formats=FORMATS) -> None:
    """Every OGC API request: no control characters, no absurdly long values, a known output format
    and CRS, and (when `allowed` is given) no parameter the endpoint does not know."""
    from .config import OUTPUT_CRS

    if "f" in params and _single(params, "f") not in formats:
        raise BadParameter(f"f phải là một trong {', '.join(formats)}. / f must be one of {', '.join(formats)}.")
    for name in ("crs", "bbox-crs"):
        if name in params and _single(params, name) not in OUTPUT_CRS:
            raise BadParameter(f"{name} không hỗ trợ; dùng một trong: {', '.join(OUTPUT_CRS)}. / Unsupported CRS.")
    if "profile" in params and _single(params, "profile") not in PROFILES:
        raise BadParameter(f"profile phải là một trong {', '.join(PROFILES)}. / Unknown profile.")
    for key, values in params.lists():
        if allowed is not None and key not in allowed:
            raise BadParameter(f"Tham số không hỗ trợ: {key}. / Unknown parameter {key}.")
        for value in [key, *values]:
            if _CONTROL.search(value):
                raise BadParameter("Tham số chứa ký tự điều khiển. / A parameter holds control characters.")
            if len(value) > (_filter_length() if key == "filter" else MAX_VALUE_LENGTH):
                raise BadParameter("Tham số quá dài. / A parameter is too long.")


def check_items(spec: LayerSpec, params: QueryDict) -> QueryDict:
    """The items query of layer `spec`, checked; returns the parameters pygeoapi should see."""
    check_common(params, formats=FEATURE_FORMATS)
    out = params.copy()
    fields = property_fields(spec)
    for name in params:
        # bbox=1,2,3,4 or, exploded, bbox=1&bbox=2&bbox=3&bbox=4 (both forms of an OpenAPI array)
        value = ",".join(params.getlist(name)) if name == "bbox" else _single(params, name)
        if name == "limit":
            _integer(name, value, 1, MAX_LIMIT)
        elif name == "offset":
            _integer(name, value, 0, MAX_OFFSET)
        elif name == "bbox":
            out[name] = _bbox(value, params.get("bbox-crs"))
        elif name == "datetime":
            as_of(params)  # an instant: the view answers the collection as it was then
        elif name == "sortby":
            _names(name, value, fields, signed=True)
        elif name == "properties":
            _names(name, value, fields, signed=False)
        elif name == "skipGeometry":
            if value.lower() not in ("true", "false"):
                raise BadParameter("skipGeometry phải là true hoặc false. / skipGeometry must be true or false.")
        elif name == "resulttype":
            if value not in ("results", "hits"):
                raise BadParameter("resulttype phải là results hoặc hits. / resulttype must be results or hits.")
        elif name == "filter":
            if not value.strip():
                raise BadParameter("filter rỗng. / filter is empty.")
        elif name == "filter-lang":
            from . import cql2  # cql2 imports this module

            if value not in (*cql2.LANGUAGES, *cql2.LANGUAGE_ALIASES):
                raise BadParameter(f"filter-lang phải là một trong {', '.join(cql2.LANGUAGES)}. / filter-lang must "
                                   f"be one of {', '.join(cql2.LANGUAGES)}.")
        elif name == "filter-crs":
            from . import cql2

            if value not in cql2.FILTER_CRS:
                raise BadParameter(f"filter-crs không hỗ trợ; dùng một trong: {', '.join(cql2.FILTER_CRS)}. / "
                                   "Unsupported CRS.")
        elif name in fields:
            _typed(name, fields[name], value)
        elif name not in ITEMS_PARAMETERS:
            raise BadParameter(f"Tham số không hỗ trợ: {name}. / Unknown parameter {name}.")
    for name in ("filter-lang", "filter-crs"):
        if name in out and "filter" not in out:
            raise BadParameter(f"{name} chỉ dùng kèm filter. / {name} applies to a filter; none was given.")
    if "bbox-crs" in out and "bbox" not in out:
        del out["bbox-crs"]  # the CRS of no bbox: nothing to apply it to
    return out


# datetime= is the as-of instant (no layer publishes a time property to pygeoapi): RFC 3339, with
# its offset. A "+" left unencoded in a query string arrives as a space: read back as the "+" it was.
_INSTANT = re.compile(r"^([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt]([0-9]{2}:[0-9]{2}:[0-9]{2})(\.[0-9]+)?"
                      r"([Zz]|[+ -][0-9]{2}:[0-9]{2})$")
AS_OF_PARAMETERS = {"f", "lang", "limit", "offset", "bbox", "bbox-crs", "datetime"}


def as_of(params: QueryDict) -> dt.datetime | None:
    """The as-of instant of `datetime=` (an aware datetime), None without one. Intervals, dates alone
    and times without an offset are refused (400): the parameter names one instant."""
    if "datetime" not in params:
        return None
    value = _single(params, "datetime").strip()
    if "/" in value or value.startswith(".."):
        raise BadParameter("datetime là một thời điểm (đọc dữ liệu như tại thời điểm đó), không phải khoảng "
                           "thời gian. / datetime is one instant (the data as it was then), not an interval.")
    match = _INSTANT.match(value)
    hint = ("datetime phải là thời điểm RFC 3339 có múi giờ, ví dụ 2026-12-03T08:00:00Z hoặc "
            "2026-12-03T15:00:00+07:00. / datetime must be an RFC 3339 instant with its offset, e.g. "
            "2026-12-03T08:00:00Z.")
    if not match:
        raise BadParameter(hint)
    day, time, fraction, offset = match.groups()
    offset = "+00:00" if offset in "Zz" else "+" + offset[1:] if offset[0] == " " else offset
    try:
        instant = dt.datetime.fromisoformat(f"{day}T{time}{(fraction or '')[:7]}{offset}")
    except ValueError:
        raise BadParameter(hint)
    if instant.year < 2 or instant.year > 9998:
        raise BadParameter(hint)
    return instant


def check_as_of(params: QueryDict) -> tuple[float, float, float, float] | None:
    """The items query of an as-of read, checked (only what the change log can answer: bbox in
    CRS84, limit, offset, GeoJSON); returns the bbox (minx, miny, maxx, maxy in degrees) or None."""
    for name in params:
        if name not in AS_OF_PARAMETERS:
            raise BadParameter(f"Với datetime chỉ dùng được bbox, limit, offset; bỏ {name}. / With datetime only "
                               f"bbox, limit and offset apply; remove {name}.")
    if params.get("f", "json") != "json":
        raise BadParameter("Dữ liệu tại một thời điểm chỉ có dạng GeoJSON (f=json). / As-of reads are GeoJSON "
                           "only (f=json).")
    from .config import CRS84

    if params.get("bbox-crs", CRS84) != CRS84:
        raise BadParameter("Với datetime, bbox tính bằng độ kinh/vĩ (CRS84). / With datetime, bbox is in CRS84.")
    return tuple(float(v) for v in params["bbox"].split(",")) if "bbox" in params else None


def check_feature_id(value: str) -> int | None:
    """A feature id as stored (a positive bigint), or None when it cannot name any feature."""
    if not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if 0 < number <= BIGINT_MAX else None


_SUBSET = re.compile(r"^\s*(lat|lon|long|latitude|longitude)\s*\(\s*([-+0-9.eE]+)\s*:\s*([-+0-9.eE]+)\s*\)\s*$", re.I)


def coverage_cells(params: QueryDict, cells: int, extent: tuple[float, float, float, float]) -> int:
    """How many of a raster's `cells` a coverage request reads, estimated from its bbox= or its
    subset=Lat(a:b),Lon(c:d) (EPSG:4326 degrees) against the raster's `extent`; all of them when it
    asks for no part this can measure."""
    minx, miny, maxx, maxy = extent
    want = [minx, miny, maxx, maxy]
    if "bbox" in params:
        try:
            box = [float(v) for v in ",".join(params.getlist("bbox")).split(",")]
        except ValueError:
            raise BadParameter("bbox phải gồm 4 số. / bbox must be 4 numbers.")
        if len(box) != 4 or not all(math.isfinite(v) for v in box):
            raise BadParameter("bbox phải gồm 4 số. / bbox must be 4 numbers.")
        want = box
    for part in ",".join(params.getlist("subset")).split("),") if "subset" in params else ():
        match = _SUBSET.match(part if part.endswith(")") else part + ")")
        if not match:
            return cells  # axes in the raster's own units: not measured here
        low, high = sorted(float(v) for v in match.group(2, 3))
        if match.group(1).lower().startswith("lat"):
            want[1], want[3] = low, high
        else:
            want[0], want[2] = low, high
    width = max(0.0, min(want[2], maxx) - max(want[0], minx)) / max(maxx - minx, 1e-12)
    height = max(0.0, min(want[3], maxy) - max(want[1], miny)) / max(maxy - miny, 1e-12)
    return int(cells * width * height)
