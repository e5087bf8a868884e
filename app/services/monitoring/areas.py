"""Areas of the drill-down: Indonesia → Kanreg → instansi → unit (`Node`), and which of
them a user may watch (`Area`, the scopes of services.scope)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ...models import Instansi, Kanreg, UnitKerja
from ...roles import (
    ROLE_ADMIN,
    ROLE_MONITOR,
    ROLE_VERIFIKATOR_BKN,
    ROLE_VERIFIKATOR_INSTANSI,
    ROLE_VERIFIKATOR_SKPD,
)
from .. import scope

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


def kanreg_node(k: Kanreg) -> Node:
    return Node(KANREG, k.id, f"Kanreg {k.kode} {k.nama}", kanreg_id=k.id)


def instansi_node(i: Instansi) -> Node:
    return Node(INSTANSI, i.id, i.nama, kanreg_id=i.kanreg_id, instansi_id=i.id)


def unit_node(u: UnitKerja, kanreg_id: int) -> Node:
    return Node(UNIT, u.id, u.nama, kanreg_id=kanreg_id, instansi_id=u.instansi_id, path=u.path)


def find_node(session, level: str, node_id: int | None) -> Node | None:
    """The node `level` / `node_id`, or None when it does not exist."""
    if level == NASIONAL:
        return national_node()
    if level == KANREG:
        k = session.get(Kanreg, node_id)
        return kanreg_node(k) if k else None
    if level == INSTANSI:
        i = session.get(Instansi, node_id)
        return instansi_node(i) if i else None
    if level == UNIT:
        u = session.get(UnitKerja, node_id)
        return unit_node(u, u.instansi.kanreg_id) if u else None
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
        crumbs += [unit_node(units[i], node.kanreg_id) for i in ids if i in units and i != node.id]
        crumbs.append(node)
    return crumbs
