"""Bounded work for every request: how big a feature, a body or an answer may be, and how long a
public request may keep the database busy. Environment variables override the defaults."""
import os


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


# Vertices per feature, per layer ("default" for the others): checked on every write (imports and the
# API). A cadastral parcel rarely needs more than a few thousand; zoning zones and administrative
# boundaries follow rivers and roads, so they get more.
GEO_MAX_VERTICES = {
    "default": _int("GEO_MAX_VERTICES", 50_000),
    "parcels": _int("GEO_MAX_VERTICES_PARCELS", 10_000),
    "zoning": _int("GEO_MAX_VERTICES_ZONING", 20_000),
    "admin_units": _int("GEO_MAX_VERTICES_ADMIN_UNITS", 200_000),
}
# The parcel panel ships a parcel's outline for the map; above this many vertices it is simplified.
GEO_PANEL_MAX_VERTICES = _int("GEO_PANEL_MAX_VERTICES", 2_000)
# Request bodies (JSON writes, forms; uploads stream to disk and have their own limit).
DATA_UPLOAD_MAX_MEMORY_SIZE = _int("GEO_MAX_BODY_BYTES", 10 * 1024**2)
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024**2  # larger uploads stream to a temporary file
# Nesting depth of JSON bodies (GeoJSON needs 5 or 6 levels).
GEO_MAX_JSON_DEPTH = _int("GEO_MAX_JSON_DEPTH", 32)
# The largest answer the OGC API builds (bigger pages are refused with a hint to ask for fewer).
GEO_MAX_RESPONSE_BYTES = _int("GEO_MAX_RESPONSE_BYTES", 64 * 1024**2)
# The most raster cells (pixels × bands) one OGC API coverage request may read: larger requests must
# ask for a part (bbox= or subset=Lat(..),Lon(..)).
GEO_MAX_COVERAGE_CELLS = _int("GEO_MAX_COVERAGE_CELLS", 4_000_000)
# numberMatched of an items page is counted up to this many matches and left out above (counting
# more would cost more than the page; OGC API Features makes it optional).
GEO_ITEMS_COUNT_CAP = _int("GEO_ITEMS_COUNT_CAP", 10_000)
# How long one statement of a web request may run (imports and exports in the background are not
# web requests). 0 turns it off.
GEO_STATEMENT_TIMEOUT_MS = _int("GEO_STATEMENT_TIMEOUT_MS", 15_000)

# -- The feature store (layers/writes.py, layers/changelog.py) ------------------------------------
# Require If-Match on PUT, PATCH and DELETE of features (428 Precondition Required without it).
GEO_REQUIRE_IF_MATCH = os.environ.get("GEO_REQUIRE_IF_MATCH", "") in ("1", "true", "yes")
# Change-log entries older than this many days may be compacted (manage.py compact_change_log; each
# feature keeps its latest entry); a change-feed cursor from before the compaction answers 410.
GEO_CHANGE_LOG_RETENTION_DAYS = _int("GEO_CHANGE_LOG_RETENTION_DAYS", 365)
# The most changes one page of a change feed holds (?limit=), and the default.
GEO_CHANGES_MAX_LIMIT = _int("GEO_CHANGES_MAX_LIMIT", 10_000)
GEO_CHANGES_DEFAULT_LIMIT = _int("GEO_CHANGES_DEFAULT_LIMIT", 1_000)

# Incident photos (incidents/photos.py): per photo, before re-encoding.
GEO_PHOTO_MAX_BYTES = _int("GEO_PHOTO_MAX_BYTES", 10 * 1024**2)
GEO_PHOTO_MAX_PIXELS = _int("GEO_PHOTO_MAX_PIXELS", 40_000_000)
# Reports of the same category still open within this radius are offered as duplicates (metres).
GEO_DUPLICATE_RADIUS_M = _int("GEO_DUPLICATE_RADIUS_M", 250)
# Open311 posts: (count, seconds) per API key + device_id, and per client address.
GEO_OPEN311_RATE_PER_DEVICE = (_int("GEO_OPEN311_RATE_DEVICE_COUNT", 5), _int("GEO_OPEN311_RATE_DEVICE_SECONDS", 600))
GEO_OPEN311_RATE_PER_IP = (_int("GEO_OPEN311_RATE_IP_COUNT", 20), _int("GEO_OPEN311_RATE_IP_SECONDS", 3600))
GEO_OPEN311_JURISDICTION = os.environ.get("GEO_OPEN311_JURISDICTION", "binhphuoc.gov.vn")
# Anonymous citizen reports (incidents/throttle.py): (reports, seconds) per client address.
GEO_REPORT_RATE_LIMITS = ((_int("GEO_REPORT_RATE_BURST", 5), 10 * 60), (_int("GEO_REPORT_RATE_DAILY", 20), 24 * 3600))
# "Me too" on citizens' reports: once per address and report, (supports, seconds) per address.
GEO_SUPPORT_RATE_LIMIT = (_int("GEO_SUPPORT_RATE_COUNT", 20), _int("GEO_SUPPORT_RATE_SECONDS", 3600))
# Vector tiles the tile cache keeps (tiles/services.py); beyond it the oldest stored are dropped. 0: no cache.
GEO_TILE_CACHE_MAX_TILES = _int("GEO_TILE_CACHE_MAX_TILES", 500_000)
# Megabytes of tiles each worker process keeps in memory for anonymous readers (geo/hot_tiles.py), on
# top of that cache, with one more database connection per process that follows the change log. 0: none.
GEO_TILE_MEMORY_MB = _int("GEO_TILE_MEMORY_MB", 64)
# Threads per worker process for requests other than event streams (geo/asgi.py): renders and panels
# in flight, each thread with one persistent database connection.
GEO_WSGI_THREADS = _int("GEO_WSGI_THREADS", 8)
# Anonymous tile and parcel-panel GETs answered on the event loop without Django's middleware stack,
# with the same answers (geo/fastpath.py), over at most GEO_FAST_PATH_CONNECTIONS connections of
# its own per worker process (more statements at once than the database has cores only queue there).
GEO_FAST_PATH = os.environ.get("GEO_FAST_PATH", "1").lower() not in ("0", "false", "no", "off")
GEO_FAST_PATH_CONNECTIONS = _int("GEO_FAST_PATH_CONNECTIONS", 8)
# Loads of at least this many rows that leave only their own rows in a layer build its indexes after the
# load (layers/writes.py: faster, but readers of the layer wait until the load commits).
GEO_BULK_REBUILD_INDEXES_FROM = _int("GEO_BULK_REBUILD_INDEXES_FROM", 20_000)
