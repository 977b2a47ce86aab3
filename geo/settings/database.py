"""The database: DATABASE_URL when set, otherwise the embedded PostGIS cluster that
`scripts/pg.sh start` (run by `make run` / `make test`) created under var/."""
import os

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from .base import VAR_DIR


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        return url
    embedded = VAR_DIR / "database.url"
    if embedded.exists():
        return embedded.read_text().strip()
    raise ImproperlyConfigured(
        "No database: set DATABASE_URL to a PostGIS server, or run `make run` "
        "to start the embedded one."
    )


DATABASES = {"default": dj_database_url.parse(_database_url(), engine="django.contrib.gis.db.backends.postgis")}
DATABASES["default"]["CONN_MAX_AGE"] = 60
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
