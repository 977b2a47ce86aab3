"""Which database connection serves a read: a streaming replica (settings.GEO_REPLICA_ALIASES, from
GEO_REPLICA_URLS) unless this request or thread must see the primary: it wrote (an ORM write, an
unsafe HTTP method), it is inside an atomic block on the primary, or the same client wrote moments ago
(geo/pinning.py). With no replica configured every read is on "default", as before.

geo/dbrouter.py routes the ORM through this module; raw-SQL readers call read_connection()."""
from __future__ import annotations

import itertools
import threading

from asgiref.local import Local
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

# Per thread (and per asyncio task), like django.db.connections itself.
_state = Local()
_next_replica = itertools.count()
_choice_lock = threading.Lock()


def replica_aliases() -> list[str]:
    return list(getattr(settings, "GEO_REPLICA_ALIASES", ()))


def pin_to_primary() -> None:
    """Read from the primary for the rest of this request (or, outside a request, of this thread)."""
    _state.pinned = True


def unpin() -> None:
    """Forget the pin: called when a request starts and ends (geo/pinning.py). The thread keeps its
    replica, whose connection persists."""
    _state.pinned = False


def is_pinned() -> bool:
    return getattr(_state, "pinned", False) or connections[DEFAULT_DB_ALIAS].in_atomic_block


def read_alias() -> str:
    """The database alias a read should use now (see the module docstring)."""
    replicas = replica_aliases()
    if not replicas or is_pinned():
        return DEFAULT_DB_ALIAS
    alias = getattr(_state, "replica", None)
    if alias not in replicas:
        # One replica per thread, chosen round robin: its persistent connection is reused.
        with _choice_lock:
            alias = replicas[next(_next_replica) % len(replicas)]
        _state.replica = alias
    return alias


def read_connection():
    """The django.db connection raw-SQL reads should use (tiles, the OGC API provider, the parcel panel)."""
    return connections[read_alias()]
