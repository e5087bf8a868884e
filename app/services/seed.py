"""Demo data for `flask --app run pupns seed-demo` (never for a production database).

Builds a small but realistic slice of the Indonesian civil service as it stood when the 2015
e-PUPNS portal opened (`AS_OF`): six instansi in four Kanreg with unit trees, a few thousand
Pegawai whose NIP and NIK agree with their birth date, gender and TMT CPNS, their career
history (golongan, jabatan, pendidikan, diklat) and family, and one demo account per role.

Everything is drawn from one seed, so the same seed on an empty database gives the same
people. Every record passes `rules.check_pegawai`; histories pass the history rules.
"""
import bisect
import copy
import datetime as dt
import itertools
import random
import re
import time
from dataclasses import dataclass, field

from faker import Faker
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..models import (
    Agama,
    Anak,
    Golongan,
    Instansi,
    JenisDiklat,
    JenisJabatan,
    Kanreg,
    OrangTua,
    Pasangan,
    Pegawai,
    RiwayatDiklat,
    RiwayatGolongan,
    RiwayatJabatan,
    RiwayatPendidikan,
    StatusPerkawinan,
    TingkatPendidikan,
    UnitKerja,
)
from ..models.family import STATUS_HIDUP, STATUS_MENINGGAL
from ..models.schedule import Jadwal
from ..roles import (
    ALL_ROLES,
    ROLE_ADMIN,
    ROLE_HELPDESK,
    ROLE_MONITOR,
    ROLE_PNS,
    ROLE_VERIFIKATOR_BKN,
    ROLE_VERIFIKATOR_INSTANSI,
    ROLE_VERIFIKATOR_SKPD,
)
from ..models import User
from .permissions import sync_roles
from . import demo_progress, monitoring, registration
from .reference_data import load_reference_data
from .rules import add_years, make_nik, make_nip

# The data is a snapshot of the day the 2015 portal opened: deterministic, and every date
# (TMT, SK, graduation, births) lies in the past whatever day the demo runs.
AS_OF = dt.date(2015, 9, 1)
DEFAULT_PEGAWAI = 3000
DEFAULT_SEED = 2015
DEMO_URL = "http://127.0.0.1:5000"
DEMO_EMAIL_DOMAIN = "demo.pupns.local"
# Objects (Pegawai + history rows) per flush: ~500 Pegawai, one multi-row INSERT per table.
FLUSH_EVERY = 5000


class SeedRefused(RuntimeError):
    """The demo seed cannot run on this database; the message is for the operator."""


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class DemoAccount:
    role: str
    username: str
    password: str
    scope: str


@dataclass
class SeedStats:
    pegawai: int = 0
    history_rows: int = 0
    instansi_created: int = 0
    units_created: int = 0
    showcase_pegawai_id: int | None = None


@dataclass
class DemoResult:
    accounts: list[DemoAccount]
    stats: SeedStats
    seconds: float


# --------------------------------------------------------------------------- organisation


@dataclass
class _U:
    """A unit in the spec tree; `kind` picks the careers found there."""

    nama: str
    kind: str = "umum"  # umum | pendidikan | sekolah | kesehatan | faskes
    weight: int = 1
    children: tuple = ()
    id: int | None = None
    path: str = ""
    instansi: "_I" = None


@dataclass
class _I:
    kode: str
    nama: str
    jenis: str
    kanreg: str
    kota: str  # city used in addresses and school names
    regions: tuple  # kab/kota codes (4 digits) where staff usually live
    kode_pos: str  # postal-code prefix of the area
    nip_lama: str  # 3-digit prefix of pre-2008 (9-digit) NIPs
    kampus: tuple  # local universities
    diklat: str  # regional training body
    weight: int
    units: tuple
    id: int | None = None
    flat_units: list = field(default_factory=list)


P, D = Instansi.JENIS_PUSAT, Instansi.JENIS_DAERAH

# Instansi 1 carries the demo accounts; its Dinas Dikpora is the Verifikator SKPD's unit.
DEMO_SKPD_UNIT = "Dinas Pendidikan, Pemuda dan Olahraga"
INSTANSI = [
    _I("3400", "Pemerintah Provinsi DI Yogyakarta", D, "I", "Yogyakarta",
       ("3471", "3404", "3402", "3403", "3401"), "55", "520",
       ("Universitas Gadjah Mada", "Universitas Negeri Yogyakarta", "Universitas Islam Indonesia",
        "Universitas Ahmad Dahlan"), "Badan Pendidikan dan Pelatihan DIY", 22, (
        _U("Sekretariat Daerah", children=(
            _U("Biro Umum, Hubungan Masyarakat dan Protokol"), _U("Biro Organisasi"),
            _U("Biro Hukum"))),
        _U("Badan Kepegawaian Daerah", children=(_U("Bidang Mutasi"), _U("Bidang Pengembangan Pegawai"))),
        _U(DEMO_SKPD_UNIT, "pendidikan", children=(
            _U("Balai Pengembangan Pendidikan Khusus", "pendidikan", children=(
                _U("SLB Negeri 1 Yogyakarta", "sekolah", 2), _U("SLB Negeri 2 Yogyakarta", "sekolah", 2),
                _U("SLB Negeri 1 Sleman", "sekolah", 2))),
            _U("Balai Pemuda dan Olahraga", "pendidikan"))),
        _U("Dinas Kesehatan", "kesehatan", children=(
            _U("Rumah Sakit Jiwa Grhasia", "faskes", 4), _U("Balai Laboratorium Kesehatan", "faskes"))),
    )),
    _I("3404", "Pemerintah Kabupaten Sleman", D, "I", "Sleman",
       ("3404", "3471", "3402", "3403"), "55", "521",
       ("Universitas Gadjah Mada", "Universitas Negeri Yogyakarta", "UPN \"Veteran\" Yogyakarta",
        "Universitas Sarjanawiyata Tamansiswa"), "Badan Pendidikan dan Pelatihan DIY", 20, (
        _U("Sekretariat Daerah", children=(_U("Bagian Umum"), _U("Bagian Organisasi"))),
        _U("Dinas Pendidikan", "pendidikan", children=(
            _U("UPT Pelayanan Pendidikan Kecamatan Depok", "pendidikan", children=(
                _U("SD Negeri Depok 1", "sekolah", 2), _U("SD Negeri Depok 2", "sekolah", 2))),
            _U("SMP Negeri 1 Depok", "sekolah", 2), _U("SMA Negeri 1 Depok", "sekolah", 2))),
        _U("Dinas Kesehatan", "kesehatan", children=(
            _U("Puskesmas Depok I", "faskes", 2), _U("Puskesmas Mlati II", "faskes", 2),
            _U("RSUD Sleman", "faskes", 4))),
        _U("Badan Kepegawaian Daerah"),
    )),
    _I("3578", "Pemerintah Kota Surabaya", D, "II", "Surabaya",
       ("3578", "3515", "3525"), "60", "530",
       ("Universitas Airlangga", "Universitas Negeri Surabaya", "Institut Teknologi Sepuluh Nopember",
        "Universitas PGRI Adi Buana"), "Badan Pendidikan dan Pelatihan Provinsi Jawa Timur", 20, (
        _U("Sekretariat Daerah", children=(_U("Bagian Organisasi"), _U("Bagian Hukum"))),
        _U("Dinas Pendidikan", "pendidikan", children=(
            _U("SD Negeri Kaliasin I", "sekolah", 2), _U("SMP Negeri 1 Surabaya", "sekolah", 2),
            _U("SMA Negeri 5 Surabaya", "sekolah", 2), _U("SMK Negeri 1 Surabaya", "sekolah", 2))),
        _U("Dinas Kesehatan", "kesehatan", children=(
            _U("Puskesmas Ketabang", "faskes", 2), _U("Puskesmas Pucang Sewu", "faskes", 2),
            _U("RSUD dr. Mohamad Soewandhie", "faskes", 4))),
        _U("Badan Kepegawaian dan Diklat"),
    )),
    _I("K023", "Kementerian Pendidikan dan Kebudayaan", P, "V", "Jakarta",
       ("3171", "3172", "3174", "3276", "3201"), "1", "130",
       ("Universitas Indonesia", "Universitas Negeri Jakarta", "Universitas Pendidikan Indonesia",
        "Institut Pertanian Bogor"), "Pusat Pengembangan Sumber Daya Manusia Kemendikbud", 15, (
        _U("Sekretariat Jenderal", children=(
            _U("Biro Kepegawaian", children=(_U("Bagian Mutasi"), _U("Bagian Pengembangan Pegawai"))),
            _U("Biro Keuangan"))),
        _U("Direktorat Jenderal Pendidikan Dasar dan Menengah", "pendidikan", children=(
            _U("Direktorat Pembinaan Sekolah Menengah Atas", "pendidikan"),
            _U("Direktorat Pembinaan Sekolah Menengah Pertama", "pendidikan"))),
        _U("Badan Penelitian dan Pengembangan", "pendidikan", children=(
            _U("Pusat Kurikulum dan Perbukuan", "pendidikan"), _U("Pusat Penilaian Pendidikan", "pendidikan"))),
    )),
    _I("3273", "Pemerintah Kota Bandung", D, "III", "Bandung",
       ("3273", "3204", "3277"), "40", "540",
       ("Universitas Padjadjaran", "Institut Teknologi Bandung", "Universitas Pendidikan Indonesia",
        "Universitas Pasundan"), "Badan Pendidikan dan Pelatihan Provinsi Jawa Barat", 10, (
        _U("Sekretariat Daerah", children=(_U("Bagian Umum"), _U("Bagian Organisasi"))),
        _U("Dinas Pendidikan", "pendidikan", children=(
            _U("SD Negeri Sukajadi 1", "sekolah", 2), _U("SMP Negeri 2 Bandung", "sekolah", 2),
            _U("SMA Negeri 3 Bandung", "sekolah", 2))),
        _U("Dinas Kesehatan", "kesehatan", children=(
            _U("Puskesmas Puter", "faskes", 2), _U("Puskesmas Garuda", "faskes", 2),
            _U("RSUD Kota Bandung", "faskes", 3))),
    )),
    _I("7300", "Pemerintah Provinsi Sulawesi Selatan", D, "IV", "Makassar",
       ("7371", "7306", "7308", "7302", "7372"), "90", "820",
       ("Universitas Hasanuddin", "Universitas Negeri Makassar", "Universitas Muslim Indonesia"),
       "Badan Pendidikan dan Pelatihan Provinsi Sulawesi Selatan", 13, (
        _U("Sekretariat Daerah", children=(
            _U("Biro Umum dan Perlengkapan"), _U("Biro Organisasi dan Kepegawaian"))),
        _U("Badan Kepegawaian Daerah", children=(_U("Bidang Mutasi"),)),
        _U("Dinas Kesehatan", "kesehatan", children=(
            _U("RSUD Labuang Baji", "faskes", 4), _U("RS Khusus Daerah Dadi", "faskes", 2))),
        _U("Dinas Pendidikan", "pendidikan", children=(_U("SLB Negeri 1 Makassar", "sekolah", 2),)),
        _U("Dinas Pertanian Tanaman Pangan dan Hortikultura", children=(
            _U("UPTD Balai Benih Induk Padi"),)),
    )),
]

# Kab/kota codes (Kemendagri) → place name and number of kecamatan, for NIK and birthplace.
REGIONS = {
    "3471": ("YOGYAKARTA", 14), "3404": ("SLEMAN", 17), "3402": ("BANTUL", 17),
    "3403": ("GUNUNGKIDUL", 18), "3401": ("KULON PROGO", 12), "3578": ("SURABAYA", 31),
    "3515": ("SIDOARJO", 18), "3525": ("GRESIK", 18), "3573": ("MALANG", 5),
    "3273": ("BANDUNG", 30), "3204": ("BANDUNG", 31), "3277": ("CIMAHI", 3),
    "3171": ("JAKARTA", 10), "3172": ("JAKARTA", 10), "3174": ("JAKARTA", 8),
    "3276": ("DEPOK", 11), "3201": ("BOGOR", 40), "7371": ("MAKASSAR", 14),
    "7306": ("SUNGGUMINASA", 18), "7308": ("WATAMPONE", 27), "7302": ("BULUKUMBA", 10),
    "7372": ("PAREPARE", 4), "3374": ("SEMARANG", 16), "3372": ("SURAKARTA", 5),
    "3307": ("WONOSOBO", 15), "3302": ("PURWOKERTO", 27), "3509": ("JEMBER", 31),
    "3510": ("BANYUWANGI", 24), "1275": ("MEDAN", 21), "1371": ("PADANG", 11),
    "5171": ("DENPASAR", 4), "7171": ("MANADO", 11), "6471": ("BALIKPAPAN", 6),
    "1671": ("PALEMBANG", 18), "3305": ("KEBUMEN", 26), "3313": ("KARANGANYAR", 17),
}
_REGION_CODES = tuple(REGIONS)

# --------------------------------------------------------------------------- people and careers

AGAMA_WEIGHTS = (("Islam", 86), ("Kristen", 6), ("Katolik", 4), ("Hindu", 2), ("Buddha", 1),
                 ("Konghucu", 0.5), ("Kepercayaan/Lainnya", 0.5))
PEKERJAAN_ORANG_TUA = ("Petani", "Wiraswasta", "Pedagang", "PNS", "Pensiunan PNS", "Guru",
                       "TNI/Polri", "Karyawan Swasta", "Buruh", "Mengurus Rumah Tangga")
HP_PREFIXES = ("811", "812", "813", "821", "822", "852", "853", "856", "857", "858", "877",
               "878", "896", "897", "898", "899", "817", "818", "819", "838")
EMAIL_DOMAINS = ("gmail.com", "yahoo.co.id", "yahoo.com", "ymail.com")

# Tingkat pendidikan (reference names) with graduation ages, CPNS age range, starting
# golongan (tingkat) and ceiling for regular promotions (PP 99/2000, PP 12/2002).
EDUCATION = {
    "SD": ((12,), (18, 28), 11, 21),
    "SLTP": ((12, 15), (18, 30), 13, 23),
    "SLTA": ((18,), (19, 30), 21, 32),
    "D-III": ((18, 21), (22, 32), 23, 33),
    "D-IV": ((18, 22), (23, 33), 31, 34),
    "S-1": ((18, 23), (24, 35), 31, 34),
    "Profesi": ((18, 22, 24), (25, 35), 32, 34),
    "Spesialis": ((18, 22, 24, 30), (31, 40), 32, 41),
    "S-2": ((18, 23, 26), (27, 35), 32, 41),
    "S-3": ((18, 23, 26, 31), (32, 40), 33, 42),
}
CHAIN = {
    "SD": ("SD",), "SLTP": ("SD", "SLTP"), "SLTA": ("SLTA",), "D-III": ("SLTA", "D-III"),
    "D-IV": ("SLTA", "D-IV"), "S-1": ("SLTA", "S-1"), "Profesi": ("SLTA", "S-1", "Profesi"),
    "Spesialis": ("SLTA", "S-1", "Profesi", "Spesialis"), "S-2": ("SLTA", "S-1", "S-2"),
    "S-3": ("SLTA", "S-1", "S-2", "S-3"),
}
# Ceiling for staff in a jabatan pilihan (struktural, fungsional keahlian): IV/b, for a few
# IV/c; most teachers stop at IV/a (IV/b needs published work).
PILIHAN_CEILING = 42
PILIHAN_CEILING_FEW = 43
GURU_CEILING = 41

S1_UMUM = (("Ilmu Administrasi Negara", "S.Sos."), ("Akuntansi", "S.E."), ("Manajemen", "S.E."),
           ("Ilmu Hukum", "S.H."), ("Teknik Sipil", "S.T."), ("Teknik Informatika", "S.Kom."),
           ("Ilmu Ekonomi", "S.E."), ("Ilmu Pemerintahan", "S.IP."), ("Psikologi", "S.Psi."),
           ("Agribisnis", "S.P."), ("Statistika", "S.Si."), ("Kesehatan Masyarakat", "S.KM."))
S1_GURU = (("Pendidikan Matematika", "S.Pd."), ("Pendidikan Bahasa Indonesia", "S.Pd."),
           ("Pendidikan Bahasa Inggris", "S.Pd."), ("Pendidikan Biologi", "S.Pd."),
           ("Pendidikan Fisika", "S.Pd."), ("Pendidikan Sejarah", "S.Pd."),
           ("Pendidikan Guru Sekolah Dasar", "S.Pd."), ("Pendidikan Luar Biasa", "S.Pd."),
           ("Pendidikan Jasmani", "S.Pd."), ("Pendidikan Agama Islam", "S.Pd.I."))
D3_UMUM = (("Akuntansi", "A.Md."), ("Manajemen Informatika", "A.Md."),
           ("Administrasi Perkantoran", "A.Md."), ("Teknik Sipil", "A.Md."), ("Kearsipan", "A.Md."))
S2_UMUM = (("Magister Manajemen", "M.M."), ("Magister Administrasi Publik", "M.AP."),
           ("Magister Hukum", "M.H."), ("Magister Akuntansi", "M.Ak."),
           ("Magister Ilmu Pemerintahan", "M.IP."), ("Magister Perencanaan Wilayah", "M.T."))
S2_GURU = (("Magister Pendidikan", "M.Pd."), ("Magister Manajemen Pendidikan", "M.Pd."))
S3_ALL = ("Ilmu Administrasi Publik", "Ilmu Pendidikan", "Ilmu Manajemen", "Ilmu Hukum")
SPESIALIS = (("Ilmu Penyakit Dalam", "Sp.PD."), ("Ilmu Kesehatan Anak", "Sp.A."),
             ("Obstetri dan Ginekologi", "Sp.OG."), ("Psikiatri", "Sp.KJ."), ("Ilmu Bedah", "Sp.B."))
SMA_JURUSAN = ("IPA", "IPS", "Bahasa")
SMK_JURUSAN = ("Akuntansi", "Administrasi Perkantoran", "Teknik Komputer dan Jaringan", "Teknik Mesin")
NATIONAL_KAMPUS = ("Universitas Gadjah Mada", "Universitas Indonesia", "Universitas Airlangga",
                   "Universitas Diponegoro", "Universitas Brawijaya", "Universitas Hasanuddin",
                   "Universitas Padjadjaran", "Universitas Terbuka", "Universitas Sebelas Maret")
# Titles of the pre-1993 system for a bachelor's degree (Drs./Dra., Ir.).
OLD_TITLE_YEAR = 1993
OLD_ENGINEERING = {"S.T.", "S.P.", "S.Kom."}

# Careers: jenis jabatan, education weights, how jabatan titles are built.
JFU_TITLES = {
    "low": ("Pramu Bakti", "Pengemudi", "Penjaga Kantor"),
    "mid": ("Pengadministrasi Umum", "Pengelola Barang Milik Daerah", "Pengadministrasi Kepegawaian",
            "Pengelola Keuangan", "Bendahara Pengeluaran", "Pengagenda Surat"),
    "high": ("Penyusun Program dan Anggaran", "Analis Data dan Informasi", "Penyusun Laporan Keuangan",
             "Pengelola Data Kepegawaian", "Verifikator Keuangan", "Penyusun Rencana Kerja"),
}
JFT_UMUM = ("Analis Kepegawaian", "Pranata Komputer", "Arsiparis", "Perencana", "Auditor", "Pustakawan")
JFT_UMUM_TERAMPIL = ("Analis Kepegawaian", "Pranata Komputer", "Arsiparis", "Pustakawan")
TOPICS = {
    "umum": ("Umum", "Kepegawaian", "Keuangan", "Perencanaan", "Evaluasi dan Pelaporan",
             "Data dan Informasi", "Perundang-undangan", "Kelembagaan"),
    "pendidikan": ("Kurikulum", "Pendidik dan Tenaga Kependidikan", "Sarana dan Prasarana",
                   "Pendidikan Khusus", "Penjaminan Mutu", "Kepemudaan"),
    "kesehatan": ("Pelayanan Medik", "Keperawatan", "Penunjang Medik", "Kesehatan Masyarakat",
                  "Pencegahan dan Pengendalian Penyakit", "Sumber Daya Kesehatan"),
}
CAREERS = {
    # career: (jenis jabatan, ((education, weight), ...), female_only)
    "guru": ("Fungsional Tertentu", (("S-1", 82), ("S-2", 12), ("D-IV", 6)), False),
    "tu": ("Fungsional Umum", (("SLTA", 60), ("D-III", 20), ("S-1", 18), ("SLTP", 2)), False),
    "dokter": ("Fungsional Tertentu", (("Profesi", 78), ("Spesialis", 22)), False),
    "perawat": ("Fungsional Tertentu", (("D-III", 72), ("Profesi", 28)), False),
    "bidan": ("Fungsional Tertentu", (("D-III", 100),), True),
    "staf": ("Fungsional Umum", (("SLTA", 38), ("D-III", 14), ("S-1", 38), ("S-2", 4), ("SLTP", 4),
                                 ("SD", 2)), False),
    "jft": ("Fungsional Tertentu", (("S-1", 68), ("S-2", 14), ("D-III", 18)), False),
    "struktural": ("Struktural", (("S-1", 58), ("S-2", 37), ("S-3", 5)), False),
}
CAREER_WEIGHTS = {
    "sekolah": (("guru", 78), ("tu", 22)),
    "faskes": (("dokter", 14), ("perawat", 34), ("bidan", 12), ("staf", 28), ("jft", 4), ("struktural", 8)),
    "umum": (("staf", 45), ("jft", 25), ("struktural", 30)),
}
STATUS_WEIGHTS = ((Pegawai.STATUS_PNS, 92), (Pegawai.STATUS_CPNS, 4), (Pegawai.STATUS_PENSIUN, 4))
GOLONGAN_ANGKA_KREDIT = {23: 60, 24: 80, 31: 100, 32: 150, 33: 200, 34: 300, 41: 400, 42: 550, 43: 700}
DIKLAT_TEKNIS = (
    ("Diklat Teknis Pengelolaan Keuangan Daerah", 60), ("Diklat Teknis Kearsipan", 40),
    ("Diklat Teknis Pengadaan Barang/Jasa Pemerintah", 40), ("Bimbingan Teknis SIMPEG", 30),
    ("Diklat Teknis Pelayanan Prima", 40), ("Diklat Teknis Penyusunan SKP", 30),
)
KURSUS = (("Kursus Bahasa Inggris", 60), ("Kursus Komputer Perkantoran", 40))
# Archive codes of personnel decrees: CPNS, PNS, kenaikan pangkat, jabatan.
SK_CODES_DAERAH = {"cpns": "813.3", "pns": "821.13", "kp": "823.3", "jab": "821.2"}
SK_CODES_PUSAT = {"cpns": "A2.1", "pns": "A2.2", "kp": "A4.3", "jab": "A4.4"}
JFT_LEVELS = {"Pertama", "Muda", "Madya", "Utama", "Pelaksana", "Lanjutan", "Penyelia"}
ROMAN_MONTHS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
BUP = 58  # batas usia pensiun
BUP_GURU = 60


# --------------------------------------------------------------------------- demo accounts


@dataclass(frozen=True)
class _DemoUser:
    role: str
    username: str | None  # None: the NIP of the showcase Pegawai
    password: str
    first_name: str


DEMO_USERS = (
    _DemoUser(ROLE_ADMIN, "admin", "Demo-Admin-2015!", "Administrator"),
    _DemoUser(ROLE_VERIFIKATOR_SKPD, "skpd", "Demo-Skpd-2015!", "Verifikator SKPD"),
    _DemoUser(ROLE_VERIFIKATOR_INSTANSI, "instansi", "Demo-Instansi-2015!", "Verifikator Instansi"),
    _DemoUser(ROLE_VERIFIKATOR_BKN, "bkn", "Demo-Bkn-2015!", "Verifikator BKN"),
    _DemoUser(ROLE_HELPDESK, "helpdesk", "Demo-Helpdesk-2015!", "Helpdesk"),
    _DemoUser(ROLE_MONITOR, "monitor", "Demo-Monitor-2015!", "Monitor"),
    _DemoUser(ROLE_PNS, None, "Demo-Pns-2015!", "PNS"),
)


def _demo_email(demo: _DemoUser) -> str:
    # The PNS account is found again by this address, its username being a NIP.
    local = demo.username or "pns"
    return f"{local}@{DEMO_EMAIL_DOMAIN}"


# --------------------------------------------------------------------------- date helpers


def _month_start_on_or_after(day: dt.date) -> dt.date:
    if day.day == 1:
        return day
    return _add_months(day.replace(day=1), 1)


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return day.replace(year=year, month=month + 1, day=min(day.day, 28))


def _kp_period_on_or_after(day: dt.date) -> dt.date:
    """Promotions (kenaikan pangkat) take effect on 1 April or 1 October."""
    for candidate in (dt.date(day.year, 4, 1), dt.date(day.year, 10, 1), dt.date(day.year + 1, 4, 1)):
        if candidate >= day:
            return candidate
    raise AssertionError("unreachable")


def _years_between(start: dt.date, end: dt.date) -> int:
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


# --------------------------------------------------------------------------- the generator


class _Generator:
    """Draws people from one seed; holds the per-prefix NIP/NIK sequences."""

    def __init__(self, session, seed: int, as_of: dt.date):
        self.session = session
        # Reproducible demo data from a seed, not secrets: a seeded PRNG is the point.
        self.rng = random.Random(seed)  # nosec B311
        self.fake = Faker("id_ID")
        self.fake.seed_instance(seed)
        self.as_of = as_of
        self.nip_seq: dict[str, int] = {}
        self.nik_seq: dict[str, int] = {}
        self.emails: set[str] = set()
        self.sk_counter = itertools.count(101)
        self._load_reference()
        self._load_existing_identifiers()

    # -- reference ids -------------------------------------------------------
    def _load_reference(self):
        s = self.session
        golongan = s.execute(select(Golongan.tingkat, Golongan.id, Golongan.kode).order_by(Golongan.tingkat)).all()
        self.tingkat_list = [g.tingkat for g in golongan]
        self.golongan = {g.tingkat: (g.id, g.kode) for g in golongan}
        self.pendidikan = dict(s.execute(select(TingkatPendidikan.nama, TingkatPendidikan.id)).all())
        self.agama = dict(s.execute(select(Agama.nama, Agama.id)).all())
        self.kawin = dict(s.execute(select(StatusPerkawinan.nama, StatusPerkawinan.id)).all())
        self.jenis_jabatan = dict(s.execute(select(JenisJabatan.nama, JenisJabatan.id)).all())
        self.jenis_diklat = dict(s.execute(select(JenisDiklat.nama, JenisDiklat.id)).all())
        self.agama_weights = tuple((n, w) for n, w in AGAMA_WEIGHTS if n in self.agama)

    def _load_existing_identifiers(self):
        """Continue every NIP/NIK sequence above what the database already holds."""
        s = self.session
        nips = itertools.chain(s.scalars(select(Pegawai.nip)),
                               s.scalars(select(Pasangan.nip).where(Pasangan.nip.is_not(None))))
        for nip in nips:
            if nip and len(nip) == 18 and nip.isdigit():
                self.nip_seq[nip[:15]] = max(self.nip_seq.get(nip[:15], 0), int(nip[15:]))
        niks = itertools.chain(*(s.scalars(select(m.nik).where(m.nik.is_not(None)))
                                 for m in (Pegawai, Pasangan, Anak)))
        for nik in niks:
            if nik and len(nik) == 16 and nik.isdigit():
                self.nik_seq[nik[:12]] = max(self.nik_seq.get(nik[:12], 0), int(nik[12:]))

    # -- identifiers -----------------------------------------------------------
    def nip(self, born, tmt_cpns, gender) -> str:
        prefix = make_nip(born, tmt_cpns, gender, 0)[:15]
        seq = self.nip_seq.get(prefix, 0) + 1
        if seq > 999:
            return None
        self.nip_seq[prefix] = seq
        return make_nip(born, tmt_cpns, gender, seq)

    def nik(self, region_code: str, born, gender) -> str:
        region = f"{region_code}{self.rng.randint(1, REGIONS[region_code][1]):02d}"
        prefix = make_nik(region, born, gender, 0)[:12]
        seq = self.nik_seq.get(prefix, 0) + 1
        self.nik_seq[prefix] = seq
        return make_nik(region, born, gender, seq)

    def sk(self, inst: _I, kind: str, year: int) -> str:
        """A decree number in the style of the issuing office (ministry or BKD)."""
        n = next(self.sk_counter)
        if inst.jenis == P:
            return f"{n}/{SK_CODES_PUSAT[kind]}/KP/{year}"
        return f"{SK_CODES_DAERAH[kind]}/{n}/BKD/{year}"

    # -- small draws -------------------------------------------------------------
    def pick(self, weighted):
        names = [n for n, _w in weighted]
        return self.rng.choices(names, weights=[w for _n, w in weighted])[0]

    def digits(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789") for _ in range(n))

    def name(self, gender: str) -> str:
        first = self.fake.first_name_male if gender == "L" else self.fake.first_name_female
        last = self.fake.last_name_male if gender == "L" else self.fake.last_name_female
        roll = self.rng.random()
        if roll < 0.15:
            parts = [first()]
        elif roll < 0.25:
            parts = [first(), first(), last()]
        else:
            parts = [first(), last()]
        return " ".join(dict.fromkeys(parts)).upper()

    def email(self, nama: str) -> str:
        words = [re.sub(r"[^a-z]", "", w.lower()) for w in nama.split()]
        base = ".".join(w for w in words[:2] if w) or "pegawai"
        for attempt in itertools.count():
            suffix = "" if attempt == 0 else str(self.rng.randint(1, 999))
            address = f"{base}{suffix}@{self.rng.choice(EMAIL_DOMAINS)}"
            if address not in self.emails:
                self.emails.add(address)
                return address

    def place(self, region_code: str) -> str:
        return REGIONS[region_code][0]

    def home_region(self, inst: _I) -> str:
        return inst.regions[0] if self.rng.random() < 0.5 else self.rng.choice(inst.regions)

    def origin_region(self, inst: _I) -> str:
        return self.home_region(inst) if self.rng.random() < 0.7 else self.rng.choice(_REGION_CODES)

    def date_between(self, start: dt.date, end: dt.date) -> dt.date:
        if end <= start:
            return start
        return start + dt.timedelta(days=self.rng.randint(0, (end - start).days))

    # -- one Pegawai ---------------------------------------------------------------
    def pegawai(self, unit: _U, *, status=None, career=None, family=False):
        """One Pegawai and its history/family rows (ORM objects, not yet added)."""
        rng, inst = self.rng, unit.instansi
        career = career or self.pick(CAREER_WEIGHTS.get(unit.kind, CAREER_WEIGHTS["umum"]))
        _jenis, edu_weights, female_only = CAREERS[career]
        gender = "P" if female_only else ("L" if rng.random() < 0.52 else "P")
        if career == "guru" and rng.random() < 0.15:
            gender = "P"  # teaching is the one career with a clear female majority
        edu_cpns = self.pick(edu_weights)
        status = status or self.pick(STATUS_WEIGHTS)
        _grad_ages, (age_lo, age_hi), start_tingkat, ceiling = EDUCATION[edu_cpns]
        cpns_age = rng.randint(age_lo, age_hi)
        bup = BUP_GURU if career == "guru" else BUP

        if status == Pegawai.STATUS_CPNS:
            tmt_cpns = _add_months(self.as_of.replace(day=1), -rng.randint(0, 11))
            born = add_years(tmt_cpns, -cpns_age) - dt.timedelta(days=rng.randint(0, 364))
        elif status == Pegawai.STATUS_PENSIUN:
            # at least a month past the BUP birthday, so the pension has started by AS_OF
            born = add_years(self.as_of, -(bup + rng.randint(0, 5))) - dt.timedelta(days=rng.randint(31, 364))
            tmt_cpns = _month_start_on_or_after(add_years(born, cpns_age))
        else:
            longest = max(1, bup - cpns_age - 3)
            service = int(rng.triangular(1, longest + 0.999, max(1, longest * 0.6)))
            tmt_cpns = _add_months(self.as_of.replace(day=1), -(service * 12 + rng.randint(0, 11)))
            born = add_years(tmt_cpns, -cpns_age) - dt.timedelta(days=rng.randint(0, 364))
        # The 18th birthday / CPNS age rule: TMT is the first of a month on or after it.
        tmt_cpns = max(tmt_cpns, _month_start_on_or_after(add_years(born, cpns_age)))
        pensiun = _add_months(add_years(born, bup).replace(day=1), 1)
        end = min(self.as_of, pensiun - dt.timedelta(days=1)) if status == Pegawai.STATUS_PENSIUN else self.as_of
        tmt_pns = add_years(tmt_cpns, 1) if status != Pegawai.STATUS_CPNS else None

        nip = self.nip(born, tmt_cpns, gender)
        if nip is None:  # 999 people share birth date, month of TMT and gender: draw again
            return self.pegawai(unit, status=status, career=career, family=family)
        nama = self.name(gender)
        origin = self.origin_region(inst)
        home = self.home_region(inst)
        records = []

        # Education: the CPNS qualification, sometimes a further degree in service.
        upgrade = None
        if edu_cpns in ("S-1", "D-IV") and career in ("guru", "staf", "jft", "struktural") and rng.random() < 0.15:
            upgrade = "S-2"
        elif edu_cpns == "SLTA" and rng.random() < 0.12:
            upgrade = "S-1"
        pendidikan_rows, edu_final, gelar_depan, gelar_belakang = self._education(
            inst, career, edu_cpns, upgrade, born, tmt_cpns, end, gender)
        if edu_final != edu_cpns:
            ceiling = max(ceiling, EDUCATION[edu_final][3])
        records += pendidikan_rows

        keahlian = career in ("guru", "dokter", "struktural") or (
            career in ("jft", "perawat") and edu_final not in ("D-III", "SLTA"))
        if keahlian:
            if rng.random() < 0.1:
                ceiling = max(ceiling, PILIHAN_CEILING_FEW)
            else:
                ceiling = max(ceiling, GURU_CEILING if career == "guru" else PILIHAN_CEILING)
        if career == "perawat" and edu_cpns == "Profesi":
            start_tingkat = 31  # ners start at III/a
        if career in ("perawat", "bidan", "jft") and edu_cpns == "D-III":
            ceiling = 34

        sk_cpns_tanggal = tmt_cpns - dt.timedelta(days=rng.randint(5, 60))
        sk_cpns_nomor = self.sk(inst, "cpns", sk_cpns_tanggal.year)
        golongan = self._golongan(inst, career, start_tingkat, ceiling, tmt_cpns, end,
                                  status, sk_cpns_nomor, sk_cpns_tanggal)
        records += [row for _tingkat, row in golongan]
        last_gol = golongan[-1][1]
        jabatan_rows = self._jabatan(inst, unit, career, edu_final, golongan, tmt_cpns, end, status)
        records += jabatan_rows
        records += self._diklat(inst, career, jabatan_rows, tmt_cpns, end)

        age = _years_between(born, self.as_of)
        married = self._marital_status(age, family)
        if married != "Belum Kawin" and (family or rng.random() < 0.55):
            family_rows, married = self._family(inst, gender, born, married, home, status)
            records += family_rows
        if family or rng.random() < 0.6:
            records += self._parents(inst, born)

        sk_pns_tanggal = None
        if tmt_pns is not None:
            sk_pns_tanggal = min(self.as_of, tmt_pns + dt.timedelta(days=rng.randint(0, 90)))
        last_jab = jabatan_rows[-1]
        pegawai = Pegawai(
            nip=nip,
            nip_lama=f"{inst.nip_lama}{self.digits(6)}" if tmt_cpns.year < 2008 else None,
            nik=self.nik(origin, born, gender),
            nama=nama,
            gelar_depan=gelar_depan,
            gelar_belakang=gelar_belakang,
            tempat_lahir=self.place(origin) if rng.random() < 0.85 else self.place(rng.choice(_REGION_CODES)),
            tanggal_lahir=born,
            jenis_kelamin=gender,
            agama_id=self.agama[self.pick(self.agama_weights)],
            status_perkawinan_id=self.kawin.get(married),
            alamat=f"{self.fake.street_address()}, {REGIONS[home][0].title()}",
            kode_pos=(inst.kode_pos + self.digits(5))[:5],
            no_hp=f"0{rng.choice(HP_PREFIXES)}{self.digits(rng.choice((7, 8)))}" if rng.random() < 0.95 else None,
            email=self.email(nama) if rng.random() < 0.9 else None,
            npwp=(f"{self.digits(2)}.{self.digits(3)}.{self.digits(3)}.{self.digits(1)}-"
                  f"{self.digits(3)}.000") if rng.random() < 0.85 else None,
            no_bpjs=f"000{self.digits(10)}" if rng.random() < 0.95 else None,
            no_taspen=self.digits(10),
            no_karpeg=(f"{'ABCDEFGHIJKLMNOP'[min(15, max(0, tmt_pns.year - 1990) // 2)]} {self.digits(6)}"
                       if tmt_pns is not None else None),
            instansi_id=inst.id,
            unit_kerja_id=unit.id,
            status=status,
            tmt_cpns=tmt_cpns,
            sk_cpns_nomor=sk_cpns_nomor,
            sk_cpns_tanggal=sk_cpns_tanggal,
            tmt_pns=tmt_pns,
            sk_pns_nomor=self.sk(inst, "pns", sk_pns_tanggal.year) if sk_pns_tanggal else None,
            sk_pns_tanggal=sk_pns_tanggal,
            golongan_id=last_gol.golongan_id,
            tmt_golongan=last_gol.tmt_golongan,
            jenis_jabatan_id=last_jab.jenis_jabatan_id,
            jabatan=last_jab.nama_jabatan,
            tmt_jabatan=last_jab.tmt_jabatan,
            pendidikan_terakhir_id=pendidikan_rows[-1].tingkat_pendidikan_id,
        )
        for row in records:
            row.pegawai = pegawai
        return pegawai, records

    # -- history -------------------------------------------------------------------
    def _school(self, level: str, city: str) -> tuple[str, str, str]:
        """(tingkat pendidikan, school name, jurusan) of a school below university."""
        rng = self.rng
        if level == "SD":
            return "SD", f"SD Negeri {rng.randint(1, 12)} {city}", None
        if level == "SLTP":
            return "SLTP", f"SMP Negeri {rng.randint(1, 12)} {city}", None
        roll = rng.random()
        if roll < 0.25:
            return "SLTA Kejuruan", f"SMK Negeri {rng.randint(1, 6)} {city}", rng.choice(SMK_JURUSAN)
        if roll < 0.35:
            return "SLTA", f"MAN {rng.randint(1, 3)} {city}", rng.choice(SMA_JURUSAN)
        return "SLTA", f"SMA Negeri {rng.randint(1, 11)} {city}", rng.choice(SMA_JURUSAN)

    def _kampus(self, inst: _I) -> str:
        return self.rng.choice(inst.kampus) if self.rng.random() < 0.7 else self.rng.choice(NATIONAL_KAMPUS)

    def _education(self, inst, career, edu_cpns, upgrade, born, tmt_cpns, end, gender):
        """Riwayat pendidikan up to the CPNS qualification (+ a degree in service).
        Returns (rows, final level, gelar depan, gelar belakang)."""
        rng = self.rng
        city = rng.choice((inst.kota, REGIONS[rng.choice(_REGION_CODES)][0].title()))
        grad_ages = EDUCATION[edu_cpns][0]
        chain = list(CHAIN[edu_cpns])
        dates = []
        for age in grad_ages:
            day = add_years(born, age) + dt.timedelta(days=rng.randint(120, 300))
            dates.append(min(day, tmt_cpns - dt.timedelta(days=30)))
        if upgrade:
            grad = add_years(tmt_cpns, rng.randint(4, 10)) + dt.timedelta(days=rng.randint(0, 300))
            if grad < end:
                chain.append(upgrade)
                dates.append(grad)
        rows, depan, belakang = [], [], []
        s1_field = None
        for level, graduated in zip(chain, dates, strict=False):
            gd = gb = jurusan = None
            show = True
            if level in ("SD", "SLTP", "SLTA"):
                tingkat, sekolah, jurusan = self._school(level, city)
            else:
                tingkat, sekolah = level, self._kampus(inst)
                if level == "D-III":
                    if career == "perawat":
                        jurusan, gb, sekolah = "Keperawatan", "A.Md.Kep.", f"Poltekkes Kemenkes {inst.kota}"
                    elif career == "bidan":
                        jurusan, gb, sekolah = "Kebidanan", "A.Md.Keb.", f"Akademi Kebidanan {inst.kota}"
                    else:
                        jurusan, gb = rng.choice(D3_UMUM)
                elif level in ("S-1", "D-IV"):
                    if career in ("dokter",):
                        jurusan, gb, show = "Pendidikan Dokter", "S.Ked.", False
                    elif career == "perawat":
                        jurusan, gb = "Ilmu Keperawatan", "S.Kep."
                    elif career == "guru":
                        jurusan, gb = rng.choice(S1_GURU)
                    else:
                        jurusan, gb = rng.choice(S1_UMUM)
                    if level == "D-IV":
                        gb = "S.ST."
                    s1_field = gb
                    if graduated.year < OLD_TITLE_YEAR and gb not in ("S.Ked.", "S.H.", "S.Kep."):
                        gd = "Ir." if gb in OLD_ENGINEERING else ("Drs." if gender == "L" else "Dra.")
                        gb = None
                elif level == "Profesi":
                    if career == "perawat":
                        jurusan, gb = "Profesi Ners", "Ns."
                    else:
                        jurusan, gd = "Profesi Dokter", "dr."
                elif level == "Spesialis":
                    jurusan, gb = rng.choice(SPESIALIS)
                    jurusan = f"Spesialis {jurusan}"
                elif level == "S-2":
                    jurusan, gb = rng.choice(S2_GURU if s1_field in ("S.Pd.", "S.Pd.I.") else S2_UMUM)
                elif level == "S-3":
                    jurusan, gd = rng.choice(S3_ALL), "Dr."
            if show and gd:
                depan.insert(0, gd) if gd == "Dr." else depan.append(gd)
            if show and gb:
                belakang.append(gb)
            rows.append(RiwayatPendidikan(
                tingkat_pendidikan_id=self.pendidikan[tingkat],
                jurusan=jurusan,
                nama_sekolah=sekolah,
                tahun_lulus=graduated.year,
                tanggal_lulus=graduated,
                nomor_ijazah=f"{rng.randint(1, 99):02d} {self.digits(2)} {self.digits(7)}",
                gelar_depan=gd,
                gelar_belakang=gb,
                pendidikan_pertama=(level == edu_cpns),
            ))
        return rows, chain[-1], " ".join(depan) or None, ", ".join(belakang) or None

    def _golongan(self, inst, career, start, ceiling, tmt_cpns, end, status, sk_nomor, sk_tanggal):
        """Riwayat golongan as (tingkat, row): the CPNS golongan, then one step per promotion
        up to the ceiling (the CPNS and PNS golongan are one row, as the Satgas asked)."""
        rng = self.rng
        jft = CAREERS[career][0] == "Fungsional Tertentu"
        rows = [(start, RiwayatGolongan(
            golongan_id=self.golongan[start][0], nomor_sk=sk_nomor, tanggal_sk=sk_tanggal,
            tmt_golongan=tmt_cpns, jenis_kp="Pengangkatan CPNS", masa_kerja_tahun=0, masa_kerja_bulan=0,
        ))]
        if status == Pegawai.STATUS_CPNS:
            return rows
        tingkat, tmt = start, tmt_cpns
        while True:
            position = self.tingkat_list.index(tingkat)
            if position + 1 >= len(self.tingkat_list) or self.tingkat_list[position + 1] > ceiling:
                break
            # Fungsional staff rise with their angka kredit (from 2 years); others every 4-5.
            interval = rng.choice((2, 3, 4, 4, 5)) if jft else (5 if rng.random() < 0.25 else 4)
            nxt_tmt = _kp_period_on_or_after(add_years(tmt, interval))
            if nxt_tmt > end:
                break
            tingkat, tmt = self.tingkat_list[position + 1], nxt_tmt
            months = (tmt.year - tmt_cpns.year) * 12 + tmt.month - tmt_cpns.month
            tanggal_sk = tmt - dt.timedelta(days=rng.randint(10, 75))
            if career == "struktural" and tingkat >= 41:
                jenis_kp = "Pilihan (Jabatan Struktural)"
            elif jft:
                jenis_kp = "Pilihan (Jabatan Fungsional Tertentu)"
            else:
                jenis_kp = "Reguler"
            rows.append((tingkat, RiwayatGolongan(
                golongan_id=self.golongan[tingkat][0], nomor_sk=self.sk(inst, "kp", tanggal_sk.year),
                tanggal_sk=tanggal_sk, tmt_golongan=tmt,
                nomor_pertek=f"PT-{self.digits(5)}/KR.{inst.kanreg}/{tanggal_sk.year}" if tingkat >= 33 else None,
                tanggal_pertek=tanggal_sk - dt.timedelta(days=rng.randint(7, 30)) if tingkat >= 33 else None,
                jenis_kp=jenis_kp, masa_kerja_tahun=months // 12, masa_kerja_bulan=months % 12,
                angka_kredit=GOLONGAN_ANGKA_KREDIT.get(tingkat) if jft else None,
            )))
        return rows

    def _jft_title(self, base: str, tingkat: int, keahlian: bool) -> str:
        if keahlian:
            level = "Pertama" if tingkat < 33 else "Muda" if tingkat < 41 else "Madya" if tingkat < 44 else "Utama"
        else:
            level = "Pelaksana" if tingkat < 31 else "Pelaksana Lanjutan" if tingkat < 33 else "Penyelia"
        return f"{base} {level}"

    def _jabatan(self, inst, unit, career, edu, golongan, tmt_cpns, end, status):
        """Riwayat jabatan: consecutive, non-overlapping rows; the last one is current."""
        rng = self.rng
        entries = []  # (start, name, jenis, eselon)
        jft_id = "Fungsional Tertentu"
        if career in ("guru", "dokter", "perawat", "bidan", "jft"):
            keahlian = career in ("guru", "dokter") or edu not in ("D-III", "SLTA")
            if career == "jft":
                base = rng.choice(JFT_UMUM if keahlian else JFT_UMUM_TERAMPIL)
            else:
                base = {"guru": "Guru", "dokter": "Dokter", "perawat": "Perawat", "bidan": "Bidan"}[career]
            for tingkat, row in golongan:
                title = self._jft_title(base, tingkat, keahlian)
                if not entries or entries[-1][1] != title:
                    entries.append((row.tmt_golongan, title, jft_id, None))
        else:
            level = "low" if edu in ("SD", "SLTP") else "mid" if edu in ("SLTA", "D-III") else "high"
            entries.append((tmt_cpns, rng.choice(JFU_TITLES[level]), "Fungsional Umum", None))
            if career == "struktural":
                topics = TOPICS[{"faskes": "kesehatan", "sekolah": "pendidikan"}.get(unit.kind, unit.kind)]
                sekretariat = "Sekretariat" in unit.nama or unit.nama.startswith(("Biro", "Bagian"))
                steps = ((33, "Kepala Subbagian" if sekretariat else "Kepala Seksi", "IV.a"),
                         (41, "Kepala Bagian" if sekretariat else "Kepala Bidang", "III.b"))
                for min_tingkat, title, eselon in steps:
                    reached = next((r.tmt_golongan for t, r in golongan if t >= min_tingkat), None)
                    if reached is None:
                        break
                    start = _month_start_on_or_after(reached + dt.timedelta(days=rng.randint(60, 540)))
                    if start > end or start <= entries[-1][0]:
                        break
                    entries.append((start, f"{title} {rng.choice(topics)}", "Struktural", eselon))
            elif rng.random() < 0.3:
                start = _month_start_on_or_after(add_years(tmt_cpns, rng.randint(3, 12)))
                title = rng.choice(JFU_TITLES[level])
                if start < end and title != entries[-1][1]:
                    entries.append((start, title, "Fungsional Umum", None))
        rows = []
        for i, (start, name, jenis, eselon) in enumerate(entries):
            if i + 1 < len(entries):
                finish = entries[i + 1][0] - dt.timedelta(days=1)
            else:
                finish = end if status == Pegawai.STATUS_PENSIUN else None
            tanggal_sk = start - dt.timedelta(days=rng.randint(3, 45))
            rows.append(RiwayatJabatan(
                jenis_jabatan_id=self.jenis_jabatan[jenis], unit_kerja_nama=unit.nama, eselon=eselon,
                nama_jabatan=name, tmt_jabatan=start, tmt_selesai=finish,
                nomor_sk=self.sk(inst, "jab", tanggal_sk.year), tanggal_sk=tanggal_sk,
                tmt_pelantikan=start if jenis == "Struktural" else None,
            ))
        return rows

    def _diklat(self, inst, career, jabatan_rows, tmt_cpns, end):
        rng = self.rng
        courses = []  # (jenis, nama, jam, earliest start, penyelenggara)
        for row in jabatan_rows:
            if row.eselon == "IV.a":
                courses.append(("Diklatpim Tk. IV", "Diklat Kepemimpinan Tingkat IV", 285, row.tmt_jabatan,
                                inst.diklat))
            elif row.eselon == "III.b":
                courses.append(("Diklatpim Tk. III", "Diklat Kepemimpinan Tingkat III", 360, row.tmt_jabatan,
                                "Lembaga Administrasi Negara"))
        if career == "guru" and end.year >= 2008 and rng.random() < 0.7:
            courses.append(("Diklat Fungsional", "Pendidikan dan Latihan Profesi Guru (PLPG)", 90,
                            max(tmt_cpns, dt.date(2008, 1, 1)), f"Rayon PLPG {inst.kampus[0]}"))
        elif CAREERS[career][0] == "Fungsional Tertentu" and rng.random() < 0.6:
            base = " ".join(w for w in jabatan_rows[0].nama_jabatan.split() if w not in JFT_LEVELS)
            courses.append(("Diklat Fungsional", f"Diklat Pembentukan Jabatan Fungsional {base}", 120,
                            jabatan_rows[0].tmt_jabatan, inst.diklat))
        if rng.random() < 0.35:
            name, jam = rng.choice(DIKLAT_TEKNIS)
            courses.append(("Diklat Teknis", name, jam, add_years(tmt_cpns, 1), inst.diklat))
        if rng.random() < 0.1:
            name, jam = rng.choice(KURSUS)
            courses.append(("Kursus", name, jam, tmt_cpns, f"Lembaga Kursus {inst.kota}"))
        rows = []
        for jenis, nama, jam, earliest, penyelenggara in courses:
            mulai = self.date_between(earliest + dt.timedelta(days=30), earliest + dt.timedelta(days=720))
            selesai = mulai + dt.timedelta(days=max(2, jam // 8))
            if selesai > end:
                continue
            rows.append(RiwayatDiklat(
                jenis_diklat_id=self.jenis_diklat[jenis], nama=nama,
                nomor_sertifikat=f"{self.digits(4)}/DIKLAT/{selesai.year}",
                tanggal_mulai=mulai, tanggal_selesai=selesai, tahun=selesai.year, jumlah_jam=jam,
                penyelenggara=penyelenggara,
            ))
        return rows

    # -- family --------------------------------------------------------------------
    def _marital_status(self, age: int, family: bool) -> str:
        if family:
            return "Kawin"
        if age < 25 and self.rng.random() < 0.7:
            return "Belum Kawin"
        return self.pick((("Kawin", 85), ("Belum Kawin", 7), ("Cerai Hidup", 4), ("Cerai Mati", 4)))

    def _family(self, inst, gender, born, married, home, status):
        """Spouse and children; returns (rows, marital status the rows agree with)."""
        rng = self.rng
        spouse_gender = "P" if gender == "L" else "L"
        gap = dt.timedelta(days=rng.randint(0, 6 * 365))
        spouse_born = born + gap if gender == "L" else born - gap
        youngest = max(born, spouse_born)
        menikah = self.date_between(add_years(youngest, 22), add_years(youngest, 30))
        menikah = min(menikah, self.as_of - dt.timedelta(days=30))
        if menikah < add_years(youngest, 19):
            return [], "Belum Kawin"
        spouse_nip = None
        if rng.random() < 0.15:
            spouse_tmt = _month_start_on_or_after(add_years(spouse_born, rng.randint(22, 30)))
            if spouse_tmt <= add_years(self.as_of, -1):
                spouse_nip = self.nip(spouse_born, spouse_tmt, spouse_gender)
        cerai = None
        if married == "Cerai Hidup":
            if add_years(menikah, 2) < self.as_of:
                cerai = self.date_between(add_years(menikah, 2), self.as_of)
            else:
                married = "Kawin"
        rows = [Pasangan(
            nama=self.name(spouse_gender), nik=self.nik(home, spouse_born, spouse_gender),
            tempat_lahir=self.place(rng.choice(_REGION_CODES)), tanggal_lahir=spouse_born,
            status_hidup=STATUS_MENINGGAL if married == "Cerai Mati" else STATUS_HIDUP,
            tanggal_menikah=menikah,
            akta_menikah=(f"{rng.randint(1, 999)}/{rng.randint(1, 99):02d}/"
                          f"{ROMAN_MONTHS[menikah.month - 1]}/{menikah.year}"),
            tanggal_cerai=cerai, akta_cerai=f"{rng.randint(1, 999)}/AC/{cerai.year}/PA" if cerai else None,
            no_karis_karsu=f"{self.digits(6)} {'J' if spouse_gender == 'P' else 'K'}"
            if status != Pegawai.STATUS_CPNS and married == "Kawin" else None,
            is_pns=spouse_nip is not None, nip=spouse_nip,
        )]
        child_born = add_years(menikah, 1) + dt.timedelta(days=rng.randint(0, 700))
        for _child in range(self.pick(((0, 15), (1, 30), (2, 35), (3, 20)))):
            if child_born > self.as_of:
                break
            child_gender = rng.choice("LP")
            age = _years_between(child_born, self.as_of)
            level, sekolah = None, None
            if age >= 22:
                level, sekolah = "S-1", self._kampus(inst)
            elif age >= 15:
                level, sekolah = "SLTA", f"SMA Negeri {rng.randint(1, 11)} {inst.kota}"
            elif age >= 12:
                level, sekolah = "SLTP", f"SMP Negeri {rng.randint(1, 12)} {inst.kota}"
            elif age >= 6:
                level, sekolah = "SD", f"SD Negeri {rng.randint(1, 12)} {inst.kota}"
            rows.append(Anak(
                nama=self.name(child_gender), nik=self.nik(home, child_born, child_gender),
                tempat_lahir=self.place(home), tanggal_lahir=child_born, jenis_kelamin=child_gender,
                status_anak=self.pick(((Anak.STATUS_KANDUNG, 95), (Anak.STATUS_ANGKAT, 3), (Anak.STATUS_TIRI, 2))),
                status_hidup=STATUS_HIDUP if rng.random() < 0.98 else STATUS_MENINGGAL,
                tingkat_pendidikan_id=self.pendidikan[level] if level else None, nama_sekolah=sekolah,
            ))
            child_born = add_years(child_born, rng.randint(2, 5)) + dt.timedelta(days=rng.randint(0, 300))
        return rows, married

    def _parents(self, inst, born):
        rows = []
        for hubungan, gender, gap in ((OrangTua.HUBUNGAN_AYAH, "L", (25, 38)), (OrangTua.HUBUNGAN_IBU, "P", (20, 34))):
            parent_born = add_years(born, -self.rng.randint(*gap)) - dt.timedelta(days=self.rng.randint(0, 364))
            age = _years_between(parent_born, self.as_of)
            dead = self.rng.random() < (0.6 if age > 75 else 0.25 if age > 65 else 0.05)
            rows.append(OrangTua(
                hubungan=hubungan, nama=self.name(gender),
                tempat_lahir=self.place(self.origin_region(inst)), tanggal_lahir=parent_born,
                status_hidup=STATUS_MENINGGAL if dead else STATUS_HIDUP,
                pekerjaan=self.rng.choice(PEKERJAAN_ORANG_TUA if gender == "L" else PEKERJAAN_ORANG_TUA[1:]),
            ))
        return rows


# --------------------------------------------------------------------------- organisation in the DB


def _ensure_organisation(session, stats: SeedStats) -> list[_I]:
    """Create (or find by kode) the demo instansi and their unit trees. Returns a copy of
    INSTANSI with database ids and paths filled in."""
    specs = copy.deepcopy(INSTANSI)
    kanreg = dict(session.execute(select(Kanreg.kode, Kanreg.id)).all())
    for spec in specs:
        instansi = session.scalar(select(Instansi).where(Instansi.kode == spec.kode))
        if instansi is None:
            instansi = Instansi(kode=spec.kode, nama=spec.nama, jenis=spec.jenis, kanreg_id=kanreg[spec.kanreg])
            session.add(instansi)
            session.flush()
            stats.instansi_created += 1
        spec.id = instansi.id
        spec.flat_units = []

        # Called right away, inside this loop: binding the loop's instansi/spec as defaults
        # only makes that explicit.
        def build(nodes, parent, parent_kode, instansi=instansi, spec=spec):
            for i, node in enumerate(nodes, start=1):
                kode = f"{parent_kode}.{i:02d}"
                unit = session.scalar(select(UnitKerja).where(UnitKerja.kode == kode))
                if unit is None:
                    unit = UnitKerja(kode=kode, nama=node.nama, instansi_id=instansi.id,
                                     parent_id=parent.id if parent else None)
                    session.add(unit)
                    session.flush()  # the id, and the path the model derives from it
                    stats.units_created += 1
                node.id, node.path, node.instansi = unit.id, unit.path, spec
                spec.flat_units.append(node)
                build(node.children, unit, kode)

        build(spec.units, None, spec.kode)
    session.flush()
    return specs


def _skpd_kode() -> str:
    """Kode of the Verifikator SKPD's unit: a top-level unit of instansi 1."""
    position = next(i for i, u in enumerate(INSTANSI[0].units, start=1) if u.nama == DEMO_SKPD_UNIT)
    return f"{INSTANSI[0].kode}.{position:02d}"


def _first_leaf(node: _U) -> _U:
    while node.children:
        node = node.children[0]
    return node


# --------------------------------------------------------------------------- public API


def has_pegawai(session) -> bool:
    """True when the database already holds at least one Pegawai."""
    return session.execute(select(Pegawai.id).limit(1)).first() is not None


def seed_records(session, pegawai_count: int = DEFAULT_PEGAWAI, seed: int = DEFAULT_SEED,
                 as_of: dt.date = AS_OF) -> SeedStats:
    """Reference data, the demo organisation and `pegawai_count` Pegawai with history and
    family, flushed in batches. Does not commit (see `seed_demo`)."""
    stats = SeedStats()
    load_reference_data(session)
    specs = _ensure_organisation(session, stats)
    gen = _Generator(session, seed, as_of)
    instansi_cum = list(itertools.accumulate(spec.weight for spec in specs))
    unit_cum = {spec.kode: list(itertools.accumulate(u.weight for u in spec.flat_units)) for spec in specs}
    skpd_unit = next(u for u in specs[0].flat_units if u.nama == DEMO_SKPD_UNIT)
    # Pegawai #1 is the showcase record behind the demo PNS account: a PNS teacher inside
    # the Verifikator SKPD's subtree, with spouse, children and parents.
    showcase = None
    batch = []
    for index in range(pegawai_count):
        if index == 0:
            pegawai, rows = gen.pegawai(_first_leaf(skpd_unit), status=Pegawai.STATUS_PNS,
                                        career="guru", family=True)
            showcase = pegawai
        else:
            spec = specs[bisect.bisect_right(instansi_cum, gen.rng.random() * instansi_cum[-1])]
            cum = unit_cum[spec.kode]
            unit = spec.flat_units[bisect.bisect_right(cum, gen.rng.random() * cum[-1])]
            pegawai, rows = gen.pegawai(unit)
        batch.append(pegawai)
        batch.extend(rows)
        stats.pegawai += 1
        stats.history_rows += len(rows)
        if len(batch) >= FLUSH_EVERY:
            session.add_all(batch)
            session.flush()
            batch = []
    session.add_all(batch)
    session.flush()
    stats.showcase_pegawai_id = showcase.id if showcase is not None else None
    return stats


def _ensure_demo_schedule(session, today: dt.date) -> None:
    """A national schedule with today inside the filling phase, unless Admin set one."""
    if session.execute(select(Jadwal.id).limit(1)).first() is not None:
        return
    filling_start = today - dt.timedelta(days=30)
    filling_end = today + dt.timedelta(days=60)
    session.add_all([
        Jadwal(fase=Jadwal.FASE_PERSIAPAN, mulai=filling_start - dt.timedelta(days=30),
               selesai=filling_start - dt.timedelta(days=1)),
        Jadwal(fase=Jadwal.FASE_PENGISIAN, mulai=filling_start, selesai=filling_end),
        Jadwal(fase=Jadwal.FASE_VERIFIKASI, mulai=filling_end + dt.timedelta(days=1),
               selesai=filling_end + dt.timedelta(days=30)),
    ])


def ensure_roles(appbuilder) -> None:
    """Write roles and permissions when `create-permissions` has not run yet."""
    sm = appbuilder.sm
    if any(sm.find_role(name) is None for name in ALL_ROLES):
        sync_roles(appbuilder)


def _create_demo_users(session, appbuilder, showcase_pegawai_id) -> None:
    sm = appbuilder.sm
    inst = session.scalar(select(Instansi).where(Instansi.kode == INSTANSI[0].kode))
    skpd = session.scalar(select(UnitKerja).where(UnitKerja.kode == _skpd_kode()))
    scopes = {
        ROLE_VERIFIKATOR_SKPD: {"instansi_id": inst.id, "unit_kerja_id": skpd.id},
        ROLE_VERIFIKATOR_INSTANSI: {"instansi_id": inst.id},
        ROLE_VERIFIKATOR_BKN: {"kanreg_id": inst.kanreg_id},
    }
    for demo in DEMO_USERS:
        email = _demo_email(demo)
        if session.scalar(select(User).where(User.email == email)) is not None:
            continue  # seeded by an earlier run; left as it is
        username, last_name, scope = demo.username, "Demo", dict(scopes.get(demo.role, {}))
        if demo.role == ROLE_PNS:
            pegawai = session.get(Pegawai, showcase_pegawai_id)
            if registration.pns_account_of(session, pegawai.id) is not None:
                continue
            username, last_name = pegawai.nip, pegawai.nama
            scope = {"pegawai_id": pegawai.id, "is_pns_account": True}
        if sm.find_user(username=username) is not None:
            continue  # an operator's own account of that name: never touched
        user = sm.add_user(username, demo.first_name, last_name, email, sm.find_role(demo.role),
                           password=demo.password, commit=False)
        if not user:
            raise SeedRefused(_("Could not create the demo account %(username)s.", username=username))
        for key, value in scope.items():
            setattr(user, key, value)
    session.flush()


def demo_accounts(session) -> list[DemoAccount]:
    """The demo accounts present in the database, with their seeded passwords and scope."""
    accounts = []
    for demo in DEMO_USERS:
        user = session.scalar(select(User).where(User.email == _demo_email(demo)))
        if user is None:
            continue
        if user.pegawai is not None:
            scope = f"{user.pegawai.nama} – {user.pegawai.instansi.nama}"
        elif user.unit_kerja is not None:
            scope = f"{user.unit_kerja.nama} – {user.unit_kerja.instansi.nama}"
        elif user.instansi is not None:
            scope = user.instansi.nama
        elif user.kanreg is not None:
            scope = f"Kanreg {user.kanreg.kode} {user.kanreg.nama}"
        else:
            scope = _("national (all data)")
        accounts.append(DemoAccount(demo.role, user.username, demo.password, scope))
    return accounts


def seed_demo(session, pegawai_count: int = DEFAULT_PEGAWAI, seed: int = DEFAULT_SEED, *,
              appbuilder=None, as_of: dt.date = AS_OF) -> DemoResult:
    """Seed the demo organisation, `pegawai_count` Pegawai with history and one demo account
    per role, and commit. Creates the roles first when `create-permissions` never ran."""
    appbuilder = appbuilder or current_app.appbuilder
    started = time.perf_counter()
    ensure_roles(appbuilder)
    try:
        stats = seed_records(session, pegawai_count, seed, as_of)
        _create_demo_users(session, appbuilder, stats.showcase_pegawai_id)
        # Registrations and submissions in every stage: the dashboard and inboxes show something.
        demo_progress.seed_progress(session, appbuilder.sm, seed=seed, email_domain=DEMO_EMAIL_DOMAIN,
                                    showcase_pegawai_id=stats.showcase_pegawai_id)
        # The data is dated AS_OF, but the demo runs today: open the filling phase now.
        _ensure_demo_schedule(session, dt.date.today())
        session.commit()
    except Exception:
        session.rollback()
        raise
    monitoring.refresh(session)
    return DemoResult(demo_accounts(session), stats, time.perf_counter() - started)


def count_pegawai(session) -> int:
    """Number of Pegawai in the database."""
    return session.scalar(select(func.count(Pegawai.id)))
