"""factory_boy factories producing valid, consistent Indonesian personnel data."""

import datetime as dt
import itertools

import factory
from faker import Faker
from sqlalchemy import select

from app.extensions import db
from app.models import (
    Registrasi,
    SecurityQuestion,
    Anak,
    Dokumen,
    Golongan,
    Instansi,
    Kanreg,
    Organisasi,
    Pegawai,
    RiwayatGolongan,
    RiwayatJabatan,
    UnitKerja,
)
from app.models import codes
from app.services.rules import add_years, make_nik, make_nip

fake = Faker("id_ID")
_seq = itertools.count(1)


class Base(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"


def _kanreg():
    return db.session.scalars(select(Kanreg).order_by(Kanreg.id)).first()


class InstansiFactory(Base):
    class Meta:
        model = Instansi

    kode = factory.Sequence(lambda n: f"I{n:04d}")
    nama = factory.LazyFunction(lambda: f"Pemerintah Kabupaten {fake.city_name()}")
    jenis = Instansi.JENIS_DAERAH
    kanreg = factory.LazyFunction(_kanreg)


class UnitKerjaFactory(Base):
    class Meta:
        model = UnitKerja

    kode = factory.Sequence(lambda n: f"U{n:06d}")
    nama = factory.LazyFunction(lambda: f"Dinas {fake.word().title()}")
    instansi = factory.SubFactory(InstansiFactory)
    parent = None  # the model derives the path on flush


def _birth_date():
    # Old enough in 2010 to be the parent of any child a test adds (the family rules refuse a
    # parent under 15), young enough to be active.
    return fake.date_between(dt.date(1966, 1, 1), dt.date(1985, 12, 31))


class PegawaiFactory(Base):
    class Meta:
        model = Pegawai

    nama = factory.LazyFunction(lambda: fake.name().upper())
    jenis_kelamin = factory.Iterator([codes.GENDER_MALE, codes.GENDER_FEMALE])
    tanggal_lahir = factory.LazyFunction(_birth_date)
    tempat_lahir = factory.LazyFunction(fake.city_name)
    tmt_cpns = factory.LazyAttribute(lambda o: add_years(o.tanggal_lahir, 23).replace(day=1))
    tmt_pns = factory.LazyAttribute(lambda o: add_years(o.tmt_cpns, 1))
    nip = factory.LazyAttribute(lambda o: make_nip(o.tanggal_lahir, o.tmt_cpns, o.jenis_kelamin, next(_seq) % 999 + 1))
    nik = factory.LazyAttribute(lambda o: make_nik("327301", o.tanggal_lahir, o.jenis_kelamin, next(_seq) % 9999 + 1))
    email = factory.LazyFunction(fake.email)
    status = Pegawai.STATUS_PNS
    unit_kerja = factory.SubFactory(UnitKerjaFactory)
    instansi = factory.LazyAttribute(lambda o: o.unit_kerja.instansi)
    golongan = factory.LazyFunction(
        lambda: db.session.scalars(select(Golongan).where(Golongan.kode == "III/a")).first()
    )


def _golongan(kode):
    return db.session.scalars(select(Golongan).where(Golongan.kode == kode)).one()


class RiwayatGolonganFactory(Base):
    """A golongan history row; pass `kode` ("III/a") and `tmt_golongan`."""

    class Meta:
        model = RiwayatGolongan
        exclude = ("kode",)

    kode = "III/a"
    pegawai = factory.SubFactory(PegawaiFactory)
    golongan = factory.LazyAttribute(lambda o: _golongan(o.kode))
    tmt_golongan = factory.LazyAttribute(lambda o: o.pegawai.tmt_cpns)
    nomor_sk = factory.Sequence(lambda n: f"823/{n:04d}/BKD")


class RiwayatJabatanFactory(Base):
    class Meta:
        model = RiwayatJabatan

    pegawai = factory.SubFactory(PegawaiFactory)
    nama_jabatan = factory.LazyFunction(lambda: f"Staf {fake.word().title()}")
    tmt_jabatan = factory.LazyAttribute(lambda o: o.pegawai.tmt_cpns)


class OrganisasiFactory(Base):
    class Meta:
        model = Organisasi

    pegawai = factory.SubFactory(PegawaiFactory)
    nama_organisasi = "Korpri"
    tahun_mulai = 2005


class AnakFactory(Base):
    class Meta:
        model = Anak

    pegawai = factory.SubFactory(PegawaiFactory)
    nama = factory.LazyFunction(lambda: fake.first_name().upper())
    jenis_kelamin = factory.Iterator([codes.GENDER_MALE, codes.GENDER_FEMALE])
    # Born when the parent was 22 to 35 (the family rules judge the parent's age at the birth).
    tanggal_lahir = factory.LazyAttribute(
        lambda o: min(add_years(o.pegawai.tanggal_lahir, fake.random_int(22, 35)), dt.date(2020, 12, 31))
    )


class DokumenFactory(Base):
    """A supporting document's row (a 4-byte PDF by default); the file itself is not written:
    a test that downloads it writes documents.path_for(stored_name)."""

    class Meta:
        model = Dokumen

    stored_name = factory.Sequence(lambda n: f"{n:032x}")
    original_name = "dokumen.pdf"
    content_type = "application/pdf"
    size_bytes = 4
    sha256 = "0" * 64


class RegistrasiFactory(Base):
    """An approved registration of an existing PNS account (`user`) for its Pegawai: where the
    address the PNS gave lives (mail goes there, not to the account's technical address)."""

    class Meta:
        model = Registrasi

    class Params:
        user = None

    pegawai = factory.LazyAttribute(lambda o: o.user.pegawai)
    instansi_id = factory.LazyAttribute(lambda o: o.pegawai.instansi_id)
    user_id = factory.LazyAttribute(lambda o: o.user.id)
    nomor = factory.LazyFunction(lambda: fake.unique.bothify("????????????", letters="ABCDEFGHJKLMNPQRSTUVWXYZ"))
    email = factory.LazyFunction(lambda: fake.unique.email())
    status = Registrasi.STATUS_DISETUJUI
    security_question_id = factory.LazyFunction(lambda: db.session.scalar(select(SecurityQuestion.id).limit(1)))
    answer_hash = "not-a-hash"
    mother_name_hash = "not-a-hash"
