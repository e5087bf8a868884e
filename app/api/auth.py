"""Who is calling the API: an API key or a JWT, never the browser's session cookie.

A logged-in browser that calls /api/ gets 401 like anyone else, so a page of another site
cannot make the user's browser read records (and the API needs no CSRF token: it never
trusts a cookie and never changes anything).
"""

import functools
import hashlib

from flask import current_app, g, request
from flask_appbuilder.const import PERMISSION_PREFIX
from flask_jwt_extended import get_current_user, verify_jwt_in_request
from flask_jwt_extended.exceptions import JWTExtendedException
from flask_limiter.util import get_remote_address
from jwt.exceptions import PyJWTError

from ..extensions import db
from ..services import apikeys

API_KEY_HEADER = "X-API-Key"


def presented_credentials() -> tuple[str | None, str | None]:
    """(API key, JWT) from the headers: `X-API-Key: <key>`, or `Authorization: Bearer <key>`
    for a token with the key prefix; any other Bearer token is taken for a JWT."""
    key = request.headers.get(API_KEY_HEADER)
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    bearer = token.strip() if scheme.lower() == "bearer" and token.strip() else None
    if key is None and bearer is not None and bearer.startswith(apikeys.TOKEN_PREFIX):
        return bearer, None
    return key, bearer


def forget_session_user() -> None:
    """before_request of every API blueprint: the cookie's user is no caller of the API."""
    anonymous = current_app.login_manager.anonymous_user()
    g._login_user = anonymous  # what flask_login's current_user returns from now on
    g.user = anonymous
    g._api_key_user = False


CALLER_ENVIRON_KEY = "pupns.api_caller"


def resolve_caller():
    """(user, "api_key" | "jwt") behind the request's API key or JWT when it is valid and its
    owner active; else (None, None). Resolved once per request: the rate limit's key function
    (which runs first) and @protect share the one database lookup. Kept in the WSGI environ,
    which belongs to this request alone (`g` may outlive it when an app context is reused)."""
    environ = request.environ
    if CALLER_ENVIRON_KEY in environ:
        return environ[CALLER_ENVIRON_KEY]
    key, jwt_token = presented_credentials()
    user, kind = None, None
    if key is not None:
        user, kind = apikeys.authenticate(db.session, key), "api_key"
    elif jwt_token is not None:
        kind = "jwt"
        try:
            verify_jwt_in_request()
            user = get_current_user()
        except (JWTExtendedException, PyJWTError):
            user = None
    caller = (user, kind) if user is not None and user.is_active else (None, None)
    environ[CALLER_ENVIRON_KEY] = caller
    return caller


def authenticate():
    """The active user behind the request's API key or JWT, set as `g.user`; else None."""
    user, kind = resolve_caller()
    if user is None:
        return None
    g.user = user
    # FAB's has_access() and sm.current_user judge g.user when this flag is set.
    g._api_key_user = True
    g.api_auth = kind
    return user


def protect(f):
    """FAB's @protect for e-PUPNS: 401 without a valid key or JWT, 403 without the
    permission (`can_<permission_name>` on the API class); no browser login, ever."""
    permission = f"{PERMISSION_PREFIX}{f._permission_name}"

    def wraps(self, *args, **kwargs):
        if authenticate() is None:
            return unauthorized(self)
        if permission not in self.base_permissions or not self.appbuilder.sm.has_access(
            permission, self.class_permission_name
        ):
            return self.response_403()
        return f(self, *args, **kwargs)

    return functools.update_wrapper(wraps, f)


def unauthorized(api):
    response = api.response(401, message="Not authorized: send a valid API key or JWT.")
    response.headers["WWW-Authenticate"] = 'Bearer realm="e-PUPNS API"'
    return response


def rate_limit_key() -> str:
    """Flask-Limiter key of an API call: a valid API key has its own budget, a valid JWT its
    user's (a fresh login gives no fresh budget); a call without a valid credential counts
    against its client address (ProxyFix, TRUSTED_PROXIES), so that made-up keys — each a
    database lookup — are throttled like no key at all."""
    key, _jwt = presented_credentials()
    user, kind = resolve_caller()
    if kind == "api_key":
        return "api-key:" + hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()[:32]
    if kind == "jwt":
        return f"api-user:{user.id}"
    return "api-ip:" + (get_remote_address() or "")


def log_call(response):
    """after_request of every API blueprint: one log line per call (who, what, outcome) —
    cheap enough for every call; key use is also kept on the key (last_used_on)."""
    user = g.get("user")
    # The path only: the query string may carry a NIK filter, which has no place in logs.
    current_app.logger.info(
        "api %s %s -> %s by %s (%s)",
        request.method,
        request.path,
        response.status_code,
        getattr(user, "username", None) or "-",
        g.get("api_auth", "none"),
    )
    return response
