import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from importers.safety import ImportRejected
from importers.services import MODES, ImportOptions, layer_import


class Command(BaseCommand):
    help = ("Load a GIS file (zipped Shapefile, GeoPackage, GeoJSON, KML, CSV, XLSX) into a layer: "
            "all rows or none, with a report of what was rejected and why.")

    def add_arguments(self, parser):
        parser.add_argument("layer", help="target layer id (e.g. parcels)")
        parser.add_argument("file", type=Path)
        parser.add_argument("--layer", dest="source_layer", help="layer inside a GeoPackage/zip, or sheet of a workbook")
        parser.add_argument("--crs", help="the file's CRS when it has none, e.g. EPSG:9212 (VN-2000 / TM-3 106-15)")
        parser.add_argument("--encoding", help="text encoding: utf-8, cp1258, vni, tcvn3 (detected otherwise)")
        parser.add_argument("--map", action="append", default=[], metavar="TARGET=SOURCE",
                            help="map a layer column to a file field (repeatable)")
        parser.add_argument("--mode", choices=MODES, default="append")
        parser.add_argument("--key", help="column(s) identifying a feature for upsert, comma-separated")
        parser.add_argument("--dry-run", action="store_true", help="validate everything, write nothing")
        parser.add_argument("--skip-invalid", action="store_true",
                            help="load the valid rows; the rejects go to a CSV with a reason column")
        parser.add_argument("--repair", action="store_true", help="repair invalid geometries instead of rejecting")
        parser.add_argument("--batch-size", type=int, default=20_000)

    def handle(self, *args, layer, file, source_layer, crs, encoding, map, mode, key, dry_run, skip_invalid,
               repair, batch_size, verbosity, **options):
        if not file.is_file():
            raise CommandError(f"Không có tệp {file} (no such file).")
        mapping = {}
        for item in map:
            target, sep, source = item.partition("=")
            if not sep or not target or not source:
                raise CommandError(f"--map {item!r}: dùng dạng cot=truong (TARGET=SOURCE).")
            mapping[target.strip()] = source.strip()
        import_options = ImportOptions(layer=source_layer, crs=crs, encoding=encoding, mapping=mapping, mode=mode,
                                       key=tuple(k.strip() for k in key.split(",")) if key else (), dry_run=dry_run,
                                       skip_invalid=skip_invalid, repair=repair, batch_size=batch_size)
        bar = tqdm(unit=" rows", disable=verbosity == 0, file=sys.stderr, smoothing=0.1)

        def progress(done, total):
            if total and bar.total != total:
                bar.total = total
            bar.update(done - bar.n)

        try:
            report = layer_import(layer_id=layer, path=file, options=import_options, progress=progress)
        except ImportRejected as error:
            raise CommandError(str(error))
        finally:
            bar.close()
        out = self.stdout
        source = report.source
        out.write(f"Tệp: {file.name} — {source['format']}, {source['crs']}, bảng mã {source['encoding']} "
                  f"({source['encoding_source']})")
        out.write("Ánh xạ trường (field mapping): " + ", ".join(f"{t}←{s}" for t, s in report.mapping.items()))
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
