"""Family of a Pegawai (pasangan, anak, orang tua) and housing (perumahan)."""

from sqlalchemy import Boolean, Column, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import relationship

from . import codes
from .base import Model, PegawaiChildMixin

# Coded columns (status_hidup, status_anak, hubungan, jenis_kelamin, status_kepemilikan):
# their codes and labels live in models.codes.
STATUS_HIDUP = codes.HIDUP
STATUS_MENINGGAL = codes.MENINGGAL


class Pasangan(PegawaiChildMixin, Model):
    __tablename__ = "pasangan"
    nama = Column(String(150), nullable=False)
    nik = Column(String(16), nullable=True)
    tempat_lahir = Column(String(80), nullable=True)
    tanggal_lahir = Column(Date, nullable=True)
    status_hidup = Column(String(10), nullable=False, default=STATUS_HIDUP)
    tanggal_menikah = Column(Date, nullable=True)
    akta_menikah = Column(String(60), nullable=True)
    tanggal_cerai = Column(Date, nullable=True)
    akta_cerai = Column(String(60), nullable=True)
    no_karis_karsu = Column(String(30), nullable=True)
    is_pns = Column(Boolean, nullable=False, default=False)
    nip = Column(String(18), nullable=True)


class Anak(PegawaiChildMixin, Model):
    """Every child, including those no longer on the family card (Satgas rule)."""

    __tablename__ = "anak"
    STATUS_KANDUNG = codes.ANAK_KANDUNG
    STATUS_TIRI = codes.ANAK_TIRI
    STATUS_ANGKAT = codes.ANAK_ANGKAT
    nama = Column(String(150), nullable=False)
    nik = Column(String(16), nullable=True)
    tempat_lahir = Column(String(80), nullable=True)
    tanggal_lahir = Column(Date, nullable=True)
    jenis_kelamin = Column(String(1), nullable=True)
    status_anak = Column(String(10), nullable=False, default=STATUS_KANDUNG)
    status_hidup = Column(String(10), nullable=False, default=STATUS_HIDUP)
    tingkat_pendidikan_id = Column(Integer, ForeignKey("tingkat_pendidikan.id"), nullable=True)
    tingkat_pendidikan = relationship("TingkatPendidikan")
    nama_sekolah = Column(String(200), nullable=True)


class OrangTua(PegawaiChildMixin, Model):
    __tablename__ = "orang_tua"
    HUBUNGAN_AYAH = codes.AYAH
    HUBUNGAN_IBU = codes.IBU
    hubungan = Column(String(5), nullable=False)
    nama = Column(String(150), nullable=False)
    tempat_lahir = Column(String(80), nullable=True)
    tanggal_lahir = Column(Date, nullable=True)
    status_hidup = Column(String(10), nullable=False, default=STATUS_HIDUP)
    pekerjaan = Column(String(100), nullable=True)


class Perumahan(PegawaiChildMixin, Model):
    __tablename__ = "perumahan"
    status_kepemilikan = Column(String(40), nullable=False)  # codes.STATUS_KEPEMILIKAN
    alamat = Column(Text, nullable=True)
    kode_pos = Column(String(5), nullable=True)
    bantuan_bapertarum = Column(Boolean, nullable=False, default=False)
    tahun = Column(Integer, nullable=True)
