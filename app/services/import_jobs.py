"""Imports from the "Impor Data" screen: an uploaded file becomes an `ImportBatch` that a
background thread of the web process imports while the screen shows its progress.

- `submit(session, user, upload)` checks the upload (size, extension, and the importer's own
  file checks: a PNG renamed .xlsx is refused with the importer's message), stores it under
  UPLOAD_DIR/imports with a random name, records the batch and starts `run` in a daemon
  thread (or in the request itself with IMPORT_RUN_INLINE, as the tests do).
- `run(batch_id)` imports with its own app context and session. The batch row is written only
  in short transactions of their own (claim, progress, finish), never in the importer's:
  the importer commits its rows batch by batch as the CLI does, and nothing of ours can
  commit or roll back its work. Progress and heartbeat are written at most every
  IMPORT_PROGRESS_SECONDS; an exception marks the batch failed (generic message, traceback
  in the log) — a batch is never left "running" by an error. A batch whose heartbeat is
  older than IMPORT_STALE_SECONDS (the process died) is shown as interrupted; importing the
  file again is safe, the import is idempotent.
- Scope: every row must belong to the batch's instansi (the Verifikator Instansi's own; Admin
  chooses one): the importer's `instansi_id` restriction rejects a row naming another
  instansi_kode, or the NIP of a PNS of another instansi.
"""

import datetime as dt
import json
import logging
import os
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path, PurePath

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, joinedload

from ..extensions import db
from ..models import ImportBatch, Instansi, utcnow
from ..roles import ROLE_ADMIN
from . import importer, monitoring, scope
from .documents import clean_name
from .transaction import unit_of_work

log = logging.getLogger(__name__)

EXTENSIONS = (".csv", ".xlsx")
SUBDIR = "imports"
# How often a running import shows it is alive (well below IMPORT_STALE_SECONDS).
HEARTBEAT_SECONDS = 15
REPORT_HEADER = ("sheet", "baris", "kolom", "alasan")
GENERIC_FAILURE = _l(
    "The import stopped because of a problem on the server. Rows saved before it stay saved; "
    "upload the file again to finish (rows already imported stay unchanged)."
)


class ImportRefused(ValueError):
    """The upload cannot be imported; `message` says why, for the user. Nothing was stored."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


# --------------------------------------------------------------------------- who sees what


def chooses_instansi(user) -> bool:
    """Admin imports for any instansi (he picks one); everyone else for his own only."""
    return any(r.name == ROLE_ADMIN for r in getattr(user, "roles", ()))


def visible_clause(user):
    """The batches `user` may see: his own instansi's (all of them for Admin)."""
    return scope.master_data_clause(user, ImportBatch.instansi_id)


def get_visible(session, user, batch_id: int) -> ImportBatch | None:
    """The batch if `user` may see it, else None (the views answer 404 either way)."""
    return session.scalar(select(ImportBatch).where(ImportBatch.id == batch_id, visible_clause(user)))


def list_visible(session, user, limit: int = 50) -> list[ImportBatch]:
    """The newest batches `user` may see."""
    query = (
        select(ImportBatch)
        .options(joinedload(ImportBatch.instansi))
        .where(visible_clause(user))
        .order_by(ImportBatch.created_at.desc(), ImportBatch.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def stale_after() -> dt.timedelta:
    return dt.timedelta(seconds=current_app.config["IMPORT_STALE_SECONDS"])


def state_of(batch: ImportBatch, now: dt.datetime | None = None) -> str:
    """The batch's status as the screen shows it: its status, or "interrupted"."""
    return "interrupted" if batch.is_interrupted(stale_after(), now) else batch.status


# --------------------------------------------------------------------------- upload


def import_dir() -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / SUBDIR


def path_of(stored_name: str) -> Path:
    return import_dir() / stored_name


def _target_instansi(session, user, instansi_id) -> Instansi:
    if chooses_instansi(user):
        instansi = session.get(Instansi, instansi_id) if instansi_id else None
        if instansi is None:
            raise ImportRefused(_l("Choose the instansi the file is for."))
        return instansi
    if user.instansi_id is None:
        raise ImportRefused(_l("Your account belongs to no instansi, so it cannot import."))
    return user.instansi


def _store(data: bytes, suffix: str) -> str:
    """Write the upload under a random name (never the user's) in one atomic step."""
    folder = import_dir()
    folder.mkdir(parents=True, exist_ok=True)
    stored_name = uuid.uuid4().hex + suffix
    fd, temporary = tempfile.mkstemp(dir=folder, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, folder / stored_name)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return stored_name


def _for_user(message, stored_name: str, original_name: str) -> str:
    """The importer names the file it read: the user knows it by his own name."""
    return str(message).replace(stored_name, original_name)


def submit(session, user, upload, *, instansi_id=None) -> ImportBatch:
    """Check and store an uploaded import file, record its batch and start importing it.

    Raises ImportRefused (too large, empty, not .csv/.xlsx, not really CSV/XLSX, a missing
    header column, no instansi) and then has stored nothing. Returns the batch, committed;
    with IMPORT_RUN_INLINE it has already run."""
    instansi = _target_instansi(session, user, instansi_id)
    original_name = clean_name(getattr(upload, "filename", None))
    suffix = PurePath(original_name).suffix.lower()
    if suffix not in EXTENSIONS:
        raise ImportRefused(_l("Upload a .csv (UTF-8) or .xlsx file."))
    limit = current_app.config["IMPORT_MAX_BYTES"]
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ImportRefused(_l("The file is larger than %(size)d MB.", size=limit // (1024 * 1024)))
    if not data:
        raise ImportRefused(_l("The file is empty."))
    try:
        stored_name = _store(data, suffix)
    except OSError as exc:
        log.error("Import upload could not be written: %s (errno %s)", exc.strerror, exc.errno)
        raise ImportRefused(_l("The file could not be stored on the server; please try again later.")) from exc
    try:
        kind, total = _check_file(path_of(stored_name))
        if total == 0:
            raise ImportRefused(_l("The file has a header row but no data rows."))
        with unit_of_work(session):
            batch = ImportBatch(
                instansi_id=instansi.id,
                uploaded_by_id=user.id,
                original_name=original_name,
                stored_name=stored_name,
                kind=kind,
                status=ImportBatch.STATUS_QUEUED,
                total_rows=total,
            )
            session.add(batch)
    except importer.ImportFileError as exc:
        path_of(stored_name).unlink(missing_ok=True)
        raise ImportRefused(_for_user(exc, stored_name, original_name)) from exc
    except BaseException:
        path_of(stored_name).unlink(missing_ok=True)
        raise
    start(batch.id)
    return batch


def _check_file(path: Path) -> tuple[str, int]:
    """(kind, rows) of an import file, through the importer's own checks (ImportFileError):
    an XLSX is a workbook (data utama and/or history and family sheets), a CSV data utama."""
    if path.suffix == ".xlsx":
        return ImportBatch.KIND_WORKBOOK, importer.read_workbook(path).total
    return ImportBatch.KIND_PEGAWAI, importer.read_rows(path).total


def start(batch_id: int) -> None:
    """Import the batch in a daemon thread of this process (its own app context and
    session), or at once with IMPORT_RUN_INLINE."""
    app = current_app._get_current_object()
    if app.config.get("IMPORT_RUN_INLINE"):
        run(batch_id, app=app)
        return
    thread = threading.Thread(target=run, args=(batch_id,), kwargs={"app": app}, name=f"import-{batch_id}")
    thread.daemon = True
    thread.start()


# --------------------------------------------------------------------------- running


@dataclass(frozen=True)
class _Job:
    id: int
    instansi_id: int
    instansi_kode: str
    stored_name: str
    original_name: str
    kind: str


def _short_session(engine=None) -> Session:
    """A session of its own for the batch row: its commits are never the importer's."""
    return Session(bind=engine or db.engine, expire_on_commit=False)


def _write(batch_id: int, engine=None, **values) -> None:
    with _short_session(engine) as session, session.begin():
        session.execute(update(ImportBatch).where(ImportBatch.id == batch_id).values(**values))


def _claim(batch_id: int) -> _Job | None:
    """Mark the batch running, unless it is done or running alive elsewhere. The update is
    conditional on what was read, so two runners never both claim it."""
    with _short_session() as session, session.begin():
        batch = session.get(ImportBatch, batch_id)
        if batch is None or batch.status == ImportBatch.STATUS_DONE:
            return None
        if batch.status == ImportBatch.STATUS_RUNNING and not batch.is_interrupted(stale_after()):
            return None
        seen = (
            ImportBatch.heartbeat_at.is_(None)
            if batch.heartbeat_at is None
            else (ImportBatch.heartbeat_at == batch.heartbeat_at)
        )
        now = utcnow()
        claimed = session.execute(
            update(ImportBatch)
            .where(ImportBatch.id == batch_id, ImportBatch.status == batch.status, seen)
            .values(
                status=ImportBatch.STATUS_RUNNING,
                started_at=now,
                heartbeat_at=now,
                finished_at=None,
                processed_rows=0,
                failure=None,
            )
        )
        if claimed.rowcount != 1:
            return None
        kode = session.scalar(select(Instansi.kode).where(Instansi.id == batch.instansi_id))
        return _Job(batch.id, batch.instansi_id, kode, batch.stored_name, batch.original_name, batch.kind)


class _Progress:
    """Rows done so far; written with the heartbeat at most every `interval` seconds."""

    def __init__(self, batch_id: int, interval: float):
        self.batch_id, self.interval = batch_id, interval
        self.done = 0
        self.last = float("-inf")  # the importer's first report is always shown

    def advance(self, rows: int) -> None:
        """The importer's progress callback (every 500 rows or so)."""
        self.done += rows
        self.beat()

    def beat(self) -> None:
        now = time.monotonic()
        if now - self.last < self.interval:
            return
        self.last = now
        try:
            _write(self.batch_id, processed_rows=self.done, heartbeat_at=utcnow())
        except SQLAlchemyError:  # a missed heartbeat is no reason to stop the import
            log.warning("progress of import batch %s not written", self.batch_id, exc_info=True)


class _Heartbeat:
    """Touches the batch's heartbeat every HEARTBEAT_SECONDS from a thread of its own while
    the import runs, however long the importer goes without reporting progress (it saves a
    workbook's sections in one go). It dies with the process, which is the point: a stopped
    heartbeat means the import is no longer running anywhere."""

    def __init__(self, batch_id: int):
        self.batch_id = batch_id
        self.engine = db.engine
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._beat, name=f"import-{batch_id}-heartbeat", daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.stopped.set()
        self.thread.join(timeout=HEARTBEAT_SECONDS)

    def _beat(self):
        while not self.stopped.wait(HEARTBEAT_SECONDS):
            try:
                _write(self.batch_id, self.engine, heartbeat_at=utcnow())
            except SQLAlchemyError:
                log.warning("heartbeat of import batch %s not written", self.batch_id, exc_info=True)


def _import(session, job: _Job, progress: _Progress):
    """The importer's own instansi restriction rejects every row of another instansi (or of
    a PNS of another instansi: an import never moves him)."""
    path = path_of(job.stored_name)
    if job.kind == ImportBatch.KIND_WORKBOOK:
        return importer.import_workbook(session, path, instansi_id=job.instansi_id, progress=progress.advance)
    rows = importer.read_rows(path)
    return importer.import_pegawai(session, rows, progress=progress.advance, instansi_id=job.instansi_id)


def _error_rows(report) -> list[list]:
    return [[getattr(e, "sheet", "") or "", e.row_number, e.field, str(e.reason)] for e in report.errors]


def run(batch_id: int, app=None) -> bool:
    """Import one batch (the thread's target; also `pupns run-import`). Returns True when it
    ran to the end, False when it was not runnable (done, or running alive) or failed.

    Never raises for a failed import: the batch is marked failed, the traceback logged."""
    app = app or current_app._get_current_object()
    with app.app_context():
        try:
            return _run(batch_id)
        finally:
            db.session.remove()


def _run(batch_id: int) -> bool:
    job = _claim(batch_id)
    if job is None:
        return False
    progress = _Progress(job.id, current_app.config["IMPORT_PROGRESS_SECONDS"])
    try:
        with _Heartbeat(job.id):
            report = _import(db.session, job, progress)
    except importer.ImportFileError as exc:
        db.session.rollback()
        _fail(job, _for_user(exc, job.stored_name, job.original_name))
        return False
    except Exception:
        db.session.rollback()
        log.exception("import batch %s failed", job.id)
        _fail(job, None)
        return False
    except BaseException:  # the thread or the CLI is being stopped: not "running" for ever
        db.session.rollback()
        _fail(job, None)
        raise
    now = utcnow()
    errors = _error_rows(report)
    _write(
        job.id,
        status=ImportBatch.STATUS_DONE,
        processed_rows=max(progress.done, report.total),
        created_count=report.created,
        updated_count=report.updated,
        unchanged_count=report.unchanged,
        rejected_count=report.rejected,
        error_count=len(errors),
        error_report=json.dumps(errors, ensure_ascii=False),
        finished_at=now,
        heartbeat_at=now,
    )
    # The rows are in the database and the rejections in the report: the file, full of
    # personal data, is not kept.
    path_of(job.stored_name).unlink(missing_ok=True)
    return True


def _fail(job: _Job, message) -> None:
    now = utcnow()
    try:
        _write(job.id, status=ImportBatch.STATUS_FAILED, failure=message, finished_at=now, heartbeat_at=now)
    except SQLAlchemyError:  # the database is away: the stopped heartbeat tells it instead
        log.exception("import batch %s could not be marked failed", job.id)


# --------------------------------------------------------------------------- the report


def report_rows(batch: ImportBatch, limit: int | None = None) -> list[list]:
    """[sheet, row, column, reason] of every rejection (the first `limit` of them)."""
    rows = json.loads(batch.error_report) if batch.error_report else []
    return rows if limit is None else rows[:limit]


def report_csv(batch: ImportBatch):
    """The error report as CSV text chunks (UTF-8 with BOM, safe against formulas)."""
    return monitoring.csv_stream(REPORT_HEADER, report_rows(batch))


def report_xlsx(batch: ImportBatch):
    """The error report as an XLSX in a temporary file positioned at 0 (close it after)."""
    return monitoring.xlsx_tempfile(REPORT_HEADER, report_rows(batch), "kesalahan")


def report_filename(batch: ImportBatch, fmt: str) -> str:
    return f"laporan-impor-{batch.id}.{fmt}"
