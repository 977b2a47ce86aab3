import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import Error
from tqdm import tqdm

from layers.fields import FIXED_PREFIX, fixed_value
from importers.records import ImportFailed, imports_reap_dead
from importers.safety import ImportRejected
from importers.services import MODES, ImportOptions, layer_import
from layers.errors import log as incidents, logged_reference


@contextmanager
def _incidents_logged_to(path: Path) -> Iterator[None]:
    """Internal errors (logged with their traceback under a reference) go to `path`, not the terminal:
    the operator gets one line with the reference. Left to the usual log when `path` is not writable."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        writable = os.access(path.parent, os.W_OK) and (not path.exists() or os.access(path, os.W_OK))
    except OSError:
        writable = False
    if not writable:
        yield
        return
    handler = logging.FileHandler(path, encoding="utf-8", delay=True)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    incidents.addHandler(handler)
    propagate, incidents.propagate = incidents.propagate, False
    try:
        yield
    finally:
        incidents.removeHandler(handler)
        incidents.propagate = propagate
        handler.close()


class Command(BaseCommand):
    help = ("Load a GIS file (zipped Shapefile, GeoPackage, GeoJSON, KML, CSV, XLSX) into a layer: "
            "all rows or none, with a report of what was rejected and why. Code-list columns take the code, "
            "its Vietnamese or English name (any case, with or without diacritics) or a synonym (Huyện, Thị xã, "
            "District -> district); a column may get one value for every row (--set level=district). "
            "Internal errors print one line with a reference; the details are in var/log/import_layer.log.")
    # Django's own checks (URLs, admin, models) import every view and build the CQL2 parser: about a
    # second of each import's start. `make run` and the tests run them; the database's (the change
    # log's triggers) are never run by a command by default.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("layer", help="target layer id (e.g. parcels)")
        parser.add_argument("file", type=Path)
        parser.add_argument("--layer", dest="source_layer", help="layer inside a GeoPackage/zip, or sheet of a workbook")
        parser.add_argument("--crs", help="the file's CRS when it has none, e.g. EPSG:9212 (VN-2000 / TM-3 106-15)")
        parser.add_argument("--encoding", help="text encoding: utf-8, cp1258, vni, tcvn3 (detected otherwise)")
        parser.add_argument("--map", action="append", default=[], metavar="TARGET=SOURCE",
                            help="map a layer column to a file field (repeatable); TARGET==VALUE gives every row "
                                 "that value instead (--map level==district, --map land_use_code==CLN)")
        parser.add_argument("--set", dest="fixed", action="append", default=[], metavar="TARGET=VALUE",
                            help="give every row this value of a column, as --map TARGET==VALUE (repeatable); "
                                 "code-list values may be a code or a name: --set level=Huyện")
        parser.add_argument("--mode", choices=MODES, default="append")
        parser.add_argument("--key", help="column(s) identifying a feature for upsert, comma-separated")
        parser.add_argument("--dry-run", action="store_true", help="validate everything, write nothing")
        parser.add_argument("--skip-invalid", action="store_true",
                            help="load the valid rows; the rejects go to a CSV with a reason column")
        parser.add_argument("--repair", action="store_true", help="repair invalid geometries instead of rejecting")
        parser.add_argument("--batch-size", type=int, default=20_000)

    def handle(self, *args, layer, file, source_layer, crs, encoding, map, fixed, mode, key, dry_run, skip_invalid,
               repair, batch_size, verbosity, **options):
        if not file.is_file():
            raise CommandError(f"Không có tệp {file} (no such file).")
        mapping = {}
        for item in map:
            target, sep, source = item.partition("=")
            if not sep or not target or not source:
                raise CommandError(f"--map {item!r}: dùng dạng cot=truong (TARGET=SOURCE).")
            mapping[target.strip()] = source.strip()
        for item in fixed:
            target, sep, value = item.partition("=")
            if not sep or not target.strip():
                raise CommandError(f"--set {item!r}: dùng dạng cot=gia_tri (TARGET=VALUE).")
            mapping[target.strip()] = FIXED_PREFIX + value.strip()
        import_options = ImportOptions(layer=source_layer, crs=crs, encoding=encoding, mapping=mapping, mode=mode,
                                       key=tuple(k.strip() for k in key.split(",")) if key else (), dry_run=dry_run,
                                       skip_invalid=skip_invalid, repair=repair, batch_size=batch_size)
        log_file = Path(settings.VAR_DIR) / "log" / "import_layer.log"
        with _incidents_logged_to(log_file):
            report = self._import(layer, file, import_options, verbosity, log_file)
        out = self.stdout
        source = report.source
        out.write(f"Tệp: {file.name} — {source['format']}, {source['crs']}, bảng mã {source['encoding']} "
                  f"({source['encoding_source']})")
        out.write("Ánh xạ trường (field mapping): " + ", ".join(
            f"{t}={report.fixed.get(t)!r} (cố định / fixed)" if fixed_value(s) is not None else f"{t}←{s}"
            for t, s in report.mapping.items()))
        for column, values in report.value_map.items():
            out.write(f"Giá trị {column} (values read → code): " + "; ".join(
                f"{v['raw']} → {v['code']} ({v['name_vi']})" if v["code"] else f"{v['raw']} → ?"
                for v in values))
        for column, entries in report.code_lists.items():
            out.write(f"Các mã hợp lệ của {column} (valid codes):")
            for entry in entries:
                out.write(f"  {entry['code']}: {entry['name_vi']} / {entry['name_en']}")
        out.write(f"Đọc {report.total:,} dòng: nhận {report.accepted:,}, loại {report.rejected:,}"
                  + (f", sửa hình học {report.repaired:,}" if report.repaired else "") + f" ({report.duration_s:.1f} s)")
        for row, reason in report.reasons:
            out.write(f"  dòng {row}: {reason}")
        if report.rejected > len(report.reasons):
            out.write(f"  ... và {report.rejected - len(report.reasons):,} dòng khác")
        if report.rejects_file:
            out.write(f"Các dòng bị loại (rejects): {report.rejects_file}")
        if report.written:
            out.write(self.style.SUCCESS(report.message))
        elif report.status == "dry_run":
            out.write(self.style.WARNING(report.message))
        else:
            raise CommandError(report.message)

    def _import(self, layer: str, file: Path, options: ImportOptions, verbosity: int, log_file: Path):
        try:
            imports_reap_dead()  # earlier imports whose process died are marked failed first
        except Error as error:
            reference = logged_reference("import_layer: the database cannot be reached", error)
            raise CommandError(f"Không kết nối được cơ sở dữ liệu, không ghi gì; mã {reference}, chi tiết trong "
                               f"{log_file} (database unreachable).")
        bar = tqdm(unit=" rows", disable=verbosity == 0, file=sys.stderr, smoothing=0.1)

        def progress(done, total):
            if total and bar.total != total:
                bar.total = total
            bar.update(done - bar.n)

        try:
            return layer_import(layer_id=layer, path=file, options=options, progress=progress)
        except ImportFailed as error:
            raise CommandError(f"{error} Chi tiết trong {log_file} (details in the log).")
        except ImportRejected as error:
            raise CommandError(str(error))
        finally:
            bar.close()
