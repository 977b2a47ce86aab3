"""GeoDjango's PostGIS backend, with persistent connections checked without a per-request `SELECT 1`.

Django's CONN_HEALTH_CHECKS sends `SELECT 1` at the first use of a connection in every request. Here
a connection is checked (with that same `SELECT 1`) only when there is reason to doubt it:
- its socket is readable while no statement runs: the server said something unasked, which is what a
  terminated backend or a restarted server does (an error message, then end of file); asking the
  kernel costs a poll(2), not a round trip;
- or it sat unused longer than GEO_DB_IDLE_CHECK_SECONDS (a firewall may have dropped it silently).
A failed check closes the connection and the request opens a new one, as with Django's own check."""
import select
import time

from django.conf import settings
from django.contrib.gis.db.backends.postgis.base import DatabaseWrapper as PostGISDatabaseWrapper


class DatabaseWrapper(PostGISDatabaseWrapper):
    _geo_checked_at = 0.0

    def connect(self):
        super().connect()
        self._geo_checked_at = time.monotonic()

    def ensure_connection(self):
        # Middleware that only ensures a connection (geo.middleware's statement timeout) checks it too,
        # so a replaced connection gets its session settings.
        self.close_if_health_check_failed()
        super().ensure_connection()

    def close_if_health_check_failed(self):
        if self.connection is None or self.health_check_done or self.in_atomic_block:
            return
        self.health_check_done = True
        now = time.monotonic()
        idle = now - self._geo_checked_at > getattr(settings, "GEO_DB_IDLE_CHECK_SECONDS", 30)
        self._geo_checked_at = now
        if (idle or self._server_spoke()) and not self.is_usable():
            self.close()

    def _server_spoke(self) -> bool:
        """Whether the idle connection's socket has something to read (or was closed)."""
        try:
            poller = select.poll()
            poller.register(self.connection.fileno(), select.POLLIN | select.POLLERR | select.POLLHUP)
            return bool(poller.poll(0))
        except (OSError, ValueError, self.Database.Error):
            return True  # no usable socket: let is_usable() decide
