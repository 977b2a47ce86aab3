"""The database: DATABASE_URL when set, otherwise the embedded PostGIS cluster that
`scripts/pg.sh start` (run by `make run` / `make test`) created under var/.

GEO_REPLICA_URLS (comma-separated URLs of streaming standbys of that database) adds the aliases
"replica", "replica_2", ...: reads go there through geo.dbrouter, writes and a writer's own reads stay
on "default" (layers/db.py, geo/pinning.py). Unset, everything is on "default"."""
import os

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from .base import VAR_DIR
from .limits import GEO_STATEMENT_TIMEOUT_MS

# geo/postgis: GeoDjango's PostGIS backend whose persistent connections are checked without a
# per-request `SELECT 1` (CONN_HEALTH_CHECKS stays off; see geo/postgis/base.py).
_ENGINE = "geo.postgis"


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


def _database(url: str) -> dict:
    settings = dj_database_url.parse(url, engine=_ENGINE)
    settings["CONN_MAX_AGE"] = 60
    settings["CONN_HEALTH_CHECKS"] = False
    return settings


DATABASES = {"default": _database(_database_url())}

GEO_REPLICA_ALIASES = []
for _number, _url in enumerate([u.strip() for u in os.environ.get("GEO_REPLICA_URLS", "").split(",") if u.strip()], 1):
    _alias = "replica" if _number == 1 else f"replica_{_number}"
    # Tests never create a database on a standby: the test database's replica is the primary itself.
    DATABASES[_alias] = {**_database(_url), "TEST": {"MIRROR": "default"}}
    if GEO_STATEMENT_TIMEOUT_MS:
        # Only requests read here, so the web requests' statement timeout (geo.middleware) is the session's.
        _options = DATABASES[_alias].setdefault("OPTIONS", {})
        _options["options"] = f"{_options.get('options', '')} -c statement_timeout={GEO_STATEMENT_TIMEOUT_MS}".strip()
    GEO_REPLICA_ALIASES.append(_alias)
DATABASE_ROUTERS = ["geo.dbrouter.PrimaryReplicaRouter"] if GEO_REPLICA_ALIASES else []

# After a client writes, its reads stay on the primary this long (seconds): longer than the replicas lag.
GEO_PRIMARY_PIN_SECONDS = int(os.environ.get("GEO_PRIMARY_PIN_SECONDS", 10))
# A persistent connection unused this long (seconds) is checked with `SELECT 1` before its next use.
GEO_DB_IDLE_CHECK_SECONDS = int(os.environ.get("GEO_DB_IDLE_CHECK_SECONDS", 30))
