"""API keys of the apps that post reports through Open311 (incidents.ApiKey). Only the key's sha256
and its first characters (to find it and to tell keys apart in lists) are stored: the key itself is
shown once, when it is made."""
from __future__ import annotations

import hashlib
import hmac
import secrets

from incidents.models import ApiKey

PREFIX_LENGTH = 8
MAX_KEY_LENGTH = 200


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_key_new() -> tuple[str, str, str]:
    """A fresh key: (key, its sha256, its prefix). Never starting with "-": its prefix is typed as an
    argument (`open311_key revoke <prefix>`), where a leading "-" reads as an option (1 key in 64)."""
    key = secrets.token_urlsafe(32)
    while key.startswith("-"):
        key = secrets.token_urlsafe(32)
    return key, key_hash(key), key[:PREFIX_LENGTH]


def api_key_create(*, name: str, created_by=None) -> tuple[ApiKey, str]:
    """A new active key for an app; returns the stored row and the key (shown to the caller once)."""
    key, digest, prefix = api_key_new()
    row = ApiKey.objects.create(name=name[:120], key_hash=digest, prefix=prefix, created_by=created_by)
    return row, key


def api_key_valid(key: str) -> ApiKey | None:
    """The active key matching `key`, compared in constant time, or None."""
    if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH:
        return None
    digest = key_hash(key)
    found = None
    for row in ApiKey.objects.filter(prefix=key[:PREFIX_LENGTH], active=True):
        if hmac.compare_digest(row.key_hash, digest):
            found = row
    return found


def api_key_revoke(*, prefix: str) -> int:
    """Deactivate the keys starting with `prefix`; how many were active."""
    return ApiKey.objects.filter(prefix=prefix[:PREFIX_LENGTH], active=True).update(active=False)
