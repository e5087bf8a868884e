"""Friendly Indonesian error pages (JSON under /api/): 413, 429, 500 and 503, and the answer
to a write that kept losing races with concurrent ones (services.transaction.ConcurrentChange):
its message and a redirect back, 409 under /api/ — never a 500.

503 is only for the database being away (restart, failover, network, a timeout, a read-only
replica, SQLite busy): the page is rendered without touching the database, and the
connection pool's pre-ping (SQLALCHEMY_ENGINE_OPTIONS) lets the next request reconnect by
itself once it is back. A load balancer may take a host that answers 503 out of service.

Every other error, a database error caused by our own query included ("no such column",
any SQL syntax or constraint error), is a bug: a 500 in the portal's layout that names the
request id, logged with that id and the traceback, so the operator finds it and fixes it.
"""

import re
import secrets
from urllib.parse import urlsplit

from flask import Flask, current_app, flash, g, jsonify, redirect, render_template, request
from flask_babel import gettext
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import InternalServerError

from ..extensions import db
from ..services.transaction import ConcurrentChange

RETRY_AFTER_SECONDS = 30
REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")

# SQLSTATEs of an unreachable or unusable server rather than of a wrong query: class 08
# (connection exception), the server shutting down or starting (57P01-57P03), too many
# connections (53300), a cancelled statement (statement_timeout, 57014), a lock wait that
# timed out (55P03), and a write on a read-only replica (25006).
OUTAGE_SQLSTATES = {"53300", "57P01", "57P02", "57P03", "57014", "55P03", "25006"}
# SQLite's primary result codes for the same: BUSY, LOCKED, READONLY, IOERR, CANTOPEN, FULL.
OUTAGE_SQLITE_CODES = {5, 6, 8, 10, 14, 13}
# What a driver says when the connection itself failed (such errors carry no SQLSTATE).
OUTAGE_MESSAGES = re.compile(
    r"server closed the connection|connection refused|could not connect|terminating connection"
    r"|connection (?:lost|reset|timed out|already closed|to server)|no connection to the server"
    r"|ssl connection has been closed|timeout expired|timed out|unable to open database file"
    r"|database is locked|read-only transaction",
    re.IGNORECASE,
)


def request_id() -> str:
    """The id of this request in the log and on an error page: the load balancer's
    X-Request-ID when it sent a plausible one, else a new random one."""
    rid = getattr(g, "request_id", None)
    if rid is None:
        sent = request.headers.get(REQUEST_ID_HEADER, "")
        rid = g.request_id = sent if _REQUEST_ID.fullmatch(sent) else secrets.token_hex(8)
    return rid


def is_outage(error: BaseException) -> bool:
    """True when `error` means the database cannot be used now (a 503), False when the query
    itself is wrong (a 500: a bug to fix, not a host to take out of service)."""
    if isinstance(error, (DisconnectionError, PoolTimeoutError)):
        return True
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    orig = error.orig
    sqlstate = getattr(orig, "pgcode", None) or getattr(orig, "sqlstate", None)
    if sqlstate:
        return sqlstate.startswith("08") or sqlstate in OUTAGE_SQLSTATES
    sqlite_code = getattr(orig, "sqlite_errorcode", None)
    if sqlite_code is not None:
        return (sqlite_code & 0xFF) in OUTAGE_SQLITE_CODES
    return OUTAGE_MESSAGES.search(str(orig)) is not None


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _page(template: str, status: int, **context):
    """A page of the portal's layout (needs the database for the menu and the phase bar)."""
    appbuilder = current_app.appbuilder
    return render_template(template, base_template=appbuilder.base_template, appbuilder=appbuilder, **context), status


def _rollback() -> None:
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection may be dead; the pool replaces it
        current_app.logger.debug("rollback after a database failure failed too")


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
    current_app.logger.error(
        "Database unavailable [request %s] (%s): %s",
        request_id(),
        type(error).__name__,
        reason[0][:200] if reason else "",
    )
    _rollback()
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS), REQUEST_ID_HEADER: request_id()}
    if _wants_json():
        message = gettext("The service is temporarily unavailable. Try again in a moment.")
        return jsonify(message=message), 503, headers
    # Rendered straight from the Jinja environment: context processors (phase bar, unread
    # messages) and the menu would ask the database again.
    page = current_app.jinja_env.get_template("errors/unavailable.html").render(retry_after=RETRY_AFTER_SECONDS)
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


def internal_error(error):
    """500 for every unhandled exception (Flask hands it over wrapped in InternalServerError):
    logged with the request id and the traceback, and a page in the portal's layout that
    gives the user the id to quote to the helpdesk."""
    original = getattr(error, "original_exception", None) or error
    rid = request_id()
    current_app.logger.exception(
        "Internal error [request %s] %s %s: %s",
        rid,
        request.method,
        request.path,
        type(original).__name__,
        exc_info=original,
    )
    _rollback()
    headers = {REQUEST_ID_HEADER: rid}
    if _wants_json():
        message = gettext("An internal error occurred. Quote this code to the helpdesk: %(code)s", code=rid)
        return jsonify(message=message, request_id=rid), 500, headers
    try:
        page, status = _page("errors/internal.html", 500, request_id=rid)
    except Exception:  # noqa: BLE001 - the layout itself failed (menu, phase bar): plain page
        current_app.logger.exception("The 500 page could not be rendered [request %s]", rid)
        page = current_app.jinja_env.get_template("errors/internal_plain.html").render(request_id=rid)
        status = 500
    return page, status, headers


def database_error(error):
    """Any database error reaching a view: 503 for an outage, else the 500 of a bug."""
    if is_outage(error):
        return database_unavailable(error)
    return internal_error(InternalServerError(original_exception=error))


def register(app: Flask) -> None:
    app.register_error_handler(ConcurrentChange, concurrent_change)
    app.register_error_handler(413, request_too_large)
    app.register_error_handler(429, too_many_requests)
    app.register_error_handler(InternalServerError, internal_error)
    for error in (DBAPIError, DisconnectionError, PoolTimeoutError):
        app.register_error_handler(error, database_error)
