"""A PNS's proposal to correct his record (Usulan) and the trail it leaves.

Only `app/services/workflow.py` changes an Usulan's status or applies it to the official
record; these classes hold data and constants, no workflow logic.
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import relationship

from .base import Model, TimestampMixin, utcnow


class Usulan(TimestampMixin, Model):
    """One proposal of one Pegawai, from draft to selesai. At most one is open (not selesai)
    per Pegawai (partial unique index); finished ones stay as history."""

    __tablename__ = "usulan"
    DRAFT = "draft"
    DI_SKPD = "di_skpd"
    DI_INSTANSI = "di_instansi"
    DI_BKN = "di_bkn"
    SELESAI = "selesai"
    STATUSES = (DRAFT, DI_SKPD, DI_INSTANSI, DI_BKN, SELESAI)
    IN_VERIFICATION = (DI_SKPD, DI_INSTANSI, DI_BKN)
    STATUS_LABELS = {
        DRAFT: _l("Draft"),
        DI_SKPD: _l("At SKPD"),
        DI_INSTANSI: _l("At Instansi"),
        DI_BKN: _l("At BKN"),
        SELESAI: _l("Completed"),
    }

    id = Column(Integer, primary_key=True)
    pegawai_id = Column(Integer, ForeignKey("pegawai.id", ondelete="CASCADE"), nullable=False, index=True)
    pegawai = relationship("Pegawai")
    status = Column(String(12), nullable=False, default=DRAFT)
    # Copies of the Pegawai's instansi / unit, refreshed by the workflow at every step, so an
    # inbox is one index range (status, unit or instansi, submitted_at) even at national scale.
    # Permission checks always judge the Pegawai itself (services.scope).
    instansi_id = Column(Integer, ForeignKey("instansi.id"), nullable=False)
    unit_kerja_id = Column(Integer, ForeignKey("unit_kerja.id"), nullable=True)
    # And of his name, the inbox's other sort key (services.copies keeps the copies in step).
    pegawai_nama = Column(String(150), nullable=False)
    # Pegawai.record_version (and the data utama, as JSON) the proposal is based on: set when
    # the draft is made and again at each Kirim; a different version at apply is a conflict.
    base_record_version = Column(Integer, nullable=False)
    base_json = Column(Text, nullable=False, default="{}")
    needs_bkn = Column(Boolean, nullable=False, default=False)
    submitted_at = Column(DateTime, nullable=True)
    finished_at = Column(DateTime, nullable=True)
    # Optimistic lock: every UPDATE checks and bumps it; a page posts the version it showed.
    version = Column(Integer, nullable=False)

    items = relationship("UsulanItem", back_populates="usulan", cascade="all, delete-orphan", order_by="UsulanItem.id")
    sections = relationship("UsulanSection", back_populates="usulan", cascade="all, delete-orphan")
    events = relationship(
        "UsulanEvent", back_populates="usulan", cascade="all, delete-orphan", order_by="UsulanEvent.id"
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index(
            "uq_usulan_open_pegawai",
            "pegawai_id",
            unique=True,
            postgresql_where=text("status != 'selesai'"),
            sqlite_where=text("status != 'selesai'"),
        ),
        # Inboxes: one status, the verifier's unit subtree / instansi (or a Kanreg's instansi),
        # oldest submission first.
        Index("ix_usulan_status_unit_submitted", "status", "unit_kerja_id", "submitted_at"),
        # National inboxes (BKN Pusat, Helpdesk, Admin): one status, oldest first, keyset by id.
        Index("ix_usulan_status_submitted_id", "status", "submitted_at", "id"),
        # Sorted by name: nationally, and within one instansi.
        Index("ix_usulan_status_nama_id", "status", "pegawai_nama", "id"),
        Index("ix_usulan_status_instansi_nama_id", "status", "instansi_id", "pegawai_nama", "id"),
        # The inbox's name search ("contains", any case): pg_trgm on PostgreSQL, over the
        # submissions only (a plain index elsewhere).
        Index(
            "ix_usulan_nama_trgm",
            "pegawai_nama",
            postgresql_using="gin",
            postgresql_ops={"pegawai_nama": "gin_trgm_ops"},
        ),
        Index("ix_usulan_status_instansi_submitted", "status", "instansi_id", "submitted_at"),
        {"extend_existing": True},
    )

    @property
    def status_label(self):
        return self.STATUS_LABELS.get(self.status, self.status)

    def __repr__(self):
        return f"Usulan {self.id} ({self.status})"


class UsulanItem(TimestampMixin, Model):
    """One proposed change: a data-utama edit, or adding / changing / removing one row of a
    history or family table. Values are JSON (dates as ISO strings, decimals as strings)."""

    __tablename__ = "usulan_item"
    OP_ADD = "add"
    OP_CHANGE = "change"
    OP_REMOVE = "remove"
    OPERATIONS = (OP_ADD, OP_CHANGE, OP_REMOVE)
    SESUAI = "sesuai"
    TIDAK_SESUAI = "tidak_sesuai"
    VERDICTS = (SESUAI, TIDAK_SESUAI)
    # Why a verifier marks an item "tidak sesuai" (2015 codes; BTS = berkas tidak sesuai).
    REASONS = {
        "BTS": _l("Document does not match the data"),
        "BTA": _l("Supporting document missing"),
        "BTJ": _l("Document unreadable"),
        "DTS": _l("Data does not match the official source"),
        "DTL": _l("Data incomplete"),
        "LAIN": _l("Other reason (see note)"),
    }

    id = Column(Integer, primary_key=True)
    # Indexed by uq_usulan_item_target, whose first column it is.
    usulan_id = Column(Integer, ForeignKey("usulan.id", ondelete="CASCADE"), nullable=False)
    usulan = relationship("Usulan", back_populates="items")
    section = Column(String(40), nullable=False)  # "data_utama" or a PEGAWAI_CHILD_MODELS table
    operation = Column(String(6), nullable=False)
    target_id = Column(Integer, nullable=True)  # the changed / removed row (Pegawai id for data utama)
    values_json = Column(Text, nullable=False, default="{}")  # proposed values
    official_json = Column(Text, nullable=True)  # official values when proposed (change/remove)
    dokumen_id = Column(Integer, ForeignKey("dokumen.id", ondelete="SET NULL"), nullable=True)
    dokumen = relationship("Dokumen")
    verdict = Column(String(12), nullable=True)
    verdict_reason = Column(String(8), nullable=True)
    verdict_note = Column(Text, nullable=True)
    verdict_level = Column(String(10), nullable=True)
    verdict_by_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"), nullable=True)
    verdict_at = Column(DateTime, nullable=True)

    __table_args__ = (
        # One item per existing row (NULL target_id rows, i.e. additions, are all distinct).
        UniqueConstraint("usulan_id", "section", "target_id", name="uq_usulan_item_target"),
        {"extend_existing": True},
    )

    @property
    def verdict_reason_label(self):
        return self.REASONS.get(self.verdict_reason, self.verdict_reason)


class UsulanSection(Model):
    """The PNS marked one section "sudah diperiksa" (reviewed); cleared when he edits it again."""

    __tablename__ = "usulan_section"
    id = Column(Integer, primary_key=True)
    usulan_id = Column(Integer, ForeignKey("usulan.id", ondelete="CASCADE"), nullable=False)
    usulan = relationship("Usulan", back_populates="sections")
    section = Column(String(40), nullable=False)
    reviewed_at = Column(DateTime, nullable=True)

    __table_args__ = (
        UniqueConstraint("usulan_id", "section", name="uq_usulan_section"),
        {"extend_existing": True},
    )


class UsulanEvent(Model):
    """One row per transition: who (and at which level) moved it from where to where, why, when (UTC)."""

    __tablename__ = "usulan_event"
    id = Column(Integer, primary_key=True)
    usulan_id = Column(Integer, ForeignKey("usulan.id", ondelete="CASCADE"), nullable=False, index=True)
    usulan = relationship("Usulan", back_populates="events")
    actor_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"), nullable=True)
    actor = relationship("PupnsUser")
    actor_name = Column(String(128), nullable=True)  # kept if the account is deleted later
    level = Column(String(10), nullable=False)
    from_status = Column(String(12), nullable=False)
    to_status = Column(String(12), nullable=False)
    action = Column(String(15), nullable=False)
    reason = Column(Text, nullable=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)


class RecordChange(Model):
    """Old and new value of one field of an official record (data utama or a history/family
    row), written whenever the record changes: the record's history."""

    __tablename__ = "record_change"
    # Where the change came from: a verified Usulan, a staff edit in the Pegawai screens, or
    # `pupns import-pegawai` (no actor).
    SOURCE_USULAN = "usulan"
    SOURCE_STAFF = "staff"
    SOURCE_IMPORT = "import"
    SOURCES = (SOURCE_USULAN, SOURCE_STAFF, SOURCE_IMPORT)

    id = Column(Integer, primary_key=True)
    pegawai_id = Column(Integer, ForeignKey("pegawai.id", ondelete="CASCADE"), nullable=False)
    section = Column(String(40), nullable=False)
    row_id = Column(Integer, nullable=True)
    field = Column(String(60), nullable=False)
    old_value = Column(Text, nullable=True)  # JSON-encoded, like UsulanItem values
    new_value = Column(Text, nullable=True)
    usulan_id = Column(Integer, ForeignKey("usulan.id", ondelete="SET NULL"), nullable=True, index=True)
    actor_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"), nullable=True)
    changed_at = Column(DateTime, nullable=False, default=utcnow)
    source = Column(String(10), nullable=False, default=SOURCE_USULAN, server_default=SOURCE_USULAN)

    __table_args__ = (
        # A record's history page: newest first.
        Index("ix_record_change_pegawai_changed", "pegawai_id", "changed_at"),
        {"extend_existing": True},
    )
