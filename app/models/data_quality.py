"""The data-quality report (issue 14): which official records break which rule of
`services.rules.CATALOGUE`, per instansi, for BKD to clean.

Derived data like the monitoring tables (`models.monitoring`): rebuilt by
`services.data_quality.refresh()`, never edited by hand, no foreign keys (deleting a record,
a unit or an instansi is never blocked by a stale finding; the next refresh drops it).
`instansi_id`, `kanreg_id` and `unit_path` are copies so a scope is one index range.
"""

from sqlalchemy import Column, DateTime, Float, Index, Integer, String

from .base import Model


class DataQualityFinding(Model):
    """One finding of one rule on one official record: where it sits (section, row index of
    `rules.record_of`'s order, field) and how bad it is."""

    __tablename__ = "data_quality_finding"
    id = Column(Integer, primary_key=True)
    pegawai_id = Column(Integer, nullable=False)
    instansi_id = Column(Integer, nullable=False)
    kanreg_id = Column(Integer, nullable=True)
    unit_path = Column(String(255), nullable=True)
    section = Column(String(40), nullable=False)
    row = Column(Integer, nullable=True)  # index in the section (None: the section as a whole)
    code = Column(String(40), nullable=False)
    severity = Column(String(10), nullable=False)
    field = Column(String(40), nullable=False, default="")
    checked_at = Column(DateTime, nullable=False)

    __table_args__ = (
        Index("ix_dq_finding_instansi_code", "instansi_id", "code", "pegawai_id"),
        Index("ix_dq_finding_pegawai", "pegawai_id"),
        {"extend_existing": True},
    )


class DataQualityCount(Model):
    """Per instansi and rule: how many records break it (a record with the rule broken twice
    counts once). Rebuilt at the end of each instansi's refresh so the report never counts
    findings per request."""

    __tablename__ = "data_quality_count"
    id = Column(Integer, primary_key=True)
    instansi_id = Column(Integer, nullable=False)
    kanreg_id = Column(Integer, nullable=True)
    code = Column(String(40), nullable=False)
    severity = Column(String(10), nullable=False)
    records = Column(Integer, nullable=False, default=0)

    __table_args__ = (
        Index("ix_dq_count_instansi_code", "instansi_id", "code"),
        Index("ix_dq_count_kanreg", "kanreg_id", "instansi_id"),
        {"extend_existing": True},
    )


class DataQualityRun(Model):
    """The last refresh of one instansi: when, over how many records, how long it took."""

    __tablename__ = "data_quality_run"
    instansi_id = Column(Integer, primary_key=True, autoincrement=False)
    kanreg_id = Column(Integer, nullable=True)
    checked_at = Column(DateTime, nullable=False)
    records = Column(Integer, nullable=False, default=0)  # official records checked
    with_errors = Column(Integer, nullable=False, default=0)  # records with at least one error
    with_warnings = Column(Integer, nullable=False, default=0)  # records with at least one warning
    seconds = Column(Float, nullable=False, default=0.0)

    __table_args__ = ({"extend_existing": True},)
