from django.contrib import admin

from layers.admin import ReadOnlyAdmin

from .models import ImportRecord, RasterCoverage
from .records import imports_reap_dead


@admin.register(ImportRecord)
class ImportRecordAdmin(ReadOnlyAdmin):
    """The import log, read-only: who loaded what, when, and with what outcome."""

    list_display = ("started_at", "user", "layer_id", "file_name", "status", "accepted", "rejected", "duration_s")
    list_filter = ("status", "layer_id", "file_format")
    search_fields = ("file_name", "sha256", "user__username")
    date_hierarchy = "started_at"

    def changelist_view(self, request, extra_context=None):
        imports_reap_dead()  # an import whose process died shows as failed, not running
        return super().changelist_view(request, extra_context)


@admin.register(RasterCoverage)
class RasterCoverageAdmin(admin.ModelAdmin):
    list_display = ("coverage_id", "title", "kind", "crs", "width", "height", "resolution_x", "created_at")
    # The footprint is computed from the raster; a map widget would also load OpenLayers from a CDN.
    exclude = ("extent",)
    readonly_fields = ("path", "crs", "width", "height", "band_count", "dtype", "resolution_x", "resolution_y",
                       "nodata", "sha256", "imported")
