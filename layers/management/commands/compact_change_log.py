from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from layers import feed, registry
from layers.formats import date_vi, whole_number_vi


class Command(BaseCommand):
    help = ("Delete change-log entries older than the retention (GEO_CHANGE_LOG_RETENTION_DAYS), keeping each "
            "feature's latest entry; change-feed cursors from before answer 410 (resynchronise).")

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None,
                            help=f"keep this many days (default: GEO_CHANGE_LOG_RETENTION_DAYS, "
                                 f"now {settings.GEO_CHANGE_LOG_RETENTION_DAYS})")
        parser.add_argument("--layer", action="append", default=[], help="only this layer (repeatable)")

    def handle(self, *args, days, layer, **options):
        days = settings.GEO_CHANGE_LOG_RETENTION_DAYS if days is None else days
        if days < 0:
            raise CommandError("--days phải ≥ 0. / --days must be 0 or more.")
        try:
            specs = [registry.get(layer_id) for layer_id in layer] or registry.all_layers()
        except KeyError as unknown:
            raise CommandError(f"Không có lớp {unknown} (unknown layer).")
        before = timezone.now() - timedelta(days=days)
        removed = 0
        for spec in specs:
            compacted = feed.change_log_compact(spec, before=before)
            removed += compacted.removed
            if compacted.removed and options["verbosity"] >= 2:
                self.stdout.write(f"{spec.id}: {whole_number_vi(compacted.removed)} (horizon {compacted.horizon})")
        if options["verbosity"] >= 1:
            self.stdout.write(f"Đã nén nhật ký thay đổi trước {date_vi(timezone.localtime(before))}: xóa "
                              f"{whole_number_vi(removed)} mục. / Compacted the change log before "
                              f"{before:%Y-%m-%d}: {removed:,} entries removed.")
