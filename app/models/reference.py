"""Reference tables (seeded, editable by Admin)."""

from sqlalchemy import Column, Date, Integer, String

from .base import Model


class Golongan(Model):
    """Golongan/ruang I/a … IV/e; `tingkat` orders them (SIASN ids 11..45)."""

    __tablename__ = "golongan"
    id = Column(Integer, primary_key=True)
    kode = Column(String(6), unique=True, nullable=False)  # "III/a"
    pangkat = Column(String(60), nullable=False)
    tingkat = Column(Integer, unique=True, nullable=False)

    def __repr__(self):
        return f"{self.kode} – {self.pangkat}"


class TingkatPendidikan(Model):
    __tablename__ = "tingkat_pendidikan"
    id = Column(Integer, primary_key=True)
    kode = Column(String(4), unique=True, nullable=False)  # SIASN code "40"
    nama = Column(String(60), unique=True, nullable=False)  # "S-1"

    def __repr__(self):
        return self.nama


class Agama(Model):
    __tablename__ = "agama"
    id = Column(Integer, primary_key=True)
    nama = Column(String(40), unique=True, nullable=False)

    def __repr__(self):
        return self.nama


class StatusPerkawinan(Model):
    __tablename__ = "status_perkawinan"
    id = Column(Integer, primary_key=True)
    nama = Column(String(40), unique=True, nullable=False)

    def __repr__(self):
        return self.nama


class JenisJabatan(Model):
    """Kept with validity dates: the 2014 ASN law renamed the kinds of position."""

    __tablename__ = "jenis_jabatan"
    id = Column(Integer, primary_key=True)
    nama = Column(String(60), unique=True, nullable=False)
    berlaku_mulai = Column(Date, nullable=True)
    berlaku_sampai = Column(Date, nullable=True)

    def __repr__(self):
        return self.nama


class JenisDiklat(Model):
    __tablename__ = "jenis_diklat"
    KATEGORI_STRUKTURAL = "struktural"
    KATEGORI_FUNGSIONAL = "fungsional"
    KATEGORI_TEKNIS = "teknis"

    id = Column(Integer, primary_key=True)
    nama = Column(String(100), unique=True, nullable=False)
    kategori = Column(String(20), nullable=False)

    def __repr__(self):
        return self.nama


class SecurityQuestion(Model):
    __tablename__ = "security_question"
    id = Column(Integer, primary_key=True)
    pertanyaan = Column(String(200), unique=True, nullable=False)

    def __repr__(self):
        return self.pertanyaan
