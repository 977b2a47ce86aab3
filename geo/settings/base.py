from pathlib import Path
import os

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("GEO_VAR_DIR", BASE_DIR / "var"))

DEBUG = os.environ.get("GEO_DEBUG", "") == "1"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "django.contrib.postgres",
    "oauth2_provider",
    "axes",
    "accounts",
    "layers",
    "places",
    "land",
    "planning",
    "transport",
    "utilities",
    "safety",
    "education",
    "health",
    "dispatch",
    "tourism",
    "incidents",
    "tiles",
    "live",  # Server-Sent Events from the change log
    "ogcapi",  # the OGC API (pygeoapi inside Django) over layers, tiles and the raster catalogue
    "webmap",
    "demo",
    "importers",
    "open311",  # GeoReport v2 for citizen apps
    "search",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files, precompressed
    # Everything else compressed for clients that accept it (tiles, GeoJSON, pages); Django pads the
    # gzip header at random against BREACH. Above the rest, so it compresses their final body.
    "django.middleware.gzip.GZipMiddleware",
    # Reads on replicas when configured; a writer's reads on the primary (geo/dbrouter.py, layers/db.py).
    "geo.pinning.PrimaryPinningMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.BearerTokenMiddleware",
    "geo.middleware.StatementTimeoutMiddleware",
    "geo.middleware.BrowserErrorPagesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "geo.urls"
WSGI_APPLICATION = "geo.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "geo" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Vietnamese first, English on a toggle (?lang=en or the language cookie).
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A base-map tile URL ({z}/{x}/{y}) served on the province network; empty means the map draws
# its base from the platform's own layers and nothing is fetched from outside.
GEO_BASEMAP_URL = os.environ.get("GEO_BASEMAP_URL", "")
GEO_BASEMAP_ATTRIBUTION = os.environ.get("GEO_BASEMAP_ATTRIBUTION", "")

# The committed pygeoapi configuration, generated from the layer registry.
PYGEOAPI_CONFIG_FILE = BASE_DIR / "pygeoapi-config.yml"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    # pygeoapi warns about routine things (missing offset, dict keys that are not locales).
    "loggers": {"pygeoapi": {"level": "ERROR"}},
}

# Debian 12 ships GDAL 3.6, which cannot block file/network access from spatial-reference strings.
# Django never parses user-supplied SRS text here: uploaded files' CRS go through pyproj/pyogrio.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

# File imports (importers/): where uploads, reject files and rasters live, and what is refused.
GEO_IMPORT_DIR = VAR_DIR / "imports"
GEO_RASTER_DIR = VAR_DIR / "rasters"
GEO_MEDIA_DIR = VAR_DIR / "media"  # incident photos, served only through their views
GEO_IMPORT_LIMITS = {
    "max_file_bytes": int(os.environ.get("GEO_IMPORT_MAX_FILE_BYTES", 2 * 1024**3)),
    "max_archive_entries": 2000,
    "max_uncompressed_bytes": int(os.environ.get("GEO_IMPORT_MAX_UNCOMPRESSED_BYTES", 8 * 1024**3)),
    "max_compression_ratio": 200.0,
    "max_raster_pixels": int(os.environ.get("GEO_IMPORT_MAX_RASTER_PIXELS", 1_000_000_000)),
}
# Request body limits: geo/settings/limits.py.
# Web imports run in a background thread (off in tests, where they run inside the request).
GEO_IMPORT_BACKGROUND = True
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/data/"
# A refused CSRF check answers like the other errors (geo/errors.py): 401 JSON for an anonymous write
# to the API, otherwise 403 JSON or a page in the caller's language.
CSRF_FAILURE_VIEW = "geo.errors.csrf_failure"
