"""The application user: FAB's user plus scope, lockout state and the PNS link.

Defined with the models (not in app/security.py) so that every relationship to it can be
resolved when FAB configures the mappers while importing its security manager.
"""
from flask_appbuilder.security.sqla.models import User as FabUser
from sqlalchemy import Column, DateTime, ForeignKey, Integer
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

    def has_role(self, name: str) -> bool:
        return any(role.name == name for role in self.roles)


# The rest of the code says `User`. The class itself needs its own name: FAB's relationships
# say "User" and must keep meaning FAB's class in the shared declarative registry.
User = PupnsUser
