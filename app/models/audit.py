"""Audit trail of security and master-data events, and the local mail outbox."""

from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String, Text

from .base import Model, utcnow


class AuditLog(Model):
    """Who did what to which record, from where, when (UTC). Never holds secrets."""

    __tablename__ = "audit_log"
    id = Column(Integer, primary_key=True)
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    actor_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"), nullable=True)
    actor_name = Column(String(128), nullable=True)
    ip = Column(String(45), nullable=True)
    event = Column(String(40), nullable=False)
    target_type = Column(String(40), nullable=True)
    target_id = Column(String(40), nullable=True)
    detail = Column(Text, nullable=True)

    __table_args__ = (Index("ix_audit_target", "target_type", "target_id"), {"extend_existing": True})


class OutboxMail(Model):
    """Every mail the app sends; delivered by SMTP when configured, else read here by Admin."""

    __tablename__ = "outbox_mail"
    id = Column(Integer, primary_key=True)
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    recipient = Column(String(254), nullable=False)
    subject = Column(String(200), nullable=False)
    body = Column(Text, nullable=False)
    sent_at = Column(DateTime, nullable=True)
    error = Column(Text, nullable=True)
