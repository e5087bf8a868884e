"""Pegawai: the official personnel record ("data utama") and its documents."""

from sqlalchemy import DDL, BigInteger, Column, Date, ForeignKey, Index, Integer, String, Text, event
from sqlalchemy.orm import relationship

from . import codes
from .base import Model, TimestampMixin


class Pegawai(TimestampMixin, Model):
    __tablename__ = "pegawai"

    # Coded columns (jenis_kelamin, status): their codes and labels live in models.codes.
    STATUS_CPNS = codes.PEGAWAI_CPNS
    STATUS_PNS = codes.PEGAWAI_PNS
    STATUS_PENSIUN = codes.PEGAWAI_PENSIUN
    STATUS_BERHENTI = codes.PEGAWAI_BERHENTI
    STATUSES = tuple(codes.ENUMS[codes.STATUS_PEGAWAI])
    ACTIVE_STATUSES = (STATUS_CPNS, STATUS_PNS)
    GENDER_MALE = codes.GENDER_MALE
    GENDER_FEMALE = codes.GENDER_FEMALE

    id = Column(Integer, primary_key=True)
    nip = Column(String(18), unique=True, nullable=False)
    nip_lama = Column(String(9), nullable=True)
    nik = Column(String(16), nullable=True, index=True)
    nama = Column(String(150), nullable=False)
    gelar_depan = Column(String(30), nullable=True)
    gelar_belakang = Column(String(60), nullable=True)
    tempat_lahir = Column(String(80), nullable=True)
    tanggal_lahir = Column(Date, nullable=False)
    jenis_kelamin = Column(String(1), nullable=False)
    agama_id = Column(Integer, ForeignKey("agama.id"), nullable=True)
    agama = relationship("Agama")
    status_perkawinan_id = Column(Integer, ForeignKey("status_perkawinan.id"), nullable=True)
    status_perkawinan = relationship("StatusPerkawinan")
    alamat = Column(Text, nullable=True)
    kode_pos = Column(String(5), nullable=True)
    no_hp = Column(String(20), nullable=True)
    email = Column(String(254), nullable=True)
    npwp = Column(String(20), nullable=True)
    no_bpjs = Column(String(20), nullable=True)
    no_taspen = Column(String(20), nullable=True)
    no_karpeg = Column(String(20), nullable=True)

    instansi_id = Column(Integer, ForeignKey("instansi.id"), nullable=False)
    instansi = relationship("Instansi")
    unit_kerja_id = Column(Integer, ForeignKey("unit_kerja.id"), nullable=True)
    unit_kerja = relationship("UnitKerja")
    status = Column(String(10), nullable=False, default=STATUS_PNS, index=True)

    tmt_cpns = Column(Date, nullable=False)
    sk_cpns_nomor = Column(String(60), nullable=True)
    sk_cpns_tanggal = Column(Date, nullable=True)
    tmt_pns = Column(Date, nullable=True)
    sk_pns_nomor = Column(String(60), nullable=True)
    sk_pns_tanggal = Column(Date, nullable=True)
    golongan_id = Column(Integer, ForeignKey("golongan.id"), nullable=True)
    golongan = relationship("Golongan")
    tmt_golongan = Column(Date, nullable=True)
    jenis_jabatan_id = Column(Integer, ForeignKey("jenis_jabatan.id"), nullable=True)
    jenis_jabatan = relationship("JenisJabatan")
    jabatan = Column(String(200), nullable=True)
    tmt_jabatan = Column(Date, nullable=True)
    pendidikan_terakhir_id = Column(Integer, ForeignKey("tingkat_pendidikan.id"), nullable=True)
    pendidikan_terakhir = relationship("TingkatPendidikan")
    # Bumped on every change to the official record; a draft remembers the version it
    # was made from so a later verifier can see a conflict instead of overwriting it.
    record_version = Column(Integer, nullable=False, default=1)

    __table_args__ = (
        # Inbox and monitoring lists filter by instansi/unit and status and order by nama.
        Index("ix_pegawai_instansi_status_nama", "instansi_id", "status", "nama"),
        Index("ix_pegawai_unit_status_nama", "unit_kerja_id", "status", "nama"),
        # National lists sorted by name (keyset pages walk it from the last row shown).
        Index("ix_pegawai_nama_id", "nama", "id"),
        # Name search ("contains", any case) on PostgreSQL: a pg_trgm GIN index serves ILIKE
        # '%…%' (the migration creates the extension). SQLite gets a plain index of that name.
        Index("ix_pegawai_nama_trgm", "nama", postgresql_using="gin", postgresql_ops={"nama": "gin_trgm_ops"}),
        {"extend_existing": True},
    )

    @property
    def nama_lengkap(self) -> str:
        """Name with academic titles, as printed on official documents."""
        parts = [self.gelar_depan, self.nama]
        full = " ".join(p for p in parts if p)
        return f"{full}, {self.gelar_belakang}" if self.gelar_belakang else full

    def __repr__(self):
        return f"{self.nip} {self.nama}"


# `create_all` (the tests) needs pg_trgm before the trigram index; the migration creates it too.
event.listen(
    Pegawai.__table__, "before_create", DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql")
)


class Dokumen(TimestampMixin, Model):
    """A scanned document (SK, ijazah, …) stored outside the web root under a generated name."""

    __tablename__ = "dokumen"
    id = Column(Integer, primary_key=True)
    pegawai_id = Column(Integer, ForeignKey("pegawai.id", ondelete="CASCADE"), nullable=False, index=True)
    pegawai = relationship("Pegawai")
    stored_name = Column(String(80), unique=True, nullable=False)
    original_name = Column(String(255), nullable=False)
    content_type = Column(String(50), nullable=False)
    size_bytes = Column(BigInteger, nullable=False)
    sha256 = Column(String(64), nullable=False)
    uploaded_by_id = Column(Integer, ForeignKey("ab_user.id"), nullable=True)

    def __repr__(self):
        return self.original_name
