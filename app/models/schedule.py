"""Jadwal: the phases of the re-registration run, nationally or per Kanreg / instansi."""

from sqlalchemy import CheckConstraint, Column, Date, ForeignKey, Integer, String
from sqlalchemy.orm import relationship

from .base import Model, TimestampMixin


class Jadwal(TimestampMixin, Model):
    __tablename__ = "jadwal"
    FASE_PERSIAPAN = "persiapan"
    FASE_PENGISIAN = "pengisian"
    FASE_VERIFIKASI = "verifikasi"
    PHASES = (FASE_PERSIAPAN, FASE_PENGISIAN, FASE_VERIFIKASI)

    id = Column(Integer, primary_key=True)
    fase = Column(String(12), nullable=False)
    mulai = Column(Date, nullable=False)
    selesai = Column(Date, nullable=False)
    # Neither set: national. Kanreg or instansi set: overrides the national dates there,
    # so BKN can stagger the load region by region as in 2015.
    kanreg_id = Column(Integer, ForeignKey("kanreg.id"), nullable=True, index=True)
    kanreg = relationship("Kanreg")
    instansi_id = Column(Integer, ForeignKey("instansi.id"), nullable=True, index=True)
    instansi = relationship("Instansi")

    __table_args__ = (
        CheckConstraint("selesai >= mulai", name="ck_jadwal_dates"),
        {"extend_existing": True},
    )

    def __repr__(self):
        return f"{self.fase} {self.mulai}–{self.selesai}"
