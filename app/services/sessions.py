"""Login sessions: signed cookie sessions that the server can still end.

Flask keeps the session in a signed cookie, so several app hosts need nothing but the shared
SECRET_KEY. A cookie alone cannot be revoked, so every session carries:

- the account's `session_version` at login. Raising the version in the database (logout,
  password change, account disabled, registration reset: `end_all`) makes every older
  cookie worthless on every host at once;
- the login time: a session ends SESSION_MAX_HOURS after login, whatever happens;
- the time of the last request: a session ends after SESSION_IDLE_MINUTES without one;
- a random session id, new at every login: whatever a visitor carried in his cookie before
  logging in (session fixation) is thrown away then.

`begin` runs when Flask-Login logs a user in; `current_problem` is checked by the user loader
(app.security) on every request that looks at the current user.

The JWTs of FAB's JSON login (/api/v1/security/login, /refresh) are bound the same way: each
carries the version as a claim (`token_claims`), and an access or refresh token whose version
no longer matches, or whose account is disabled, is refused (`token_revoked`).
"""

import secrets
import time

from flask import current_app, flash, g, session
from flask_babel import lazy_gettext as _l

VERSION_KEY = "_pupns_sv"
# The claim of a JWT holding the account's session version when it was issued.
TOKEN_VERSION_CLAIM = "pupns_sv"  # nosec B105 - a claim name, not a password
LOGIN_AT_KEY = "_pupns_login"
SEEN_AT_KEY = "_pupns_seen"
SESSION_ID_KEY = "_pupns_sid"
# Kept when the rest of the session is thrown away at login: what Flask-Login has just
# written, and the language the visitor chose (FAB's /lang/<code>), a mere preference.
_KEPT_AT_LOGIN = ("_user_id", "_fresh", "_id", "_remember", "_remember_seconds", "locale")
# Last-activity is rewritten at most this often (seconds): a new cookie on every request
# would be pointless churn, and the idle timeout is counted in minutes anyway.
TOUCH_EVERY = 60

ENDED = "ended"
IDLE = "idle"
EXPIRED = "expired"
MESSAGES = {
    ENDED: _l("Your session has ended (logout, password change or account change). Please log in again."),
    IDLE: _l("You were logged out after %(minutes)d minutes without activity. Please log in again."),
    EXPIRED: _l("Your session has reached its maximum length of %(hours)d hours. Please log in again."),
}


def now() -> int:
    """Seconds since the epoch (tests move the clock by replacing this function)."""
    return int(time.time())


def begin(_sender=None, user=None, **_extra) -> None:
    """Flask-Login's `user_logged_in` signal: start a fresh session for `user`.

    Everything the browser brought along is dropped except what Flask-Login has just
    written and the chosen language, and the session gets a new random id, the account's session version and the
    login time."""
    kept = {key: session[key] for key in _KEPT_AT_LOGIN if key in session}
    _clear()
    session.update(kept)
    renew(user)
    session[LOGIN_AT_KEY] = session[SEEN_AT_KEY] = now()


def renew(user) -> None:
    """Give the current session a new id and `user`'s current session version: after the
    user changed his own password, this session goes on while all the others end."""
    session[SESSION_ID_KEY] = secrets.token_urlsafe(16)
    session[VERSION_KEY] = user.session_version or 0


def current_problem(user) -> str | None:
    """Why the current session may no longer act for `user` (ENDED, IDLE, EXPIRED), or None.
    A session started before these checks existed has no version and counts as ended."""
    version = session.get(VERSION_KEY)
    if version is None or version != (user.session_version or 0):
        return ENDED
    config, moment = current_app.config, now()
    login_at, seen_at = session.get(LOGIN_AT_KEY, 0), session.get(SEEN_AT_KEY, 0)
    if moment - login_at > config["SESSION_MAX_HOURS"] * 3600:
        return EXPIRED
    if moment - seen_at > config["SESSION_IDLE_MINUTES"] * 60:
        return IDLE
    return None


def touch() -> None:
    """Record activity on the current session (at most once a TOUCH_EVERY seconds)."""
    moment = now()
    if moment - session.get(SEEN_AT_KEY, 0) >= TOUCH_EVERY:
        session[SEEN_AT_KEY] = moment


def forget() -> None:
    """Empty the current session (logout), keeping only the chosen language."""
    locale = session.get("locale")
    _clear()
    if locale is not None:
        session["locale"] = locale


def _clear() -> None:
    session.clear()
    # Flask-WTF keeps the request's CSRF token on `g` as well: a form rendered later in this
    # request must get a new token, stored in the new session.
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)


def drop(problem: str | None) -> None:
    """Forget the current session and tell the user why he must log in again."""
    forget()
    if problem in MESSAGES:
        config = current_app.config
        flash(
            MESSAGES[problem] % {"minutes": config["SESSION_IDLE_MINUTES"], "hours": config["SESSION_MAX_HOURS"]},
            "warning",
        )


def end_all(user) -> None:
    """End every session of `user`, on every host, from his next request on. Part of the
    caller's transaction (never commits)."""
    user.session_version = (user.session_version or 0) + 1


def token_claims(user) -> dict:
    """The claims every JWT of `user` carries besides FAB's: his session version now."""
    return {TOKEN_VERSION_CLAIM: user.session_version or 0}


def token_revoked(user, claims: dict) -> bool:
    """Whether a JWT (access or refresh) may no longer act for `user`: the account is gone or
    disabled, or its session version moved since the token was issued (logout, password
    change or reset, account change). A token without the claim counts as revoked."""
    if user is None or not user.active:
        return True
    return claims.get(TOKEN_VERSION_CLAIM) != (user.session_version or 0)
