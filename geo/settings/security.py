"""Safe defaults: DEBUG off, no fixed secret key, strict cookies and headers."""
import os
import secrets

from .base import DEBUG, VAR_DIR


def _secret_key() -> str:
    key = os.environ.get("DJANGO_SECRET_KEY", "")
    if key:
        return key
    # Local installs keep a random key under var/ (never committed).
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = [h for h in os.environ.get("GEO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("GEO_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

# Behind TLS (production), cookies are secure and HSTS is on.
TLS = os.environ.get("GEO_TLS", "") == "1"
SESSION_COOKIE_SECURE = TLS
CSRF_COOKIE_SECURE = TLS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if TLS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
if DEBUG:
    ALLOWED_HOSTS += ["*"]

# Content Security Policy (django-csp): scripts only from the platform or carrying the page's nonce.
# pygeoapi's HTML pages have inline scripts: the OGC API adapter relaxes script-src for those alone.
from urllib.parse import urlsplit  # noqa: E402

from csp.constants import NONCE, NONE, SELF  # noqa: E402

from .base import GEO_BASEMAP_URL  # noqa: E402

_basemap = urlsplit(GEO_BASEMAP_URL.replace("{s}", "a").replace("{z}", "0").replace("{x}", "0").replace("{y}", "0"))
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:", "blob:"] + ([f"{_basemap.scheme}://{_basemap.netloc}"] if _basemap.netloc else []),
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Sign-in attempts are rate limited (django-axes): 5 failures for a user name from one address lock
# that pair out for 15 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
