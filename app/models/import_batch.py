"""Import batches of the "Impor Data" screen: one uploaded file and what importing it did.

The batch row is the job's state, written by services.import_jobs only: the screen polls it
for the progress bar and shows its report. The file itself lives under UPLOAD_DIR/imports
under a random name (`stored_name`); the user's own file name is only shown.
"""

import datetime as dt

from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import deferred, relationship

from .base import Model, utcnow


class ImportBatch(Model):
    __tablename__ = "import_batch"

    STATUS_QUEUED = "queued"
    STATUS_RUNNING = "running"
    STATUS_DONE = "done"
    STATUS_FAILED = "failed"
    STATUSES = (STATUS_QUEUED, STATUS_RUNNING, STATUS_DONE, STATUS_FAILED)
    # Data utama (one table, `importer.import_pegawai`) or a workbook of several sheets
    # (history and family too, `importer.import_workbook`).
    KIND_PEGAWAI = "pegawai"
    KIND_WORKBOOK = "workbook"

    id = Column(Integer, primary_key=True)
    instansi_id = Column(Integer, ForeignKey("instansi.id"), nullable=False)
    instansi = relationship("Instansi")
    uploaded_by_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"), nullable=True)
    uploaded_by = relationship("PupnsUser")
    original_name = Column(String(255), nullable=False)
    stored_name = Column(String(80), nullable=False, unique=True)
    kind = Column(String(20), nullable=False, default=KIND_PEGAWAI)
    status = Column(String(10), nullable=False, default=STATUS_QUEUED)
    total_rows = Column(Integer, nullable=False, default=0)
    processed_rows = Column(Integer, nullable=False, default=0)
    created_count = Column(Integer, nullable=False, default=0)
    updated_count = Column(Integer, nullable=False, default=0)
    unchanged_count = Column(Integer, nullable=False, default=0)
    rejected_count = Column(Integer, nullable=False, default=0)
    error_count = Column(Integer, nullable=False, default=0)
    # Every rejection as a JSON list of [sheet, row, column, reason]; deferred: the status
    # endpoint polled every second never loads it.
    error_report = deferred(Column(Text, nullable=True))
    # Why a failed batch failed, for the user (a file problem); None: the generic message.
    failure = Column(Text, nullable=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    started_at = Column(DateTime, nullable=True)
    finished_at = Column(DateTime, nullable=True)
    # Touched while the batch runs; a running batch whose heartbeat stopped was interrupted.
    heartbeat_at = Column(DateTime, nullable=True)

    __table_args__ = (Index("ix_import_batch_instansi_created", "instansi_id", "created_at"),)

    @property
    def finished(self) -> bool:
        return self.status in (self.STATUS_DONE, self.STATUS_FAILED)

    def is_interrupted(self, stale_after: dt.timedelta, now: dt.datetime | None = None) -> bool:
        """Queued or running, but nothing has moved for `stale_after`: the process that ran
        it is gone (restart, crash), and the batch will never finish by itself."""
        if self.finished:
            return False
        last = self.heartbeat_at or self.started_at or self.created_at
        return last is not None and (now or utcnow()) - last > stale_after

    @property
    def percent(self) -> int:
        if self.status == self.STATUS_DONE:
            return 100
        if not self.total_rows:
            return 0
        return min(100, self.processed_rows * 100 // self.total_rows)
