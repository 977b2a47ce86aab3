from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from layers.docs import render_markdown
from ogcapi.config import render_yaml


class Command(BaseCommand):
    help = ("Write pygeoapi-config.yml and docs/layers.md from the layer registry "
            "(--check: fail when the committed files differ).")

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="only compare; exit 1 when out of date")

    def handle(self, *args, check, **options):
        outputs = {Path(settings.PYGEOAPI_CONFIG_FILE): render_yaml(),
                   Path(settings.BASE_DIR) / "docs" / "layers.md": render_markdown()}
        stale = [path.name for path, text in outputs.items()
                 if not path.exists() or path.read_text(encoding="utf-8") != text]
        if check:
            if stale:
                raise CommandError(f"out of date: {', '.join(stale)}; run `python manage.py generate_pygeoapi_config`.")
            self.stdout.write("pygeoapi-config.yml and docs/layers.md are up to date.")
            return
        for path, text in outputs.items():
            path.parent.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
            self.stdout.write(f"Wrote {path.relative_to(settings.BASE_DIR)}")
