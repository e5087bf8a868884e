"""Login by NIP, nomor registrasi or staff username, with per-account lockout."""
import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..models import utcnow
from ..models.user import User
from . import audit, passwords, registration

MAX_FAILED_LOGINS = 5
FIRST_LOCKOUT = dt.timedelta(minutes=15)
MAX_LOCKOUT = dt.timedelta(hours=24)


class AccountLocked(Exception):
    """Raised instead of checking the password while an account is locked."""

    def __init__(self, until: dt.datetime):
        super().__init__(str(until))
        self.until = until


def find_login_user(session, identifier: str):
    """The account behind a staff username, a NIP or a nomor registrasi (any case/dashes)."""
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    user = session.scalar(select(User).where(func.lower(User.username) == identifier.lower()))
    if user is not None:
        return user
    registrasi = registration.find_by_identifier(session, identifier)
    return registrasi.user if registrasi is not None else None


def lockout_duration(lockout_count: int) -> dt.timedelta:
    """15 minutes the first time, doubling on each repeat, at most a day."""
    return min(FIRST_LOCKOUT * (2 ** max(lockout_count, 0)), MAX_LOCKOUT)


def authenticate(session, identifier: str, password: str):
    """Return the active user whose password matches, else None. Raises AccountLocked.

    Counts failures per account; the 5th in a row locks it. Unknown accounts cost the same
    hashing time as known ones, so timing does not tell which NIPs have accounts."""
    user = find_login_user(session, identifier)
    if user is None or not user.active or not user.password:
        passwords.verify_unknown_user()
        audit.record(session, "login.failure", detail=f"unknown or inactive: {identifier[:40]}")
        session.commit()
        return None
    now = utcnow()
    if user.locked_until is not None and user.locked_until > now:
        raise AccountLocked(user.locked_until)
    if passwords.verify_password(user.password, password):
        if passwords.needs_rehash(user.password):
            user.password = passwords.hash_password(password)
        user.fail_login_count = 0
        user.lockout_count = 0
        user.locked_until = None
        user.login_count = (user.login_count or 0) + 1
        user.last_login = now
        audit.record(session, "login.success", actor=user, target=user)
        session.commit()
        return user
    user.fail_login_count = (user.fail_login_count or 0) + 1
    audit.record(session, "login.failure", actor=user, target=user)
    if user.fail_login_count >= MAX_FAILED_LOGINS:
        user.locked_until = now + lockout_duration(user.lockout_count or 0)
        user.lockout_count = (user.lockout_count or 0) + 1
        user.fail_login_count = 0
        audit.record(session, "login.lockout", actor=user, target=user,
                     detail=f"locked until {user.locked_until:%Y-%m-%d %H:%M} UTC")
    session.commit()
    return None


def unlock(session, actor, user) -> None:
    """Helpdesk/Admin: lift a lockout now (the escalation count is kept as history)."""
    user.locked_until = None
    user.fail_login_count = 0
    audit.record(session, "account.unlock", actor=actor, target=user)
    session.commit()


LOCKED_MESSAGE = _l(
    "Too many failed logins: this account is locked until %(time)s. Wait, or ask the helpdesk to unlock it."
)
