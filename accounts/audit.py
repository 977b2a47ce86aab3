"""Writing the audit log. Every entry says who, when, from where and what."""
from __future__ import annotations

from .models import AuditEvent


def client_ip(request) -> str | None:
    """The caller's address as the server saw it (behind a proxy, the proxy's; set it to forward)."""
    return request.META.get("REMOTE_ADDR") if request is not None else None


def actor_of(request) -> str:
    user = getattr(request, "user", None)
    return user.get_username() if getattr(user, "is_authenticated", False) else ""


def audit_record(kind: str, *, request=None, actor: str | None = None, subject: str = "", **detail) -> AuditEvent:
    return AuditEvent.objects.create(kind=kind, actor=actor if actor is not None else actor_of(request),
                                     subject=subject[:255], ip=client_ip(request), detail=detail)
