"""Materialised monitoring figures (DESIGN.md §3 Monitoring, §5: the national dashboard
under 150 ms at 4.5 million PNS).

The dashboard never counts Pegawai rows per request: `services.monitoring.refresh()` rebuilds
these tables in one transaction from set-based INSERT … SELECT … GROUP BY queries, and every
drill-down level sums the (at most ~40,000) unit rows. They are derived data: no foreign keys,
so deleting a unit or an instansi is never blocked by a stale figure (the next refresh drops it).
"""

from sqlalchemy import Column, DateTime, Float, Index, Integer, String

from .base import Model

# The per-PNS stage ("tahap") the monitoring counts, one per active PNS (see
# services.monitoring for the precedence): the columns of RekapUnit with these names.
TAHAP_BELUM_DAFTAR = "belum_daftar"
TAHAP_MENUNGGU = "menunggu"
TAHAP_BELUM_KIRIM = "belum_kirim"
TAHAP_DIKEMBALIKAN = "dikembalikan"
TAHAP_DI_SKPD = "di_skpd"
TAHAP_DI_INSTANSI = "di_instansi"
TAHAP_DI_BKN = "di_bkn"
TAHAP_SELESAI = "selesai"
TAHAP = (
    TAHAP_BELUM_DAFTAR,
    TAHAP_MENUNGGU,
    TAHAP_BELUM_KIRIM,
    TAHAP_DIKEMBALIKAN,
    TAHAP_DI_SKPD,
    TAHAP_DI_INSTANSI,
    TAHAP_DI_BKN,
    TAHAP_SELESAI,
)


class RekapUnit(Model):
    """Counts of the active PNS of one unit kerja (exactly that unit, not its sub-units) of
    one instansi; `unit_kerja_id` is NULL for the PNS of an instansi without a unit.

    `kanreg_id` and `unit_path` are copies (Instansi.kanreg_id, UnitKerja.path) so every
    drill-down level is one indexed range of this table."""

    __tablename__ = "rekap_unit"
    id = Column(Integer, primary_key=True)
    kanreg_id = Column(Integer, nullable=False)
    instansi_id = Column(Integer, nullable=False)
    unit_kerja_id = Column(Integer, nullable=True)
    unit_path = Column(String(255), nullable=True)
    jumlah_pns = Column(Integer, nullable=False, default=0)
    terdaftar = Column(Integer, nullable=False, default=0)  # a live registration (pending or approved)
    disetujui = Column(Integer, nullable=False, default=0)  # an approved registration
    # One column per TAHAP; together they add up to jumlah_pns.
    belum_daftar = Column(Integer, nullable=False, default=0)
    menunggu = Column(Integer, nullable=False, default=0)
    belum_kirim = Column(Integer, nullable=False, default=0)
    dikembalikan = Column(Integer, nullable=False, default=0)
    di_skpd = Column(Integer, nullable=False, default=0)
    di_instansi = Column(Integer, nullable=False, default=0)
    di_bkn = Column(Integer, nullable=False, default=0)
    selesai = Column(Integer, nullable=False, default=0)

    __table_args__ = (
        Index("ix_rekap_unit_kanreg", "kanreg_id", "instansi_id"),
        Index("ix_rekap_unit_instansi_path", "instansi_id", "unit_path"),
        {"extend_existing": True},
    )


class RekapAntrian(Model):
    """One verification queue: the submissions waiting at one level for one verifier scope —
    SKPD level per unit kerja, Instansi level per instansi, BKN level per Kanreg — with the
    time the oldest arrived and the median arrival time (lower median), from UsulanEvent."""

    __tablename__ = "rekap_antrian"
    id = Column(Integer, primary_key=True)
    level = Column(String(12), nullable=False)  # Usulan.DI_SKPD / DI_INSTANSI / DI_BKN
    kanreg_id = Column(Integer, nullable=False)
    instansi_id = Column(Integer, nullable=True)  # NULL for the BKN level
    unit_kerja_id = Column(Integer, nullable=True)  # set for the SKPD level only
    unit_path = Column(String(255), nullable=True)
    jumlah = Column(Integer, nullable=False, default=0)
    oldest_since = Column(DateTime, nullable=False)
    median_since = Column(DateTime, nullable=False)

    __table_args__ = (
        Index("ix_rekap_antrian_kanreg", "kanreg_id", "instansi_id"),
        Index("ix_rekap_antrian_oldest", "oldest_since"),
        {"extend_existing": True},
    )


class RekapRefresh(Model):
    """When the monitoring tables were last rebuilt (a single row, id 1)."""

    __tablename__ = "rekap_refresh"
    id = Column(Integer, primary_key=True)
    refreshed_at = Column(DateTime, nullable=False)
    seconds = Column(Float, nullable=False, default=0.0)
