"""Reading officers' files as a stream of batches: zipped Shapefile, GeoPackage, GeoJSON, KML (GDAL
through pyogrio/Arrow), CSV and Excel (Python readers). Text comes out as NFC Unicode whatever the
file's encoding; geometry as WKB in the file's own CRS."""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pyogrio
import shapely
from pyogrio import raw
from pyproj import CRS
from pyproj.exceptions import CRSError

from layers.errors import logged_reference

from . import gdal_policy, sniff, vnencodings
from .safety import (
    ImportRejected, Limits, check_file_size, check_xlsx, file_chunks, is_formula, read_zip_member,
    refuse_xml_entities, safe_zip_members,
)

SAMPLE_ROWS = 200  # rows read to detect an encoding

LON_NAMES = ("lon", "lng", "long", "longitude", "kinhdo", "kinh_do")
LAT_NAMES = ("lat", "latitude", "vido", "vi_do")
X_NAMES = ("x", "easting", "toadox", "toa_do_x")
Y_NAMES = ("y", "northing", "toadoy", "toa_do_y")
WKT_NAMES = ("wkt", "geom", "geometry", "the_geom", "hinhhoc")


def parse_crs(value: str) -> CRS:
    """'9212', 'EPSG:9212', a WKT or PROJ string -> CRS, or a clear error."""
    text = value.strip()
    try:
        return CRS.from_epsg(int(text)) if text.isdigit() else CRS.from_user_input(text)
    except (CRSError, ValueError):
        raise ImportRejected(f"Hệ tọa độ không hợp lệ: {value!r} (unknown CRS; e.g. EPSG:9212).")


def crs_label(crs: CRS | None) -> str:
    if crs is None:
        return "không có (none)"
    epsg = crs.to_epsg()
    return f"EPSG:{epsg} {crs.name}" if epsg else crs.name


@dataclass
class Batch:
    """Rows of a file as columns (field name -> values, Arrow's layout: checks and conversions run
    column by column); `row(i)` and `rows` give dicts for the few rows shown or refused."""

    columns: dict[str, list[object]]
    wkb: list[bytes | None]
    first_row: int  # 1-based number of the first row in the file (data rows, header excluded)

    def __len__(self) -> int:
        return len(self.wkb)

    def row(self, i: int) -> dict[str, object]:
        return {name: values[i] for name, values in self.columns.items()}

    @property
    def rows(self) -> list[dict[str, object]]:
        return [self.row(i) for i in range(len(self))]

    @classmethod
    def of_rows(cls, rows: list[dict[str, object]], wkb: list[bytes | None], first_row: int,
                names: list[str]) -> Batch:
        return cls({name: [r.get(name) for r in rows] for name in names}, wkb, first_row)


@dataclass
class EncodingChoice:
    """The text encoding used, how it was decided, and what each candidate reading looks like."""

    encoding: str
    source: str  # "option", "file" (.cpg), "detected", "utf-8 by format"
    confidence: float = 1.0
    readings: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Source(ABC):
    path: Path
    format: str
    fields: list[str]
    crs: CRS | None
    feature_count: int | None
    encoding: EncodingChoice
    layer: str | None = None
    layers: list[str] = field(default_factory=list)
    geometry_note: str = ""

    @abstractmethod
    def batches(self, size: int) -> Iterator[Batch]:
        """The features in batches of `size` rows, text decoded to NFC Unicode."""

    def describe(self) -> dict:
        return {"format": self.format, "layer": self.layer, "layers": self.layers, "fields": self.fields,
                "crs": crs_label(self.crs), "features": self.feature_count, "encoding": self.encoding.encoding,
                "encoding_source": self.encoding.source, "geometry": self.geometry_note}


def _legacy_decoder(encoding: str):
    """A value -> value function turning text whose characters stand for bytes (read as latin-1,
    or legacy-font text in a Unicode file) into NFC Unicode; other values pass through."""
    def decode(value):
        return vnencodings.from_legacy_text(value, encoding) if isinstance(value, str) else value
    return decode


def choose_encoding(samples: list[bytes], *, option: str | None, declared: str | None) -> EncodingChoice:
    """Decide how to read text: the officer's choice, else a file declaration that fits the bytes,
    else detection; an unsure detection is refused with each reading shown, to choose from."""
    # Only text with bytes above ASCII tells encodings apart (and shows the difference to the officer).
    samples = [s for s in samples if not s.isascii()]
    readings = {enc: [r for r in (vnencodings.readings(s).get(enc) for s in samples[:5]) if r is not None]
                for enc in vnencodings.ENCODINGS}
    if option:
        if option not in vnencodings.ENCODINGS:
            raise ImportRejected(f"Bảng mã không hỗ trợ: {option!r}; chọn một trong {', '.join(vnencodings.ENCODINGS)}.")
        return EncodingChoice(option, "option", readings=readings)
    if declared in vnencodings.ENCODINGS:
        try:
            for sample in samples:
                vnencodings.decode(sample, declared)
            return EncodingChoice(declared, "file", readings=readings)
        except (UnicodeDecodeError, ValueError):
            pass  # the declaration does not fit the bytes: detect instead
    if not samples:
        return EncodingChoice("utf-8", "ascii only")
    detection = vnencodings.detect(samples)
    if detection.encoding is None:
        raise EncodingUnsure(readings, detection.scores)
    return EncodingChoice(detection.encoding, "detected", detection.confidence, readings)


class EncodingUnsure(ImportRejected):
    """Detection could not tell the encoding apart: the officer must choose, seeing each reading."""

    def __init__(self, readings: dict[str, list[str]], scores: dict[str, float]):
        self.readings, self.scores = readings, scores
        shown = "\n".join(f"  --encoding {enc}: {' | '.join(texts[:3])}" for enc, texts in readings.items() if texts)
        super().__init__("Không chắc bảng mã tiếng Việt của tệp; hãy chọn --encoding theo cách đọc đúng "
                         f"(unsure of the text encoding, choose one):\n{shown}")


# -- GDAL formats ---------------------------------------------------------------------------------

class OgrSource(Source):
    gdal_path: str = ""
    legacy_text: bool = False  # text read as latin-1 and decoded by vnencodings

    def batches(self, size: int) -> Iterator[Batch]:
        decode = _legacy_decoder(self.encoding.encoding) if self.legacy_text else None
        kwargs = {"encoding": "latin1"} if self.legacy_text else {}
        row = 1
        with raw.open_arrow(self.gdal_path, layer=self.layer, use_pyarrow=True, batch_size=size,
                            force_2d=False, **kwargs) as (meta, reader):
            geometry_column = meta["geometry_name"] or "wkb_geometry"
            for record_batch in reader:
                columns = {name: record_batch.column(name).to_pylist() for name in record_batch.schema.names
                           if name not in (geometry_column, meta.get("fid_column"))}
                wkb = (record_batch.column(geometry_column).to_pylist()
                       if geometry_column in record_batch.schema.names else [None] * record_batch.num_rows)
                if decode:
                    columns = {name: [decode(v) for v in values] for name, values in columns.items()}
                yield Batch(columns, wkb, row)
                row += record_batch.num_rows


def _unreadable(fmt: str, error: Exception) -> ImportRejected:
    """GDAL's message names server paths: it goes to the log, the officer gets a reference."""
    reference = logged_reference(f"GDAL could not read an uploaded {fmt} file", error)
    return ImportRejected(f"Không đọc được tệp {sniff.LABELS[fmt]}: tệp hỏng hoặc không đúng định dạng "
                          f"(unreadable file; mã tham chiếu / reference {reference}).")


def _ogr_info(gdal_path: str, layer: str | None, fmt: str, **kwargs) -> dict:
    try:
        info = pyogrio.read_info(gdal_path, layer=layer, **kwargs)
    except Exception as error:  # pyogrio raises DataSourceError/DataLayerError/... for unreadable files
        raise _unreadable(fmt, error)
    sniff.check_driver(info.get("driver"), fmt)
    return info


def _ogr_layers(gdal_path: str, fmt: str) -> list[str]:
    try:
        return [str(name) for name, _ in pyogrio.list_layers(gdal_path)]
    except Exception as error:  # noqa: BLE001 - any GDAL failure means the same thing to the officer
        raise _unreadable(fmt, error)


def _pick_layer(layers: list[str], layer: str | None, what: str) -> str | None:
    if layer is not None:
        if layer not in layers:
            raise ImportRejected(f"Không có lớp {layer!r} trong {what}; các lớp: {', '.join(layers)}.")
        return layer
    if len(layers) > 1:
        raise ImportRejected(f"{what} có nhiều lớp ({', '.join(layers)}); chọn một bằng --layer "
                             f"(several layers, choose one).")
    return layers[0] if layers else None


def _open_shapefile_zip(path: Path, layer: str | None, encoding: str | None, limits: Limits) -> OgrSource:
    members = {m.filename: m for m in safe_zip_members(path, limits)}
    shps = sorted(n for n in members if n.lower().endswith(".shp") and not n.startswith("__MACOSX"))
    if not shps:
        raise ImportRejected("Tệp nén không chứa shapefile (.shp) (no shapefile in the archive).")
    names = [Path(n).stem for n in shps]
    stem = _pick_layer(names, layer, "Tệp nén")
    shp = shps[names.index(stem)]
    base = shp[:-4]
    siblings = {n[len(base):].lower(): n for n in members if n.startswith(base) and len(n) == len(base) + 4}
    for needed in (".dbf", ".shx"):
        if needed not in siblings:
            raise ImportRejected(f"Shapefile {stem} thiếu tệp {needed} (incomplete shapefile).")
    gdal_path = f"/vsizip/{path}/{shp}"
    info = _ogr_info(gdal_path, None, "shapefile", encoding="latin1")
    declared = None
    if ".cpg" in siblings:
        cpg = read_zip_member(path, siblings[".cpg"], 1024).decode("ascii", "replace").strip().lower()
        declared = {"utf-8": "utf-8", "utf8": "utf-8", "65001": "utf-8", "cp1258": "cp1258",
                    "1258": "cp1258", "windows-1258": "cp1258"}.get(cpg)
    source = OgrSource(path=path, format="shapefile", fields=[str(f) for f in info["fields"]],
                       crs=CRS.from_user_input(info["crs"]) if info["crs"] else None,
                       feature_count=info["features"], layer=None, layers=names,
                       encoding=EncodingChoice("utf-8", "pending"), geometry_note=info["geometry_type"] or "")
    source.gdal_path, source.legacy_text = gdal_path, True
    source.encoding = choose_encoding(_ogr_text_samples(source), option=encoding, declared=declared)
    source.layer = None
    return source


def _ogr_text_samples(source: OgrSource) -> list[bytes]:
    """Raw bytes of the text values of the first rows (read as latin-1, so bytes survive)."""
    samples = []
    with raw.open_arrow(source.gdal_path, layer=source.layer, encoding="latin1", use_pyarrow=True,
                        batch_size=SAMPLE_ROWS, read_geometry=False) as (_meta, reader):
        for record_batch in reader:
            for column in record_batch.columns:
                samples += [v.encode("latin-1") for v in column.to_pylist() if isinstance(v, str) and v.strip()]
            break
    return samples


# The driver named in the path where GDAL allows it; KML is opened by the only driver left that
# knows it (see gdal_policy), and every open is checked against the driver the content proved.
_DRIVER_PREFIX = {"geojson": "GeoJSON:", "gpkg": "GPKG:", "kml": ""}


def _open_unicode_ogr(path: Path, fmt: str, layer: str | None, encoding: str | None, limits: Limits) -> OgrSource:
    gdal_path = _DRIVER_PREFIX[fmt] + str(path)
    if fmt == "kml":
        refuse_xml_entities(file_chunks(path), "Tệp KML")
    info = _ogr_info(gdal_path, None, fmt)  # the driver is checked before layers are listed
    layers = _ogr_layers(gdal_path, fmt)
    chosen = _pick_layer(layers, layer, f"Tệp {sniff.LABELS[fmt]}")
    info = _ogr_info(gdal_path, chosen, fmt) if chosen is not None else info
    crs = CRS.from_user_input(info["crs"]) if info["crs"] else None
    if fmt in ("kml", "geojson") and crs is None:
        crs = CRS.from_epsg(4326)  # both formats are WGS84 by definition
    source = OgrSource(path=path, format=fmt, fields=[str(f) for f in info["fields"]], crs=crs,
                       feature_count=info["features"] if info["features"] >= 0 else None, layer=chosen,
                       layers=layers, encoding=EncodingChoice(encoding or "utf-8", "option" if encoding else "utf-8 by format"),
                       geometry_note=info["geometry_type"] or "")
    source.gdal_path = gdal_path
    if encoding and encoding != "utf-8":
        # Legacy-font text pasted into a Unicode file: each character stands for one byte.
        source.legacy_text = True
    return source


# -- tables with coordinates: CSV and Excel -------------------------------------------------------

def _norm(name: str) -> str:
    from layers.fields import normalise

    return normalise(name)


@dataclass
class GeometryColumns:
    kind: str  # "lonlat", "xy" or "wkt"
    columns: tuple[str, ...]


def find_geometry_columns(header: list[str]) -> GeometryColumns:
    normalised = {_norm(h): h for h in header}

    def first(names):
        return next((normalised[_norm(n)] for n in names if _norm(n) in normalised), None)

    lon, lat = first(LON_NAMES), first(LAT_NAMES)
    if lon and lat:
        return GeometryColumns("lonlat", (lon, lat))
    x, y = first(X_NAMES), first(Y_NAMES)
    if x and y:
        return GeometryColumns("xy", (x, y))
    wkt = first(WKT_NAMES)
    if wkt:
        return GeometryColumns("wkt", (wkt,))
    raise ImportRejected("Không tìm thấy cột tọa độ: cần cặp lon/lat (kinh_do/vi_do), x/y, hoặc cột WKT "
                         "(no coordinate columns found).")


class TableSource(Source):
    geometry: GeometryColumns

    @abstractmethod
    def _rows(self) -> Iterator[list[object]]:
        """The data rows (header excluded) as lists of cell values."""

    def batches(self, size: int) -> Iterator[Batch]:
        rows, wkb, start = [], [], 1
        names = [c for c in self.fields if c not in self.geometry.columns]
        for number, values in enumerate(self._rows(), start=1):
            record = dict(zip(self.fields, values))
            for column, value in record.items():
                if isinstance(value, str) and is_formula(value):
                    raise ImportRejected(f"Dòng {number}, cột {column!r} chứa công thức {value[:40]!r}; "
                                         "tệp bị từ chối (formula cells are refused).")
            rows.append({k: record.get(k) for k in names})
            wkb.append(self._geometry(record))
            if len(rows) == size:
                yield Batch.of_rows(rows, wkb, start, names)
                rows, wkb, start = [], [], number + 1
        if rows:
            yield Batch.of_rows(rows, wkb, start, names)

    def _geometry(self, record: dict) -> bytes | None:
        try:
            if self.geometry.kind == "wkt":
                text = record.get(self.geometry.columns[0])
                return shapely.to_wkb(shapely.from_wkt(str(text))) if text not in (None, "") else None
            x, y = (record.get(c) for c in self.geometry.columns)
            if x in (None, "") or y in (None, ""):
                return None
            return shapely.to_wkb(shapely.Point(float(str(x).replace(",", ".")), float(str(y).replace(",", "."))))
        except (ValueError, shapely.errors.ShapelyError):
            return b"invalid"  # reported as unreadable geometry by the validation step


class CsvSource(TableSource):
    text_encoding: str = "utf-8"
    dialect: type[csv.Dialect] = csv.excel

    def _rows(self) -> Iterator[list[str]]:
        with open(self.path, "rb") as raw_file:
            text = io.TextIOWrapper(raw_file, encoding="latin-1", newline="")
            reader = csv.reader(text, self.dialect)
            try:
                next(reader, None)  # header
                for values in reader:
                    yield [self._decode(v) for v in values]
            except csv.Error:  # a NUL byte, an unterminated quote over the field size limit, ...
                raise ImportRejected(f"Dòng {reader.line_num} của tệp CSV không đọc được (byte NUL hoặc ô quá dài) "
                                     f"(line {reader.line_num} is not valid CSV).")
            except (UnicodeDecodeError, ValueError):
                raise ImportRejected(f"Dòng {reader.line_num} của tệp CSV không đúng bảng mã {self.encoding.encoding} "
                                     f"(line {reader.line_num} is not {self.encoding.encoding} text).")

    def _decode(self, value: str) -> str:
        data = value.encode("latin-1")
        if self.encoding.encoding == "utf-8" and data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        return vnencodings.decode(data, self.encoding.encoding).strip()


def _open_csv(path: Path, crs_option: str | None, encoding: str | None) -> CsvSource:
    try:
        return _read_csv_header(path, crs_option, encoding)
    except (csv.Error, UnicodeDecodeError, ValueError) as error:
        raise ImportRejected(f"Dòng đầu của tệp CSV không đọc được ({type(error).__name__}) "
                             "(the CSV header cannot be read).")


def _read_csv_header(path: Path, crs_option: str | None, encoding: str | None) -> CsvSource:
    with open(path, "rb") as f:
        head = f.read(256 * 1024)
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    lines = head.splitlines()
    if not lines:
        raise ImportRejected("Tệp CSV rỗng (empty CSV).")
    try:
        dialect = csv.Sniffer().sniff(lines[0].decode("latin-1"), delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    samples = [cell.encode("latin-1") for line in lines[1:SAMPLE_ROWS]
               for cell in next(csv.reader([line.decode("latin-1")], dialect), []) if cell.strip()]
    header_bytes = [c.encode("latin-1") for c in next(csv.reader([lines[0].decode("latin-1")], dialect))]
    choice = choose_encoding([s for s in samples if not s.isascii()] or samples or header_bytes,
                             option=encoding, declared="utf-8" if head.isascii() else None)
    header = [vnencodings.decode(h, choice.encoding).strip() for h in header_bytes]
    source = CsvSource(path=path, format="csv", fields=header, crs=None, feature_count=None, encoding=choice)
    source.dialect = dialect
    source.geometry = find_geometry_columns(header)
    source.crs = _table_crs(source.geometry, crs_option)
    source.geometry_note = "Point" if source.geometry.kind != "wkt" else "WKT"
    return source


def _table_crs(geometry: GeometryColumns, crs_option: str | None) -> CRS | None:
    if crs_option:
        return parse_crs(crs_option)
    # Columns named lon/lat (kinh_do/vi_do) are WGS84 degrees; x/y and WKT say nothing of their CRS.
    return CRS.from_epsg(4326) if geometry.kind == "lonlat" else None


class XlsxSource(TableSource):
    sheet: str = ""

    def _rows(self) -> Iterator[list[object]]:
        import openpyxl

        # Legacy-font text typed into Excel (e.g. .VnTime): each character stands for a byte.
        legacy = _legacy_decoder(self.encoding.encoding) if self.encoding.encoding != "utf-8" else None
        workbook = openpyxl.load_workbook(self.path, read_only=True, data_only=False)
        try:
            rows = workbook[self.sheet].iter_rows()
            next(rows, None)
            for cells in rows:
                values = []
                for cell in cells:
                    if cell.data_type == "f":
                        raise ImportRejected(f"Ô {cell.coordinate} chứa công thức; tệp bị từ chối "
                                             "(formula cells are refused).")
                    value = cell.value
                    if isinstance(value, str):
                        value = legacy(value) if legacy else unicodedata.normalize("NFC", value)
                    values.append(value)
                if any(v not in (None, "") for v in values):
                    yield values
        finally:
            workbook.close()


def _open_xlsx(path: Path, layer: str | None, crs_option: str | None, encoding: str | None,
               limits: Limits) -> XlsxSource:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    check_xlsx(path, limits)
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except (InvalidFileException, KeyError, OSError, ValueError) as error:
        reference = logged_reference("openpyxl could not read an uploaded workbook", error)
        raise ImportRejected(f"Không đọc được tệp Excel: tệp hỏng hoặc không đúng định dạng (unreadable workbook; "
                             f"mã tham chiếu / reference {reference}).")
    try:
        sheet = _pick_layer(workbook.sheetnames, layer, "Tệp Excel")
        header_row = next(workbook[sheet].iter_rows(max_row=1, values_only=True), None)
    finally:
        workbook.close()
    if not header_row:
        raise ImportRejected("Trang tính rỗng (empty sheet).")
    header = [unicodedata.normalize("NFC", str(h)).strip() if h is not None else f"column_{i + 1}"
              for i, h in enumerate(header_row)]
    if encoding and encoding not in vnencodings.ENCODINGS:
        raise ImportRejected(f"Bảng mã không hỗ trợ: {encoding!r}; chọn một trong {', '.join(vnencodings.ENCODINGS)}.")
    source = XlsxSource(path=path, format="xlsx", fields=header, crs=None, feature_count=None,
                        encoding=EncodingChoice(encoding or "utf-8", "option" if encoding else "utf-8 by format"),
                        layer=sheet, layers=[sheet])
    source.sheet = sheet
    source.geometry = find_geometry_columns(header)
    source.crs = _table_crs(source.geometry, crs_option)
    source.geometry_note = "Point" if source.geometry.kind != "wkt" else "WKT"
    return source


def open_vector(path: Path, *, name: str | None = None, layer: str | None = None, crs: str | None = None,
                encoding: str | None = None, limits: Limits | None = None) -> Source:
    """Open a vector file for import (format proven by its content, see sniff.py); `crs` overrides
    or fills in the file's CRS; refuses hostile or unreadable files with ImportRejected."""
    limits = limits or Limits.from_settings()
    check_file_size(path, limits)
    gdal_policy.enforce()
    fmt = sniff.file_format(path, name)
    if fmt == "geotiff":
        raise ImportRejected("Tệp raster: dùng lệnh import_raster (GeoTIFF goes to the raster catalogue).")
    if fmt == "shapefile":
        source: Source = _open_shapefile_zip(path, layer, encoding, limits)
    elif fmt == "csv":
        source = _open_csv(path, crs, encoding)
    elif fmt == "xlsx":
        source = _open_xlsx(path, layer, crs, encoding, limits)
    else:
        source = _open_unicode_ogr(path, fmt, layer, encoding, limits)
    if crs:
        source.crs = parse_crs(crs)
    if source.crs is None:
        raise ImportRejected("Tệp không có hệ tọa độ; hãy chỉ rõ bằng --crs, ví dụ --crs EPSG:9212 "
                             "(VN-2000 / TM-3 106-15) (the file has no CRS).")
    return source


_SAFE_NAME = re.compile(r"[^\w.\-]+", re.UNICODE)


def safe_file_name(name: str) -> str:
    """A file name fit for our own folders (no directories, no odd characters)."""
    cleaned = _SAFE_NAME.sub("_", Path(name).name).strip("._") or "upload"
    return cleaned[:120]
