from django.db.models import Q

from .models import ImportRecord, RasterCoverage


def raster_coverages() -> tuple[tuple, ...]:
    """The raster catalogue, hashable: (id, title, kind label, COG path, EPSG:4326 bbox) per raster.
    One query; the OGC API rebuilds its configuration when this changes."""
    return tuple(
        (c.coverage_id, c.title, c.get_kind_display(), c.path, tuple(round(v, 6) for v in c.extent.extent))
        for c in RasterCoverage.objects.order_by("coverage_id").only("coverage_id", "title", "kind", "path", "extent")
    )


def recent_imports(*, visible: Q | None = None, limit: int = 50):
    """The latest real imports (confirmed on the web or run by import_layer), not the checks made
    before confirming, newest first; those matching `visible` when given. One query."""
    records = (ImportRecord.objects.select_related("user").exclude(status=ImportRecord.Status.DRY_RUN)
               .exclude(options__dry_run=True).order_by("-started_at"))
    if visible is not None:
        records = records.filter(visible)
    return records[:limit]


def raster_size(coverage_id: str) -> tuple[int, tuple[float, float, float, float]] | None:
    """(pixels × bands, EPSG:4326 bbox) of a catalogue raster, or None when there is no such raster."""
    coverage = RasterCoverage.objects.filter(coverage_id=coverage_id).only(
        "width", "height", "band_count", "extent").first()
    if coverage is None:
        return None
    return coverage.width * coverage.height * coverage.band_count, coverage.extent.extent
