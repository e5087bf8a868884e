"""Who may see which records.

One place computes the SQL condition that limits a query to the current user's scope;
FAB list/show/edit/delete (base_filters), actions, FK dropdowns, related views, document
downloads and later the API all go through it.
"""
from sqlalchemy import false, or_, select, true

from ..models import Dokumen, Instansi, Pegawai, UnitKerja
from ..security import (
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


def _unit_subtree_ids(unit):
    return select(UnitKerja.id).where(UnitKerja.path.startswith(unit.path))


def _kanreg_instansi_ids(kanreg_id):
    return select(Instansi.id).where(Instansi.kanreg_id == kanreg_id)


def pegawai_clause(user):
    """SQL condition on `Pegawai` for the records `user` may see (ORed over his roles)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return false()
    clauses = []
    for role in (r.name for r in user.roles):
        if role == ROLE_ADMIN:
            return true()
        if role == ROLE_VERIFIKATOR_INSTANSI and user.instansi_id:
            clauses.append(Pegawai.instansi_id == user.instansi_id)
        elif role == ROLE_VERIFIKATOR_SKPD and user.unit_kerja is not None:
            clauses.append(Pegawai.unit_kerja_id.in_(_unit_subtree_ids(user.unit_kerja)))
        elif role in NATIONAL_ROLES:
            if user.kanreg_id is None:
                return true()  # BKN Pusat / national helpdesk / national monitor
            clauses.append(Pegawai.instansi_id.in_(_kanreg_instansi_ids(user.kanreg_id)))
        elif role == ROLE_PNS and user.pegawai_id and getattr(user, "is_pns_account", False):
            # Only the PNS account sees its Pegawai; a staff account's link is information.
            clauses.append(Pegawai.id == user.pegawai_id)
        elif role == ROLE_INTEGRASI:
            # An API client reads its narrowest scope: a unit tree, an instansi, a Kanreg, or
            # (BPJS, Taspen: no scope set) every record.
            if user.unit_kerja is not None:
                clauses.append(Pegawai.unit_kerja_id.in_(_unit_subtree_ids(user.unit_kerja)))
            elif user.instansi_id:
                clauses.append(Pegawai.instansi_id == user.instansi_id)
            elif user.kanreg_id:
                clauses.append(Pegawai.instansi_id.in_(_kanreg_instansi_ids(user.kanreg_id)))
            else:
                return true()
    return or_(*clauses) if clauses else false()


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
