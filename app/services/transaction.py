"""The unit of work: every write of a service is one transaction, and a transaction that
lost a race with a concurrent one is run again or refused, never answered with a 500.

- `unit_of_work(session)`: commits on success; rolls back and re-raises otherwise; after the
  commit runs the callbacks registered with `uow.after_commit(fn)` (mail, file clean-up),
  logging their failures. A unit opened inside another (a service calling a service) joins
  the outer one: only the outermost commits, rolls back and runs the callbacks.
- `run_in_transaction(session, fn, retries=3, on_conflict=ConcurrentChange)` and the
  decorator `@transactional(...)` for service functions taking `session` first: `fn` runs
  in a unit of work; when it loses a race (`is_conflict`: the version counter of a row
  changed under it, a unique key taken meanwhile, a PostgreSQL serialization failure or
  deadlock, SQLite "database is locked") the transaction is rolled back, which expires every
  loaded object, and `fn` runs again on what is committed now. An operation that commutes
  (a "sudah diperiksa" mark, saving the same value) then simply applies; one that does not
  finds the new state and refuses with its own message (the status check of a transition,
  "already decided" of a registration). Only when the conflicts go on after `retries` runs
  is `on_conflict()` raised: a `ConcurrentChange`, which the views show as a message with a
  redirect back (app.views.errors), or a service's own subclass of it.

SQLite has no row locks (FOR UPDATE is ignored), so there the outermost unit of work takes
the database's write lock when it starts (BEGIN IMMEDIATE; the busy timeout of
app._sqlite_connection_setup lets it wait its turn) and re-reads what the request had loaded:
writers run one after the other, as the row locks make them on PostgreSQL.
"""

from __future__ import annotations

import functools
import logging
import secrets
import time
from contextlib import contextmanager
from typing import Callable

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError

log = logging.getLogger(__name__)

DEFAULT_RETRIES = 3
_DEPTH_KEY = "pupns_uow_depth"
_CALLBACKS_KEY = "pupns_uow_after_commit"
# PostgreSQL SQLSTATEs of a transaction that lost a race: serialization failure, deadlock,
# unique violation (a row another transaction inserted first).
_PG_RETRYABLE = frozenset({"40001", "40P01", "23505"})
_SQLITE_RETRYABLE = ("database is locked", "database table is locked", "unique constraint failed")


class ConcurrentChange(Exception):
    """The data changed under the operation in another window or by another user, too often
    to apply it; nothing was saved. `message` is shown to the user."""

    default_message = _l(
        "This data was just changed in another window or by another user, so your change was "
        "not saved. Reload the page to see the current state, then do it again if it is still needed."
    )

    def __init__(self, message=None):
        self.message = message if message is not None else self.default_message
        super().__init__(self.message)

    def __str__(self):
        return str(self.message)


def is_conflict(exc: BaseException) -> bool:
    """True when `exc` says the transaction lost a race with a concurrent one (run it again),
    not that the operation itself is wrong."""
    if isinstance(exc, StaleDataError):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    code = getattr(orig, "pgcode", None) or getattr(orig, "sqlstate", None)
    if code is not None:
        return code in _PG_RETRYABLE
    text = str(orig).lower()
    if isinstance(exc, IntegrityError):
        return "unique constraint failed" in text
    return any(phrase in text for phrase in _SQLITE_RETRYABLE)


class UnitOfWork:
    """Handle of one transaction: `after_commit(fn)` defers `fn()` until it has committed."""

    def __init__(self, session):
        self.session = session

    def after_commit(self, fn: Callable[[], object]) -> None:
        after_commit(self.session, fn)


def after_commit(session, fn: Callable[[], object]) -> None:
    """Run `fn()` once the current unit of work on `session` has committed (never if it
    rolls back); outside a unit of work, at once."""
    callbacks = session.info.get(_CALLBACKS_KEY) if session.info.get(_DEPTH_KEY, 0) else None
    if callbacks is None:
        _run_callbacks([fn])
    else:
        callbacks.append(fn)


def _lock_sqlite(session) -> None:
    """On SQLite, start the transaction with the database's write lock (see module doc)."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    session.flush()
    raw = connection.connection.dbapi_connection
    if not raw.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        # What the request read before now may have changed meanwhile: read it again.
        session.expire_all()


def _run_callbacks(callbacks) -> None:
    for fn in callbacks:
        try:
            fn()
        except Exception:  # noqa: BLE001 - the transaction stands; a side effect failing is logged
            log.exception("after-commit callback %r failed", fn)


@contextmanager
def unit_of_work(session):
    """One transaction on `session`: commit on success, rollback and re-raise on any error;
    nested units join the outermost one."""
    depth = session.info.get(_DEPTH_KEY, 0)
    uow = UnitOfWork(session)
    if depth:
        session.info[_DEPTH_KEY] = depth + 1
        try:
            yield uow
        finally:
            session.info[_DEPTH_KEY] = depth
        return
    session.info[_DEPTH_KEY] = 1
    session.info[_CALLBACKS_KEY] = []
    try:
        _lock_sqlite(session)
        yield uow
        session.commit()
    except BaseException:
        session.info.pop(_CALLBACKS_KEY, None)
        session.rollback()
        raise
    finally:
        session.info[_DEPTH_KEY] = 0
    _run_callbacks(session.info.pop(_CALLBACKS_KEY, None) or [])


def run_in_transaction(
    session,
    fn: Callable[[], object],
    *,
    retries: int = DEFAULT_RETRIES,
    on_conflict: Callable[[], BaseException] = ConcurrentChange,
):
    """`fn()` in a unit of work, run again (up to `retries` more times) after losing a race;
    then `on_conflict()` is raised. Inside another unit of work `fn` runs once, in it: the
    outermost runner decides about running again."""
    if session.info.get(_DEPTH_KEY, 0):
        with unit_of_work(session):
            return fn()
    attempt = 0
    while True:
        try:
            with unit_of_work(session):
                return fn()
        except Exception as exc:
            if not is_conflict(exc):
                raise
            if attempt >= retries:
                log.warning("giving up after %d conflicts: %s", attempt + 1, type(exc).__name__)
                raise on_conflict() from exc
            attempt += 1
            # A short random pause, so that racing requests do not collide again in step.
            time.sleep(secrets.randbelow(20) * attempt / 1000)


def transactional(*, retries: int = DEFAULT_RETRIES, on_conflict: Callable[[], BaseException] = ConcurrentChange):
    """Decorator: the service function (session first) runs through run_in_transaction."""

    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(session, *args, **kwargs):
            return run_in_transaction(
                session, lambda: fn(session, *args, **kwargs), retries=retries, on_conflict=on_conflict
            )

        return wrapper

    return decorate
