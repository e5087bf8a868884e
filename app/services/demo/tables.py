"""The fixed choices of the demo world: its date (AS_OF), sizes, and the weighted tables
(religions, schools, careers, titles, SK codes) that people and careers are drawn from."""

import datetime as dt

from ...models import (
    Pegawai,
)

# The data is a snapshot of the day the 2015 portal opened: deterministic, and every date
# (TMT, SK, graduation, births) lies in the past whatever day the demo runs.
AS_OF = dt.date(2015, 9, 1)
DEFAULT_PEGAWAI = 3000
DEFAULT_SEED = 2015
DEMO_URL = "http://127.0.0.1:5000"
DEMO_EMAIL_DOMAIN = "demo.pupns.local"
# Objects (Pegawai + history rows) per flush: ~500 Pegawai, one multi-row INSERT per table.
FLUSH_EVERY = 5000


AGAMA_WEIGHTS = (
    ("Islam", 86),
    ("Kristen", 6),
    ("Katolik", 4),
    ("Hindu", 2),
    ("Buddha", 1),
    ("Konghucu", 0.5),
    ("Kepercayaan/Lainnya", 0.5),
)
PEKERJAAN_ORANG_TUA = (
    "Petani",
    "Wiraswasta",
    "Pedagang",
    "PNS",
    "Pensiunan PNS",
    "Guru",
    "TNI/Polri",
    "Karyawan Swasta",
    "Buruh",
    "Mengurus Rumah Tangga",
)
HP_PREFIXES = (
    "811",
    "812",
    "813",
    "821",
    "822",
    "852",
    "853",
    "856",
    "857",
    "858",
    "877",
    "878",
    "896",
    "897",
    "898",
    "899",
    "817",
    "818",
    "819",
    "838",
)
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
    "SD": ("SD",),
    "SLTP": ("SD", "SLTP"),
    "SLTA": ("SLTA",),
    "D-III": ("SLTA", "D-III"),
    "D-IV": ("SLTA", "D-IV"),
    "S-1": ("SLTA", "S-1"),
    "Profesi": ("SLTA", "S-1", "Profesi"),
    "Spesialis": ("SLTA", "S-1", "Profesi", "Spesialis"),
    "S-2": ("SLTA", "S-1", "S-2"),
    "S-3": ("SLTA", "S-1", "S-2", "S-3"),
}
# Ceiling for staff in a jabatan pilihan (struktural, fungsional keahlian): IV/b, for a few
# IV/c; most teachers stop at IV/a (IV/b needs published work).
PILIHAN_CEILING = 42
PILIHAN_CEILING_FEW = 43
GURU_CEILING = 41

S1_UMUM = (
    ("Ilmu Administrasi Negara", "S.Sos."),
    ("Akuntansi", "S.E."),
    ("Manajemen", "S.E."),
    ("Ilmu Hukum", "S.H."),
    ("Teknik Sipil", "S.T."),
    ("Teknik Informatika", "S.Kom."),
    ("Ilmu Ekonomi", "S.E."),
    ("Ilmu Pemerintahan", "S.IP."),
    ("Psikologi", "S.Psi."),
    ("Agribisnis", "S.P."),
    ("Statistika", "S.Si."),
    ("Kesehatan Masyarakat", "S.KM."),
)
S1_GURU = (
    ("Pendidikan Matematika", "S.Pd."),
    ("Pendidikan Bahasa Indonesia", "S.Pd."),
    ("Pendidikan Bahasa Inggris", "S.Pd."),
    ("Pendidikan Biologi", "S.Pd."),
    ("Pendidikan Fisika", "S.Pd."),
    ("Pendidikan Sejarah", "S.Pd."),
    ("Pendidikan Guru Sekolah Dasar", "S.Pd."),
    ("Pendidikan Luar Biasa", "S.Pd."),
    ("Pendidikan Jasmani", "S.Pd."),
    ("Pendidikan Agama Islam", "S.Pd.I."),
)
D3_UMUM = (
    ("Akuntansi", "A.Md."),
    ("Manajemen Informatika", "A.Md."),
    ("Administrasi Perkantoran", "A.Md."),
    ("Teknik Sipil", "A.Md."),
    ("Kearsipan", "A.Md."),
)
S2_UMUM = (
    ("Magister Manajemen", "M.M."),
    ("Magister Administrasi Publik", "M.AP."),
    ("Magister Hukum", "M.H."),
    ("Magister Akuntansi", "M.Ak."),
    ("Magister Ilmu Pemerintahan", "M.IP."),
    ("Magister Perencanaan Wilayah", "M.T."),
)
S2_GURU = (("Magister Pendidikan", "M.Pd."), ("Magister Manajemen Pendidikan", "M.Pd."))
S3_ALL = ("Ilmu Administrasi Publik", "Ilmu Pendidikan", "Ilmu Manajemen", "Ilmu Hukum")
SPESIALIS = (
    ("Ilmu Penyakit Dalam", "Sp.PD."),
    ("Ilmu Kesehatan Anak", "Sp.A."),
    ("Obstetri dan Ginekologi", "Sp.OG."),
    ("Psikiatri", "Sp.KJ."),
    ("Ilmu Bedah", "Sp.B."),
)
SMA_JURUSAN = ("IPA", "IPS", "Bahasa")
SMK_JURUSAN = ("Akuntansi", "Administrasi Perkantoran", "Teknik Komputer dan Jaringan", "Teknik Mesin")
NATIONAL_KAMPUS = (
    "Universitas Gadjah Mada",
    "Universitas Indonesia",
    "Universitas Airlangga",
    "Universitas Diponegoro",
    "Universitas Brawijaya",
    "Universitas Hasanuddin",
    "Universitas Padjadjaran",
    "Universitas Terbuka",
    "Universitas Sebelas Maret",
)
# Titles of the pre-1993 system for a bachelor's degree (Drs./Dra., Ir.).
OLD_TITLE_YEAR = 1993
OLD_ENGINEERING = {"S.T.", "S.P.", "S.Kom."}

# Careers: jenis jabatan, education weights, how jabatan titles are built.
JFU_TITLES = {
    "low": ("Pramu Bakti", "Pengemudi", "Penjaga Kantor"),
    "mid": (
        "Pengadministrasi Umum",
        "Pengelola Barang Milik Daerah",
        "Pengadministrasi Kepegawaian",
        "Pengelola Keuangan",
        "Bendahara Pengeluaran",
        "Pengagenda Surat",
    ),
    "high": (
        "Penyusun Program dan Anggaran",
        "Analis Data dan Informasi",
        "Penyusun Laporan Keuangan",
        "Pengelola Data Kepegawaian",
        "Verifikator Keuangan",
        "Penyusun Rencana Kerja",
    ),
}
JFT_UMUM = ("Analis Kepegawaian", "Pranata Komputer", "Arsiparis", "Perencana", "Auditor", "Pustakawan")
JFT_UMUM_TERAMPIL = ("Analis Kepegawaian", "Pranata Komputer", "Arsiparis", "Pustakawan")
TOPICS = {
    "umum": (
        "Umum",
        "Kepegawaian",
        "Keuangan",
        "Perencanaan",
        "Evaluasi dan Pelaporan",
        "Data dan Informasi",
        "Perundang-undangan",
        "Kelembagaan",
    ),
    "pendidikan": (
        "Kurikulum",
        "Pendidik dan Tenaga Kependidikan",
        "Sarana dan Prasarana",
        "Pendidikan Khusus",
        "Penjaminan Mutu",
        "Kepemudaan",
    ),
    "kesehatan": (
        "Pelayanan Medik",
        "Keperawatan",
        "Penunjang Medik",
        "Kesehatan Masyarakat",
        "Pencegahan dan Pengendalian Penyakit",
        "Sumber Daya Kesehatan",
    ),
}
CAREERS = {
    # career: (jenis jabatan, ((education, weight), ...), female_only)
    "guru": ("Fungsional Tertentu", (("S-1", 82), ("S-2", 12), ("D-IV", 6)), False),
    "tu": ("Fungsional Umum", (("SLTA", 60), ("D-III", 20), ("S-1", 18), ("SLTP", 2)), False),
    "dokter": ("Fungsional Tertentu", (("Profesi", 78), ("Spesialis", 22)), False),
    "perawat": ("Fungsional Tertentu", (("D-III", 72), ("Profesi", 28)), False),
    "bidan": ("Fungsional Tertentu", (("D-III", 100),), True),
    "staf": ("Fungsional Umum", (("SLTA", 38), ("D-III", 14), ("S-1", 38), ("S-2", 4), ("SLTP", 4), ("SD", 2)), False),
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
    ("Diklat Teknis Pengelolaan Keuangan Daerah", 60),
    ("Diklat Teknis Kearsipan", 40),
    ("Diklat Teknis Pengadaan Barang/Jasa Pemerintah", 40),
    ("Bimbingan Teknis SIMPEG", 30),
    ("Diklat Teknis Pelayanan Prima", 40),
    ("Diklat Teknis Penyusunan SKP", 30),
)
KURSUS = (("Kursus Bahasa Inggris", 60), ("Kursus Komputer Perkantoran", 40))
# Archive codes of personnel decrees: CPNS, PNS, kenaikan pangkat, jabatan.
SK_CODES_DAERAH = {"cpns": "813.3", "pns": "821.13", "kp": "823.3", "jab": "821.2"}
SK_CODES_PUSAT = {"cpns": "A2.1", "pns": "A2.2", "kp": "A4.3", "jab": "A4.4"}
JFT_LEVELS = {"Pertama", "Muda", "Madya", "Utama", "Pelaksana", "Lanjutan", "Penyelia"}
ROMAN_MONTHS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
BUP = 58  # batas usia pensiun
BUP_GURU = 60


def month_start_on_or_after(day: dt.date) -> dt.date:
    if day.day == 1:
        return day
    return add_months(day.replace(day=1), 1)


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return day.replace(year=year, month=month + 1, day=min(day.day, 28))


def kp_period_on_or_after(day: dt.date) -> dt.date:
    """Promotions (kenaikan pangkat) take effect on 1 April or 1 October."""
    for candidate in (dt.date(day.year, 4, 1), dt.date(day.year, 10, 1), dt.date(day.year + 1, 4, 1)):
        if candidate >= day:
            return candidate
    raise AssertionError("unreachable")


def years_between(start: dt.date, end: dt.date) -> int:
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))
