"""Shared column helpers for the domain models."""

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import Column, DateTime, ForeignKey, Integer
from sqlalchemy.orm import declared_attr, relationship


def utcnow() -> dt.datetime:
    """Naive UTC timestamp; every stored time in e-PUPNS is UTC."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class TimestampMixin:
    created_at = Column(DateTime, default=utcnow, nullable=False)
    updated_at = Column(DateTime, default=utcnow, onupdate=utcnow, nullable=False)


class PegawaiChildMixin(TimestampMixin):
    """A row that belongs to one Pegawai (history, family) and may carry a scanned document."""

    id = Column(Integer, primary_key=True)

    @declared_attr
    def pegawai_id(cls):
        return Column(Integer, ForeignKey("pegawai.id", ondelete="CASCADE"), nullable=False, index=True)

    @declared_attr
    def pegawai(cls):
        return relationship("Pegawai")

    @declared_attr
    def dokumen_id(cls):
        return Column(Integer, ForeignKey("dokumen.id", ondelete="SET NULL"), nullable=True)

    @declared_attr
    def dokumen(cls):
        return relationship("Dokumen")


__all__ = ["Model", "utcnow", "TimestampMixin", "PegawaiChildMixin"]
