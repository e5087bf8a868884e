"""Login by NIP, nomor registrasi or staff username, with per-account throttling.

Throttling (SECURITY.md, "Brute-force throttling"): every attempt on a known account is
first counted, atomically, and only then is its password checked; after MAX_FAILED_LOGINS
failures in a row each further attempt waits a short, growing time (1, 2, 4, 8, then at most
15 minutes). A wrong password, an unknown account, a waiting account and a machine account
all get the same answer (security.AuthDBView), so the login form tells nobody which
accounts exist or are waiting. A successful login, a password reset by link and a helpdesk
unlock end the wait.
"""

import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, or_, select, update

from ..models import Pegawai, utcnow
from ..models.user import User
from ..roles import ROLE_INTEGRASI, ROLE_PNS
from . import audit, passwords, registration, rules, sessions, transaction

MAX_FAILED_LOGINS = 5
FIRST_WAIT = dt.timedelta(minutes=1)
MAX_WAIT = dt.timedelta(minutes=15)


def find_login_user(session, identifier: str):
    """The account behind a NIP, a nomor registrasi (any case/dashes) or a staff username.

    A NIP or a nomor registrasi only ever names the PNS account of that Pegawai
    (registration.pns_account_of), never a staff account linked to him: 18 digits are read
    as a NIP and nothing else (no staff username has 18 digits: account_kind_problem)."""
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    if rules.is_ascii_digits(identifier, 18):
        pegawai_id = session.scalar(select(Pegawai.id).where(Pegawai.nip == identifier))
        return registration.pns_account_of(session, pegawai_id) if pegawai_id else None
    user = session.scalar(select(User).where(func.lower(User.username) == identifier.lower()))
    if user is not None:
        return user
    registrasi = registration.find_by_identifier(session, identifier)
    return registration.pns_account_of(session, registrasi.pegawai_id) if registrasi else None


def is_machine_account(user) -> bool:
    """An integration client's account (every role it has is Integrasi): API keys only."""
    names = {role.name for role in user.roles}
    return bool(names) and names <= {ROLE_INTEGRASI}


def account_kind_problem(user):
    """Why Admin's user form may not save `user` as it is, else None. The two kinds of account
    stay apart (models.user): a PNS account holds the PNS role and nothing else; a staff
    account never holds the PNS role (PNS accounts come from registration alone) and its
    username is not 18 digits (those log in to the PNS account of that NIP only)."""
    roles = {role.name for role in user.roles}
    if user.is_pns_account:
        if roles != {ROLE_PNS}:
            return _l(
                "A PNS account has the PNS role only. Give staff roles to the person's staff account, or create one."
            )
        return None
    if ROLE_PNS in roles:
        return _l(
            "The PNS role belongs to PNS accounts, which are created by registration. "
            "Remove it from this staff account."
        )
    if rules.is_ascii_digits((user.username or "").strip(), 18):
        return _l("A staff username cannot be 18 digits: that is read as a NIP at login. Choose another username.")
    return None


def throttle_wait(failures: int) -> dt.timedelta | None:
    """How long an account waits after `failures` failures in a row: not at all below
    MAX_FAILED_LOGINS, then 1, 2, 4, 8 and at most 15 minutes (never longer: a stranger
    who knows a NIP must not be able to shut its owner out for hours)."""
    if failures < MAX_FAILED_LOGINS:
        return None
    return min(FIRST_WAIT * 2 ** (failures - MAX_FAILED_LOGINS), MAX_WAIT)


def _reserve_attempt(session, user_id: int, now: dt.datetime) -> int | None:
    """Count one attempt as a failure *before* its password is checked, and commit: the
    account's failure count including it, or None while the account waits (then no password
    may be checked). One UPDATE … RETURNING, so concurrent attempts each get their own count
    (the row lock orders them; PostgreSQL re-checks the WHERE after waiting), and the attempt
    that reaches MAX_FAILED_LOGINS starts the wait in the same statement: at most
    MAX_FAILED_LOGINS passwords are checked before a wait, however many arrive at once."""
    count = func.coalesce(User.fail_login_count, 0) + 1
    waits, failures = [], MAX_FAILED_LOGINS
    while throttle_wait(failures) < MAX_WAIT:
        waits.append((count == failures, now + throttle_wait(failures)))
        failures += 1
    waits.append((count >= failures, now + MAX_WAIT))
    counted = session.execute(
        update(User)
        .where(User.id == user_id, or_(User.locked_until.is_(None), User.locked_until <= now))
        .values(
            fail_login_count=count,
            locked_until=case(*waits, else_=None),
            lockout_count=func.coalesce(User.lockout_count, 0) + case((count >= MAX_FAILED_LOGINS, 1), else_=0),
        )
        .returning(User.fail_login_count),
        execution_options={"synchronize_session": False},
    ).scalar()
    session.commit()
    return counted


def _refuse(session, event: str, detail: str, user=None) -> None:
    """Every refusal costs what a wrong password costs (one argon2 verification, against a
    dummy hash) and leaves an audit entry; the caller then answers None like for any failure."""
    passwords.verify_unknown_user()
    audit.record(session, event, actor=user, target=user, detail=detail)
    session.commit()


def authenticate(session, identifier: str, password: str):
    """Return the active user whose password matches, else None (one answer for a wrong
    password, an unknown or inactive account, a waiting account and a machine account).

    The attempt is counted before the hash is checked (_reserve_attempt); a success resets
    the count. Every path costs one argon2 verification, so timing tells nothing either."""
    user = find_login_user(session, identifier)
    if user is None or not user.active or not user.password:
        _refuse(session, "login.failure", f"unknown or inactive: {identifier_for_log(identifier)}")
        return None
    if is_machine_account(user):
        # Integration clients use API keys (app/api): no web session, no JWT by password.
        _refuse(session, "login.failure", "machine account: API keys only", user)
        return None
    user_id = user.id
    now = utcnow()
    failures = _reserve_attempt(session, user_id, now)
    user = session.get(User, user_id)
    if user is None:  # deleted meanwhile
        _refuse(session, "login.failure", "account deleted during login")
        return None
    if failures is None:
        _refuse(session, "login.throttled", f"waiting until {user.locked_until or now:%Y-%m-%d %H:%M} UTC", user)
        return None
    if passwords.verify_password(user.password, password):
        if passwords.needs_rehash(user.password):
            user.password = passwords.hash_password(password)
        user.fail_login_count = 0
        user.locked_until = None
        user.login_count = (user.login_count or 0) + 1
        user.last_login = now
        audit.record(session, "login.success", actor=user, target=user)
        session.commit()
        return user
    audit.record(session, "login.failure", actor=user, target=user)
    if failures >= MAX_FAILED_LOGINS:
        audit.record(
            session,
            "login.lockout",
            actor=user,
            target=user,
            detail=f"{failures} failures: waiting until {user.locked_until:%Y-%m-%d %H:%M} UTC",
        )
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


class AccountWaiting(Exception):
    """Too many wrong passwords in a row: the account waits before the next check."""


class WrongCurrentPassword(Exception):
    """The current password given to change one's own is not the account's."""


WRONG_CURRENT_PASSWORD = _l("The current password is not correct. Type the password you log in with now.")


def nip_of(user=None, username: str | None = None) -> str | None:
    """The NIP a password must not contain: the account's Pegawai's, or a NIP-shaped user
    name (PNS accounts log in with their NIP)."""
    pegawai = getattr(user, "pegawai", None)
    if pegawai is not None:
        return pegawai.nip
    username = username if username is not None else getattr(user, "username", None)
    if username and len(username) == 18 and username.isascii() and username.isdigit():
        return username
    return None


def password_problems_for(user, password: str, *, username: str | None = None, nip: str | None = None) -> list:
    """The policy's objections (services.passwords) to `password` for this account (`user`,
    or the `username`/`nip` of one being created)."""
    username = username if username is not None else getattr(user, "username", None)
    return passwords.password_problems(password, nip=nip or nip_of(user, username), username=username)


def new_password_hash(password: str, *, user=None, username: str | None = None, nip: str | None = None) -> str:
    """The argon2id hash of a new password, after the policy: raises passwords.PasswordRefused.
    Every path that sets a password ends here or in `change_password`."""
    problems = password_problems_for(user, password, username=username, nip=nip)
    if problems:
        raise passwords.PasswordRefused(problems)
    return passwords.hash_password(password)


def change_own_password(session, user, current: str, password: str) -> None:
    """The user changes his own password: the current one must be given and right. A wrong
    one counts like a failed login (_reserve_attempt: the same throttle, counted before the
    hash is checked), so a borrowed or stolen session cannot guess it.
    Raises AccountWaiting, WrongCurrentPassword, passwords.PasswordRefused."""
    user_id = user.id
    failures = _reserve_attempt(session, user_id, utcnow())
    user = session.get(User, user_id)
    if failures is None:
        raise AccountWaiting()
    if not passwords.verify_password(user.password, current or ""):
        audit.record(session, "password.change_refused", actor=user, target=user)
        session.commit()
        raise WrongCurrentPassword()
    user.fail_login_count = 0
    change_password(session, user, user, password)


def change_password(session, actor, user, password: str) -> None:
    """Set `user`'s password (his own, or Admin's reset, or FAB's CLI with no actor) after
    the policy (raises passwords.PasswordRefused, nothing changed): every session and JWT of
    the user ends; the caller keeps the actor's current one going if he changed his own
    (sessions.renew). Audited, without the password."""
    new_hash = new_password_hash(password, user=user)
    try:
        user.password = new_hash
        sessions.end_all(user)
        by = "self" if getattr(actor, "id", None) == user.id else ("admin" if actor else "cli")
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
        audit.record(
            session,
            "user.roles_changed",
            actor=actor,
            target=user,
            detail=f"{user.username}: added {', '.join(added) or '-'}; removed {', '.join(removed) or '-'}",
        )
    if active != was_active:
        event = "account.enabled" if active else "account.disabled"
        audit.record(session, event, actor=actor, target=user, detail=user.username)


def unlock(session, actor, user) -> None:
    """Helpdesk/Admin: end a login wait now and start counting failures afresh (the number
    of waits so far is kept as history). Two unlocks at once both apply: the result is the same."""

    def lift():
        user.locked_until = None
        user.fail_login_count = 0
        audit.record(session, "account.unlock", actor=actor, target=user)

    transaction.run_in_transaction(session, lift)
