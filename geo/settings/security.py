"""Safe defaults: DEBUG off, no fixed secret key, strict cookies and headers."""
import os
import secrets
import sys
import tempfile
from contextlib import suppress
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from .base import DEBUG, VAR_DIR


def read_secret_file(path: Path) -> str:
    """A secret kept under var/. One readable by other users is tightened to 600 rather than
    refused: refusing would not un-expose it, and the platform keeps starting (rotate it if the
    exposure matters); one we cannot tighten (another user's) is refused."""
    mode = path.stat().st_mode & 0o777
    try:
        if mode & 0o077:
            path.chmod(0o600)
            print(f"{path} was readable by other users (mode {mode:o}); now 600.", file=sys.stderr)
        return path.read_text()
    except PermissionError:
        raise ImproperlyConfigured(f"{path} (mode {mode:o}) belongs to another user; `make run` started as root "
                                   "gives var/ to the user that serves (README: Least privilege).")


def write_secret_file(path: Path, text: str, *, replace: bool) -> bool:
    """Write a secret owner-only (600) from its first byte, atomically: a temporary file beside it
    (mkstemp creates it 600) renamed over `path` (replace) or linked to it only if `path` does not
    exist yet; False when another process created it first. Run as root, the file is given to the
    owner of its directory (the service user owns var/, see scripts/serve.sh)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        if os.geteuid() == 0:
            directory = path.parent.stat()
            os.chown(tmp, directory.st_uid, directory.st_gid)
        if replace:
            os.replace(tmp, path)
            return True
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        return True
    finally:
        with suppress(FileNotFoundError):
            os.unlink(tmp)


def secret_keys(var_dir: Path) -> tuple[str, list[str]]:
    """SECRET_KEY and SECRET_KEY_FALLBACKS (previous keys, still accepted for what they signed:
    sessions, password-reset links, signed cookies). From DJANGO_SECRET_KEY and
    DJANGO_SECRET_KEY_FALLBACKS (comma-separated), or kept under var/: `secret_key`, generated
    on first use, and `secret_key.previous`, one key a line, written by `manage.py rotate_keys`."""
    fallbacks = [k.strip() for k in os.environ.get("DJANGO_SECRET_KEY_FALLBACKS", "").split(",") if k.strip()]
    key = os.environ.get("DJANGO_SECRET_KEY", "")
    if key:
        return key, fallbacks
    path = var_dir / "secret_key"
    if not path.exists():
        write_secret_file(path, secrets.token_urlsafe(50), replace=False)
    previous = var_dir / "secret_key.previous"
    if previous.exists():
        fallbacks += read_secret_file(previous).split()
    return read_secret_file(path).strip(), fallbacks


SECRET_KEY, SECRET_KEY_FALLBACKS = secret_keys(VAR_DIR)
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
AXES_LOCKOUT_CALLABLE = "accounts.views.signin_locked"  # the sign-in page saying so, in the page's language
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
