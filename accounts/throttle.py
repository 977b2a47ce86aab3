"""Failed client authentications at the token endpoint (/o/token/), counted like sign-in: after
AXES_FAILURE_LIMIT failures of one client id from one address within AXES_COOLOFF_TIME, that pair is
refused without its credentials being checked.

The count lives in the database (ClientAuthAttempt) so that every gunicorn worker sees it. django-axes
keeps sign-in attempts, but its records copy the POST body (client secrets, codes and verifiers here)
and its middleware swaps in its own HTML lockout page, so the token endpoint keeps its own small table.
"""
from __future__ import annotations

import base64
import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import unquote_plus

from axes.helpers import get_cool_off, get_failure_limit
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from .audit import client_ip
from .models import ClientAuthAttempt

# What the token endpoint answers when the client's credentials, code or refresh token were wrong.
FAILED_AUTHENTICATION = {"invalid_client", "invalid_grant"}
CLIENT_ID_MAX = ClientAuthAttempt._meta.get_field("client_id").max_length


@dataclass
class TokenAttempt:
    """One request at the token endpoint: `retry_after` seconds > 0 when it is refused; the caller
    sets `response` to the token endpoint's answer when it went ahead."""

    client_ids: list[str]
    ip: str | None
    retry_after: int = 0
    response: HttpResponse | None = None
    counted: list[int] = field(default_factory=list)  # its ClientAuthAttempt rows


def presented_client_ids(request: HttpRequest) -> list[str]:
    """The client ids in HTTP Basic auth and in the body. django-oauth-toolkit tries both, so both
    are counted: a throwaway id in the header must not hide guesses at the one in the body."""
    ids = []
    scheme, _, credentials = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme == "Basic":
        try:
            ids.append(unquote_plus(base64.b64decode(credentials).decode().split(":", 1)[0]))
        except ValueError:  # not base64, or not text
            pass  # django-oauth-toolkit ignores such a header too
    ids.append(request.POST.get("client_id", ""))
    return sorted({client_id[:CLIENT_ID_MAX] for client_id in ids if client_id}) or [""]


def _cool_off() -> timedelta:
    # Without a cool-off, sign-in locks until an administrator resets it; a year stands for that here.
    return get_cool_off() or timedelta(days=365)


def _failed(response: HttpResponse) -> bool:
    if response.status_code not in (400, 401):
        return False
    try:
        return json.loads(response.content).get("error") in FAILED_AUTHENTICATION
    except (ValueError, AttributeError):
        return True  # a 400/401 we cannot read: count it rather than let guesses through


@contextmanager
def client_authentication(request: HttpRequest) -> Iterator[TokenAttempt]:
    """Count this request against each client id it presents, from its address, while it runs; refuse
    it (`retry_after`) when a pair already has its limit of failures. Afterwards a failed
    authentication stays counted, a success clears the pair's failures, anything else is forgotten.

    Runs in autocommit on purpose: the attempt must be visible to the other workers at once."""
    now, window, limit = timezone.now(), _cool_off(), get_failure_limit(request, None)
    ClientAuthAttempt.objects.filter(at__lt=now - window).delete()
    attempt = TokenAttempt(client_ids=presented_client_ids(request), ip=client_ip(request))
    for client_id in attempt.client_ids:
        attempt.counted.append(ClientAuthAttempt.objects.create(client_id=client_id, ip=attempt.ip, at=now).pk)
        earlier = list(ClientAuthAttempt.objects.filter(client_id=client_id, ip=attempt.ip, at__gte=now - window)
                       .exclude(pk__in=attempt.counted).order_by("-at").values_list("at", flat=True)[:limit])
        if len(earlier) >= limit:  # free again once the limit-th latest failure leaves the window
            attempt.retry_after = max(attempt.retry_after, math.ceil((earlier[-1] + window - now).total_seconds()), 1)
    try:
        yield attempt
    finally:
        failed = attempt.response is not None and _failed(attempt.response)
        succeeded = attempt.response is not None and attempt.response.status_code == 200
        if succeeded and len(attempt.client_ids) == 1:
            # Like sign-in, a success clears the pair; only when one client id was presented, so a
            # client's own success cannot clear the failures of another id sent alongside it.
            ClientAuthAttempt.objects.filter(client_id=attempt.client_ids[0], ip=attempt.ip).delete()
        elif not failed:
            ClientAuthAttempt.objects.filter(pk__in=attempt.counted).delete()
