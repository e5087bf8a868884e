"""The application user: FAB's user plus scope, lockout state and the PNS link.

Defined with the models (not in app/security.py) so that every relationship to it can be
resolved when FAB configures the mappers while importing its security manager.
"""
from flask_appbuilder.security.sqla.models import User as FabUser
from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, event, func
from sqlalchemy.orm import relationship


class PupnsUser(FabUser):
    """A staff user carries his scope (Kanreg / instansi / unit kerja); a PNS user his record."""

    __tablename__ = "ab_user"
    kanreg_id = Column(Integer, ForeignKey("kanreg.id"), nullable=True)
    kanreg = relationship("Kanreg")
    instansi_id = Column(Integer, ForeignKey("instansi.id"), nullable=True)
    instansi = relationship("Instansi")
    unit_kerja_id = Column(Integer, ForeignKey("unit_kerja.id"), nullable=True)
    unit_kerja = relationship("UnitKerja")
    pegawai_id = Column(Integer, ForeignKey("pegawai.id"), nullable=True, unique=True)
    pegawai = relationship("Pegawai")
    # Lockout after repeated failed logins: locked until this UTC time; each new lockout
    # of the same account lasts longer (15 min × 2^(lockouts-1), capped).
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

# Login looks accounts up by lower(username) (services.accounts); millions of PNS accounts
# need an index on exactly that expression.
Index("ix_ab_user_username_lower", func.lower(PupnsUser.__table__.c.username))
