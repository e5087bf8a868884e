"""Audit entries. Callers add them inside their own transaction (this module never commits)."""

from flask import has_request_context, request

from ..models.audit import AuditLog


def client_ip() -> str | None:
    """The client address as seen by the app (ProxyFix sets it behind the reverse proxy)."""
    return request.remote_addr if has_request_context() else None


def record(session, event: str, *, actor=None, target=None, detail: str | None = None) -> AuditLog:
    """Add an audit row for `event` done by `actor` (a User or None) to `target` (a model)."""
    entry = AuditLog(
        event=event,
        actor_id=getattr(actor, "id", None),
        actor_name=getattr(actor, "username", None),
        ip=client_ip(),
        target_type=type(target).__name__ if target is not None else None,
        target_id=str(getattr(target, "id", "")) if target is not None else None,
        detail=detail,
    )
    session.add(entry)
    return entry
