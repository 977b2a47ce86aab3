from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from layers.ogcapi.config import committed_yaml, render_yaml


class Command(BaseCommand):
    help = "Write pygeoapi-config.yml from the layer registry (--check: fail if the committed file differs)."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="only compare; exit 1 when out of date")

    def handle(self, *args, check, **options):
        path = Path(settings.PYGEOAPI_CONFIG_FILE)
        wanted = render_yaml()
        if check:
            if not path.exists() or committed_yaml() != wanted:
                raise CommandError(f"{path.name} is out of date: run `python manage.py generate_pygeoapi_config`.")
            self.stdout.write(f"{path.name} is up to date.")
            return
        path.write_text(wanted, encoding="utf-8")
        self.stdout.write(f"Wrote {path.name} ({wanted.count('type: collection')} collections).")
