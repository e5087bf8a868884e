"""The fixed reference values of DOMAIN.md, loaded idempotently (seed, tests, import)."""

from sqlalchemy import select

from ..models import (
    Agama,
    Golongan,
    JenisDiklat,
    JenisJabatan,
    Kanreg,
    SecurityQuestion,
    StatusPerkawinan,
    TingkatPendidikan,
)

KANREG = [
    ("I", "Yogyakarta"),
    ("II", "Surabaya"),
    ("III", "Bandung"),
    ("IV", "Makassar"),
    ("V", "Jakarta"),
    ("VI", "Medan"),
    ("VII", "Palembang"),
    ("VIII", "Banjarmasin"),
    ("IX", "Jayapura"),
    ("X", "Denpasar"),
    ("XI", "Manado"),
    ("XII", "Pekanbaru"),
    ("XIII", "Banda Aceh"),
    ("XIV", "Manokwari"),
]
_PANGKAT = {
    "I": ["Juru Muda", "Juru Muda Tk. I", "Juru", "Juru Tk. I"],
    "II": ["Pengatur Muda", "Pengatur Muda Tk. I", "Pengatur", "Pengatur Tk. I"],
    "III": ["Penata Muda", "Penata Muda Tk. I", "Penata", "Penata Tk. I"],
    "IV": ["Pembina", "Pembina Tk. I", "Pembina Utama Muda", "Pembina Utama Madya", "Pembina Utama"],
}
_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4}
GOLONGAN = [
    (f"{gol}/{'abcde'[i]}", name, _ROMAN[gol] * 10 + i + 1)
    for gol, names in _PANGKAT.items()
    for i, name in enumerate(names)
]
TINGKAT_PENDIDIKAN = [
    ("05", "SD"),
    ("10", "SLTP"),
    ("12", "SLTP Kejuruan"),
    ("15", "SLTA"),
    ("17", "SLTA Kejuruan"),
    ("18", "SLTA Keguruan"),
    ("20", "D-I"),
    ("25", "D-II"),
    ("30", "D-III"),
    ("35", "D-IV"),
    ("40", "S-1"),
    ("42", "Profesi"),
    ("45", "S-2"),
    ("47", "Spesialis"),
    ("49", "Subspesialis"),
    ("50", "S-3"),
]
# Names found in agency files, mapped to the SIASN level they mean.
PENDIDIKAN_ALIASES = {
    "SMP": "SLTP",
    "SMA": "SLTA",
    "SMK": "SLTA Kejuruan",
    "SARJANA MUDA": "D-III",
    "D3": "D-III",
    "D4": "D-IV",
    "S1": "S-1",
    "S2": "S-2",
    "S3": "S-3",
    "D1": "D-I",
    "D2": "D-II",
}
AGAMA = ["Islam", "Kristen", "Katolik", "Hindu", "Buddha", "Konghucu", "Kepercayaan/Lainnya"]
STATUS_PERKAWINAN = ["Belum Kawin", "Kawin", "Cerai Hidup", "Cerai Mati"]
JENIS_JABATAN = ["Struktural", "Fungsional Tertentu", "Fungsional Umum"]
JENIS_DIKLAT = [
    ("Diklatpim Tk. I", JenisDiklat.KATEGORI_STRUKTURAL),
    ("Diklatpim Tk. II", JenisDiklat.KATEGORI_STRUKTURAL),
    ("Diklatpim Tk. III", JenisDiklat.KATEGORI_STRUKTURAL),
    ("Diklatpim Tk. IV", JenisDiklat.KATEGORI_STRUKTURAL),
    ("Diklat Fungsional", JenisDiklat.KATEGORI_FUNGSIONAL),
    ("Diklat Teknis", JenisDiklat.KATEGORI_TEKNIS),
    ("Kursus", JenisDiklat.KATEGORI_TEKNIS),
]
SECURITY_QUESTIONS = [
    "Apa nama sekolah dasar Anda?",
    "Siapa nama sahabat masa kecil Anda?",
    "Di kota mana ayah Anda lahir?",
    "Apa nama hewan peliharaan pertama Anda?",
    "Apa makanan kesukaan Anda waktu kecil?",
]


def _ensure(session, model, key: str, rows: list[dict]) -> None:
    existing = set(session.scalars(select(getattr(model, key))).all())
    for row in rows:
        if row[key] not in existing:
            session.add(model(**row))


def load_reference_data(session) -> None:
    """Insert whatever reference rows are missing; never changes rows an Admin edited."""
    _ensure(session, Kanreg, "kode", [{"kode": k, "nama": n} for k, n in KANREG])
    _ensure(session, Golongan, "kode", [{"kode": k, "pangkat": p, "tingkat": t} for k, p, t in GOLONGAN])
    _ensure(session, TingkatPendidikan, "kode", [{"kode": k, "nama": n} for k, n in TINGKAT_PENDIDIKAN])
    _ensure(session, Agama, "nama", [{"nama": n} for n in AGAMA])
    _ensure(session, StatusPerkawinan, "nama", [{"nama": n} for n in STATUS_PERKAWINAN])
    _ensure(session, JenisJabatan, "nama", [{"nama": n} for n in JENIS_JABATAN])
    _ensure(session, JenisDiklat, "nama", [{"nama": n, "kategori": k} for n, k in JENIS_DIKLAT])
    _ensure(session, SecurityQuestion, "pertanyaan", [{"pertanyaan": q} for q in SECURITY_QUESTIONS])
    session.flush()
