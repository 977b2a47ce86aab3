from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from importers.models import RasterCoverage
from importers.rasters import raster_import
from importers.safety import ImportRejected


class Command(BaseCommand):
    help = "Add a GeoTIFF (DEM, land cover, flood depth) to the raster catalogue as a Cloud-Optimised GeoTIFF."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--id", required=True, help="coverage id, e.g. dem-binh-phuoc")
        parser.add_argument("--title", required=True)
        parser.add_argument("--kind", choices=RasterCoverage.Kind.values, default=RasterCoverage.Kind.OTHER)
        parser.add_argument("--crs", help="the raster's CRS when it has none, e.g. EPSG:9212")

    def handle(self, *args, file, id, title, kind, crs, **options):
        if not file.is_file():
            raise CommandError(f"Không có tệp {file} (no such file).")
        try:
            coverage = raster_import(path=file, coverage_id=id, title=title, kind=kind, crs=crs)
        except ImportRejected as error:
            raise CommandError(str(error))
        self.stdout.write(self.style.SUCCESS(
            f"Raster {coverage.coverage_id}: {coverage.width}×{coverage.height}, {coverage.band_count} kênh, "
            f"{coverage.crs}, độ phân giải {coverage.resolution_x:g}×{coverage.resolution_y:g} → {coverage.path}"))
