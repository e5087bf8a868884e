"""The data-quality report (issue 14): per instansi, how many official records break each
rule of `rules.CATALOGUE`, the findings behind each figure and their export, so BKD knows
what to clean (today's data was imported before the rules existed).

The findings are materialised like the monitoring figures (`services.monitoring`): `refresh`
checks every active official record with `rules.check_record`, a batch of records at a time
(one query for the Pegawai rows and one per history/family table per batch, never one per
person), replaces the findings of the records it checked, commits per batch, and at the end
of each instansi rebuilds that instansi's counts and its run row. A report read sums at most
one count row per instansi and rule; it never runs a rule.

Why not from `refresh-monitoring`: that command runs every few minutes and takes seconds; a
national check of 4.5 million records takes the better part of an hour (benchmarks/RESULTS.md)
and the official record changes only when a submission is applied or an import runs. So it is
its own command, `flask --app run pupns refresh-data-quality [--instansi KODE]`, run nightly
from cron (see the command's help).

While an instansi is being refreshed its figures are the previous run's; its drill-down
shows each record's newest findings (a batch replaces its records' findings at once).

Who sees it: Admin everything, Monitor his scope (national or one Kanreg, docs/roles.md),
Verifikator Instansi his own instansi (BKD cleans its own records). Nobody else.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Callable

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, false, func, insert, or_, select, text, true

from ..models import PEGAWAI_CHILD_MODELS, Instansi, Pegawai, UnitKerja, utcnow
from ..models.data_quality import DataQualityCount, DataQualityFinding, DataQualityRun
from ..roles import ROLE_ADMIN, ROLE_MONITOR, ROLE_VERIFIKATOR_INSTANSI
from . import audit, paging, rules
from .workflow import SECTION_LABELS, field_label
from .monitoring import csv_stream, xlsx_tempfile
from .rules.record import ROW_KEYS

# pg_advisory_xact_lock(key, instansi): batches of one instansi never interleave ("DQLT").
LOCK_KEY = 0x44514C54
PAGE_SIZE = 50
EXPORT_BATCH = 2000
F = DataQualityFinding
_SECTIONS = {model.__tablename__: model for model in PEGAWAI_CHILD_MODELS}
SEVERITY_LABELS = {rules.ERROR: _l("Error"), rules.WARNING: _l("Warning")}
EXPORT_HEADER = ("NIP", _l("Name"), _l("Work unit"), _l("Rule"), _l("Description"), _l("Section"), _l("Row"))
EXPORT_HEADER += (_l("Field"), _l("Severity"), _l("Checked on"))


# -- scope ---------------------------------------------------------------------------------
def instansi_scope(user):
    """Condition on `Instansi` for the instansi whose report `user` may read (ORed over his
    roles; fails closed): Admin all, Monitor national or his Kanreg, Verifikator Instansi
    his own instansi."""
    if user is None or not getattr(user, "is_authenticated", False):
        return false()
    clauses = []
    for role in (r.name for r in user.roles):
        if role == ROLE_ADMIN:
            return true()
        if role == ROLE_MONITOR:
            if user.kanreg_id is None:
                return true()
            clauses.append(Instansi.kanreg_id == user.kanreg_id)
        elif role == ROLE_VERIFIKATOR_INSTANSI and user.instansi_id:
            clauses.append(Instansi.id == user.instansi_id)
    return or_(*clauses) if clauses else false()


def visible_instansi(session, user, instansi_id: int) -> Instansi | None:
    """The instansi `instansi_id` if `user` may read its report, else None (a 404)."""
    return session.scalars(select(Instansi).where(Instansi.id == instansi_id, instansi_scope(user))).first()


# -- refresh -------------------------------------------------------------------------------
@dataclass
class RefreshResult:
    instansi: int = 0
    records: int = 0
    findings: int = 0
    seconds: float = 0.0


def _kept(model) -> list:
    """The columns of `model` that `rules.row_values` gives the rules (its keys, its order)."""
    return [c for c in model.__table__.columns if c.key not in ROW_KEYS]


_UTAMA_COLUMNS = _kept(Pegawai)
_SECTION_COLUMNS = {section: _kept(model) for section, model in _SECTIONS.items()}


def pegawai_batch(session, instansi_id: int, after_id: int, size: int) -> list[tuple[int, dict]]:
    """The next `size` active official records of one instansi after Pegawai id `after_id`
    (keyset on the id): (id, main data as `rules.row_values` gives it)."""
    names = [c.key for c in _UTAMA_COLUMNS]
    stmt = (
        select(Pegawai.id, *_UTAMA_COLUMNS)
        .where(
            Pegawai.instansi_id == instansi_id,
            Pegawai.status.in_(Pegawai.ACTIVE_STATUSES),
            Pegawai.id > after_id,
        )
        .order_by(Pegawai.id)
        .limit(size)
    )
    # Plain tuples zipped with the names: a Row mapping per row costs a fifth of the refresh.
    return [(row[0], dict(zip(names, row[1:], strict=True))) for row in session.execute(stmt)]


def records_of(session, batch: list[tuple[int, dict]]) -> list[tuple[int, rules.Record]]:
    """(Pegawai id, Record) for a batch from `pegawai_batch`: one query per history/family
    table for the whole batch; each section's rows in id order, as `rules.record_of` gives
    them for one record."""
    ids = [pegawai_id for pegawai_id, _ in batch]
    rows = {section: defaultdict(list) for section in _SECTIONS}
    for section, model in _SECTIONS.items():
        columns = _SECTION_COLUMNS[section]
        names = [c.key for c in columns]
        stmt = select(model.pegawai_id, *columns).where(model.pegawai_id.in_(ids)).order_by(model.pegawai_id, model.id)
        for row in session.execute(stmt):
            rows[section][row[0]].append(dict(zip(names, row[1:], strict=True)))
    return [
        (
            pegawai_id,
            rules.Record(utama=utama, rows={section: rows[section].get(pegawai_id, []) for section in _SECTIONS}),
        )
        for pegawai_id, utama in batch
    ]


def _lock(session, instansi_id: int) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:key, :instansi)"), {"key": LOCK_KEY, "instansi": instansi_id}
        )


def _check_batch(session, batch, instansi, paths, refs, today) -> int:
    """Check one batch, replace its records' findings, commit. Returns the findings written."""
    checked_at = utcnow()
    found = []
    for pegawai_id, record in records_of(session, batch):
        for finding in rules.check_record(record, refs, today=today):
            found.append(
                {
                    "pegawai_id": pegawai_id,
                    "instansi_id": instansi.id,
                    "kanreg_id": instansi.kanreg_id,
                    "unit_path": paths.get(record.utama.get("unit_kerja_id")),
                    "section": finding.section or rules.DATA_UTAMA,
                    "row": finding.row,
                    "code": finding.code,
                    "severity": finding.severity,
                    "field": finding.field or "",
                    "checked_at": checked_at,
                }
            )
    _lock(session, instansi.id)
    session.execute(delete(F).where(F.pegawai_id.in_([pegawai_id for pegawai_id, _ in batch])))
    if found:
        session.execute(insert(F), found)
    session.commit()
    return len(found)


def _finish(session, instansi, started: dt.datetime, records: int, seconds: float) -> None:
    """Drop the findings of records no longer in the instansi (moved, retired, deleted),
    rebuild its counts and its run row; commit."""
    _lock(session, instansi.id)
    session.execute(delete(F).where(F.instansi_id == instansi.id, F.checked_at < started))
    session.execute(delete(DataQualityCount).where(DataQualityCount.instansi_id == instansi.id))
    counted = (
        select(F.instansi_id, F.kanreg_id, F.code, F.severity, func.count(F.pegawai_id.distinct()))
        .where(F.instansi_id == instansi.id)
        .group_by(F.instansi_id, F.kanreg_id, F.code, F.severity)
    )
    session.execute(
        insert(DataQualityCount).from_select(["instansi_id", "kanreg_id", "code", "severity", "records"], counted)
    )

    def with_severity(severity):
        return select(func.count(F.pegawai_id.distinct())).where(F.instansi_id == instansi.id, F.severity == severity)

    session.execute(delete(DataQualityRun).where(DataQualityRun.instansi_id == instansi.id))
    session.add(
        DataQualityRun(
            instansi_id=instansi.id,
            kanreg_id=instansi.kanreg_id,
            checked_at=started,
            records=records,
            with_errors=session.scalar(with_severity(rules.ERROR)),
            with_warnings=session.scalar(with_severity(rules.WARNING)),
            seconds=seconds,
        )
    )
    session.commit()


def refresh_instansi(session, instansi, refs, *, batch_size=1000, progress=None, today=None) -> RefreshResult:
    """Check every active official record of one instansi (a row with id, kode, kanreg_id;
    see `refresh`)."""
    started_clock, started = time.perf_counter(), utcnow()
    paths = dict(
        session.execute(select(UnitKerja.id, UnitKerja.path).where(UnitKerja.instansi_id == instansi.id)).all()
    )
    result, last_id = RefreshResult(instansi=1), 0
    while True:
        batch = pegawai_batch(session, instansi.id, last_id, batch_size)
        if not batch:
            break
        result.findings += _check_batch(session, batch, instansi, paths, refs, today)
        result.records += len(batch)
        last_id = batch[-1][0]
        if progress is not None:
            progress(instansi, result.records)
    result.seconds = time.perf_counter() - started_clock
    _finish(session, instansi, started, result.records, result.seconds)
    return result


def refresh(
    session,
    instansi_id: int | None = None,
    batch_size: int = 1000,
    progress: Callable | None = None,
    today: dt.date | None = None,
) -> RefreshResult:
    """Check the active official records of one instansi (`instansi_id`) or of every
    instansi, replace their findings and rebuild their counts. Commits per batch; running it
    twice gives the same findings. Over every instansi it also drops the rows of instansi
    that no longer exist. `progress(instansi, records_done)` is called after each batch."""
    started = time.perf_counter()
    try:
        refs = rules.load_references(session)
        # Plain rows (id, kode, kanreg_id), not ORM objects: each batch commits, which would
        # expire an object and reload it on the next access.
        query = select(Instansi.id, Instansi.kode, Instansi.kanreg_id).order_by(Instansi.id)
        if instansi_id is not None:
            query = query.where(Instansi.id == instansi_id)
        total = RefreshResult()
        for instansi in session.execute(query).all():
            done = refresh_instansi(session, instansi, refs, batch_size=batch_size, progress=progress, today=today)
            total.instansi += 1
            total.records += done.records
            total.findings += done.findings
        if instansi_id is None:
            gone = ~F.instansi_id.in_(select(Instansi.id))
            session.execute(delete(F).where(gone))
            session.execute(delete(DataQualityCount).where(~DataQualityCount.instansi_id.in_(select(Instansi.id))))
            session.execute(delete(DataQualityRun).where(~DataQualityRun.instansi_id.in_(select(Instansi.id))))
            session.commit()
    except Exception:
        session.rollback()
        raise
    total.seconds = time.perf_counter() - started
    return total


# -- read models ---------------------------------------------------------------------------
@dataclass
class SummaryRow:
    """One instansi of the report: its last run and, per rule code, the records breaking it."""

    instansi_id: int
    kode: str
    nama: str
    records: int = 0
    with_errors: int = 0
    with_warnings: int = 0
    checked_at: dt.datetime | None = None
    counts: dict = field(default_factory=dict)


@dataclass
class Summary:
    rows: list
    codes: list  # the rule codes with at least one record in view, in catalogue order
    checked_at: dt.datetime | None  # the oldest run among the rows (the report is as old as that)
    totals: dict = field(default_factory=dict)


def summary(session, user) -> Summary:
    """Per instansi in `user`'s scope × rule: the records breaking it (from the counts of the
    last refresh), with the records checked, those with errors and with warnings."""
    scope = instansi_scope(user)
    rows = {}
    runs = session.execute(
        select(Instansi.id, Instansi.kode, Instansi.nama, DataQualityRun)
        .join(DataQualityRun, DataQualityRun.instansi_id == Instansi.id)
        .where(scope)
        .order_by(Instansi.nama, Instansi.id)
    )
    for instansi_id, kode, nama, run in runs:
        rows[instansi_id] = SummaryRow(
            instansi_id, kode, nama, run.records, run.with_errors, run.with_warnings, run.checked_at
        )
    counts = session.execute(
        select(DataQualityCount.instansi_id, DataQualityCount.code, DataQualityCount.records)
        .join(Instansi, Instansi.id == DataQualityCount.instansi_id)
        .where(scope)
    )
    totals = defaultdict(int)
    for instansi_id, code, records in counts:
        if instansi_id in rows:
            rows[instansi_id].counts[code] = rows[instansi_id].counts.get(code, 0) + records
            totals[code] += records
    codes = [code for code in rules.CATALOGUE if totals.get(code)]
    codes += sorted(code for code in totals if code not in rules.CATALOGUE)
    times = [r.checked_at for r in rows.values()]
    return Summary(list(rows.values()), codes, min(times) if times else None, dict(totals))


def refreshed_at(session, instansi_id: int) -> dt.datetime | None:
    """When the findings of one instansi were last computed, or None."""
    return session.scalar(select(DataQualityRun.checked_at).where(DataQualityRun.instansi_id == instansi_id))


def _findings_select(instansi_id: int, code: str | None):
    stmt = (
        select(
            Pegawai.nip,
            Pegawai.nama,
            UnitKerja.nama.label("unit"),
            F.code,
            F.section,
            F.row,
            F.field,
            F.severity,
            F.checked_at,
            F.pegawai_id,
            F.id,
        )
        .join(Pegawai, Pegawai.id == F.pegawai_id)
        .outerjoin(UnitKerja, UnitKerja.id == Pegawai.unit_kerja_id)
        .where(F.instansi_id == instansi_id)
    )
    return stmt.where(F.code == code) if code else stmt


def findings(session, user, instansi_id: int, code: str | None = None, *, page=1, after=None, before=None, size=None):
    """One page (services.paging: capped count, keyset next/previous) of the findings of one
    instansi, of one rule or all; None when the instansi is outside `user`'s scope."""
    if visible_instansi(session, user, instansi_id) is None:
        return None
    count = select(F.id).where(F.instansi_id == instansi_id, *([F.code == code] if code else []))
    return paging.paginate(
        session,
        _findings_select(instansi_id, code),
        keys=(F.pegawai_id, F.id),
        descending=False,
        key_of=lambda row: (row.pegawai_id, row.id),
        size=size or PAGE_SIZE,
        number=page,
        after=after,
        before=before,
        count_stmt=count,
    )


def describe(code: str) -> str:
    """The rule's description in the user's language ("" for a code no longer catalogued)."""
    known = rules.CATALOGUE.get(code)
    return str(known.description) if known else ""


def _export_rows(session, instansi_id: int, code: str | None):
    stmt = _findings_select(instansi_id, code).order_by(F.pegawai_id, F.id).execution_options(yield_per=EXPORT_BATCH)
    result = session.execute(stmt)
    try:
        for r in result:
            yield (
                r.nip,
                r.nama,
                r.unit,
                r.code,
                describe(r.code),
                str(SECTION_LABELS.get(r.section, r.section)),
                None if r.row is None else r.row + 1,
                str(field_label(r.field)),
                str(SEVERITY_LABELS.get(r.severity, r.severity)),
                r.checked_at,
            )
    finally:
        result.close()


def export_filename(instansi_id: int, code: str | None, fmt: str, today: dt.date) -> str:
    """e.g. pupns-kualitas-data-instansi-12-golongan.jump-20261208.csv"""
    return f"pupns-kualitas-data-instansi-{instansi_id}-{code or 'semua'}-{today:%Y%m%d}.{fmt}"


def export_csv(session, instansi_id: int, code: str | None = None):
    """The drill-down of one instansi as CSV text chunks (streamed while read). The caller
    has checked the scope (`visible_instansi`)."""
    return csv_stream([str(h) for h in EXPORT_HEADER], _export_rows(session, instansi_id, code))


def export_xlsx(session, instansi_id: int, code: str | None = None):
    """The drill-down of one instansi as XLSX in a temporary file positioned at 0."""
    return xlsx_tempfile([str(h) for h in EXPORT_HEADER], _export_rows(session, instansi_id, code), "Kualitas data")


def record_export(session, user, instansi: Instansi, code: str | None, fmt: str, filename: str) -> None:
    """Audit row of an export of the drill-down, committed before the file is sent."""
    try:
        audit.record(
            session, "export", actor=user, target=instansi, detail=f"kualitas-data {code or '-'} {fmt} -> {filename}"
        )
        session.commit()
    except Exception:
        session.rollback()
        raise
