"""Helpdesk tickets ("Laporkan data tidak sesuai")."""

from sqlalchemy import BigInteger, Column, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import relationship

from .base import Model, TimestampMixin


class Tiket(TimestampMixin, Model):
    __tablename__ = "tiket"
    KATEGORI_BEDA_NAMA = "beda_nama"
    KATEGORI_BEDA_INSTANSI = "beda_instansi"
    KATEGORI_TIDAK_ADA = "tidak_ada"
    KATEGORI_PENSIUN = "pensiun_berhenti"
    KATEGORI_REFERENSI = "referensi"
    KATEGORI_TURUN_STATUS = "turun_status"
    KATEGORI_LAINNYA = "lainnya"
    CATEGORIES = (
        KATEGORI_BEDA_NAMA,
        KATEGORI_BEDA_INSTANSI,
        KATEGORI_TIDAK_ADA,
        KATEGORI_PENSIUN,
        KATEGORI_REFERENSI,
        KATEGORI_TURUN_STATUS,
        KATEGORI_LAINNYA,
    )
    STATUS_BARU = "baru"
    STATUS_DIPROSES = "diproses"
    STATUS_SELESAI = "selesai"

    id = Column(Integer, primary_key=True)
    nomor = Column(String(20), unique=True, nullable=False)
    kategori = Column(String(20), nullable=False)
    nip = Column(String(18), nullable=True, index=True)
    nama = Column(String(150), nullable=False)
    pegawai_id = Column(Integer, ForeignKey("pegawai.id"), nullable=True)
    pegawai = relationship("Pegawai")
    # Routed to this instansi's inbox; none: the national Helpdesk handles it.
    instansi_id = Column(Integer, ForeignKey("instansi.id"), nullable=True)
    instansi = relationship("Instansi")
    detail = Column(Text, nullable=False)
    nomor_sk = Column(String(60), nullable=True)
    tanggal_sk = Column(Date, nullable=True)
    email = Column(String(254), nullable=False)
    status = Column(String(10), nullable=False, default=STATUS_BARU)
    lampiran_stored_name = Column(String(80), nullable=True)
    lampiran_original_name = Column(String(255), nullable=True)
    lampiran_content_type = Column(String(50), nullable=True)
    lampiran_size_bytes = Column(BigInteger, nullable=True)
    reporter_id = Column(Integer, ForeignKey("ab_user.id"), nullable=True)
    handled_by_id = Column(Integer, ForeignKey("ab_user.id"), nullable=True)
    resolved_at = Column(DateTime, nullable=True)
    resolution = Column(Text, nullable=True)

    __table_args__ = (
        Index("ix_tiket_instansi_status", "instansi_id", "status", "created_at"),
        {"extend_existing": True},
    )
