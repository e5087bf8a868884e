"""Login by NIP, nomor registrasi or staff username, with per-account lockout."""
import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..models import utcnow
from ..models.user import User
from . import audit, passwords, registration, sessions, transaction

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
        audit.record(session, "login.failure",
                     detail=f"unknown or inactive: {identifier_for_log(identifier)}")
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


def identifier_for_log(identifier: str) -> str:
    """What the audit log keeps of a login name that matched no account: a NIP as it is
    (helpdesk must see which NIP is being tried), anything else only by its first two
    characters and length, since people type their password into the wrong field."""
    identifier = (identifier or "").strip()
    if len(identifier) == 18 and identifier.isascii() and identifier.isdigit():
        return identifier
    return f"{identifier[:2]}… ({len(identifier)} characters)"


def logout(session, user) -> None:
    """The user logs out: every session of his ends, on every host (services.sessions)."""
    try:
        sessions.end_all(user)
        audit.record(session, "logout", actor=user, target=user)
        session.commit()
    except Exception:
        session.rollback()
        raise


def change_password(session, actor, user, password: str) -> None:
    """Set `user`'s password (his own from "Reset my password", or Admin's reset): every
    session of the user ends; the caller keeps the actor's current one going if he changed
    his own (sessions.renew). Audited, without the password."""
    try:
        user.password = passwords.hash_password(password)
        sessions.end_all(user)
        by = "self" if getattr(actor, "id", None) == user.id else "admin"
        audit.record(session, "password.changed", actor=actor, target=user, detail=f"by {by}")
        session.commit()
    except Exception:
        session.rollback()
        raise


def account_state(user) -> tuple[bool, frozenset]:
    """What the audit log follows of an account: enabled or not, and its role names."""
    return bool(user.active), frozenset(role.name for role in user.roles)


def audit_account_created(session, actor, user) -> None:
    """Audit a new account made in Admin's user form, with its roles. Part of the caller's
    transaction (FAB's form saves it)."""
    roles = ", ".join(sorted(account_state(user)[1])) or "-"
    audit.record(session, "user.created", actor=actor, detail=f"{user.username}: roles {roles}")


def audit_account_edit(session, actor, user, before: tuple[bool, frozenset]) -> None:
    """Audit what Admin's user form changed on `user`: roles added or removed, the account
    disabled or enabled. `before` is `account_state(user)` as it was stored before the form
    was applied (SQLAlchemy's attribute history is no help: FAB's form flushes on the way).
    Part of the caller's transaction; disabling also ends the user's sessions (models.user)."""
    was_active, had = before
    active, roles = account_state(user)
    added, removed = sorted(roles - had), sorted(had - roles)
    if added or removed:
        audit.record(session, "user.roles_changed", actor=actor, target=user,
                     detail=f"{user.username}: added {', '.join(added) or '-'}; "
                            f"removed {', '.join(removed) or '-'}")
    if active != was_active:
        event = "account.enabled" if active else "account.disabled"
        audit.record(session, event, actor=actor, target=user, detail=user.username)


def unlock(session, actor, user) -> None:
    """Helpdesk/Admin: lift a lockout now (the escalation count is kept as history). Two
    unlocks at once both apply: the result is the same."""
    def lift():
        user.locked_until = None
        user.fail_login_count = 0
        audit.record(session, "account.unlock", actor=actor, target=user)

    transaction.run_in_transaction(session, lift)


LOCKED_MESSAGE = _l(
    "Too many failed logins: this account is locked until %(time)s. Wait, or ask the helpdesk to unlock it."
)
