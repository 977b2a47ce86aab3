"""Reading the change log: a feature's current version, its versions, and the feature as it was.

A feature's version counts its changes: 1 when it was created (or when it existed before the change
log did), +1 for each update, delete and re-insert. The current version is the row in the layer;
an earlier version k is the `before` image of the change that made version k+1.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from django.db import connection

from .registry import LayerSpec


@dataclass(frozen=True)
class Latest:
    version: int
    op: str  # "I", "U", "D"; "" for a feature that predates the change log


def latest(spec: LayerSpec, feature_id: int) -> Latest | None:
    """The feature's last logged change (None when the log holds none for it)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT version, op FROM layers_change WHERE layer_id = %s AND feature_id = %s "
                       "ORDER BY id DESC LIMIT 1", [spec.id, feature_id])
        row = cursor.fetchone()
    return Latest(*row) if row else None


def current_version(spec: LayerSpec, feature_id: int) -> int:
    """The version of a feature that exists now (1 if the log has nothing on it)."""
    found = latest(spec, feature_id)
    return found.version if found and found.op != "D" else 1


def state_at_version(spec: LayerSpec, feature_id: int, version: int) -> dict | None:
    """The feature's columns (geometry as hex EWKB) at an earlier `version`: the before image of the
    change that made version+1. None when that version is the current one or does not exist."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT before FROM layers_change WHERE layer_id = %s AND feature_id = %s AND version = %s "
                       "AND op IN ('U', 'D') ORDER BY id LIMIT 1", [spec.id, feature_id, version + 1])
        row = cursor.fetchone()
    # Django hands jsonb to raw cursors as text (its JSONField decodes it).
    return (json.loads(row[0]) if isinstance(row[0], str) else row[0]) if row else None
