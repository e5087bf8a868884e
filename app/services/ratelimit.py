"""Rate limits for the public forms, per client IP and per NIP.

Uses the Flask-Limiter instance FAB creates for the app, so the storage is the one of
RATELIMIT_STORAGE_URI (memory:// in development, Redis shared by every worker and host in
production). Disabled with RATELIMIT_ENABLED=False (the test default; the rate-limit tests
turn it on).
"""

from flask import current_app
from flask_limiter.util import get_remote_address

PUBLIC_FORM_PER_IP = "30 per 10 minute"
PER_NIP = "10 per 10 minute"


def enforce(limit: str, *, scope: str, key: str | None = None) -> None:
    """Count one hit against `limit` for (`scope`, `key` or the client IP); 429 past it."""
    limiter = current_app.appbuilder.sm.limiter
    subject = key if key else get_remote_address()
    with limiter.limit(limit, key_func=lambda: f"{scope}:{subject}", scope=scope):
        pass


def enforce_public_form(form_name: str, nip: str | None = None) -> None:
    """The standard limits of a public form: per IP, and per NIP when one is given."""
    enforce(PUBLIC_FORM_PER_IP, scope=f"{form_name}:ip")
    if nip:
        enforce(PER_NIP, scope=f"{form_name}:nip", key=nip.strip()[:18])
