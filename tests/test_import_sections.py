"""`pupns import-riwayat` / `import_workbook`: history and family sheets keyed by NIP, checked
by the record rules, all or nothing per PNS, idempotent, with a sheet/row/column report."""

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from flask_babel import force_locale
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import (
    Anak,
    Golongan,
    JenisDiklat,
    JenisJabatan,
    OrangTua,
    Pasangan,
    Pegawai,
    RecordChange,
    RiwayatDiklat,
    RiwayatGolongan,
    RiwayatJabatan,
    RiwayatPendidikan,
    TingkatPendidikan,
)
from app.services.importer import sections_save
from app.services.importer import COLUMNS, ImportFileError, import_pegawai, import_workbook, read_rows, read_workbook
from app.services.rules import make_nik
from scripts import import_riwayat_example as example
from tests.factories import AnakFactory, PegawaiFactory, UnitKerjaFactory

BORN = dt.date(1985, 3, 14)
TMT_CPNS = dt.date(2010, 1, 1)


def make_pns(unit=None, born=BORN, gender="L"):
    unit = unit or UnitKerjaFactory()
    peg = PegawaiFactory(tanggal_lahir=born, jenis_kelamin=gender, tmt_cpns=TMT_CPNS, unit_kerja=unit)
    db.session.commit()
    return peg


def write_book(path, sheets):
    """An XLSX with one sheet per {name: [row dicts]} (header: every key, in order of appearance)."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        header = list(dict.fromkeys(key for row in rows for key in row))
        sheet.append(header)
        for row in rows:
            sheet.append([row.get(column) for column in header])
    workbook.save(path)
    return path


def all_sections(nip):
    """One good row of every section for the PNS `nip` (born 1985, CPNS 2010)."""
    return {
        "riwayat_golongan": [
            {"nip": nip, "golongan": "III/a", "tmt_golongan": "2010-01-01", "nomor_sk": "813/001/2010"},
            {"nip": nip, "golongan": "iii / b", "tmt_golongan": dt.date(2014, 4, 1), "masa_kerja_tahun": 4},
        ],
        "riwayat_jabatan": [
            {
                "nip": nip,
                "jenis_jabatan": "fungsional tertentu",
                "nama_jabatan": "Guru Pertama",
                "tmt_jabatan": "2011-03-01",
                "tmt_selesai": "2016-02-29",
            },
            {"nip": nip, "jenis_jabatan": "Struktural", "nama_jabatan": "Kepala Seksi", "tmt_jabatan": "2016-03-01"},
        ],
        "riwayat_pendidikan": [
            {"nip": nip, "tingkat_pendidikan": "40", "nama_sekolah": "Universitas Gadjah Mada", "tahun_lulus": 2008},
            {"nip": nip, "tingkat_pendidikan": "SMA", "nama_sekolah": "SMA Negeri 1 Yogyakarta", "tahun_lulus": 2003},
        ],
        "riwayat_diklat": [
            {
                "nip": nip,
                "jenis_diklat": "Diklatpim Tk. IV",
                "nama": "Diklatpim IV Angkatan 12",
                "tanggal_mulai": "2017-05-02",
            }
        ],
        "pasangan": [
            {
                "nip": nip,
                "nama": "SITI RAHAYU",
                "nik": make_nik("347101", dt.date(1987, 6, 1), "P", 7),
                "tanggal_lahir": "1987-06-01",
                "tanggal_menikah": "2012-10-10",
                "status_hidup": "Hidup",
            }
        ],
        "anak": [
            {"nip": nip, "nama": "AHMAD", "tanggal_lahir": "2014-01-20", "jenis_kelamin": "l", "status_anak": "kandung"}
        ],
        "orang_tua": [
            {"nip": nip, "hubungan": "ayah", "nama": "SUPARMAN", "tanggal_lahir": "1955-02-02"},
            {"nip": nip, "hubungan": "IBU", "nama": "SUMARNI", "status_hidup": "meninggal"},
        ],
    }


def run(path, **kwargs):
    report = import_workbook(db.session, path, **kwargs)
    db.session.expire_all()
    return report


def count(model, peg=None):
    query = select(func.count(model.id))
    if peg is not None:
        query = query.where(model.pegawai_id == peg.id)
    return db.session.scalar(query)


def en(text) -> str:
    with force_locale("en"):
        return str(text)


def where(report, kind="errors"):
    return {(e.sheet, e.row_number, e.field) for e in getattr(report, kind)}


def test_every_section_is_imported_with_references_by_code_or_name(app, tmp_path):
    peg = make_pns()
    version = peg.record_version
    report = run(write_book(tmp_path / "riwayat.xlsx", all_sections(peg.nip)))

    assert report.errors == [] and (report.created, report.rejected) == (11, 0)
    golongan = db.session.scalars(
        select(Golongan.kode).join(RiwayatGolongan).where(RiwayatGolongan.pegawai_id == peg.id)
    ).all()
    assert sorted(golongan) == ["III/a", "III/b"]
    jabatan = db.session.execute(
        select(JenisJabatan.nama, RiwayatJabatan.nama_jabatan).join(RiwayatJabatan.jenis_jabatan)
    ).all()
    assert set(jabatan) == {("Fungsional Tertentu", "Guru Pertama"), ("Struktural", "Kepala Seksi")}
    tingkat = db.session.scalars(select(TingkatPendidikan.nama).join(RiwayatPendidikan.tingkat_pendidikan)).all()
    assert sorted(tingkat) == ["S-1", "SLTA"]
    assert db.session.scalar(select(JenisDiklat.nama).join(RiwayatDiklat.jenis_diklat)) == "Diklatpim Tk. IV"
    spouse = db.session.scalars(select(Pasangan)).one()
    assert (spouse.status_hidup, spouse.is_pns) == ("hidup", False)
    child = db.session.scalars(select(Anak)).one()
    assert (child.jenis_kelamin, child.status_anak, child.status_hidup) == ("L", "kandung", "hidup")
    parents = {p.hubungan: p.status_hidup for p in db.session.scalars(select(OrangTua))}
    assert parents == {"ayah": "hidup", "ibu": "meninggal"}
    # The history of the record names every written field, source "import".
    sources = set(db.session.scalars(select(RecordChange.source).where(RecordChange.pegawai_id == peg.id)))
    sections = set(db.session.scalars(select(RecordChange.section).where(RecordChange.pegawai_id == peg.id)))
    assert sources == {"import"} and len(sections) == 7
    assert db.session.get(Pegawai, peg.id).record_version == version + 1


def test_rule_and_cell_errors_name_sheet_row_and_column(app, tmp_path):
    peg = make_pns()
    sheets = {
        "riwayat_golongan": [
            {"nip": peg.nip, "golongan": "III/a", "tmt_golongan": "2009-01-01"},  # before TMT CPNS
        ],
        "riwayat_jabatan": [
            {"nip": peg.nip, "nama_jabatan": "Staf", "tmt_jabatan": "01-03-2011", "jenis_jabatan": "Pelaksana"},
        ],
        "anak": [{"nip": peg.nip, "nama": "BUDI", "tanggal_lahir": "2099-01-01", "status_anak": "cucu"}],
    }
    report = run(write_book(tmp_path / "bad.xlsx", sheets))

    assert ("riwayat_golongan", 2, "tmt_golongan") in where(report)
    assert {("riwayat_jabatan", 2, "tmt_jabatan"), ("riwayat_jabatan", 2, "jenis_jabatan")} <= where(report)
    assert ("anak", 2, "status_anak") in where(report)
    messages = {(e.sheet, e.field): en(e.reason) for e in report.errors}
    assert "YYYY-MM-DD" in messages[("riwayat_jabatan", "tmt_jabatan")]
    assert "Fungsional Umum" in messages[("riwayat_jabatan", "jenis_jabatan")]  # the choices are listed
    assert report.rejected == 3 and count(RiwayatGolongan) == count(RiwayatJabatan) == count(Anak) == 0


def test_a_child_born_in_the_future_is_a_rule_error_of_its_date(app, tmp_path):
    peg = make_pns()
    report = run(
        write_book(tmp_path / "anak.xlsx", {"anak": [{"nip": peg.nip, "nama": "BUDI", "tanggal_lahir": "2099-01-01"}]})
    )
    assert where(report) == {("anak", 2, "tanggal_lahir")} and count(Anak) == 0


def test_a_child_may_not_carry_the_nik_of_another_living_person(app, tmp_path):
    peg, other = make_pns(), make_pns()
    nik = make_nik("347101", dt.date(2010, 6, 1), "L", 7)
    AnakFactory(pegawai=other, nama="SINTA", tanggal_lahir=dt.date(2010, 6, 1), jenis_kelamin="L", nik=nik)
    db.session.commit()
    child = {"nip": peg.nip, "nama": "RARA", "tanggal_lahir": "2010-06-01", "jenis_kelamin": "L", "nik": nik}
    report = run(write_book(tmp_path / "anak.xlsx", {"anak": [child]}))
    assert where(report) == {("anak", 2, "nik")} and count(Anak, peg) == 0
    assert "already the NIK of another person" in en(report.errors[0].reason)


def test_a_pns_with_one_bad_row_gets_none_of_his_rows_and_others_are_imported(app, tmp_path):
    unit = UnitKerjaFactory()
    bad, good = make_pns(unit), make_pns(unit)
    sheets = {
        "riwayat_golongan": [
            {"nip": bad.nip, "golongan": "III/a", "tmt_golongan": "2010-01-01"},
            {"nip": good.nip, "golongan": "III/a", "tmt_golongan": "2010-01-01"},
        ],
        "orang_tua": [
            {"nip": bad.nip, "hubungan": "ayah", "nama": ""},  # the name is required
            {"nip": good.nip, "hubungan": "ibu", "nama": "SUMARNI"},
        ],
    }
    report = run(write_book(tmp_path / "mixed.xlsx", sheets))

    assert count(RiwayatGolongan, bad) == count(OrangTua, bad) == 0
    assert count(RiwayatGolongan, good) == count(OrangTua, good) == 1
    assert (report.created, report.rejected) == (2, 2)
    assert ("orang_tua", 2, "nama") in where(report)
    # The good row of the bad PNS says why it was not imported.
    own = next(e for e in report.errors if e.sheet == "riwayat_golongan")
    assert own.row_number == 2 and "orang_tua" in en(own.reason)


def test_a_rule_across_rows_blocks_the_pns_and_names_the_new_row(app, tmp_path):
    peg = make_pns()
    iii_c = db.session.scalar(select(Golongan.id).where(Golongan.kode == "III/c"))
    db.session.add(RiwayatGolongan(pegawai_id=peg.id, golongan_id=iii_c, tmt_golongan=dt.date(2018, 4, 1)))
    db.session.commit()
    sheets = {"riwayat_golongan": [{"nip": peg.nip, "golongan": "III/b", "tmt_golongan": "2020-04-01"}]}
    report = run(write_book(tmp_path / "down.xlsx", sheets))

    assert where(report) == {("riwayat_golongan", 2, "golongan")}
    assert "III/b" in en(report.errors[0].reason) and count(RiwayatGolongan, peg) == 1


def test_the_same_key_twice_for_one_pns_is_rejected(app, tmp_path):
    peg = make_pns()
    row = {"nip": peg.nip, "hubungan": "ayah", "nama": "SUPARMAN"}
    report = run(write_book(tmp_path / "twice.xlsx", {"orang_tua": [row, dict(row, nama="SUPARMAN B")]}))
    assert ("orang_tua", 3, "hubungan") in where(report) and count(OrangTua) == 0


def test_rows_of_an_unknown_nip_are_rejected(app, tmp_path):
    make_pns()
    sheets = {"orang_tua": [{"nip": "198503142010011999", "hubungan": "ayah", "nama": "SUPARMAN"}]}
    report = run(write_book(tmp_path / "unknown.xlsx", sheets))
    assert where(report) == {("orang_tua", 2, "nip")} and "no PNS" in en(report.errors[0].reason)
    assert count(OrangTua) == 0


def test_rows_of_another_instansi_are_rejected_for_a_verifikator_instansi(app, tmp_path):
    mine, theirs = make_pns(), make_pns()
    assert mine.instansi_id != theirs.instansi_id
    sheets = {
        "orang_tua": [
            {"nip": mine.nip, "hubungan": "ayah", "nama": "SUPARMAN"},
            {"nip": theirs.nip, "hubungan": "ayah", "nama": "SUTRISNO"},
        ]
    }
    report = run(write_book(tmp_path / "two.xlsx", sheets), instansi_id=mine.instansi_id)
    assert where(report) == {("orang_tua", 3, "nip")} and "not in your instansi" in en(report.errors[0].reason)
    assert count(OrangTua, mine) == 1 and count(OrangTua, theirs) == 0


def test_reimporting_the_same_workbook_changes_nothing(app, tmp_path):
    peg = make_pns()
    path = write_book(tmp_path / "riwayat.xlsx", all_sections(peg.nip))
    run(path)
    version = db.session.get(Pegawai, peg.id).record_version
    changes = count(RecordChange)

    again = run(path)
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 11, 0)
    assert count(RecordChange) == changes and db.session.get(Pegawai, peg.id).record_version == version
    assert count(RiwayatGolongan) == 2 and count(OrangTua) == 2


def test_a_changed_cell_updates_the_matched_row_and_an_empty_one_keeps_it(app, tmp_path):
    peg = make_pns()
    first = {
        "nip": peg.nip,
        "golongan": "III/a",
        "tmt_golongan": "2010-01-01",
        "nomor_sk": "813/001/2010",
        "jenis_kp": "Reguler",
    }
    run(write_book(tmp_path / "a.xlsx", {"riwayat_golongan": [first]}))
    changed = dict(first, nomor_sk="813/002/2010", jenis_kp=None)
    report = run(write_book(tmp_path / "b.xlsx", {"riwayat_golongan": [changed]}))

    assert (report.created, report.updated) == (0, 1)
    row = db.session.scalars(select(RiwayatGolongan)).one()
    assert (row.nomor_sk, row.jenis_kp) == ("813/002/2010", "reguler")  # the code of "Reguler"
    change = db.session.scalars(
        select(RecordChange).where(RecordChange.field == "nomor_sk").order_by(RecordChange.id.desc())
    ).first()
    assert (change.old_value, change.new_value, change.row_id) == ('"813/001/2010"', '"813/002/2010"', row.id)


def test_a_warning_is_reported_and_does_not_block(app, tmp_path):
    peg = make_pns()
    # The PNS was 15 when this child was born: plausible only with a second look.
    sheets = {"anak": [{"nip": peg.nip, "nama": "AHMAD", "tanggal_lahir": "2000-06-01"}]}
    report = run(write_book(tmp_path / "young.xlsx", sheets))

    assert report.errors == [] and report.created == 1 and count(Anak, peg) == 1
    assert where(report, "warnings") == {("anak", 2, "tanggal_lahir")}


def utama_row(peg, **overrides):
    """A data-utama sheet row (the import-pegawai columns) for the stored PNS `peg`."""
    row = dict.fromkeys(COLUMNS, "")
    row.update(nip=peg.nip, nama=peg.nama, jenis_kelamin=peg.jenis_kelamin, instansi_kode=peg.instansi.kode)
    row.update(tanggal_lahir=peg.tanggal_lahir.isoformat(), tmt_cpns=peg.tmt_cpns.isoformat())
    row.update(overrides)
    return row


def test_a_data_utama_sheet_is_imported_first_restricted_to_the_instansi(app, tmp_path):
    peg, theirs = make_pns(), make_pns()
    sheets = {
        "pegawai": [
            utama_row(peg, alamat="Jl. Baru 2"),
            utama_row(theirs, alamat="Jl. Lain 3"),  # a PNS of another instansi
            utama_row(
                peg, nip=peg.nip[:-1] + ("8" if peg.nip.endswith("9") else "9"), instansi_kode=theirs.instansi.kode
            ),  # a new PNS elsewhere
        ],
        "orang_tua": [{"nip": peg.nip, "hubungan": "ayah", "nama": "SUPARMAN"}],
    }
    report = run(write_book(tmp_path / "with_utama.xlsx", sheets), instansi_id=peg.instansi_id)

    assert db.session.get(Pegawai, peg.id).alamat == "Jl. Baru 2" and count(OrangTua, peg) == 1
    assert db.session.get(Pegawai, theirs.id).alamat != "Jl. Lain 3"
    assert where(report) == {("pegawai", 3, "nip"), ("pegawai", 4, "instansi_kode")}
    assert (report.updated, report.created, report.rejected) == (1, 1, 2)


def test_a_csv_file_is_one_section_named_by_the_caller(app, tmp_path):
    peg = make_pns()
    path = tmp_path / "anak.csv"
    path.write_text(f"NIP;Nama;Tanggal_Lahir\n{peg.nip};AHMAD;2014-01-20\n", encoding="utf-8")
    report = run(path, section="anak")
    assert report.created == 1 and count(Anak, peg) == 1
    bad = tmp_path / "bad.csv"
    bad.write_text(f"nip,tanggal_lahir\n{peg.nip},2014-01-20\n", encoding="utf-8")
    with force_locale("en"):
        with pytest.raises(ImportFileError, match="--section"):
            read_workbook(path)
        with pytest.raises(ImportFileError, match="lacks the columns: nama"):
            read_workbook(bad, section="anak")


def test_a_workbook_without_a_section_sheet_is_refused_whole(app, tmp_path):
    path = write_book(tmp_path / "none.xlsx", {"riwayat_golongan": [{"nip": "x", "golongan": "III/a"}]})
    other = write_book(tmp_path / "other.xlsx", {"riwayat_skp": [{"nip": "x"}], "misc": [{"a": 1}]})
    with force_locale("en"):
        with pytest.raises(ImportFileError, match="lacks the columns: tmt_golongan"):
            read_workbook(path)
        with pytest.raises(ImportFileError, match="no sheet named after a section"):
            read_workbook(other)


def test_cli_imports_a_workbook_and_writes_the_report(app, runner, tmp_path):
    peg = make_pns()
    sheets = all_sections(peg.nip)
    sheets["orang_tua"].append({"nip": "198503142010011999", "hubungan": "ayah", "nama": "X"})
    report_path = tmp_path / "report.csv"
    result = runner.invoke(
        args=["pupns", "import-riwayat", str(write_book(tmp_path / "r.xlsx", sheets)), "--report", str(report_path)]
    )
    assert result.exit_code == 1, result.output
    assert "11 created" in result.output or "11 dibuat" in result.output
    lines = report_path.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "sheet,row,field,severity,reason" and lines[1].startswith("orang_tua,4,nip,error,")
    result = runner.invoke(args=["pupns", "import-riwayat", str(tmp_path / "report.csv")])
    assert result.exit_code == 2 and "--section" in result.output


def test_the_example_workbook_is_current_and_imports_cleanly_once(app, tmp_path):
    assert not example.is_stale(), "run scripts/import_riwayat_example.py"
    data = Path(__file__).parent / "data"
    import_pegawai(db.session, read_rows(data / "pegawai_contoh.csv"), kanreg="I")
    report = run(data / "import_riwayat_example.xlsx")

    assert report.errors == [] and report.warnings == []
    assert (report.created, report.unchanged) == (20, 3)  # 20 section rows; the 3 data-utama rows as stored
    assert count(RiwayatPendidikan) == 4 and count(Anak) == 2
    again = run(data / "import_riwayat_example.xlsx")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 23)


def test_a_problem_the_stored_record_already_has_does_not_block_the_file(app, tmp_path):
    peg = make_pns()
    ids = dict(db.session.execute(select(Golongan.kode, Golongan.id)).all())
    # Stored out of order (III/c before III/b): the verifier's business, not this file's.
    db.session.add(RiwayatGolongan(pegawai_id=peg.id, golongan_id=ids["III/c"], tmt_golongan=dt.date(2016, 4, 1)))
    db.session.add(RiwayatGolongan(pegawai_id=peg.id, golongan_id=ids["III/b"], tmt_golongan=dt.date(2020, 4, 1)))
    db.session.commit()
    sheets = {
        "orang_tua": [{"nip": peg.nip, "hubungan": "ibu", "nama": "SUMARNI"}],
        "riwayat_golongan": [{"nip": peg.nip, "golongan": "III/b", "tmt_golongan": "2020-04-01", "nomor_sk": "9/2020"}],
    }
    report = run(write_book(tmp_path / "unrelated.xlsx", sheets))

    assert report.errors == [] and (report.created, report.updated) == (1, 1)
    assert count(OrangTua, peg) == 1


def test_a_section_named_for_a_workbook_imports_only_that_sheet(app, tmp_path):
    peg = make_pns()
    path = write_book(tmp_path / "riwayat.xlsx", all_sections(peg.nip))
    book = read_workbook(path, section="orang_tua")
    assert [spec.name for spec, _, _ in book.sections] == ["orang_tua"] and book.ignored_sheets == []
    report = run(book)
    assert report.created == 2 and count(OrangTua, peg) == 2 and count(Anak) == count(RiwayatGolongan) == 0
    with force_locale("en"), pytest.raises(ImportFileError, match="Unknown section riwayat_skp"):
        read_workbook(path, section="riwayat_skp")


def test_a_pns_the_database_refuses_loses_only_his_rows(app, tmp_path, monkeypatch):
    unit = UnitKerjaFactory()
    refused, fine = make_pns(unit), make_pns(unit)
    real_write = sections_save._write

    def write_refusing(session, person, plan, result):
        if person.id == refused.id:
            raise IntegrityError("INSERT INTO orang_tua", {}, Exception("disk full"))
        return real_write(session, person, plan, result)

    monkeypatch.setattr(sections_save, "_write", write_refusing)
    sheets = {
        "orang_tua": [
            {"nip": refused.nip, "hubungan": "ayah", "nama": "SUPARMAN"},
            {"nip": fine.nip, "hubungan": "ayah", "nama": "SUTRISNO"},
        ]
    }
    report = run(write_book(tmp_path / "two.xlsx", sheets))
    assert count(OrangTua, fine) == 1 and count(OrangTua, refused) == 0
    assert where(report) == {("orang_tua", 2, "")} and "disk full" in en(report.errors[0].reason)


def test_coded_cells_take_labels_and_common_words_and_store_the_code(app, tmp_path):
    peg = make_pns()
    sheets = {
        "anak": [{"nip": peg.nip, "nama": "AHMAD", "jenis_kelamin": "Laki-laki", "status_anak": "Anak Angkat"}],
        "orang_tua": [{"nip": peg.nip, "hubungan": "Bapak", "nama": "SUPARMAN", "status_hidup": "Almarhum"}],
        "riwayat_jabatan": [
            {"nip": peg.nip, "nama_jabatan": "Kepala Seksi", "tmt_jabatan": "2016-03-01", "eselon": "IV a"}
        ],
    }
    report = run(write_book(tmp_path / "labels.xlsx", sheets))

    assert report.errors == [] and report.created == 3
    child = db.session.scalars(select(Anak)).one()
    parent = db.session.scalars(select(OrangTua)).one()
    assert (child.jenis_kelamin, child.status_anak) == ("L", "angkat")
    assert (parent.hubungan, parent.status_hidup) == ("ayah", "meninggal")
    assert db.session.scalar(select(RiwayatJabatan.eselon)) == "IV.a"
