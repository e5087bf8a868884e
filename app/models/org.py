"""Organisation: Kanreg BKN, Instansi and the Unit kerja tree."""
from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String
from sqlalchemy.orm import relationship

from .base import Model, TimestampMixin


class Kanreg(Model):
    """BKN regional office (Kantor Regional I–XIV)."""

    __tablename__ = "kanreg"
    id = Column(Integer, primary_key=True)
    kode = Column(String(8), unique=True, nullable=False)  # roman numeral, e.g. "V"
    nama = Column(String(100), nullable=False)

    def __repr__(self):
        return f"Kanreg {self.kode} {self.nama}"


class Instansi(TimestampMixin, Model):
    """Agency: a ministry / central body (pusat) or a province / regency / city (daerah)."""

    __tablename__ = "instansi"
    JENIS_PUSAT = "pusat"
    JENIS_DAERAH = "daerah"

    id = Column(Integer, primary_key=True)
    kode = Column(String(10), unique=True, nullable=False)
    nama = Column(String(200), nullable=False)
    jenis = Column(String(10), nullable=False, default=JENIS_DAERAH)
    kanreg_id = Column(Integer, ForeignKey("kanreg.id"), nullable=False, index=True)
    kanreg = relationship("Kanreg")

    def __repr__(self):
        return self.nama


class UnitKerja(TimestampMixin, Model):
    """Work unit (unor), a tree under one instansi. `path` is the materialised path
    (`/1/7/42/`) so a subtree is one indexed prefix match instead of a recursive query."""

    __tablename__ = "unit_kerja"
    id = Column(Integer, primary_key=True)
    kode = Column(String(20), unique=True, nullable=False)
    nama = Column(String(200), nullable=False)
    instansi_id = Column(Integer, ForeignKey("instansi.id"), nullable=False, index=True)
    instansi = relationship("Instansi")
    parent_id = Column(Integer, ForeignKey("unit_kerja.id"), nullable=True, index=True)
    parent = relationship("UnitKerja", remote_side=[id])
    path = Column(String(255), nullable=False, default="/")
    aktif = Column(Boolean, nullable=False, default=True)

    __table_args__ = (
        # A subtree is `path LIKE '/1/7/%'`. Under a database collation other than C, PostgreSQL
        # serves a prefix LIKE only from a pattern_ops index; on SQLite this is a plain index.
        Index("ix_unit_kerja_path", "path", postgresql_ops={"path": "varchar_pattern_ops"}),
        {"extend_existing": True},
    )

    def __repr__(self):
        return self.nama
