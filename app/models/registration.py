"""Registration of a PNS account, and the single-use secrets of the public flows."""

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import relationship

from .base import Model, TimestampMixin


class Registrasi(TimestampMixin, Model):
    """One registration attempt of one Pegawai. At most one is pending or approved per
    Pegawai at any time (partial unique index); rejected and reset ones stay as history."""

    __tablename__ = "registrasi"
    STATUS_MENUNGGU = "menunggu"
    STATUS_DISETUJUI = "disetujui"
    STATUS_DITOLAK = "ditolak"
    STATUS_DIRESET = "direset"
    LIVE_STATUSES = (STATUS_MENUNGGU, STATUS_DISETUJUI)

    id = Column(Integer, primary_key=True)
    nomor = Column(String(16), unique=True, nullable=False)  # 12 random base32 chars, no dashes
    pegawai_id = Column(Integer, ForeignKey("pegawai.id"), nullable=False, index=True)
    pegawai = relationship("Pegawai")
    # Copy of the Pegawai's instansi, so the approval inbox of one instansi is one index range
    # even at national scale; set at registration and kept in step when the Pegawai moves
    # (services.registration). Who may decide is always judged on the Pegawai itself.
    instansi_id = Column(Integer, ForeignKey("instansi.id"), nullable=False)
    user_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False, index=True)
    user = relationship("PupnsUser", foreign_keys=[user_id])
    email = Column(String(254), nullable=False)
    status = Column(String(10), nullable=False, default=STATUS_MENUNGGU)
    alasan = Column(Text, nullable=True)  # reason of a rejection or a reset
    security_question_id = Column(Integer, ForeignKey("security_question.id"), nullable=False)
    security_question = relationship("SecurityQuestion")
    answer_hash = Column(String(255), nullable=False)
    mother_name_hash = Column(String(255), nullable=False)
    decided_by_id = Column(Integer, ForeignKey("ab_user.id"), nullable=True)
    decided_by = relationship("PupnsUser", foreign_keys=[decided_by_id])
    decided_at = Column(DateTime, nullable=True)

    __table_args__ = (
        Index(
            "uq_registrasi_live_pegawai",
            "pegawai_id",
            unique=True,
            postgresql_where=text("status IN ('menunggu', 'disetujui')"),
            sqlite_where=text("status IN ('menunggu', 'disetujui')"),
        ),
        # The approval inbox: pending registrations of one instansi (or all), newest first.
        Index("ix_registrasi_status_created", "status", "created_at"),
        Index("ix_registrasi_status_instansi_created", "status", "instansi_id", "created_at", "id"),
        # The same inbox showing every status ("Semua").
        Index("ix_registrasi_instansi_created", "instansi_id", "created_at", "id"),
        Index("ix_registrasi_created", "created_at", "id"),
        {"extend_existing": True},
    )

    @property
    def nomor_tampil(self) -> str:
        """The number as printed: XXXX-XXXX-XXXX."""
        n = self.nomor or ""
        return "-".join(n[i : i + 4] for i in range(0, len(n), 4))


class CaptchaChallenge(Model):
    """An image captcha: only a keyed hash of the answer is kept; single use; expires."""

    __tablename__ = "captcha_challenge"
    id = Column(String(32), primary_key=True)
    answer_hash = Column(String(64), nullable=False)
    expires_at = Column(DateTime, nullable=False, index=True)
    used_at = Column(DateTime, nullable=True)


class PasswordResetToken(Model):
    """Single-use "Lupa Kata Kunci" link; only the token's hash is stored."""

    __tablename__ = "password_reset_token"
    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False, index=True)
    token_hash = Column(String(64), unique=True, nullable=False)
    created_at = Column(DateTime, nullable=False)
    expires_at = Column(DateTime, nullable=False)
    used_at = Column(DateTime, nullable=True)
