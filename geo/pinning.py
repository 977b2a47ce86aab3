"""Read-your-own-writes with replicas (layers/db.py) and with tiles kept in the workers' memory
(geo/hot_tiles.py): a request with an unsafe method reads from the primary throughout, and its client
keeps reading from the primary, through Django, for GEO_PRIMARY_PIN_SECONDS after (a signed cookie, no
database work; the lean path hands a request carrying it to Django), by which time the replicas have
replayed the write and every worker has heard of it. With neither it does nothing but reset the
per-thread pin."""
from django.conf import settings

from layers import db

COOKIE = "geo_primary"
SALT = "geo.pinning"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")


class PrimaryPinningMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        db.unpin()  # a pooled thread must not carry the previous request's pin
        try:
            replicas = bool(db.replica_aliases())
            wrote = request.method not in SAFE_METHODS
            pinned_after_writes = replicas or (settings.GEO_FAST_PATH and settings.GEO_TILE_MEMORY_MB > 0)
            if replicas and (wrote or self._wrote_recently(request)):
                db.pin_to_primary()
            response = self.get_response(request)
            if pinned_after_writes and wrote:
                window = settings.GEO_PRIMARY_PIN_SECONDS
                response.set_signed_cookie(COOKIE, "1", salt=SALT, max_age=window, httponly=True, samesite="Lax",
                                           secure=settings.SESSION_COOKIE_SECURE)
            return response
        finally:
            db.unpin()

    @staticmethod
    def _wrote_recently(request) -> bool:
        if COOKIE not in request.COOKIES:
            return False
        # The signature carries its time: a cookie older than the window (or forged) is ignored.
        return request.get_signed_cookie(COOKIE, default=None, salt=SALT,
                                         max_age=settings.GEO_PRIMARY_PIN_SECONDS) is not None
