"""GeoTIFF rasters (DEM, land cover, flood depth) into the raster catalogue: validated with rasterio,
stored as Cloud-Optimised GeoTIFF with overviews, listed as OGC API coverages."""
from __future__ import annotations

import os
import re
import time
from pathlib import Path

import rasterio
import shapely
from pyproj import CRS
from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry
from django.db import transaction
from django.utils import timezone
from rasterio.errors import RasterioError
from rasterio.shutil import copy as raster_copy
from rasterio.warp import transform_bounds

from layers.errors import logged_reference
from layers.geometry import PROVINCE_BBOX

from . import gdal_policy, sniff
from .models import ImportRecord, RasterCoverage
from .records import import_record_fail, import_record_running
from .safety import ImportRejected, Limits, check_file_size
from .services import file_sha256
from .sources import crs_label, parse_crs

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def raster_path(coverage_id: str) -> Path:
    return Path(settings.GEO_RASTER_DIR) / f"{coverage_id}.tif"


def raster_import(*, path: Path, coverage_id: str, title: str, kind: str = RasterCoverage.Kind.OTHER,
                  crs: str | None = None, user=None, file_name: str | None = None) -> RasterCoverage:
    """Validate a GeoTIFF and store it as a COG (DEFLATE, internal overviews) under
    GEO_RASTER_DIR; replaces the coverage of the same id. The catalogue row and the file change
    together: the new file takes the old one's place only once the row is committed."""
    limits = Limits.from_settings()
    path = Path(path)
    if not _ID.match(coverage_id):
        raise ImportRejected("Mã raster chỉ gồm chữ thường, số, '-' và '_' (invalid coverage id).")
    if kind not in RasterCoverage.Kind.values:
        raise ImportRejected(f"Loại raster {kind!r} không hợp lệ; dùng {', '.join(RasterCoverage.Kind.values)}.")
    with import_record_running(
            user=user if getattr(user, "is_authenticated", False) else None, layer_id=f"raster:{coverage_id}",
            file_name=file_name or path.name, sha256=file_sha256(path), size_bytes=path.stat().st_size,
            file_format="geotiff", mode="replace", options={"kind": kind, "crs": crs}) as record:
        started = time.monotonic()
        tmp = raster_path(coverage_id).with_suffix(".importing.tif")
        try:
            coverage, facts = _store(path, coverage_id, title, kind, crs, file_name, record, tmp, started, limits)
        except ImportRejected as error:
            tmp.unlink(missing_ok=True)
            _record(record, ImportRecord.Status.REJECTED, str(error), started, 0)
            raise
        except Exception as error:  # noqa: BLE001 - a bug or the database: a reference, never details
            tmp.unlink(missing_ok=True)
            raise import_record_fail(record, what=f"importing raster {coverage_id}", error=error) from error
    return coverage


def _store(path: Path, coverage_id: str, title: str, kind: str, crs: str | None, file_name: str | None,
           record: ImportRecord, tmp: Path, started: float, limits: Limits):
    """Check the GeoTIFF, write the COG next to its final place, then the catalogue row and the
    record's "done" in one transaction; the file takes its place once that commits."""
    check_file_size(path, limits)
    gdal_policy.enforce()
    if sniff.file_format(path, file_name or path.name) != "geotiff":
        raise ImportRejected("Không phải GeoTIFF (not a GeoTIFF).")
    try:
        # Only the GeoTIFF driver may open it, whatever GDAL would have guessed from the content.
        with rasterio.open(path, driver="GTiff") as src:
            if src.driver != "GTiff":
                raise ImportRejected(f"Không phải GeoTIFF ({src.driver}) (not a GeoTIFF).")
            pixels = src.width * src.height * src.count
            if pixels > limits.max_raster_pixels:
                raise ImportRejected(f"Raster quá lớn: {src.width}×{src.height}×{src.count} điểm ảnh, giới hạn "
                                     f"{limits.max_raster_pixels:,} (raster too large).")
            source_crs = parse_crs(crs) if crs else src.crs
            if not source_crs:
                raise ImportRejected("Raster không có hệ tọa độ; dùng --crs (the raster has no CRS).")
            if not src.transform or src.transform.is_identity:
                raise ImportRejected("Raster không có thông tin vị trí (no georeferencing).")
            bounds = transform_bounds(source_crs, "EPSG:4326", *src.bounds, densify_pts=21)
            if not shapely.intersects(shapely.box(*bounds), shapely.box(*PROVINCE_BBOX)):
                raise ImportRejected(f"Raster nằm ngoài phạm vi tỉnh ({', '.join(f'{v:.3f}' for v in bounds)}) "
                                     "(outside the province).")
            src.read(1, window=((0, min(src.height, 64)), (0, min(src.width, 64))))  # the data decodes
            tmp.parent.mkdir(parents=True, exist_ok=True)
            raster_copy(src, tmp, driver="COG", COMPRESS="DEFLATE", OVERVIEWS="AUTO", BLOCKSIZE=512,
                        **({"crs": source_crs.to_wkt()} if crs else {}))
            facts = dict(crs=crs_label(CRS.from_wkt(source_crs.to_wkt())),
                         width=src.width, height=src.height, band_count=src.count, dtype=src.dtypes[0],
                         resolution_x=abs(src.res[0]), resolution_y=abs(src.res[1]), nodata=src.nodata)
    except RasterioError as error:
        reference = logged_reference("GDAL could not read an uploaded raster", error)
        raise ImportRejected(f"Không đọc được raster: tệp hỏng hoặc không đúng định dạng GeoTIFF "
                             f"(unreadable raster; mã tham chiếu / reference {reference}).")
    with rasterio.open(tmp) as cog:
        if max(cog.width, cog.height) > 512 and not cog.overviews(1):
            raise ImportRejected("Không tạo được ảnh tổng quan (overviews) cho COG.")
    with transaction.atomic():
        coverage, _ = RasterCoverage.objects.update_or_create(coverage_id=coverage_id, defaults=dict(
            title=title, kind=kind, path=str(raster_path(coverage_id)), sha256=record.sha256, imported=record,
            extent=GEOSGeometry(shapely.box(*bounds).wkt, srid=4326), **facts))
        _record(record, ImportRecord.Status.DONE, f"Raster {coverage_id}: {facts['width']}×{facts['height']}", started, 1)
        transaction.on_commit(lambda: os.replace(tmp, raster_path(coverage_id)))
    return coverage, facts


def _record(record: ImportRecord, status: str, message: str, started: float, accepted: int) -> None:
    record.status, record.message, record.accepted, record.total = status, message, accepted, 1
    record.finished_at, record.duration_s = timezone.now(), time.monotonic() - started
    record.save()
