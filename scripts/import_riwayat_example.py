"""Write the example workbook of `pupns import-riwayat` (docs/import.md) from the rows below.

    .venv/bin/python scripts/import_riwayat_example.py          # rewrite tests/data/import_riwayat_example.xlsx
    .venv/bin/python scripts/import_riwayat_example.py --check  # exit 1 when the file is stale

The headers come from the importer itself (`importer.COLUMNS`, `importer.SECTIONS`), so the
example names every column the import reads; tests/test_import_sections.py imports it (after
tests/data/pegawai_contoh.csv, whose PNS it is about) and checks it is not stale.
"""

import argparse
import csv
import datetime as dt
import sys
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.services.importer import COLUMNS, SECTIONS  # noqa: E402
from app.services.rules import make_nik  # noqa: E402

OUTPUT = ROOT / "tests" / "data" / "import_riwayat_example.xlsx"
PEGAWAI = ROOT / "tests" / "data" / "pegawai_contoh.csv"
BUDI, SITI = "198503142010011001", "199007212014032002"
D = dt.date

ROWS = {
    "riwayat_golongan": [
        {
            "nip": BUDI,
            "golongan": "III/a",
            "tmt_golongan": D(2014, 4, 1),
            "nomor_sk": "823.3/117/2014",
            "tanggal_sk": D(2014, 3, 10),
            "jenis_kp": "Reguler",
            "masa_kerja_tahun": 4,
            "masa_kerja_bulan": 3,
        },
        {
            "nip": SITI,
            "golongan": "II/c",
            "tmt_golongan": D(2014, 3, 1),
            "nomor_sk": "813.2/045/2014",
            "jenis_kp": "Pengangkatan CPNS",
            "masa_kerja_tahun": 0,
            "masa_kerja_bulan": 0,
        },
        {
            "nip": SITI,
            "golongan": "II/d",
            "tmt_golongan": D(2016, 4, 1),
            "nomor_sk": "823.2/101/2016",
            "jenis_kp": "Reguler",
        },
        {
            "nip": SITI,
            "golongan": "III/a",
            "tmt_golongan": D(2017, 10, 1),
            "nomor_sk": "823.3/330/2017",
            "jenis_kp": "Penyesuaian Ijazah",
        },
        {
            "nip": SITI,
            "golongan": "III/b",
            "tmt_golongan": D(2018, 4, 1),
            "nomor_sk": "823.3/212/2018",
            "jenis_kp": "Pilihan Jabatan Fungsional",
            "angka_kredit": "112.5",
        },
    ],
    "riwayat_jabatan": [
        {
            "nip": BUDI,
            "jenis_jabatan": "Fungsional Tertentu",
            "nama_jabatan": "Guru Kelas",
            "unit_kerja_nama": "SD Negeri Ungaran 1",
            "tmt_jabatan": D(2011, 3, 1),
            "nomor_sk": "821.2/033/2011",
        },
        {
            "nip": SITI,
            "jenis_jabatan": "Fungsional Tertentu",
            "nama_jabatan": "Perawat Terampil",
            "unit_kerja_nama": "Puskesmas Gondokusuman I",
            "tmt_jabatan": D(2015, 3, 1),
            "tmt_selesai": D(2018, 3, 31),
        },
        {
            "nip": SITI,
            "jenis_jabatan": "Fungsional Tertentu",
            "nama_jabatan": "Perawat Ahli Pertama",
            "unit_kerja_nama": "Puskesmas Gondokusuman I",
            "tmt_jabatan": D(2018, 4, 1),
        },
    ],
    "riwayat_pendidikan": [
        {
            "nip": BUDI,
            "tingkat_pendidikan": "SMA",
            "nama_sekolah": "SMA Negeri 3 Yogyakarta",
            "jurusan": "IPA",
            "tahun_lulus": 2003,
        },
        {
            "nip": BUDI,
            "tingkat_pendidikan": "40",
            "nama_sekolah": "Universitas Negeri Yogyakarta",
            "jurusan": "PGSD",
            "tahun_lulus": 2008,
            "tanggal_lulus": D(2008, 8, 30),
            "nomor_ijazah": "UNY/S1/2008/0412",
            "gelar_belakang": "S.Pd.",
            "pendidikan_pertama": "ya",
        },
        {
            "nip": SITI,
            "tingkat_pendidikan": "D-III",
            "nama_sekolah": "Akademi Keperawatan Notokusumo",
            "jurusan": "Keperawatan",
            "tahun_lulus": 2012,
            "pendidikan_pertama": "ya",
        },
        {
            "nip": SITI,
            "tingkat_pendidikan": "S-1",
            "nama_sekolah": "Universitas Respati Yogyakarta",
            "jurusan": "Ilmu Keperawatan",
            "tahun_lulus": 2017,
            "gelar_belakang": "S.Kep.",
            "pendidikan_pertama": "tidak",
        },
    ],
    "riwayat_diklat": [
        {
            "nip": BUDI,
            "jenis_diklat": "Diklat Teknis",
            "nama": "Implementasi Kurikulum Merdeka",
            "tanggal_mulai": D(2022, 8, 1),
            "tanggal_selesai": D(2022, 8, 5),
            "tahun": 2022,
            "jumlah_jam": 40,
            "penyelenggara": "LPMP DIY",
        },
        {
            "nip": SITI,
            "jenis_diklat": "Diklat Fungsional",
            "nama": "Diklat Jabatan Fungsional Perawat",
            "tanggal_mulai": D(2018, 5, 7),
            "tanggal_selesai": D(2018, 5, 18),
            "jumlah_jam": 90,
        },
    ],
    "pasangan": [
        {
            "nip": BUDI,
            "nama": "SRI WAHYUNI",
            "nik": make_nik("347101", D(1987, 5, 12), "P", 21),
            "tempat_lahir": "Sleman",
            "tanggal_lahir": D(1987, 5, 12),
            "status_hidup": "hidup",
            "tanggal_menikah": D(2012, 6, 10),
            "akta_menikah": "0456/12/VI/2012",
            "is_pns": "tidak",
        },
    ],
    "anak": [
        {
            "nip": BUDI,
            "nama": "DIMAS ADI SANTOSO",
            "tempat_lahir": "Yogyakarta",
            "tanggal_lahir": D(2014, 2, 3),
            "jenis_kelamin": "L",
            "status_anak": "kandung",
            "tingkat_pendidikan": "SD",
            "nama_sekolah": "SD Negeri Ungaran 1",
        },
        {
            "nip": BUDI,
            "nama": "NAYLA PUTRI SANTOSO",
            "tempat_lahir": "Yogyakarta",
            "tanggal_lahir": D(2017, 9, 15),
            "jenis_kelamin": "P",
            "status_anak": "kandung",
        },
    ],
    "orang_tua": [
        {
            "nip": BUDI,
            "hubungan": "ayah",
            "nama": "SUGENG RIYADI",
            "tanggal_lahir": D(1955, 1, 17),
            "status_hidup": "meninggal",
            "pekerjaan": "Petani",
        },
        {
            "nip": BUDI,
            "hubungan": "ibu",
            "nama": "PARTINAH",
            "tanggal_lahir": D(1958, 6, 2),
            "status_hidup": "hidup",
            "pekerjaan": "Pedagang",
        },
        {"nip": SITI, "hubungan": "ibu", "nama": "WARSINI", "status_hidup": "hidup"},
    ],
}


def sheets() -> dict:
    """{sheet name: [header, *rows]} as lists of cell values: data utama, then each section."""
    with PEGAWAI.open(encoding="utf-8-sig", newline="") as handle:
        pegawai = list(csv.DictReader(handle))
    result = {"pegawai": [list(COLUMNS), *([row[c] for c in COLUMNS] for row in pegawai)]}
    for name, rows in ROWS.items():
        header = list(SECTIONS[name].column_names)
        result[name] = [header, *([row.get(c) for c in header] for row in rows)]
    return result


def write(path: Path) -> None:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets().items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
        for cell in sheet[1]:
            cell.font = openpyxl.styles.Font(bold=True)
        for column in sheet.columns:  # NIP/NIK must stay text; dates show as dates
            for cell in column[1:]:
                if isinstance(cell.value, dt.date):
                    cell.number_format = "yyyy-mm-dd"
                elif isinstance(cell.value, str):
                    cell.number_format = "@"
    workbook.save(path)


def stored(path: Path) -> dict:
    """The cell values of an existing workbook, as `sheets()` gives them."""
    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        return {
            sheet.title: [[_date(v) for v in row] for row in sheet.iter_rows(values_only=True)]
            for sheet in workbook.worksheets
        }
    finally:
        workbook.close()


def is_stale() -> bool:
    """True when the committed workbook no longer holds what `sheets()` gives."""
    if not OUTPUT.exists():
        return True
    expected = {name: [[_blank(v) for v in row] for row in rows] for name, rows in sheets().items()}
    return stored(OUTPUT) != expected


def _date(value):
    return value.date() if isinstance(value, dt.datetime) else value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the workbook is stale")
    args = parser.parse_args()
    if args.check:
        stale = is_stale()
        print(f"{OUTPUT.relative_to(ROOT)} is {'stale' if stale else 'up to date'}")
        return 1 if stale else 0
    write(OUTPUT)
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


def _blank(value):
    return None if value == "" else value  # an empty cell reads back as None


if __name__ == "__main__":
    sys.exit(main())
