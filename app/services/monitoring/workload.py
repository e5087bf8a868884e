"""The verifiers' workload: the queues of RekapAntrian a user may watch, longest waiting
first, with the active verifier accounts that serve each queue."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask_appbuilder.security.sqla.models import Role
from sqlalchemy import and_, false, func, or_, select, true
from sqlalchemy.orm import aliased

from ...models import Instansi, Kanreg, UnitKerja
from ...models.monitoring import RekapAntrian
from ...models.submission import Usulan
from ...models import User
from ...roles import ROLE_VERIFIKATOR_BKN, ROLE_VERIFIKATOR_INSTANSI, ROLE_VERIFIKATOR_SKPD
from .. import scope
from .areas import INSTANSI, KANREG, NASIONAL, Area, Node, areas
from .stages import LEVELS


def _queue_area_clause(area: Area):
    if area.level == NASIONAL:
        return true()
    if area.level == KANREG:
        return RekapAntrian.kanreg_id == area.id
    if area.level == INSTANSI:
        return RekapAntrian.instansi_id == area.id
    return and_(RekapAntrian.level == Usulan.DI_SKPD, RekapAntrian.unit_path.startswith(area.path, autoescape=True))


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
        .where(queue_clause(user, node))
        .group_by(RekapAntrian.level)
    )
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
        .limit(size)
        .offset((max(page, 1) - 1) * size)
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
        queues.append(Queue(q.level, nama, under, q.jumlah, q.oldest_since, q.median_since, verifiers.get(q.id, [])))
    return total, queues


def _verifiers(session, queues) -> dict[int, list[str]]:
    """Usernames of the active verifiers who can act on each queue (by queue id): SKPD
    verifiers of the unit or a parent unit, the instansi's verifiers, the Kanreg's (and
    national) BKN verifiers."""

    def users_with(role_name, *where):
        return session.scalars(
            select(User)
            .join(User.roles)
            .where(Role.name == role_name, User.active.is_(True), *where)
            .order_by(User.username)
        ).all()

    found = {q.id: [] for q in queues}
    skpd = [q for q in queues if q.level == Usulan.DI_SKPD]
    if skpd:
        candidates = session.execute(
            select(User.username, UnitKerja.path, UnitKerja.id)
            .join(UnitKerja, UnitKerja.id == User.unit_kerja_id)
            .join(User.roles)
            .where(
                Role.name == ROLE_VERIFIKATOR_SKPD,
                User.active.is_(True),
                UnitKerja.instansi_id.in_({q.instansi_id for q in skpd}),
            )
            .order_by(User.username)
        ).all()
        for q in skpd:
            found[q.id] = [
                name
                for name, path, unit_id in candidates
                if scope.valid_unit_path(path, unit_id) and (q.unit_path or "").startswith(path)
            ]
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
