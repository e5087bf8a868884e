"""services.transaction without HTTP: the unit of work commits, or rolls back and re-raises;
a lost race runs the operation again, a bounded number of times; callbacks wait for the
commit. (The races themselves, over HTTP: tests/test_concurrency.py.)"""

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from app import SQLITE_BUSY_TIMEOUT_MS
from app.extensions import db
from app.models.audit import AuditLog
from app.services import audit, transaction
from app.services.transaction import ConcurrentChange, is_conflict, run_in_transaction, unit_of_work


def _events(name):
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.event == name))


def _stale():
    return StaleDataError("UPDATE statement on table 'usulan' expected to update 1 row(s); 0 were matched.")


class _PgError(Exception):
    def __init__(self, pgcode):
        super().__init__(f"pg {pgcode}")
        self.pgcode = pgcode


def test_a_unit_of_work_commits_what_it_wrote(app):
    with unit_of_work(db.session):
        audit.record(db.session, "test.committed")
    assert _events("test.committed") == 1


def test_an_error_rolls_everything_back_and_reaches_the_caller(app):
    with pytest.raises(ValueError, match="refused"):
        with unit_of_work(db.session):
            audit.record(db.session, "test.rolled_back")
            db.session.flush()
            raise ValueError("refused")
    assert _events("test.rolled_back") == 0


def test_a_nested_unit_joins_the_outer_one_and_fails_with_it(app):
    with pytest.raises(ValueError):
        with unit_of_work(db.session):
            with unit_of_work(db.session):
                audit.record(db.session, "test.inner")
            raise ValueError("outer fails after the inner unit ended")
    assert _events("test.inner") == 0


def test_a_lost_race_runs_the_operation_again_on_a_clean_session(app):
    calls = []

    def operation():
        calls.append(1)
        audit.record(db.session, "test.retried")
        if len(calls) < 3:
            raise _stale()
        return "done"

    assert run_in_transaction(db.session, operation, retries=3) == "done"
    assert len(calls) == 3
    # The writes of the lost runs were rolled back: one event, from the run that committed.
    assert _events("test.retried") == 1


def test_races_beyond_the_retries_are_refused_with_the_message_and_nothing_saved(app):
    calls = []

    def operation():
        calls.append(1)
        audit.record(db.session, "test.given_up")
        raise _stale()

    with pytest.raises(ConcurrentChange) as refused:
        run_in_transaction(db.session, operation, retries=2)
    assert len(calls) == 3
    assert "Muat ulang halaman" in str(refused.value)  # the users' language (BABEL_DEFAULT_LOCALE)
    assert _events("test.given_up") == 0


def test_the_refusal_can_be_the_services_own_error(app):
    class Mine(ConcurrentChange):
        pass

    with pytest.raises(Mine):
        run_in_transaction(db.session, lambda: (_ for _ in ()).throw(_stale()), retries=0, on_conflict=Mine)


def test_a_refusal_of_the_operation_itself_is_not_run_again(app):
    calls = []

    def operation():
        calls.append(1)
        raise LookupError("already decided")

    with pytest.raises(LookupError):
        run_in_transaction(db.session, operation)
    assert calls == [1]


def test_after_commit_callbacks_run_once_after_the_commit_and_never_after_a_rollback(app):
    seen = []

    def operation():
        transaction.after_commit(db.session, lambda: seen.append(_events("test.callback")))
        audit.record(db.session, "test.callback")
        if not seen and len(attempts) < 2:
            attempts.append(1)
            raise _stale()

    attempts = []
    run_in_transaction(db.session, operation)
    # The first run's callback was dropped with its rollback; the second ran after its commit
    # (it already sees the committed row).
    assert seen == [1]


def test_a_failing_callback_is_logged_and_the_transaction_stands(app, caplog):
    def boom():
        raise RuntimeError("SMTP is down")

    with unit_of_work(db.session) as uow:
        audit.record(db.session, "test.stands")
        uow.after_commit(boom)
    assert _events("test.stands") == 1
    assert "after-commit callback" in caplog.text


def test_the_decorator_passes_the_session_and_arguments(app):
    @transaction.transactional(retries=1)
    def record(session, name):
        audit.record(session, name)
        return name

    assert record(db.session, "test.decorated") == "test.decorated"
    assert _events("test.decorated") == 1


@pytest.mark.parametrize(
    "error, conflict",
    [
        (_stale(), True),
        (OperationalError("UPDATE usulan", {}, Exception("database is locked")), True),
        (OperationalError("SELECT 1", {}, _PgError("40001")), True),  # serialization failure
        (OperationalError("UPDATE usulan", {}, _PgError("40P01")), True),  # deadlock
        (IntegrityError("INSERT", {}, _PgError("23505")), True),  # unique key taken meanwhile
        (IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed: usulan.pegawai_id")), True),
        (IntegrityError("INSERT", {}, _PgError("23503")), False),  # a foreign key: a real error
        (IntegrityError("INSERT", {}, Exception("FOREIGN KEY constraint failed")), False),
        (OperationalError("SELECT 1", {}, Exception("no such table: usulan")), False),
        (OperationalError("SELECT 1", {}, _PgError("08006")), False),  # the database is away: 503
        (ValueError("x"), False),
    ],
)
def test_which_errors_are_lost_races(error, conflict):
    assert is_conflict(error) is conflict


def test_sqlite_writers_wait_for_the_lock_instead_of_failing(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("a SQLite setting")
    assert db.session.execute(text("PRAGMA busy_timeout")).scalar() == SQLITE_BUSY_TIMEOUT_MS
