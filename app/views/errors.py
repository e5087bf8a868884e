"""Friendly Indonesian error pages (JSON under /api/): 413, 429 and 503, and the answer to
a write that kept losing races with concurrent ones (services.transaction.ConcurrentChange):
its message and a redirect back, 409 under /api/ — never a 500.

503 is for the database being away (restart, failover, network, or SQLite busy): the page
is rendered without touching the database, and the connection pool's pre-ping
(SQLALCHEMY_ENGINE_OPTIONS) lets the next request reconnect by itself once it is back.
"""
from urllib.parse import urlsplit

from flask import Flask, current_app, flash, jsonify, redirect, render_template, request
from flask_babel import gettext
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from ..extensions import db
from ..services.transaction import ConcurrentChange

RETRY_AFTER_SECONDS = 30


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _page(template: str, status: int):
    """A page of the portal's layout (needs the database for the menu and the phase bar)."""
    appbuilder = current_app.appbuilder
    return render_template(template, base_template=appbuilder.base_template,
                           appbuilder=appbuilder), status


def too_many_requests(error):
    """429 from a rate limit (services.ratelimit, FAB's login)."""
    if _wants_json():
        return jsonify(message=str(error.description)), 429
    return _page("registration/too_many_requests.html", 429)


def request_too_large(_error):
    """413: the request body is larger than MAX_CONTENT_LENGTH (an oversized upload)."""
    if _wants_json():
        return jsonify(message=gettext("The upload is too large.")), 413
    return _page("errors/too_large.html", 413)


def database_unavailable(error):
    """503 while the database cannot be reached. Logged without the SQL statement or its
    parameters (they may hold personal data or hashes)."""
    reason = str(getattr(error, "orig", None) or type(error).__name__).strip().splitlines()
    current_app.logger.error("Database unavailable (%s): %s", type(error).__name__,
                             reason[0][:200] if reason else "")
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection may be dead; the pool replaces it
        current_app.logger.debug("rollback after a database failure failed too")
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if _wants_json():
        message = gettext("The service is temporarily unavailable. Try again in a moment.")
        return jsonify(message=message), 503, headers
    # Rendered straight from the Jinja environment: context processors (phase bar, unread
    # messages) and the menu would ask the database again.
    page = current_app.jinja_env.get_template("errors/unavailable.html").render(
        retry_after=RETRY_AFTER_SECONDS
    )
    return page, 503, headers


def _back_url() -> str:
    """The page the request came from, if it is one of ours; else the home page."""
    referrer = request.referrer or ""
    parts = urlsplit(referrer)
    if referrer and parts.netloc == request.host and parts.scheme in ("http", "https"):
        return referrer
    return request.script_root + "/"


def concurrent_change(error):
    """A write refused after concurrent changes: say so (reload, nothing saved) on the page
    the person came from, so he sees the current state. Views that keep a typed form show it
    themselves (Data Saya re-renders what was entered)."""
    if _wants_json():
        return jsonify(message=str(error)), 409
    flash(str(error), "warning")
    return redirect(_back_url(), code=303)


def register(app: Flask) -> None:
    app.register_error_handler(ConcurrentChange, concurrent_change)
    app.register_error_handler(413, request_too_large)
    app.register_error_handler(429, too_many_requests)
    for error in (OperationalError, InterfaceError, PoolTimeoutError):
        app.register_error_handler(error, database_unavailable)
