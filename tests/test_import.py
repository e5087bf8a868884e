"""`pupns import-pegawai`: CSV/XLSX upsert by NIP with a row-level error report."""

import csv
import datetime as dt
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from flask_babel import force_locale
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Instansi, Kanreg, Pegawai, UnitKerja
from app.services import importer
from app.services.importer import COLUMNS, ImportFileError, import_pegawai, read_rows
from app.services.rules import make_nik, make_nip

BORN = dt.date(1985, 3, 14)
TMT_CPNS = dt.date(2010, 1, 1)


def person(seq, born=BORN, gender="L", tmt_cpns=TMT_CPNS, **overrides):
    """A valid import row (all strings, as in a CSV file) for employee number `seq`."""
    row = dict.fromkeys(COLUMNS, "")
    row.update(
        nip=make_nip(born, tmt_cpns, gender, seq),
        nik=make_nik("347101", born, gender, seq),
        nama=f"PEGAWAI NOMOR {seq}",
        gelar_belakang="S.Pd.",
        tempat_lahir="Yogyakarta",
        tanggal_lahir=born.isoformat(),
        jenis_kelamin=gender,
        agama="Islam",
        status_perkawinan="Kawin",
        email=f"pegawai{seq}@jogjakota.go.id",
        no_hp="081234567890",
        alamat="Jl. Malioboro No. 1, Yogyakarta",  # a comma: the CSV must quote it
        instansi_kode="3471",
        instansi_nama="Pemerintah Kota Yogyakarta",
        unit_kode="3471-01",
        unit_nama="Dinas Pendidikan",
        golongan="III/a",
        tmt_golongan="2014-04-01",
        tmt_cpns=tmt_cpns.isoformat(),
        tmt_pns="2011-03-01",
        jabatan="Guru Kelas",
        pendidikan_terakhir="S-1",
        status="PNS",
    )
    row.update(overrides)
    return row


def write_csv(path, rows, delimiter=",", encoding="utf-8"):
    with open(path, "w", newline="", encoding=encoding) as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_xlsx(path, rows, date_cells=True):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(list(COLUMNS))
    for row in rows:
        cells = []
        for column in COLUMNS:
            value = row[column]
            if date_cells and column in importer.DATE_COLUMNS and value:
                value = dt.datetime.fromisoformat(value)  # what Excel gives for a date cell
            cells.append(value if value != "" else None)
        sheet.append(cells)
    workbook.save(path)
    return path


def run(path, kanreg="I", **kwargs):
    report = import_pegawai(db.session, read_rows(path), kanreg=kanreg, **kwargs)
    db.session.expire_all()
    return report


def pegawai_by_nip():
    return {p.nip: p for p in db.session.scalars(select(Pegawai))}


def snapshot():
    """Everything an idempotent re-import must leave untouched."""
    rows = db.session.execute(
        select(
            Pegawai.nip,
            Pegawai.record_version,
            Pegawai.updated_at,
            Pegawai.email,
            Pegawai.golongan_id,
            Pegawai.unit_kerja_id,
        ).order_by(Pegawai.nip)
    ).all()
    org = (db.session.scalar(select(func.count(Instansi.id))), db.session.scalar(select(func.count(UnitKerja.id))))
    return rows, org


def errors_of(report):
    return {(e.row_number, e.field) for e in report.errors}


def test_good_csv_creates_records_instansi_units_and_references(app, tmp_path):
    rows = [
        person(1),
        person(2, gender="P", pendidikan_terakhir="SMA", golongan="ii/c", agama="katolik"),
        person(3, unit_kode="3471-02", unit_nama="Dinas Kesehatan", pendidikan_terakhir="S2"),
    ]
    report = run(write_csv(tmp_path / "pegawai.csv", rows))

    assert (report.created, report.updated, report.unchanged, report.rejected) == (3, 0, 0, 0)
    assert (report.instansi_created, report.units_created) == (1, 2)
    stored = pegawai_by_nip()
    first, second, third = (stored[r["nip"]] for r in rows)
    assert first.nama == "PEGAWAI NOMOR 1" and first.alamat == "Jl. Malioboro No. 1, Yogyakarta"
    assert first.tanggal_lahir == BORN and first.tmt_golongan == dt.date(2014, 4, 1)
    assert first.golongan.kode == "III/a" and first.pendidikan_terakhir.nama == "S-1"
    assert first.agama.nama == "Islam" and first.status_perkawinan.nama == "Kawin"
    assert first.record_version == 1 and first.status == Pegawai.STATUS_PNS
    assert second.golongan.kode == "II/c" and second.agama.nama == "Katolik"
    assert second.pendidikan_terakhir.nama == "SLTA"  # SMA, mapped by PENDIDIKAN_ALIASES
    assert third.pendidikan_terakhir.nama == "S-2"
    instansi = first.instansi
    assert (instansi.kode, instansi.kanreg.kode) == ("3471", "I")
    assert instansi.nama == "Pemerintah Kota Yogyakarta"
    assert first.unit_kerja.kode == "3471-01" and third.unit_kerja.nama == "Dinas Kesehatan"
    assert first.unit_kerja is second.unit_kerja
    for unit in (first.unit_kerja, third.unit_kerja):
        assert unit.instansi is instansi and unit.path == f"/{unit.id}/"


def test_xlsx_with_date_cells_imports_the_same_as_csv(app, tmp_path):
    rows = [person(1), person(2, gender="P", tmt_pns="")]
    report = run(write_xlsx(tmp_path / "pegawai.xlsx", rows))

    assert (report.created, report.rejected) == (2, 0)
    stored = pegawai_by_nip()
    assert stored[rows[0]["nip"]].tanggal_lahir == BORN
    assert stored[rows[0]["nip"]].tmt_pns == dt.date(2011, 3, 1)
    assert stored[rows[1]["nip"]].tmt_pns is None
    assert stored[rows[1]["nip"]].nik == rows[1]["nik"]
    # The same data as CSV afterwards is recognised as already there.
    again = run(write_csv(tmp_path / "pegawai.csv", rows))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_xlsx_row_numbers_are_the_sheet_rows_even_after_blank_rows(app, tmp_path):
    path = write_xlsx(tmp_path / "gaps.xlsx", [person(1)])
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.active
    bad = person(2, golongan="III/x")
    for column, name in enumerate(COLUMNS, start=1):  # rows 3-5 stay empty
        sheet.cell(row=6, column=column, value=bad[name] or None)
    workbook.save(path)

    report = run(path)
    assert (report.created, report.rejected) == (1, 1)
    assert errors_of(report) == {(6, "golongan")}


def test_rows_of_the_wrong_width_are_rejected_whole(app, tmp_path):
    path = write_csv(tmp_path / "width.csv", [person(1)])
    good = person(4)
    with open(path, "a", encoding="utf-8", newline="") as handle:
        line = ",".join(person(2, alamat="")[c] for c in COLUMNS)
        handle.write(line.replace("Guru Kelas", "Guru, Kelas") + "\n")  # unquoted comma: row 3
        handle.write(",".join(person(3)[c] for c in COLUMNS[:10]) + "\n")  # cut short: row 4
        csv.DictWriter(handle, fieldnames=COLUMNS).writerow(good)  # row 5
    report = run(path)
    assert (report.created, report.rejected) == (2, 2)
    assert errors_of(report) == {(3, ""), (4, "")}
    assert set(pegawai_by_nip()) == {person(1)["nip"], good["nip"]}


def test_semicolon_csv_with_byte_order_mark_as_excel_saves_it(app, tmp_path):
    path = write_csv(tmp_path / "excel.csv", [person(1), person(2)], delimiter=";", encoding="utf-8-sig")
    report = run(path)
    assert (report.created, report.rejected) == (2, 0)
    assert pegawai_by_nip()[person(1)["nip"]].alamat == "Jl. Malioboro No. 1, Yogyakarta"


def test_bad_rows_are_reported_by_row_and_field_and_good_rows_still_imported(app, tmp_path):
    good_first, good_last = person(1), person(9)
    wrong_structure = person(3)
    wrong_structure["nip"] = wrong_structure["nip"][:14] + "3" + wrong_structure["nip"][15:]
    arabic_digit = person(5)
    arabic_digit["nip"] = arabic_digit["nip"][:-1] + "\u0661"  # ARABIC-INDIC DIGIT ONE
    rows = [
        good_first,  # row 2
        wrong_structure,  # row 3
        person(4, nik=make_nik("347101", dt.date(1986, 3, 14), "L", 4)),  # row 4: NIK vs birth
        arabic_digit,  # row 5
        person(6, golongan="III/z"),  # row 6
        person(7, instansi_kode="9999", instansi_nama=""),  # row 7
        person(8, tanggal_lahir="14-03-1985"),  # row 8
        good_last,  # row 9
    ]
    report = run(write_csv(tmp_path / "mixed.csv", rows))

    assert (report.created, report.rejected) == (2, 6)
    assert {
        (3, "nip"),
        (4, "nik"),
        (5, "nip"),
        (6, "golongan"),
        (7, "instansi_kode"),
        (8, "tanggal_lahir"),
    } <= errors_of(report)
    assert {e.row_number for e in report.errors} == {3, 4, 5, 6, 7, 8}
    assert set(pegawai_by_nip()) == {good_first["nip"], good_last["nip"]}
    with force_locale("en"):
        reasons = {(e.row_number, e.field): str(e.reason) for e in report.errors}
    assert "digit 15" in reasons[(3, "nip")]
    assert "18 digits" in reasons[(5, "nip")]
    assert "date of birth" in reasons[(4, "nik")]
    assert "III/z" in reasons[(6, "golongan")]
    assert "9999" in reasons[(7, "instansi_kode")]
    assert "YYYY-MM-DD" in reasons[(8, "tanggal_lahir")]


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"tanggal_lahir": "1985-02-30"}, "tanggal_lahir"),
        ({"nama": "  "}, "nama"),
        ({"jenis_kelamin": "X"}, "jenis_kelamin"),
        ({"agama": "Jedi"}, "agama"),
        ({"pendidikan_terakhir": "S-9"}, "pendidikan_terakhir"),
        ({"status": "HONORER"}, "status"),  # "AKTIF" now reads as PNS (models.codes synonyms)
        ({"email": "bukan-email"}, "email"),
        ({"nip_lama": "12345"}, "nip_lama"),
        ({"tmt_pns": "2009-01-01"}, "tmt_pns"),
        ({"unit_kode": "3471-09", "unit_nama": ""}, "unit_kode"),
        ({"gelar_depan": "Dr." * 20}, "gelar_depan"),
    ],
)
def test_each_domain_rule_rejects_the_row_naming_the_field(app, tmp_path, overrides, field):
    report = run(write_csv(tmp_path / "one.csv", [person(2), person(3, **overrides)]))
    assert (report.created, report.rejected) == (1, 1)
    assert (3, field) in errors_of(report)


def test_unknown_instansi_is_created_only_with_a_name_and_a_kanreg(app, tmp_path):
    existing = Instansi(
        kode="3404",
        nama="Pemerintah Kabupaten Sleman",
        kanreg=db.session.scalar(select(Kanreg).where(Kanreg.kode == "I")),
    )
    db.session.add(existing)
    db.session.commit()
    rows = [
        person(1, instansi_kode="3404", instansi_nama="", unit_kode="", unit_nama=""),
        person(2),  # new instansi 3471 with a name
    ]
    without_kanreg = run(write_csv(tmp_path / "a.csv", rows), kanreg=None)
    assert (without_kanreg.created, without_kanreg.rejected) == (1, 1)
    assert errors_of(without_kanreg) == {(3, "instansi_kode")}
    assert db.session.scalar(select(Instansi).where(Instansi.kode == "3471")) is None
    assert pegawai_by_nip()[rows[0]["nip"]].instansi_id == existing.id

    with_kanreg = run(write_csv(tmp_path / "a.csv", rows), kanreg="v")
    assert (with_kanreg.created, with_kanreg.unchanged, with_kanreg.instansi_created) == (1, 1, 1)
    created = db.session.scalar(select(Instansi).where(Instansi.kode == "3471"))
    assert created.kanreg.kode == "V" and created.nama == "Pemerintah Kota Yogyakarta"

    with pytest.raises(ImportFileError):
        run(write_csv(tmp_path / "a.csv", rows), kanreg="XV")


def test_importing_the_same_file_twice_changes_nothing(app, tmp_path):
    path = write_csv(tmp_path / "pegawai.csv", [person(n) for n in range(1, 8)])
    first = run(path, batch_size=3)
    assert first.created == 7
    before = snapshot()

    second = run(path, batch_size=3)
    assert (second.created, second.updated, second.unchanged, second.rejected) == (0, 0, 7, 0)
    assert (second.instansi_created, second.units_created) == (0, 0)
    assert snapshot() == before  # same record_version and updated_at on every record


def test_a_changed_value_updates_the_record_and_bumps_its_version(app, tmp_path):
    rows = [person(1), person(2)]
    run(write_csv(tmp_path / "v1.csv", rows))
    untouched_before = pegawai_by_nip()[rows[1]["nip"]].updated_at

    rows[0] = dict(rows[0], golongan="III/b", tmt_golongan="2018-04-01", jabatan="Kepala Sekolah")
    report = run(write_csv(tmp_path / "v2.csv", rows))

    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    stored = pegawai_by_nip()
    changed, untouched = stored[rows[0]["nip"]], stored[rows[1]["nip"]]
    assert changed.golongan.kode == "III/b" and changed.jabatan == "Kepala Sekolah"
    assert changed.record_version == 2
    assert untouched.record_version == 1 and untouched.updated_at == untouched_before


def test_empty_optional_cells_keep_the_stored_values(app, tmp_path):
    row = person(1)
    run(write_csv(tmp_path / "full.csv", [row]))
    sparse = dict(row, email="", nik="", golongan="", unit_kode="", unit_nama="", alamat="")
    report = run(write_csv(tmp_path / "sparse.csv", [sparse]))

    assert (report.unchanged, report.updated) == (1, 0)
    stored = pegawai_by_nip()[row["nip"]]
    assert stored.email == row["email"] and stored.nik == row["nik"]
    assert stored.golongan.kode == "III/a" and stored.unit_kerja.kode == "3471-01"
    assert stored.record_version == 1


def test_duplicate_nip_in_one_file_rejects_the_second_row(app, tmp_path):
    report = run(write_csv(tmp_path / "dup.csv", [person(1), person(2), person(1, nama="LAIN")]))
    assert (report.created, report.rejected) == (2, 1)
    assert errors_of(report) == {(4, "nip")}
    with force_locale("en"):
        assert "row 2" in str(report.errors[0].reason)
    assert pegawai_by_nip()[person(1)["nip"]].nama == "PEGAWAI NOMOR 1"


def test_numeric_nip_cell_in_xlsx_is_rejected_not_rounded(app, tmp_path):
    rows = [person(1), person(2)]
    path = write_xlsx(tmp_path / "numbers.xlsx", rows)
    workbook = openpyxl.load_workbook(path)
    workbook.active["A3"] = float(rows[1]["nip"])  # Excel keeps 15 significant digits
    workbook.save(path)

    report = run(path)
    assert (report.created, report.rejected) == (1, 1)
    assert errors_of(report) == {(3, "nip")}
    assert set(pegawai_by_nip()) == {rows[0]["nip"]}


def test_a_row_the_database_refuses_does_not_lose_the_rest_of_its_batch(app, tmp_path, monkeypatch):
    """If a batch fails on commit, it is retried row by row: only the refused row is rejected."""
    rows = [person(n) for n in range(1, 6)]
    real_apply = importer.pegawai_save._Importer._apply

    def apply_refusing_row_4(self, batch):
        result = real_apply(self, batch)
        if any(row.number == 4 for row in batch):
            raise IntegrityError("INSERT", {}, Exception("duplicate key (simulated)"))
        return result

    monkeypatch.setattr(importer.pegawai_save._Importer, "_apply", apply_refusing_row_4)
    report = run(write_csv(tmp_path / "batch.csv", rows), batch_size=5)

    assert (report.created, report.rejected) == (4, 1)
    assert errors_of(report) == {(4, "")}
    assert len(pegawai_by_nip()) == 4 and rows[2]["nip"] not in pegawai_by_nip()
    assert db.session.scalar(select(func.count(UnitKerja.id))) == 1


def test_progress_is_reported_for_every_row(app, tmp_path):
    source = read_rows(write_csv(tmp_path / "p.csv", [person(n) for n in range(1, 8)] + [person(8, nip="salah")]))
    seen = []
    import_pegawai(db.session, source, kanreg="I", progress=seen.append, batch_size=3)
    assert source.total == 8 and sum(seen) == 8 and len(seen) > 1


def _zip_that_is_not_xlsx(path):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "bukan workbook")


PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40


@pytest.mark.parametrize(
    "name, make",
    [
        ("foto.csv", lambda p: p.write_bytes(PNG_BYTES)),
        ("foto.xlsx", lambda p: p.write_bytes(PNG_BYTES)),
        ("arsip.xlsx", _zip_that_is_not_xlsx),
        ("data.txt", lambda p: write_csv(p, [person(1)])),
        ("latin1.csv", lambda p: write_csv(p, [person(1, tempat_lahir="Pématang")], encoding="latin-1")),
        ("kolom.csv", lambda p: p.write_text("nip,nama\n198503142010011001,BUDI\n")),
        ("kosong.csv", lambda p: p.write_text("")),
        ("kosong.xlsx", lambda p: openpyxl.Workbook().save(p)),
    ],
)
def test_unusable_file_gives_one_error_and_changes_nothing(app, tmp_path, name, make):
    run(write_csv(tmp_path / "before.csv", [person(1)]))
    before = snapshot()
    path = tmp_path / name
    make(path)

    with pytest.raises(ImportFileError) as raised:
        run(path)
    assert name in str(raised.value)
    assert snapshot() == before


def test_invalid_utf8_late_in_a_csv_is_caught_before_anything_is_written(app, tmp_path):
    path = write_csv(tmp_path / "late.csv", [person(n) for n in range(1, 600)])
    with open(path, "ab") as handle:
        handle.write(b"\xff\xfe broken\n")
    with pytest.raises(ImportFileError) as raised:
        run(path)
    with force_locale("en"):
        assert "line 601" in str(raised.value)
    assert db.session.scalar(select(func.count(Pegawai.id))) == 0


def test_moving_to_another_instansi_needs_the_new_unit(app, tmp_path):
    row = person(1)
    run(write_csv(tmp_path / "v1.csv", [row]))
    moved = dict(row, instansi_kode="3404", instansi_nama="Pemerintah Kabupaten Sleman", unit_kode="", unit_nama="")
    refused = run(write_csv(tmp_path / "v2.csv", [moved]))
    assert errors_of(refused) == {(2, "unit_kode")}
    assert pegawai_by_nip()[row["nip"]].instansi.kode == "3471"

    moved.update(unit_kode="3404-01", unit_nama="Dinas Pendidikan Sleman")
    accepted = run(write_csv(tmp_path / "v3.csv", [moved]))
    assert (accepted.updated, accepted.instansi_created, accepted.units_created) == (1, 1, 1)
    stored = pegawai_by_nip()[row["nip"]]
    assert (stored.instansi.kode, stored.unit_kerja.kode) == ("3404", "3404-01")
    assert stored.unit_kerja.instansi_id == stored.instansi_id and stored.record_version == 2


def test_cli_prints_progress_summary_and_rejected_rows_and_writes_report(app, runner, tmp_path):
    path = write_csv(tmp_path / "cli.csv", [person(1), person(2, nik="347101١٤٠٣٨٥0002"), person(3, golongan="V/a")])
    report_path = tmp_path / "errors.csv"

    result = runner.invoke(args=["pupns", "import-pegawai", str(path), "--kanreg", "I", "--report", str(report_path)])

    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert any("3" in line and "nik" in line for line in lines)
    assert any("4" in line and "golongan" in line for line in lines)
    # Summary: 3 rows, 1 created, 0 updated, 0 unchanged, 2 rejected.
    assert any(re.findall(r"\d+", line) == ["3", "1", "0", "0", "2"] for line in lines)
    with open(report_path, encoding="utf-8-sig") as handle:
        written = list(csv.DictReader(handle))
    assert {(r["row"], r["field"]) for r in written} == {("3", "nik"), ("4", "golongan")}
    assert len(pegawai_by_nip()) == 1

    again = runner.invoke(args=["pupns", "import-pegawai", str(write_csv(tmp_path / "ok.csv", [person(1)]))])
    assert again.exit_code == 0, again.output


def test_cli_refuses_a_file_of_the_wrong_type_with_exit_code_2(app, runner, tmp_path):
    path = tmp_path / "foto.csv"
    path.write_bytes(PNG_BYTES)
    result = runner.invoke(args=["pupns", "import-pegawai", str(path), "--kanreg", "I"])
    assert result.exit_code == 2
    assert "foto.csv" in result.output
    assert db.session.scalar(select(func.count(Pegawai.id))) == 0

    unknown_kanreg = runner.invoke(
        args=["pupns", "import-pegawai", str(write_csv(tmp_path / "ok.csv", [person(1)])), "--kanreg", "XX"]
    )
    assert unknown_kanreg.exit_code == 2
    assert db.session.scalar(select(func.count(Pegawai.id))) == 0


def test_the_sample_file_for_operators_imports_cleanly_and_only_once(app, runner):
    sample = str(Path(__file__).parent / "data" / "pegawai_contoh.csv")
    first = runner.invoke(args=["pupns", "import-pegawai", sample, "--kanreg", "I"])
    assert first.exit_code == 0, first.output
    assert any(re.findall(r"\d+", line) == ["3", "3", "0", "0", "0"] for line in first.output.splitlines())
    before = snapshot()
    second = runner.invoke(args=["pupns", "import-pegawai", sample])
    assert second.exit_code == 0, second.output
    assert any(re.findall(r"\d+", line) == ["3", "0", "0", "3", "0"] for line in second.output.splitlines())
    assert snapshot() == before
    cpns = pegawai_by_nip()["199611022024061003"]
    assert cpns.status == Pegawai.STATUS_CPNS and cpns.pendidikan_terakhir.nama == "SLTA"


def test_gender_and_status_cells_take_labels_and_common_words(app, tmp_path):
    rows = [person(1, jenis_kelamin="Laki-laki", status="Calon PNS"), person(2, gender="P", jenis_kelamin="perempuan")]
    report = run(write_csv(tmp_path / "labels.csv", rows))
    assert (report.created, report.rejected) == (2, 0), report.errors
    stored = pegawai_by_nip()
    assert (stored[rows[0]["nip"]].jenis_kelamin, stored[rows[0]["nip"]].status) == ("L", Pegawai.STATUS_CPNS)
    assert stored[rows[1]["nip"]].jenis_kelamin == "P"
    bad = run(write_csv(tmp_path / "bad.csv", [person(3, jenis_kelamin="X", status="honorer")]))
    assert errors_of(bad) == {(2, "jenis_kelamin"), (2, "status")}
