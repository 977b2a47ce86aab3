import getpass
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.audit import audit_record
from accounts.models import AuditEvent
from importers.exports import FORMATS, layer_export
from importers.safety import ImportRejected
from layers import registry
from places.selectors import admin_unit_wkb

SUFFIXES = {suffix: name for name, (_driver, suffix) in FORMATS.items()}


class Command(BaseCommand):
    help = ("Export a layer to GeoPackage (.gpkg), zipped Shapefile (.zip), GeoJSON (.geojson) or CSV "
            "(.csv), optionally reprojected (--crs 9212) and filtered (--bbox, --unit).")

    def add_arguments(self, parser):
        parser.add_argument("layer")
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", choices=sorted(FORMATS), help="default: from the file's suffix")
        parser.add_argument("--crs", type=int, metavar="EPSG", help="output CRS, e.g. 9212 (VN-2000 / TM-3 106-15)")
        parser.add_argument("--bbox", help="minlon,minlat,maxlon,maxlat in degrees (EPSG:4326)")
        parser.add_argument("--unit", help="GSO code of a province, district or commune")

    def handle(self, *args, layer, file, format, crs, bbox, unit, **options):
        try:
            spec = registry.get(layer)
        except KeyError:
            raise CommandError(f"Không có lớp {layer!r} (unknown layer).")
        fmt = format or SUFFIXES.get(file.suffix.lower())
        if fmt is None:
            raise CommandError(f"Không đoán được định dạng từ {file.name}; dùng --format ({', '.join(FORMATS)}).")
        box = None
        if bbox:
            try:
                box = tuple(float(v) for v in bbox.split(","))
                assert len(box) == 4 and box[0] < box[2] and box[1] < box[3]
            except (ValueError, AssertionError):
                raise CommandError("--bbox: cần minlon,minlat,maxlon,maxlat (e.g. 106.8,11.5,106.95,11.6).")
        unit_wkb = None
        if unit:
            unit_wkb = admin_unit_wkb(unit)
            if unit_wkb is None:
                raise CommandError(f"Không có đơn vị hành chính mã {unit!r} (unknown unit).")
        try:
            report = layer_export(spec=spec, fmt=fmt, out_path=file, srid=crs, bbox=box, unit_wkb=unit_wkb)
        except ImportRejected as error:
            raise CommandError(str(error))
        if not spec.public:
            audit_record(AuditEvent.Kind.INTERNAL_EXPORT, actor=f"shell:{getpass.getuser()}", subject=layer,
                         format=fmt, crs=crs, unit=unit or "", bbox=bbox or "", file=str(file))
        self.stdout.write(self.style.SUCCESS(f"Đã xuất {report.features:,} đối tượng của {layer} ra {file} "
                                             f"({fmt}, {report.crs})."))
