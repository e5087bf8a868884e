"""Monitoring (DESIGN.md §3): progress of the re-registration per Kanreg → instansi → unit,
the lists behind the figures, the verifiers' queues and the exports.

Figures come from the materialised tables of `models.monitoring`, rebuilt by `refresh()` —
one transaction of set-based INSERT … SELECT … GROUP BY, run by
`flask --app run pupns refresh-monitoring` (cron, every few minutes) and, when
MONITORING_REFRESH_ON_READ is set, by a dashboard read finding them older than
MONITORING_MAX_AGE seconds. A dashboard read sums at most the unit rows of its area and never
touches the 4.5 million Pegawai rows. Lists and exports read the live records, page by page
or streamed.

Every active PNS (status CPNS or PNS) is in exactly one stage ("tahap"), by this precedence:
  di_skpd / di_instansi / di_bkn  an open submission waiting at that level;
  selesai        a finished (verified and applied) submission;
  dikembalikan   an open draft that had been sent and was returned (Usulan.submitted_at is
                 kept when a submission goes back to draft);
  belum_kirim    an approved registration and nothing sent;
  menunggu       a registration waiting for approval;
  belum_daftar   no live registration.
"sudah kirim" is di_skpd + di_instansi + di_bkn + selesai; completion is selesai / jumlah PNS.
The refresh computes the stage with joins on pre-aggregated rows (fast over every PNS), the
lists with EXISTS conditions (fast for one page); `tahap_clause` and `_stage_select` must
agree, which tests/test_monitoring.py checks.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import tempfile
import time
from dataclasses import dataclass, field, fields

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, delete, exists, false, func, insert, or_, select, text, true
from sqlalchemy.orm import aliased

from ..models import Golongan, Instansi, Kanreg, Pegawai, TingkatPendidikan, UnitKerja, utcnow
from ..models import monitoring as m
from ..models.monitoring import RekapAntrian, RekapRefresh, RekapUnit
from ..models.registration import Registrasi
from ..models.submission import Usulan, UsulanEvent
from ..roles import (
    ROLE_ADMIN,
    ROLE_MONITOR,
    ROLE_VERIFIKATOR_BKN,
    ROLE_VERIFIKATOR_INSTANSI,
    ROLE_VERIFIKATOR_SKPD,
)
from ..models import User
from . import audit, scope

# pg_try_advisory_xact_lock key of the refresh ("PUPN" in ASCII): two refreshes never overlap.
REFRESH_LOCK_KEY = 0x5055504E
TAHAP_LABELS = {
    m.TAHAP_BELUM_DAFTAR: _l("Not registered"),
    m.TAHAP_MENUNGGU: _l("Registration awaiting approval"),
    m.TAHAP_BELUM_KIRIM: _l("Not sent yet"),
    m.TAHAP_DIKEMBALIKAN: _l("Returned"),
    # The verification stages are the submission's own statuses, labelled once there.
    m.TAHAP_DI_SKPD: Usulan.STATUS_LABELS[Usulan.DI_SKPD],
    m.TAHAP_DI_INSTANSI: Usulan.STATUS_LABELS[Usulan.DI_INSTANSI],
    m.TAHAP_DI_BKN: Usulan.STATUS_LABELS[Usulan.DI_BKN],
    m.TAHAP_SELESAI: Usulan.STATUS_LABELS[Usulan.SELESAI],
}
LEVELS = (Usulan.DI_SKPD, Usulan.DI_INSTANSI, Usulan.DI_BKN)


# ============================================================================================
# Refresh
# ============================================================================================
def _stage_select():
    """One row per active PNS: instansi, unit, live registration (0/1), approved (0/1), tahap."""
    reg = (
        select(Registrasi.pegawai_id.label("pegawai_id"),
               func.max(case((Registrasi.status == Registrasi.STATUS_DISETUJUI, 1), else_=0)).label("approved"))
        .where(Registrasi.status.in_(Registrasi.LIVE_STATUSES))
        .group_by(Registrasi.pegawai_id)
        .subquery("reg")
    )
    progress = (
        select(
            Usulan.pegawai_id.label("pegawai_id"),
            # At most one open submission per Pegawai (partial unique index): max() picks it.
            func.max(case((Usulan.status.in_(LEVELS), Usulan.status))).label("level"),
            func.max(case((Usulan.status == Usulan.SELESAI, 1), else_=0)).label("done"),
            func.max(case((and_(Usulan.status == Usulan.DRAFT, Usulan.submitted_at.is_not(None)), 1),
                          else_=0)).label("returned"),
        )
        .group_by(Usulan.pegawai_id)
        .subquery("progress")
    )
    tahap = case(
        (progress.c.level.is_not(None), progress.c.level),
        (progress.c.done == 1, m.TAHAP_SELESAI),
        (progress.c.returned == 1, m.TAHAP_DIKEMBALIKAN),
        (reg.c.approved == 1, m.TAHAP_BELUM_KIRIM),
        (reg.c.pegawai_id.is_not(None), m.TAHAP_MENUNGGU),
        else_=m.TAHAP_BELUM_DAFTAR,
    )
    return (
        select(
            Pegawai.instansi_id, Pegawai.unit_kerja_id,
            case((reg.c.pegawai_id.is_not(None), 1), else_=0).label("live"),
            func.coalesce(reg.c.approved, 0).label("approved"),
            tahap.label("tahap"),
        )
        .outerjoin(reg, reg.c.pegawai_id == Pegawai.id)
        .outerjoin(progress, progress.c.pegawai_id == Pegawai.id)
        .where(Pegawai.status.in_(Pegawai.ACTIVE_STATUSES))
    )


COUNT_COLUMNS = ("jumlah_pns", "terdaftar", "disetujui", *m.TAHAP)


def _unit_counts_select():
    """The rows of RekapUnit: counts per (instansi, unit), with Kanreg and unit path."""
    stage = _stage_select().subquery("stage")
    grouped = (
        select(
            stage.c.instansi_id, stage.c.unit_kerja_id,
            func.count().label("jumlah_pns"),
            func.sum(stage.c.live).label("terdaftar"),
            func.sum(stage.c.approved).label("disetujui"),
            *[func.sum(case((stage.c.tahap == t, 1), else_=0)).label(t) for t in m.TAHAP],
        )
        .group_by(stage.c.instansi_id, stage.c.unit_kerja_id)
        .subquery("grouped")
    )
    return (
        select(Instansi.kanreg_id, grouped.c.instansi_id, grouped.c.unit_kerja_id, UnitKerja.path,
               *[grouped.c[name] for name in COUNT_COLUMNS])
        .join(Instansi, Instansi.id == grouped.c.instansi_id)
        .outerjoin(UnitKerja, UnitKerja.id == grouped.c.unit_kerja_id)
    )


def _queue_select():
    """The rows of RekapAntrian: per verification queue the number waiting, the oldest and
    the (lower) median arrival time. A submission arrived at its level with its latest event."""
    waiting = (
        select(
            Usulan.status, Usulan.instansi_id, Usulan.unit_kerja_id,
            func.coalesce(func.max(UsulanEvent.created_at), Usulan.submitted_at, Usulan.updated_at).label("since"),
        )
        .outerjoin(UsulanEvent, UsulanEvent.usulan_id == Usulan.id)
        .where(Usulan.status.in_(LEVELS))
        .group_by(Usulan.id, Usulan.status, Usulan.instansi_id, Usulan.unit_kerja_id,
                  Usulan.submitted_at, Usulan.updated_at)
        .subquery("waiting")
    )
    # The queue: per unit at SKPD level, per instansi at Instansi level, per Kanreg at BKN level.
    keyed = (
        select(
            waiting.c.status.label("level"), Instansi.kanreg_id.label("kanreg_id"),
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
        select(ranked.c.level, ranked.c.kanreg_id, ranked.c.instansi_id, ranked.c.unit_kerja_id,
               UnitKerja.path, func.count(), func.min(ranked.c.since), func.max(median))
        .outerjoin(UnitKerja, UnitKerja.id == ranked.c.unit_kerja_id)
        .group_by(ranked.c.level, ranked.c.kanreg_id, ranked.c.instansi_id, ranked.c.unit_kerja_id,
                  UnitKerja.path)
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
        session.execute(insert(RekapUnit).from_select(
            ["kanreg_id", "instansi_id", "unit_kerja_id", "unit_path", *COUNT_COLUMNS],
            _unit_counts_select()))
        session.execute(delete(RekapAntrian))
        session.execute(insert(RekapAntrian).from_select(
            ["level", "kanreg_id", "instansi_id", "unit_kerja_id", "unit_path", "jumlah",
             "oldest_since", "median_since"],
            _queue_select()))
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


# ============================================================================================
# Areas: Indonesia → Kanreg → instansi → unit, and who may watch which
# ============================================================================================
NASIONAL, KANREG, INSTANSI, UNIT = "nasional", "kanreg", "instansi", "unit"
_RANK = {NASIONAL: 0, KANREG: 1, INSTANSI: 2, UNIT: 3}


@dataclass
class Node:
    """One place of the drill-down. `kanreg_id` / `instansi_id` are those it lies in."""

    level: str
    id: int | None = None
    nama: str = ""
    kanreg_id: int | None = None
    instansi_id: int | None = None
    path: str | None = None  # units only

    @property
    def args(self) -> dict:
        """Query-string arguments that name this node (none for Indonesia)."""
        return {} if self.level == NASIONAL else {self.level: self.id}

    @property
    def slug(self) -> str:
        return "indonesia" if self.level == NASIONAL else f"{self.level}-{self.id}"


def national_node() -> Node:
    return Node(NASIONAL, None, "Indonesia")


def _kanreg_node(k: Kanreg) -> Node:
    return Node(KANREG, k.id, f"Kanreg {k.kode} {k.nama}", kanreg_id=k.id)


def _instansi_node(i: Instansi) -> Node:
    return Node(INSTANSI, i.id, i.nama, kanreg_id=i.kanreg_id, instansi_id=i.id)


def _unit_node(u: UnitKerja, kanreg_id: int) -> Node:
    return Node(UNIT, u.id, u.nama, kanreg_id=kanreg_id, instansi_id=u.instansi_id, path=u.path)


def find_node(session, level: str, node_id: int | None) -> Node | None:
    """The node `level` / `node_id`, or None when it does not exist."""
    if level == NASIONAL:
        return national_node()
    if level == KANREG:
        k = session.get(Kanreg, node_id)
        return _kanreg_node(k) if k else None
    if level == INSTANSI:
        i = session.get(Instansi, node_id)
        return _instansi_node(i) if i else None
    if level == UNIT:
        u = session.get(UnitKerja, node_id)
        return _unit_node(u, u.instansi.kanreg_id) if u else None
    return None


@dataclass(frozen=True)
class Area:
    """What one role of a user lets him watch."""

    level: str
    id: int | None = None
    path: str | None = None

    def contains(self, node: Node) -> bool:
        if self.level == NASIONAL:
            return True
        if self.level == KANREG:
            return node.level != NASIONAL and node.kanreg_id == self.id
        if self.level == INSTANSI:
            return node.level in (INSTANSI, UNIT) and node.instansi_id == self.id
        return node.level == UNIT and (node.path or "").startswith(self.path)


def areas(user) -> list[Area]:
    """The areas `user` may watch, broadest first: Admin all; Monitor and Verifikator BKN all
    or their Kanreg; Verifikator Instansi his instansi; Verifikator SKPD his unit subtree
    (the scopes of services.scope)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    found = []
    for role in (r.name for r in user.roles):
        if role == ROLE_ADMIN:
            return [Area(NASIONAL)]
        if role in (ROLE_MONITOR, ROLE_VERIFIKATOR_BKN):
            if user.kanreg_id is None:
                return [Area(NASIONAL)]
            found.append(Area(KANREG, user.kanreg_id))
        elif role == ROLE_VERIFIKATOR_INSTANSI and user.instansi_id:
            found.append(Area(INSTANSI, user.instansi_id))
        elif role == ROLE_VERIFIKATOR_SKPD and scope.unit_prefix(user.unit_kerja) is not None:
            # No unit, or a broken unit path: no area at all (services.scope fails closed).
            found.append(Area(UNIT, user.unit_kerja_id, scope.unit_prefix(user.unit_kerja)))
    return sorted(set(found), key=lambda a: (_RANK[a.level], a.id or 0))


def can_watch(user, node: Node) -> bool:
    """True when `node` lies inside one of `user`'s areas."""
    return any(area.contains(node) for area in areas(user))


def root_node(session, user) -> Node | None:
    """Where the dashboard opens for `user`: his broadest area (None: he has none)."""
    found = areas(user)
    return find_node(session, found[0].level, found[0].id) if found else None


def breadcrumb(session, node: Node) -> list[Node]:
    """Indonesia, the Kanreg, the instansi and the parent units down to `node`."""
    crumbs = [national_node()]
    if node.level == NASIONAL:
        return crumbs
    crumbs.append(find_node(session, KANREG, node.kanreg_id))
    if node.level == KANREG:
        return crumbs
    crumbs.append(find_node(session, INSTANSI, node.instansi_id))
    if node.level == UNIT:
        ids = [int(part) for part in (node.path or "").strip("/").split("/") if part.isdigit()]
        units = {u.id: u for u in session.scalars(select(UnitKerja).where(UnitKerja.id.in_(ids)))}
        crumbs += [_unit_node(units[i], node.kanreg_id) for i in ids if i in units and i != node.id]
        crumbs.append(node)
    return crumbs


# ============================================================================================
# Figures
# ============================================================================================
@dataclass
class Figures:
    """The counts of one node or one row of the table (the RekapUnit columns, summed)."""

    jumlah_pns: int = 0
    terdaftar: int = 0
    disetujui: int = 0
    belum_daftar: int = 0
    menunggu: int = 0
    belum_kirim: int = 0
    dikembalikan: int = 0
    di_skpd: int = 0
    di_instansi: int = 0
    di_bkn: int = 0
    selesai: int = 0

    def add(self, other) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + (getattr(other, f.name) or 0))

    @property
    def dalam_verifikasi(self) -> int:
        return self.di_skpd + self.di_instansi + self.di_bkn

    @property
    def sudah_kirim(self) -> int:
        return self.dalam_verifikasi + self.selesai

    def share(self, name: str) -> float:
        """A count as a fraction of jumlah PNS (0 when there is none)."""
        value = getattr(self, name)
        return value / self.jumlah_pns if self.jumlah_pns else 0.0

    @property
    def capaian(self) -> float:
        """Completion: selesai / jumlah PNS."""
        return self.share("selesai")


SUMS = [func.coalesce(func.sum(getattr(RekapUnit, name)), 0).label(name) for name in COUNT_COLUMNS]


def _figures(row) -> Figures:
    return Figures(**{name: int(getattr(row, name) or 0) for name in COUNT_COLUMNS})


@dataclass
class Row:
    """One line of the drill-down table: a child node (None for the "directly here" /
    "without unit" bucket) with its label and figures."""

    label: object
    node: Node | None
    figures: Figures = field(default_factory=Figures)


def _node_clause(node: Node):
    """Condition on RekapUnit for the rows inside `node`."""
    if node.level == NASIONAL:
        return true()
    if node.level == KANREG:
        return RekapUnit.kanreg_id == node.id
    if node.level == INSTANSI:
        return RekapUnit.instansi_id == node.id
    return and_(RekapUnit.instansi_id == node.instansi_id,
                RekapUnit.unit_path.startswith(node.path, autoescape=True))


def node_total(session, node: Node) -> Figures:
    """The figures of `node` (the sum of its unit rows)."""
    return _figures(session.execute(select(*SUMS).where(_node_clause(node))).one())


def _summed(figures_list) -> Figures:
    total = Figures()
    for f in figures_list:
        total.add(f)
    return total


def figures(session, node: Node) -> tuple[Figures, list[Row]]:
    """The totals of `node` and one row per child (Kanreg, instansi or unit) plus, for an
    instansi or a unit, a row for the PNS not in any of its sub-units. One grouped read of
    RekapUnit (never of Pegawai); the totals are the sum of what it returns."""
    if node.level == NASIONAL:
        sums = {r.kanreg_id: _figures(r) for r in session.execute(
            select(RekapUnit.kanreg_id, *SUMS).group_by(RekapUnit.kanreg_id))}
        rows = [Row(n.nama, n, sums.get(k.id, Figures()))
                for k in session.scalars(select(Kanreg).order_by(Kanreg.id)) for n in [_kanreg_node(k)]]
        return _summed(sums.values()), rows
    if node.level == KANREG:
        sums = {r.instansi_id: _figures(r) for r in session.execute(
            select(RekapUnit.instansi_id, *SUMS).where(RekapUnit.kanreg_id == node.id)
            .group_by(RekapUnit.instansi_id))}
        instansi = session.scalars(select(Instansi).where(Instansi.kanreg_id == node.id).order_by(Instansi.nama))
        rows = [Row(n.nama, n, sums.get(i.id, Figures())) for i in instansi for n in [_instansi_node(i)]]
        return _summed(sums.values()), rows
    # An instansi or a unit: attribute each unit row to the child whose subtree holds it.
    if node.level == INSTANSI:
        children_of = and_(UnitKerja.instansi_id == node.id, UnitKerja.parent_id.is_(None))
        prefix, rest_label = "/", _l("Without a work unit")
    else:
        children_of = UnitKerja.parent_id == node.id
        prefix, rest_label = node.path, _l("Directly in this unit")
    children = {u.id: Row(u.nama, _unit_node(u, node.kanreg_id))
                for u in session.scalars(select(UnitKerja).where(children_of).order_by(UnitKerja.nama))}
    rest, total = Row(rest_label, None), Figures()
    unit_rows = session.execute(
        select(RekapUnit.unit_path, *[getattr(RekapUnit, n) for n in COUNT_COLUMNS]).where(_node_clause(node)))
    for r in unit_rows:
        path = r.unit_path or ""
        head = path[len(prefix):].split("/", 1)[0] if path.startswith(prefix) else ""
        target = children.get(int(head)) if head.isdigit() else None
        figures_of_row = _figures(r)
        (target or rest).figures.add(figures_of_row)
        total.add(figures_of_row)
    rows = list(children.values())
    if rest.figures.jumlah_pns:
        rows.append(rest)
    return total, rows


# ============================================================================================
# Lists (live records, one page at a time) and exports (streamed)
# ============================================================================================
LIST_KINDS = (m.TAHAP_BELUM_DAFTAR, m.TAHAP_BELUM_KIRIM, m.TAHAP_DIKEMBALIKAN)
TERVERIFIKASI = "terverifikasi"
EXPORT_KINDS = (*LIST_KINDS, TERVERIFIKASI)
KIND_LABELS = {
    m.TAHAP_BELUM_DAFTAR: _l("Not registered"),
    m.TAHAP_BELUM_KIRIM: _l("Not sent yet"),
    m.TAHAP_DIKEMBALIKAN: _l("Returned"),
    TERVERIFIKASI: _l("Verified data"),
}


def tahap_clause(tahap: str):
    """Condition on Pegawai for the active PNS in stage `tahap` (same rule as the refresh)."""
    sent = exists().where(Usulan.pegawai_id == Pegawai.id, Usulan.status != Usulan.DRAFT)
    returned = exists().where(Usulan.pegawai_id == Pegawai.id, Usulan.status == Usulan.DRAFT,
                              Usulan.submitted_at.is_not(None))
    live = exists().where(Registrasi.pegawai_id == Pegawai.id,
                          Registrasi.status.in_(Registrasi.LIVE_STATUSES))
    approved = exists().where(Registrasi.pegawai_id == Pegawai.id,
                              Registrasi.status == Registrasi.STATUS_DISETUJUI)
    waiting = {level: exists().where(Usulan.pegawai_id == Pegawai.id, Usulan.status == level)
               for level in LEVELS}
    done = exists().where(Usulan.pegawai_id == Pegawai.id, Usulan.status == Usulan.SELESAI)
    clause = {
        m.TAHAP_BELUM_DAFTAR: and_(~sent, ~returned, ~live),
        m.TAHAP_MENUNGGU: and_(~sent, ~returned, live, ~approved),
        m.TAHAP_BELUM_KIRIM: and_(~sent, ~returned, approved),
        m.TAHAP_DIKEMBALIKAN: and_(~sent, returned),
        m.TAHAP_SELESAI: and_(done, *[~w for w in waiting.values()]),
        **waiting,
    }[tahap]
    return and_(Pegawai.status.in_(Pegawai.ACTIVE_STATUSES), clause)


def verified_clause():
    """The verified records: PNS with at least one finished submission (their official
    record went through every level), whatever they may have sent since."""
    return exists().where(Usulan.pegawai_id == Pegawai.id, Usulan.status == Usulan.SELESAI)


def pegawai_node_clause(node: Node):
    """Condition on Pegawai for the records inside `node`."""
    if node.level == NASIONAL:
        return true()
    if node.level == KANREG:
        return Pegawai.instansi_id.in_(select(Instansi.id).where(Instansi.kanreg_id == node.id))
    if node.level == INSTANSI:
        return Pegawai.instansi_id == node.id
    return Pegawai.unit_kerja_id.in_(
        select(UnitKerja.id).where(UnitKerja.path.startswith(node.path, autoescape=True)))


def _kind_clause(kind: str):
    return verified_clause() if kind == TERVERIFIKASI else tahap_clause(kind)


LIST_SORTS = {  # (column, descending) pairs
    "nama": ((Pegawai.nama, False), (Pegawai.id, False)),
    "-nama": ((Pegawai.nama, True), (Pegawai.id, True)),
    "nip": ((Pegawai.nip, False),),
    "-nip": ((Pegawai.nip, True),),
    "unit": ((UnitKerja.nama, False), (Pegawai.nama, False), (Pegawai.id, False)),
}
LIST_SORT_LABELS = {
    "nama": _l("Name A-Z"),
    "-nama": _l("Name Z-A"),
    "nip": _l("NIP ascending"),
    "-nip": _l("NIP descending"),
    "unit": _l("Work unit"),
}


def _list_order(sort: str, local: bool):
    """ORDER BY of a list. With `local`, names and NIPs are sorted as expressions, so the
    database cannot walk the national name / NIP index: filtering that walk down to one area
    or to a rare list reads millions of rows when few match, while reading the matching rows
    through the area's (or the list's) own index and sorting them costs what they are."""
    order = []
    for column, descending in LIST_SORTS.get(sort, LIST_SORTS["nama"]):
        expression = func.upper(column) if local and (column is Pegawai.nama or column is Pegawai.nip) else column
        order.append(expression.desc() if descending else expression.asc())
    return order


def list_page(session, user, node: Node, kind: str, *, sort: str = "nama", page: int = 1, size: int = 50,
              counted: Figures | None = None):
    """One page of the PNS of `node` in list `kind` (LIST_KINDS), within `user`'s scope:
    (nip, nama, instansi, unit) tuples. NIK is never part of a list. `counted`, the figures
    of `node`, steers the query: nothing to read when the list is empty, and a list of less
    than 2 % of the area is read through its own rows rather than in national name order."""
    expected = getattr(counted, kind, None)
    if expected == 0:
        return []
    sparse = expected is not None and expected * 50 < counted.jumlah_pns
    local = node.level in (INSTANSI, UNIT) or sparse
    stmt = (
        select(Pegawai.nip, Pegawai.nama, Instansi.nama.label("instansi"), UnitKerja.nama.label("unit"))
        .join(Instansi, Instansi.id == Pegawai.instansi_id)
        .outerjoin(UnitKerja, UnitKerja.id == Pegawai.unit_kerja_id)
        .where(pegawai_node_clause(node), scope.pegawai_clause(user), _kind_clause(kind))
        .order_by(*_list_order(sort, local))
        .limit(size).offset((max(page, 1) - 1) * size)
    )
    return session.execute(stmt).all()


# -- exports ---------------------------------------------------------------------------------
LIST_HEADER = ("NIP", _l("Name"), _l("Instansi"), _l("Work unit"), _l("Status"))
VERIFIED_HEADER = (
    "NIP", _l("Name"), _l("Front title"), _l("Back title"), _l("Place of birth"), _l("Date of birth"),
    _l("Gender"), _l("Employee status"), _l("Golongan"), _l("Position"), _l("Last education"),
    _l("TMT CPNS"), _l("TMT PNS"), _l("Instansi"), _l("Work unit"), _l("Verified on"),
)
# Rows fetched per round trip; on PostgreSQL through a server-side cursor.
EXPORT_BATCH = 2000
XLSX_MAX_ROWS = 1_048_576  # per sheet, header included (Excel's limit)


def export_statement(user, node: Node, kind: str):
    """The rows of export `kind` for `node` within `user`'s scope, ordered by instansi, unit,
    name. Lists: NIP, nama, instansi, unit. Verified data: the official record without NIK
    or contact data, with the date of the last finished submission."""
    where = (pegawai_node_clause(node), scope.pegawai_clause(user), _kind_clause(kind))
    order = (Instansi.nama, UnitKerja.nama, Pegawai.nama, Pegawai.id)
    if kind != TERVERIFIKASI:
        return (
            select(Pegawai.nip, Pegawai.nama, Instansi.nama, UnitKerja.nama)
            .join(Instansi, Instansi.id == Pegawai.instansi_id)
            .outerjoin(UnitKerja, UnitKerja.id == Pegawai.unit_kerja_id)
            .where(*where).order_by(*order)
        )
    finished = (select(func.max(Usulan.finished_at)).where(Usulan.pegawai_id == Pegawai.id,
                                                          Usulan.status == Usulan.SELESAI)
                .scalar_subquery())
    return (
        select(Pegawai.nip, Pegawai.nama, Pegawai.gelar_depan, Pegawai.gelar_belakang, Pegawai.tempat_lahir,
               Pegawai.tanggal_lahir, Pegawai.jenis_kelamin, Pegawai.status, Golongan.kode, Pegawai.jabatan,
               TingkatPendidikan.nama, Pegawai.tmt_cpns, Pegawai.tmt_pns, Instansi.nama, UnitKerja.nama,
               finished)
        .join(Instansi, Instansi.id == Pegawai.instansi_id)
        .outerjoin(UnitKerja, UnitKerja.id == Pegawai.unit_kerja_id)
        .outerjoin(Golongan, Golongan.id == Pegawai.golongan_id)
        .outerjoin(TingkatPendidikan, TingkatPendidikan.id == Pegawai.pendidikan_terakhir_id)
        .where(*where).order_by(*order)
    )


def export_rows(session, user, node: Node, kind: str):
    """(header, rows): `rows` runs the query only when first iterated and fetches
    EXPORT_BATCH rows at a time (stream_results: a server-side cursor on PostgreSQL), never the
    whole scope at once. Lazily, because a streamed response is read after the view returned,
    when the view's database session has been closed: the query must run in the session of
    the context the response streams in."""
    stmt = export_statement(user, node, kind).execution_options(yield_per=EXPORT_BATCH)
    if kind == TERVERIFIKASI:
        return [str(h) for h in VERIFIED_HEADER], _fetch(session, stmt, ())
    return [str(h) for h in LIST_HEADER], _fetch(session, stmt, (str(KIND_LABELS[kind]),))


def _fetch(session, stmt, suffix: tuple):
    result = session.execute(stmt)
    try:
        for row in result:
            yield (*row, *suffix)
    finally:
        result.close()


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value):
    """A cell value for CSV: dates ISO (as import files), None empty, and text that a
    spreadsheet would run as a formula (= + - @, tab, CR first) prefixed with '."""
    if value is None:
        return ""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat(sep=" ", timespec="minutes") if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_stream(header, rows, chunk_bytes: int = 64 * 1024):
    """The CSV file (UTF-8 with BOM, for Excel) as text chunks, built while the rows stream."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([csv_safe(h) for h in header])
    for row in rows:
        writer.writerow([csv_safe(v) for v in row])
        if buffer.tell() >= chunk_bytes:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def write_xlsx(header, rows, title: str, target) -> int:
    """Write the rows to `target` (a binary file) as XLSX with openpyxl's write-only workbook
    (rows go to disk as they come); a new sheet every XLSX_MAX_ROWS. Text is always a text
    cell, never a formula. Returns the number of data rows."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)

    def new_sheet(number):
        sheet = workbook.create_sheet(title=(title if number == 1 else f"{title} {number}")[:31])
        cells = []
        for h in header:
            cell = WriteOnlyCell(sheet, value=str(h))
            cell.font = bold
            cells.append(cell)
        sheet.append(cells)
        return sheet

    def cell_value(sheet, value):
        if isinstance(value, str):
            value = _ILLEGAL_XML.sub("", value)
            if value.startswith("="):  # openpyxl would store it as a formula
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"
                return cell
        return value

    sheets, sheet, in_sheet, count = 1, new_sheet(1), 1, 0
    for row in rows:
        if in_sheet >= XLSX_MAX_ROWS:
            sheets += 1
            sheet, in_sheet = new_sheet(sheets), 1
        sheet.append([cell_value(sheet, v) for v in row])
        in_sheet += 1
        count += 1
    workbook.save(target)
    return count


def xlsx_tempfile(header, rows, title: str):
    """The XLSX in an anonymous temporary file (deleted when closed), positioned at 0."""
    target = tempfile.TemporaryFile(suffix=".xlsx")
    try:
        write_xlsx(header, rows, title, target)
        target.seek(0)
    except Exception:
        target.close()
        raise
    return target


def export_filename(kind: str, node: Node, fmt: str, today: dt.date) -> str:
    """e.g. pupns-belum_daftar-instansi-12-20150901.xlsx"""
    return f"pupns-{kind}-{node.slug}-{today:%Y%m%d}.{fmt}"


def record_export(session, user, node: Node, kind: str, fmt: str, filename: str) -> None:
    """Audit row of an export (what, which area, which format, file name), committed before
    the file is sent."""
    target = None
    if node.level != NASIONAL:
        target = session.get({KANREG: Kanreg, INSTANSI: Instansi, UNIT: UnitKerja}[node.level], node.id)
    try:
        audit.record(session, "export", actor=user, target=target,
                     detail=f"{kind} {fmt} {node.level}:{node.id or '-'} {node.nama} -> {filename}")
        session.commit()
    except Exception:
        session.rollback()
        raise


# ============================================================================================
# Verifier workload
# ============================================================================================
def _queue_area_clause(area: Area):
    if area.level == NASIONAL:
        return true()
    if area.level == KANREG:
        return RekapAntrian.kanreg_id == area.id
    if area.level == INSTANSI:
        return RekapAntrian.instansi_id == area.id
    return and_(RekapAntrian.level == Usulan.DI_SKPD,
                RekapAntrian.unit_path.startswith(area.path, autoescape=True))


def _queue_node_clause(node: Node):
    if node.level == NASIONAL:
        return true()
    if node.level == KANREG:
        return RekapAntrian.kanreg_id == node.id
    if node.level == INSTANSI:
        return RekapAntrian.instansi_id == node.id
    return RekapAntrian.unit_path.startswith(node.path, autoescape=True)


def queue_clause(user, node: Node, level: str | None = None):
    """Condition on RekapAntrian: the queues inside `node` that `user` may watch."""
    found = areas(user)
    clauses = [_queue_node_clause(node), or_(*[_queue_area_clause(a) for a in found]) if found else false()]
    if level in LEVELS:
        clauses.append(RekapAntrian.level == level)
    return and_(*clauses)


@dataclass
class Queue:
    """One verification queue as the workload page shows it."""

    level: str
    nama: str
    instansi: str | None
    jumlah: int
    oldest_since: dt.datetime
    median_since: dt.datetime
    verifiers: list[str] = field(default_factory=list)


def workload_summary(session, user, node: Node) -> dict:
    """Per level: (number waiting, oldest arrival) over the queues in view."""
    rows = session.execute(
        select(RekapAntrian.level, func.sum(RekapAntrian.jumlah), func.min(RekapAntrian.oldest_since))
        .where(queue_clause(user, node)).group_by(RekapAntrian.level))
    found = {level: (int(total or 0), oldest) for level, total, oldest in rows}
    return {level: found.get(level, (0, None)) for level in LEVELS}


def workload_page(session, user, node: Node, level: str | None, *, page: int = 1, size: int = 50):
    """(total queues, one page of Queue), the longest-waiting first, with the verifier
    accounts (active) that serve each queue."""
    where = queue_clause(user, node, level)
    total = session.scalar(select(func.count()).select_from(RekapAntrian).where(where))
    queue_instansi = aliased(Instansi)
    rows = session.execute(
        select(RekapAntrian, UnitKerja.nama, queue_instansi.nama, Kanreg.kode, Kanreg.nama)
        .outerjoin(UnitKerja, UnitKerja.id == RekapAntrian.unit_kerja_id)
        .outerjoin(queue_instansi, queue_instansi.id == RekapAntrian.instansi_id)
        .outerjoin(Kanreg, Kanreg.id == RekapAntrian.kanreg_id)
        .where(where)
        .order_by(RekapAntrian.oldest_since, RekapAntrian.id)
        .limit(size).offset((max(page, 1) - 1) * size)
    ).all()
    verifiers = _verifiers(session, [r[0] for r in rows])
    queues = []
    for q, unit_nama, instansi_nama, kanreg_kode, kanreg_nama in rows:
        if q.level == Usulan.DI_SKPD:
            nama, under = unit_nama or "-", instansi_nama
        elif q.level == Usulan.DI_INSTANSI:
            nama, under = instansi_nama or "-", None
        else:
            nama, under = f"Kanreg {kanreg_kode} {kanreg_nama}", None
        queues.append(Queue(q.level, nama, under, q.jumlah, q.oldest_since, q.median_since,
                            verifiers.get(q.id, [])))
    return total, queues


def _verifiers(session, queues) -> dict[int, list[str]]:
    """Usernames of the active verifiers who can act on each queue (by queue id): SKPD
    verifiers of the unit or a parent unit, the instansi's verifiers, the Kanreg's (and
    national) BKN verifiers."""
    from flask_appbuilder.security.sqla.models import Role

    def users_with(role_name, *where):
        return session.scalars(
            select(User).join(User.roles).where(Role.name == role_name, User.active.is_(True), *where)
            .order_by(User.username)).all()

    found = {q.id: [] for q in queues}
    skpd = [q for q in queues if q.level == Usulan.DI_SKPD]
    if skpd:
        candidates = session.execute(
            select(User.username, UnitKerja.path, UnitKerja.id).join(UnitKerja, UnitKerja.id == User.unit_kerja_id)
            .join(User.roles).where(Role.name == ROLE_VERIFIKATOR_SKPD, User.active.is_(True),
                                    UnitKerja.instansi_id.in_({q.instansi_id for q in skpd}))
            .order_by(User.username)).all()
        for q in skpd:
            found[q.id] = [name for name, path, unit_id in candidates
                           if scope.valid_unit_path(path, unit_id) and (q.unit_path or "").startswith(path)]
    instansi_ids = {q.instansi_id for q in queues if q.level == Usulan.DI_INSTANSI}
    if instansi_ids:
        for user in users_with(ROLE_VERIFIKATOR_INSTANSI, User.instansi_id.in_(instansi_ids)):
            for q in queues:
                if q.level == Usulan.DI_INSTANSI and q.instansi_id == user.instansi_id:
                    found[q.id].append(user.username)
    kanreg_ids = {q.kanreg_id for q in queues if q.level == Usulan.DI_BKN}
    if kanreg_ids:
        for user in users_with(ROLE_VERIFIKATOR_BKN, or_(User.kanreg_id.in_(kanreg_ids), User.kanreg_id.is_(None))):
            for q in queues:
                if q.level == Usulan.DI_BKN and user.kanreg_id in (None, q.kanreg_id):
                    found[q.id].append(user.username)
    return found
