"""Career history of a Pegawai (riwayat). Every row may carry a scanned document."""

from sqlalchemy import Boolean, Column, Date, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import relationship

from . import codes
from .base import Model, PegawaiChildMixin


class RiwayatGolongan(PegawaiChildMixin, Model):
    __tablename__ = "riwayat_golongan"
    golongan_id = Column(Integer, ForeignKey("golongan.id"), nullable=False)
    golongan = relationship("Golongan")
    nomor_sk = Column(String(60), nullable=True)
    tanggal_sk = Column(Date, nullable=True)
    tmt_golongan = Column(Date, nullable=False)
    nomor_pertek = Column(String(60), nullable=True)
    tanggal_pertek = Column(Date, nullable=True)
    jenis_kp = Column(String(60), nullable=True)  # codes.JENIS_KP
    masa_kerja_tahun = Column(Integer, nullable=True)
    masa_kerja_bulan = Column(Integer, nullable=True)
    angka_kredit = Column(Numeric(8, 3), nullable=True)


class RiwayatJabatan(PegawaiChildMixin, Model):
    __tablename__ = "riwayat_jabatan"
    jenis_jabatan_id = Column(Integer, ForeignKey("jenis_jabatan.id"), nullable=True)
    jenis_jabatan = relationship("JenisJabatan")
    unit_kerja_nama = Column(String(200), nullable=True)
    eselon = Column(String(10), nullable=True)  # codes.ESELON
    nama_jabatan = Column(String(200), nullable=False)
    tmt_jabatan = Column(Date, nullable=False)
    tmt_selesai = Column(Date, nullable=True)
    nomor_sk = Column(String(60), nullable=True)
    tanggal_sk = Column(Date, nullable=True)
    tmt_pelantikan = Column(Date, nullable=True)


class RiwayatPendidikan(PegawaiChildMixin, Model):
    __tablename__ = "riwayat_pendidikan"
    tingkat_pendidikan_id = Column(Integer, ForeignKey("tingkat_pendidikan.id"), nullable=False)
    tingkat_pendidikan = relationship("TingkatPendidikan")
    jurusan = Column(String(150), nullable=True)
    nama_sekolah = Column(String(200), nullable=False)
    tahun_lulus = Column(Integer, nullable=True)
    tanggal_lulus = Column(Date, nullable=True)
    nomor_ijazah = Column(String(60), nullable=True)
    gelar_depan = Column(String(30), nullable=True)
    gelar_belakang = Column(String(60), nullable=True)
    pendidikan_pertama = Column(Boolean, nullable=False, default=False)


class RiwayatDiklat(PegawaiChildMixin, Model):
    """Diklat struktural (diklatpim), fungsional and teknis/kursus, told apart by jenis."""

    __tablename__ = "riwayat_diklat"
    jenis_diklat_id = Column(Integer, ForeignKey("jenis_diklat.id"), nullable=False)
    jenis_diklat = relationship("JenisDiklat")
    nama = Column(String(200), nullable=False)
    nomor_sertifikat = Column(String(60), nullable=True)
    tanggal_mulai = Column(Date, nullable=True)
    tanggal_selesai = Column(Date, nullable=True)
    tahun = Column(Integer, nullable=True)
    jumlah_jam = Column(Integer, nullable=True)
    penyelenggara = Column(String(200), nullable=True)


class Penghargaan(PegawaiChildMixin, Model):
    __tablename__ = "penghargaan"
    jenis = Column(String(150), nullable=False)
    nomor_sk = Column(String(60), nullable=True)
    tanggal_sk = Column(Date, nullable=True)
    tahun = Column(Integer, nullable=True)


class RiwayatSkp(PegawaiChildMixin, Model):
    """Yearly appraisal: SKP (since 2014) or DP3 (before); the DP3-only criteria stay empty for SKP."""

    __tablename__ = "riwayat_skp"
    JENIS_SKP = codes.SKP
    JENIS_DP3 = codes.DP3
    jenis = Column(String(3), nullable=False, default=JENIS_SKP)
    tahun = Column(Integer, nullable=False)
    nilai_skp = Column(Numeric(5, 2), nullable=True)
    orientasi_pelayanan = Column(Numeric(5, 2), nullable=True)
    integritas = Column(Numeric(5, 2), nullable=True)
    komitmen = Column(Numeric(5, 2), nullable=True)
    disiplin = Column(Numeric(5, 2), nullable=True)
    kerja_sama = Column(Numeric(5, 2), nullable=True)
    kepemimpinan = Column(Numeric(5, 2), nullable=True)
    kesetiaan = Column(Numeric(5, 2), nullable=True)
    prestasi_kerja = Column(Numeric(5, 2), nullable=True)
    tanggung_jawab = Column(Numeric(5, 2), nullable=True)
    ketaatan = Column(Numeric(5, 2), nullable=True)
    kejujuran = Column(Numeric(5, 2), nullable=True)
    prakarsa = Column(Numeric(5, 2), nullable=True)
    penilai_nip = Column(String(18), nullable=True)
    penilai_nama = Column(String(150), nullable=True)
    penilai_jabatan = Column(String(200), nullable=True)
    penilai_golongan = Column(String(6), nullable=True)
    atasan_penilai_nip = Column(String(18), nullable=True)
    atasan_penilai_nama = Column(String(150), nullable=True)


class HukumanDisiplin(PegawaiChildMixin, Model):
    __tablename__ = "hukuman_disiplin"
    jenis_hukuman = Column(String(150), nullable=False)  # codes.JENIS_HUKUMAN
    nomor_sk = Column(String(60), nullable=True)
    tanggal_sk = Column(Date, nullable=True)
    tanggal_hukuman = Column(Date, nullable=True)
    masa_tahun = Column(Integer, nullable=True)
    masa_bulan = Column(Integer, nullable=True)
    akhir_hukuman = Column(Date, nullable=True)
    alasan = Column(Text, nullable=True)
    nomor_pp = Column(String(60), nullable=True)
    nomor_pembatalan = Column(String(60), nullable=True)
    tanggal_pembatalan = Column(Date, nullable=True)


class Organisasi(PegawaiChildMixin, Model):
    __tablename__ = "organisasi"
    nama_organisasi = Column(String(200), nullable=False)
    jabatan = Column(String(150), nullable=True)
    tahun_mulai = Column(Integer, nullable=True)
    tahun_selesai = Column(Integer, nullable=True)


class Kompetensi(PegawaiChildMixin, Model):
    """Self-assessment and competence entries (jenis = self_assessment | kompetensi)."""

    __tablename__ = "kompetensi"
    JENIS_SELF_ASSESSMENT = codes.SELF_ASSESSMENT
    JENIS_KOMPETENSI = codes.KOMPETENSI
    jenis = Column(String(20), nullable=False, default=JENIS_KOMPETENSI)
    nama = Column(String(200), nullable=False)
    tahun = Column(Integer, nullable=True)
    nilai = Column(Numeric(5, 2), nullable=True)
    uraian = Column(Text, nullable=True)
