"""Read models of the dashboard: the figures of a node and of its children, summed from
the unit rows of RekapUnit (never from Pegawai)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select, true

from ...models import Instansi, Kanreg, UnitKerja
from ...models.monitoring import RekapUnit
from .areas import INSTANSI, KANREG, NASIONAL, Node, instansi_node, kanreg_node, unit_node
from .stages import COUNT_COLUMNS


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
    return and_(RekapUnit.instansi_id == node.instansi_id, RekapUnit.unit_path.startswith(node.path, autoescape=True))


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
        sums = {
            r.kanreg_id: _figures(r)
            for r in session.execute(select(RekapUnit.kanreg_id, *SUMS).group_by(RekapUnit.kanreg_id))
        }
        rows = [
            Row(n.nama, n, sums.get(k.id, Figures()))
            for k in session.scalars(select(Kanreg).order_by(Kanreg.id))
            for n in [kanreg_node(k)]
        ]
        return _summed(sums.values()), rows
    if node.level == KANREG:
        sums = {
            r.instansi_id: _figures(r)
            for r in session.execute(
                select(RekapUnit.instansi_id, *SUMS)
                .where(RekapUnit.kanreg_id == node.id)
                .group_by(RekapUnit.instansi_id)
            )
        }
        instansi = session.scalars(select(Instansi).where(Instansi.kanreg_id == node.id).order_by(Instansi.nama))
        rows = [Row(n.nama, n, sums.get(i.id, Figures())) for i in instansi for n in [instansi_node(i)]]
        return _summed(sums.values()), rows
    # An instansi or a unit: attribute each unit row to the child whose subtree holds it.
    if node.level == INSTANSI:
        children_of = and_(UnitKerja.instansi_id == node.id, UnitKerja.parent_id.is_(None))
        prefix, rest_label = "/", _l("Without a work unit")
    else:
        children_of = UnitKerja.parent_id == node.id
        prefix, rest_label = node.path, _l("Directly in this unit")
    children = {
        u.id: Row(u.nama, unit_node(u, node.kanreg_id))
        for u in session.scalars(select(UnitKerja).where(children_of).order_by(UnitKerja.nama))
    }
    rest, total = Row(rest_label, None), Figures()
    unit_rows = session.execute(
        select(RekapUnit.unit_path, *[getattr(RekapUnit, n) for n in COUNT_COLUMNS]).where(_node_clause(node))
    )
    for r in unit_rows:
        path = r.unit_path or ""
        head = path[len(prefix) :].split("/", 1)[0] if path.startswith(prefix) else ""
        target = children.get(int(head)) if head.isdigit() else None
        figures_of_row = _figures(r)
        (target or rest).figures.add(figures_of_row)
        total.add(figures_of_row)
    rows = list(children.values())
    if rest.figures.jumlah_pns:
        rows.append(rest)
    return total, rows
