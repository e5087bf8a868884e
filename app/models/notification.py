"""In-app messages to a user (the PNS hears of a returned or finished submission here and by mail)."""

from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import relationship

from .base import Model, utcnow


class Pesan(Model):
    """One message to one user; `read_at` is set when he marks it read."""

    __tablename__ = "pesan"
    KIND_RETURNED = "dikembalikan"
    KIND_FINISHED = "selesai"
    KINDS = (KIND_RETURNED, KIND_FINISHED)

    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False)
    usulan_id = Column(Integer, ForeignKey("usulan.id", ondelete="SET NULL"), nullable=True)
    usulan = relationship("Usulan")
    kind = Column(String(20), nullable=False)
    subject = Column(String(200), nullable=False)
    body = Column(Text, nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    read_at = Column(DateTime, nullable=True)

    # The unread badge on every page: one index range per user.
    __table_args__ = (Index("ix_pesan_user_read", "user_id", "read_at", "id"), {"extend_existing": True})
