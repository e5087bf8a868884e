"""The application user: FAB's user plus scope, lockout state and the PNS link.

Defined with the models (not in app/security.py) so that every relationship to it can be
resolved when FAB configures the mappers while importing its security manager.
"""

from flask_appbuilder.security.sqla.models import User as FabUser
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    event,
    false,
    func,
    text,
)
from sqlalchemy.orm import relationship


class PupnsUser(FabUser):
    """A staff user carries his scope (Kanreg / instansi / unit kerja); a PNS user his record.

    Two kinds of account, never mixed (SECURITY.md, "Account identity"): the *PNS account* of
    a Pegawai (`is_pns_account`, role PNS only, made by registration alone, at most one per
    Pegawai) and *staff accounts* (staff roles and a scope). A staff account may name a
    Pegawai too (the person behind it), but that link is information only: registration,
    approval, reset, recovery and login by NIP deal with the PNS account alone
    (services.registration.pns_account_of)."""

    __tablename__ = "ab_user"
    kanreg_id = Column(Integer, ForeignKey("kanreg.id"), nullable=True)
    kanreg = relationship("Kanreg")
    instansi_id = Column(Integer, ForeignKey("instansi.id"), nullable=True)
    instansi = relationship("Instansi")
    unit_kerja_id = Column(Integer, ForeignKey("unit_kerja.id"), nullable=True)
    unit_kerja = relationship("UnitKerja")
    pegawai_id = Column(Integer, ForeignKey("pegawai.id"), nullable=True, index=True)
    pegawai = relationship("Pegawai")
    is_pns_account = Column(Boolean, nullable=False, default=False, server_default=false())
    # Login throttling (services.accounts): after 5 failures in a row the next attempt must
    # wait until this UTC time (1, 2, 4, 8, then at most 15 minutes); lockout_count counts
    # those waits, as history for the helpdesk.
    locked_until = Column(DateTime, nullable=True)
    lockout_count = Column(Integer, nullable=False, default=0, server_default="0")
    # Every login session carries the version it started with (services.sessions); raising
    # it ends all sessions of the user at once: logout, password change, account disabled.
    session_version = Column(Integer, nullable=False, default=0, server_default="0")

    def has_role(self, name: str) -> bool:
        return any(role.name == name for role in self.roles)


@event.listens_for(PupnsUser.active, "set", active_history=True)
def _disabling_ends_sessions(user, value, oldvalue, _initiator):
    """Disabling an account (Admin's user form, registration reset or rejection) ends every
    session it has, whichever code path sets `active`; re-enabling it revives none."""
    if oldvalue is True and not value:
        user.session_version = (user.session_version or 0) + 1


# The rest of the code says `User`. The class itself needs its own name: FAB's relationships
# say "User" and must keep meaning FAB's class in the shared declarative registry.
User = PupnsUser

# At most one PNS account per Pegawai, and a PNS account always has its Pegawai; staff
# accounts may share a Pegawai link with it (information only).
Index(
    "uq_ab_user_pns_pegawai",
    PupnsUser.__table__.c.pegawai_id,
    unique=True,
    postgresql_where=text("is_pns_account"),
    sqlite_where=text("is_pns_account = 1"),
)
PupnsUser.__table__.append_constraint(
    CheckConstraint("NOT is_pns_account OR pegawai_id IS NOT NULL", name="ck_ab_user_pns_account_has_pegawai")
)

# Login looks accounts up by lower(username) (services.accounts); millions of PNS accounts
# need an index on exactly that expression.
Index("ix_ab_user_username_lower", func.lower(PupnsUser.__table__.c.username))
