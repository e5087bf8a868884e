"""The refresh: one transaction of set-based INSERT … SELECT … GROUP BY that rebuilds the
monitoring tables (RekapUnit, RekapAntrian, RekapRefresh) under a PostgreSQL advisory lock,
so the dashboard never counts Pegawai rows per request."""

from __future__ import annotations

import datetime as dt
import time

from sqlalchemy import case, delete, func, insert, or_, select, text

from ...models import Instansi, UnitKerja, utcnow
from ...models import monitoring as m
from ...models.monitoring import RekapAntrian, RekapRefresh, RekapUnit
from ...models.submission import Usulan, UsulanEvent
from .stages import COUNT_COLUMNS, LEVELS, stage_select

# pg_try_advisory_xact_lock key of the refresh ("PUPN" in ASCII): two refreshes never overlap.
REFRESH_LOCK_KEY = 0x5055504E


def _unit_counts_select():
    """The rows of RekapUnit: counts per (instansi, unit), with Kanreg and unit path."""
    stage = stage_select().subquery("stage")
    grouped = (
        select(
            stage.c.instansi_id,
            stage.c.unit_kerja_id,
            func.count().label("jumlah_pns"),
            func.sum(stage.c.live).label("terdaftar"),
            func.sum(stage.c.approved).label("disetujui"),
            *[func.sum(case((stage.c.tahap == t, 1), else_=0)).label(t) for t in m.TAHAP],
        )
        .group_by(stage.c.instansi_id, stage.c.unit_kerja_id)
        .subquery("grouped")
    )
    return (
        select(
            Instansi.kanreg_id,
            grouped.c.instansi_id,
            grouped.c.unit_kerja_id,
            UnitKerja.path,
            *[grouped.c[name] for name in COUNT_COLUMNS],
        )
        .join(Instansi, Instansi.id == grouped.c.instansi_id)
        .outerjoin(UnitKerja, UnitKerja.id == grouped.c.unit_kerja_id)
    )


def _queue_select():
    """The rows of RekapAntrian: per verification queue the number waiting, the oldest and
    the (lower) median arrival time. A submission arrived at its level with its latest event."""
    waiting = (
        select(
            Usulan.status,
            Usulan.instansi_id,
            Usulan.unit_kerja_id,
            func.coalesce(func.max(UsulanEvent.created_at), Usulan.submitted_at, Usulan.updated_at).label("since"),
        )
        .outerjoin(UsulanEvent, UsulanEvent.usulan_id == Usulan.id)
        .where(Usulan.status.in_(LEVELS))
        .group_by(
            Usulan.id, Usulan.status, Usulan.instansi_id, Usulan.unit_kerja_id, Usulan.submitted_at, Usulan.updated_at
        )
        .subquery("waiting")
    )
    # The queue: per unit at SKPD level, per instansi at Instansi level, per Kanreg at BKN level.
    keyed = (
        select(
            waiting.c.status.label("level"),
            Instansi.kanreg_id.label("kanreg_id"),
            case((waiting.c.status != Usulan.DI_BKN, waiting.c.instansi_id)).label("instansi_id"),
            case((waiting.c.status == Usulan.DI_SKPD, waiting.c.unit_kerja_id)).label("unit_kerja_id"),
            waiting.c.since,
        )
        .join(Instansi, Instansi.id == waiting.c.instansi_id)
        .subquery("keyed")
    )
    queue = (keyed.c.level, keyed.c.kanreg_id, keyed.c.instansi_id, keyed.c.unit_kerja_id)
    ranked = select(
        keyed,
        func.row_number().over(partition_by=queue, order_by=keyed.c.since).label("rn"),
        func.count().over(partition_by=queue).label("n"),
    ).subquery("ranked")
    # Lower median without division: the row numbered n/2 (n even) or (n+1)/2 (n odd).
    median = case((or_(ranked.c.rn * 2 == ranked.c.n, ranked.c.rn * 2 == ranked.c.n + 1), ranked.c.since))
    return (
        select(
            ranked.c.level,
            ranked.c.kanreg_id,
            ranked.c.instansi_id,
            ranked.c.unit_kerja_id,
            UnitKerja.path,
            func.count(),
            func.min(ranked.c.since),
            func.max(median),
        )
        .outerjoin(UnitKerja, UnitKerja.id == ranked.c.unit_kerja_id)
        .group_by(ranked.c.level, ranked.c.kanreg_id, ranked.c.instansi_id, ranked.c.unit_kerja_id, UnitKerja.path)
    )


def refresh(session) -> bool:
    """Rebuild the monitoring tables in one transaction and commit. Returns False (changing
    nothing) when another refresh holds the PostgreSQL advisory lock; readers keep seeing
    the previous figures until the commit."""
    started = time.perf_counter()
    try:
        if session.get_bind().dialect.name == "postgresql":
            if not session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": REFRESH_LOCK_KEY}):
                session.rollback()
                return False
        session.execute(delete(RekapUnit))
        session.execute(
            insert(RekapUnit).from_select(
                ["kanreg_id", "instansi_id", "unit_kerja_id", "unit_path", *COUNT_COLUMNS], _unit_counts_select()
            )
        )
        session.execute(delete(RekapAntrian))
        session.execute(
            insert(RekapAntrian).from_select(
                [
                    "level",
                    "kanreg_id",
                    "instansi_id",
                    "unit_kerja_id",
                    "unit_path",
                    "jumlah",
                    "oldest_since",
                    "median_since",
                ],
                _queue_select(),
            )
        )
        session.execute(delete(RekapRefresh))
        session.add(RekapRefresh(id=1, refreshed_at=utcnow(), seconds=time.perf_counter() - started))
        session.commit()
    except Exception:
        session.rollback()
        raise
    return True


def refreshed_at(session) -> dt.datetime | None:
    """When the figures were last rebuilt (UTC), or None if never."""
    return session.scalar(select(RekapRefresh.refreshed_at).where(RekapRefresh.id == 1))


def last_refresh_seconds(session) -> float:
    """How long the last refresh took."""
    return session.scalar(select(RekapRefresh.seconds).where(RekapRefresh.id == 1)) or 0.0


def ensure_fresh(session, *, on_read: bool, max_age: int) -> dt.datetime | None:
    """The time of the figures a page will show; with `on_read`, rebuilt first when they are
    missing or older than `max_age` seconds (another refresh running: the current ones)."""
    at = refreshed_at(session)
    if on_read and (at is None or utcnow() - at > dt.timedelta(seconds=max_age)):
        refresh(session)
        at = refreshed_at(session)
    return at
