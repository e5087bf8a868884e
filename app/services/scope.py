"""Who may see which records.

One place computes the SQL condition that limits a query to the current user's scope;
FAB list/show/edit/delete (base_filters), actions, FK dropdowns, related views, document
downloads, the verification inbox and page, monitoring and the API all go through it.

Every rule fails closed: a role whose scope is missing or broken (a unit-level role without
a unit, or whose unit's path is empty, "/" or not that unit's own) grants nothing.
"""

import re

from sqlalchemy import and_, false, or_, select, true

from ..models import Dokumen, Instansi, Pegawai, UnitKerja
from ..models.submission import Usulan
from ..roles import (
    ROLE_ADMIN,
    ROLE_HELPDESK,
    ROLE_INTEGRASI,
    ROLE_MONITOR,
    ROLE_PNS,
    ROLE_VERIFIKATOR_BKN,
    ROLE_VERIFIKATOR_INSTANSI,
    ROLE_VERIFIKATOR_SKPD,
)

NATIONAL_ROLES = (ROLE_VERIFIKATOR_BKN, ROLE_HELPDESK, ROLE_MONITOR)


_UNIT_PATH = re.compile(r"/(?:[1-9][0-9]*/)+")


def valid_unit_path(path, unit_id) -> bool:
    """True when `path` is a well-formed materialised path ending in `unit_id` itself. An
    empty path or "/" would make a unit's subtree the whole country."""
    return (
        unit_id is not None
        and isinstance(path, str)
        and _UNIT_PATH.fullmatch(path) is not None
        and path.endswith(f"/{unit_id}/")
    )


def unit_prefix(unit) -> str | None:
    """The path prefix of `unit`'s subtree, or None (grant nothing) when there is no unit or
    its path is broken."""
    if unit is None or not valid_unit_path(unit.path, unit.id):
        return None
    return unit.path


def unit_subtree_ids(unit):
    """SELECT of the ids of `unit` and its sub-units, or None when `unit_prefix` refuses it."""
    prefix = unit_prefix(unit)
    return None if prefix is None else select(UnitKerja.id).where(UnitKerja.path.startswith(prefix))


def _kanreg_instansi_ids(kanreg_id):
    return select(Instansi.id).where(Instansi.kanreg_id == kanreg_id)


def _unit_role_clause(user, column):
    """`column` (a unit kerja id) inside the user's unit subtree; nothing without a sound unit."""
    subtree = unit_subtree_ids(getattr(user, "unit_kerja", None))
    return column.in_(subtree) if subtree is not None else None


def _role_pegawai_clause(role, user):
    """Condition on `Pegawai` for one role of `user`; None when that role grants nothing."""
    if role == ROLE_ADMIN:
        return true()
    if role == ROLE_VERIFIKATOR_INSTANSI:
        return Pegawai.instansi_id == user.instansi_id if user.instansi_id else None
    if role == ROLE_VERIFIKATOR_SKPD:
        return _unit_role_clause(user, Pegawai.unit_kerja_id)
    if role in NATIONAL_ROLES:
        if user.kanreg_id is None:
            return true()  # BKN Pusat / national helpdesk / national monitor
        return Pegawai.instansi_id.in_(_kanreg_instansi_ids(user.kanreg_id))
    if role == ROLE_PNS:
        # Only the PNS account sees its Pegawai; a staff account's link is information.
        if user.pegawai_id and getattr(user, "is_pns_account", False):
            return Pegawai.id == user.pegawai_id
        return None
    if role == ROLE_INTEGRASI:
        # An API client reads its narrowest scope: a unit tree, an instansi, a Kanreg, or
        # (BPJS, Taspen: no scope set) every record. A unit that is set but broken grants
        # nothing, never the wider scopes below it.
        if user.unit_kerja is not None:
            return _unit_role_clause(user, Pegawai.unit_kerja_id)
        if user.instansi_id:
            return Pegawai.instansi_id == user.instansi_id
        if user.kanreg_id:
            return Pegawai.instansi_id.in_(_kanreg_instansi_ids(user.kanreg_id))
        return true()
    return None


def _roles(user) -> list[str]:
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    return [r.name for r in user.roles]


def pegawai_clause(user):
    """SQL condition on `Pegawai` for the records `user` may see (ORed over his roles)."""
    clauses = [c for c in (_role_pegawai_clause(role, user) for role in _roles(user)) if c is not None]
    # or_() folds a true() (Admin, a national role) into plain "true".
    return or_(*clauses) if clauses else false()


# --------------------------------------------------------------------------------------------
# Submissions (Usulan) on the verification screens
# --------------------------------------------------------------------------------------------
SENT = (Usulan.DI_SKPD, Usulan.DI_INSTANSI, Usulan.DI_BKN, Usulan.SELESAI)


def _role_usulan_level(role):
    """The submissions one staff role may open, by how far they travelled: at or past his
    level, never a draft (one never sent, or one returned and being fixed: it is the PNS's
    until he sends it again). Verifikator SKPD: from di SKPD on. Verifikator Instansi: every
    sent one, di SKPD included, read-only (he keeps the instansi's master data and chases the
    SKPD queues it shows in monitoring; TRANSITIONS gives him no action there). Verifikator
    BKN: those that reached BKN (di BKN, or finished after BKN). Helpdesk and Admin: every
    sent one, the targets of "turun status". Other roles: none. None: nothing."""
    if role in (ROLE_VERIFIKATOR_SKPD, ROLE_VERIFIKATOR_INSTANSI, ROLE_HELPDESK, ROLE_ADMIN):
        return Usulan.status.in_(SENT)
    if role == ROLE_VERIFIKATOR_BKN:
        return or_(Usulan.status == Usulan.DI_BKN, and_(Usulan.status == Usulan.SELESAI, Usulan.needs_bkn.is_(True)))
    return None


def usulan_clause(user):
    """SQL condition on `Usulan` joined to its `Pegawai`: the submissions `user` may open on
    the verification page, its PDF summary and its documents. Each role pairs its level
    (`_role_usulan_level`) with its own scope over the Pegawai itself, ORed over his roles."""
    clauses = []
    for role in _roles(user):
        level, records = _role_usulan_level(role), _role_pegawai_clause(role, user)
        if level is not None and records is not None:
            clauses.append(and_(level, records))
    return or_(*clauses) if clauses else false()


def visible_usulan(session, user, usulan_id) -> Usulan | None:
    """The Usulan `usulan_id` if `user` may open it (`usulan_clause`), else None: the one
    check of every verification path that shows or serves a submission."""
    return session.scalars(
        select(Usulan).join(Pegawai, Usulan.pegawai_id == Pegawai.id).where(Usulan.id == usulan_id, usulan_clause(user))
    ).first()


def left_the_users_sight(session, user, usulan_id) -> bool:
    """True when `usulan_id` is a submission of a Pegawai in `user`'s scope that has just
    gone back to draft (returned or turned down, e.g. by a colleague a moment earlier), so it
    is no longer open to him: his action is answered "already handled", not "not found"."""
    return (
        session.scalar(
            select(Usulan.id)
            .join(Pegawai, Usulan.pegawai_id == Pegawai.id)
            .where(Usulan.id == usulan_id, Usulan.status == Usulan.DRAFT, pegawai_clause(user))
        )
        is not None
    )


def inbox_clause(user):
    """SQL condition on `Usulan` for the submissions waiting at `user`'s level and scope
    (ORed over his roles), on the Usulan's copies of instansi and unit (one index range):
    a subset of `usulan_clause`."""
    clauses = []
    for role in _roles(user):
        if role == ROLE_ADMIN:
            return Usulan.status.in_(Usulan.IN_VERIFICATION)
        if role == ROLE_VERIFIKATOR_SKPD:
            in_unit = _unit_role_clause(user, Usulan.unit_kerja_id)
            if in_unit is not None:
                clauses.append(and_(Usulan.status == Usulan.DI_SKPD, in_unit))
        elif role == ROLE_VERIFIKATOR_INSTANSI and user.instansi_id:
            clauses.append(and_(Usulan.status == Usulan.DI_INSTANSI, Usulan.instansi_id == user.instansi_id))
        elif role in (ROLE_VERIFIKATOR_BKN, ROLE_HELPDESK):
            statuses = (Usulan.DI_BKN,) if role == ROLE_VERIFIKATOR_BKN else Usulan.IN_VERIFICATION
            where = true() if user.kanreg_id is None else Usulan.instansi_id.in_(_kanreg_instansi_ids(user.kanreg_id))
            clauses.append(and_(Usulan.status.in_(statuses), where))
    return or_(*clauses) if clauses else false()


# --------------------------------------------------------------------------------------------
# Master data
# --------------------------------------------------------------------------------------------
def _master_data_clause(user, instansi_column):
    """Rows of the instansi whose master data `user` keeps: all for Admin, his own for a
    Verifikator Instansi, none for anyone else."""
    if user is None or not getattr(user, "is_authenticated", False):
        return false()
    names = {r.name for r in user.roles}
    if ROLE_ADMIN in names:
        return true()
    if ROLE_VERIFIKATOR_INSTANSI in names and user.instansi_id:
        return instansi_column == user.instansi_id
    return false()


def master_data_clause(user, instansi_column):
    """Rows whose `instansi_column` names an instansi whose master data `user` keeps (all for
    Admin, his own for a Verifikator Instansi, none for anyone else): for a table carrying
    its own copy of the instansi, one index range instead of a join."""
    return _master_data_clause(user, instansi_column)


def instansi_clause(user):
    """Instansi a user may pick in a form (for the Pegawai instansi dropdown)."""
    return _master_data_clause(user, Instansi.id)


def unit_kerja_clause(user):
    """Units a user may pick in a form."""
    return _master_data_clause(user, UnitKerja.instansi_id)


def clause_for(model, user):
    """Scope condition for any model that is a Pegawai or hangs off one."""
    if model is Pegawai:
        return pegawai_clause(user)
    if model is Instansi:
        return instansi_clause(user)
    if model is UnitKerja:
        return unit_kerja_clause(user)
    if hasattr(model, "pegawai_id"):
        return model.pegawai_id.in_(select(Pegawai.id).where(pegawai_clause(user)))
    raise TypeError(f"no scope rule for {model.__name__}")


def can_see_pegawai(session, user, pegawai_id: int) -> bool:
    """True when `pegawai_id` is inside `user`'s scope."""
    stmt = select(Pegawai.id).where(Pegawai.id == pegawai_id, pegawai_clause(user))
    return session.execute(stmt).first() is not None


def can_write_pegawai(user, pegawai) -> bool:
    """Only Admin and the Verifikator Instansi of the record's instansi keep master data.

    Judged on the relationships, not on the `_id` columns: a form sets `pegawai.instansi`
    and `pegawai.unit_kerja`, and their columns follow only at flush, so they would still
    show the old instansi of an edited record (and none at all for a new one)."""
    names = {r.name for r in getattr(user, "roles", None) or []}
    if ROLE_ADMIN in names:
        return True
    if ROLE_VERIFIKATOR_INSTANSI not in names or not user.instansi_id:
        return False
    instansi_id = pegawai.instansi.id if pegawai.instansi is not None else pegawai.instansi_id
    unit = pegawai.unit_kerja
    unit_instansi_id = unit.instansi_id if unit is not None else user.instansi_id
    return instansi_id == user.instansi_id and unit_instansi_id == user.instansi_id


def can_download(session, user, dokumen: Dokumen) -> bool:
    return can_see_pegawai(session, user, dokumen.pegawai_id)
