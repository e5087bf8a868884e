"""The "Impor Data" screen (issue 14): upload, progress, summary and error report, for the
Verifikator Instansi (his own instansi) and Admin; everyone else is refused.

Imports run inside the upload request here (IMPORT_RUN_INLINE in TestConfig); one test runs
the real background thread. Requests run in their own app contexts (the `login` fixture).
"""

import csv
import datetime as dt
import io
import logging
import time

import openpyxl
import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import ImportBatch, Pegawai
from app.roles import (
    ROLE_ADMIN,
    ROLE_HELPDESK,
    ROLE_MONITOR,
    ROLE_PNS,
    ROLE_VERIFIKATOR_BKN,
    ROLE_VERIFIKATOR_INSTANSI,
    ROLE_VERIFIKATOR_SKPD,
)
from app.services import import_jobs, importer

from .helpers import AuthActions, FreshContextClient, csrf_token, fresh
from .test_access import USERNAMES, post_refused, refused, tiny_png, token_for
from .test_import import person, write_csv, write_xlsx

REFUSED_ROLES = [ROLE_PNS, ROLE_VERIFIKATOR_SKPD, ROLE_VERIFIKATOR_BKN, ROLE_HELPDESK, ROLE_MONITOR, "anonymous"]
ALLOWED_ROLES = [ROLE_VERIFIKATOR_INSTANSI, ROLE_ADMIN]


def rows_for(world, *seqs, **overrides):
    """Valid rows of instansi A (its existing unit), one per employee number."""
    kode = {"instansi_kode": world["inst_a"].kode, "instansi_nama": "", "unit_kode": world["unit_a"].kode}
    return [person(seq, **{**kode, "unit_nama": "", **overrides}) for seq in seqs]


def csv_bytes(tmp_path, rows, name="pegawai.csv"):
    return write_csv(tmp_path / name, rows).read_bytes()


def upload(client, data, filename="pegawai.csv", token=True, **fields):
    form = {"berkas": (io.BytesIO(data), filename), **fields}
    if token:
        form["csrf_token"] = csrf_token(client, "/impor/")
    return client.post("/impor/unggah", data=form, content_type="multipart/form-data")


def batch_id_of(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def fresh_batch(pk) -> ImportBatch:
    return fresh(ImportBatch, pk)


def batch_count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count(ImportBatch.id)))


def stored_imports(app):
    folder = import_jobs.Path(app.config["UPLOAD_DIR"]) / import_jobs.SUBDIR
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.fixture
def batch_a(world, login, tmp_path):
    """A finished batch of instansi A with one rejected row (bad date of birth)."""
    rows = rows_for(world, 1, 2) + rows_for(world, 3, tanggal_lahir="1985-02-30")
    response = upload(login("vinstansi"), csv_bytes(tmp_path, rows))
    return batch_id_of(response)


ENDPOINTS = ["/impor/", "/impor/{pk}", "/impor/{pk}/status", "/impor/{pk}/laporan.csv", "/impor/{pk}/laporan.xlsx"]


# --------------------------------------------------------------------------- who may


@pytest.mark.parametrize("role", REFUSED_ROLES)
def test_other_roles_are_refused_every_endpoint(role, world, batch_a, login, tmp_path):
    client = login(USERNAMES.get(role))
    for url in ENDPOINTS:
        response = client.get(url.format(pk=batch_a))
        assert refused(response, "pegawai.csv"), (role, url, response.status_code)
    token = token_for(client, anonymous=role == "anonymous")
    before = batch_count()
    response = client.post(
        "/impor/unggah",
        data={"csrf_token": token, "berkas": (io.BytesIO(csv_bytes(tmp_path, rows_for(world, 9))), "x.csv")},
        content_type="multipart/form-data",
    )
    assert post_refused(response), (role, response.status_code)
    assert batch_count() == before


@pytest.mark.parametrize("role", ALLOWED_ROLES)
def test_instansi_verifier_and_admin_open_every_endpoint(role, world, batch_a, login):
    client = login(USERNAMES[role])
    for url in ENDPOINTS:
        response = client.get(url.format(pk=batch_a))
        assert response.status_code == 200, (role, url, response.status_code)
    page = client.get("/impor/").get_data(as_text=True)
    assert "Impor Data" in page  # the menu entry and the title
    assert "pegawai.csv" in page


def test_another_instansi_batch_is_404_and_not_listed(world, batch_a, login):
    other = login("vinstansi_b")
    for url in ENDPOINTS[1:]:
        assert other.get(url.format(pk=batch_a)).status_code == 404, url
    assert "pegawai.csv" not in other.get("/impor/").get_data(as_text=True)


def test_upload_without_csrf_token_is_refused(world, login, tmp_path, app):
    response = upload(login("vinstansi"), csv_bytes(tmp_path, rows_for(world, 1)), token=False)
    assert response.status_code == 400
    assert batch_count() == 0
    assert stored_imports(app) == []


# --------------------------------------------------------------------------- bad files


def test_oversized_file_is_refused(world, login, tmp_path, app, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 1024 * 1024)
    data = csv_bytes(tmp_path, rows_for(world, 1)) + b"x" * (1024 * 1024)
    response = upload(login("vinstansi"), data)
    assert response.status_code == 400
    assert "lebih besar dari 1 MB" in response.get_data(as_text=True)
    assert batch_count() == 0
    assert stored_imports(app) == []


@pytest.mark.parametrize(
    "filename, data, message",
    [
        ("pegawai.xlsx", tiny_png(), "pegawai.xlsx bukan buku kerja XLSX, melainkan gambar PNG."),
        ("pegawai.csv", tiny_png(), "pegawai.csv bukan berkas teks CSV, melainkan gambar PNG."),
        ("pegawai.txt", b"nip,nama\n", "Unggah berkas .csv (UTF-8) atau .xlsx."),
        ("pegawai.csv", b"nip,nama\n1,A\n", "tidak memuat kolom"),
        ("pegawai.csv", b"", "Berkas kosong."),
    ],
)
def test_fake_or_broken_file_is_refused_with_its_reason(world, login, app, filename, data, message):
    response = upload(login("vinstansi"), data, filename=filename)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page
    assert batch_count() == 0
    assert stored_imports(app) == []  # nothing kept of a refused file


# --------------------------------------------------------------------------- imports


def test_good_file_is_imported_with_the_right_counts_and_again_changes_nothing(world, login, tmp_path, app):
    client = login("vinstansi")
    data = csv_bytes(tmp_path, rows_for(world, 1, 2, 3))
    pk = batch_id_of(upload(client, data))
    batch = fresh_batch(pk)
    assert (batch.status, batch.total_rows, batch.processed_rows) == ("done", 3, 3)
    assert (batch.created_count, batch.updated_count, batch.unchanged_count, batch.rejected_count) == (3, 0, 0, 0)
    assert batch.instansi_id == world["inst_a"].id and batch.original_name == "pegawai.csv"
    assert batch.stored_name != "pegawai.csv" and "pegawai" not in batch.stored_name
    names = {p.nama for p in db.session.scalars(select(Pegawai).where(Pegawai.instansi_id == world["inst_a"].id))}
    assert {"PEGAWAI NOMOR 1", "PEGAWAI NOMOR 2", "PEGAWAI NOMOR 3"} <= names
    page = client.get(f"/impor/{pk}").get_data(as_text=True)
    assert 'id="count_created">3<' in page and "Tidak ada baris yang ditolak." in page
    assert stored_imports(app) == []  # the file is not kept once imported

    again = fresh_batch(batch_id_of(upload(client, data)))
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 3)


def test_xlsx_file_is_imported(world, login, tmp_path):
    path = write_xlsx(tmp_path / "data.xlsx", rows_for(world, 4, 5))
    pk = batch_id_of(upload(login("vinstansi"), path.read_bytes(), filename="Data Pegawai.xlsx"))
    batch = fresh_batch(pk)
    assert (batch.status, batch.created_count, batch.original_name) == ("done", 2, "Data Pegawai.xlsx")


def test_bad_row_is_listed_on_the_page_and_in_the_downloaded_reports(world, batch_a, login):
    client = login("vinstansi")
    batch = fresh_batch(batch_a)
    assert (batch.created_count, batch.rejected_count) == (2, 1)
    page = client.get(f"/impor/{batch_a}").get_data(as_text=True)
    assert "Unduh laporan kesalahan" in page
    assert "<td>4</td><td>tanggal_lahir</td>" in page  # header row 1, data rows 2..4

    response = client.get(f"/impor/{batch_a}/laporan.csv")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f'attachment; filename="laporan-impor-{batch_a}.csv"'
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["sheet", "baris", "kolom", "alasan"]
    assert [r[1:3] for r in rows[1:]] == [["4", "tanggal_lahir"]]
    assert rows[1][3]  # the reason, in Indonesian

    response = client.get(f"/impor/{batch_a}/laporan.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    assert [c.value for c in sheet[1]] == ["sheet", "baris", "kolom", "alasan"]
    assert [sheet.cell(2, 2).value, sheet.cell(2, 3).value] == [4, "tanggal_lahir"]


def test_rows_of_another_instansi_are_rejected(world, login, tmp_path):
    peg_b = world["peg_b"]
    before = (peg_b.nama, peg_b.instansi_id)
    rows = rows_for(world, 1) + rows_for(world, 2, instansi_kode=world["inst_b"].kode, unit_kode="")
    # The NIP of instansi B's employee under instansi A's code: that would move him to A.
    rows += rows_for(
        world,
        3,
        nama="DIAMBIL ALIH",
        born=peg_b.tanggal_lahir,
        gender=peg_b.jenis_kelamin,
        tmt_cpns=peg_b.tmt_cpns,
        nip=peg_b.nip,
        nik=peg_b.nik,
        tmt_pns=peg_b.tmt_pns.isoformat(),
    )
    pk = batch_id_of(upload(login("vinstansi"), csv_bytes(tmp_path, rows)))
    batch = fresh_batch(pk)
    assert (batch.created_count, batch.rejected_count) == (1, 2)
    reasons = {(row, column): reason for _, row, column, reason in import_jobs.report_rows(batch)}
    assert set(reasons) == {(3, "instansi_kode"), (4, "nip")}
    assert "bukan instansi Anda" in reasons[(3, "instansi_kode")]
    assert "instansi" in reasons[(4, "nip")]
    db.session.expire_all()
    assert (db.session.get(Pegawai, peg_b.id).nama, db.session.get(Pegawai, peg_b.id).instansi_id) == before


def test_admin_chooses_the_instansi(world, login, tmp_path):
    admin = login("admin")
    rows = [
        person(7, instansi_kode=world["inst_b"].kode, instansi_nama="", unit_kode=world["unit_b"].kode, unit_nama="")
    ]
    data = csv_bytes(tmp_path, rows)
    response = upload(admin, data, instansi="0")
    assert response.status_code == 400 and "Pilih instansi tujuan berkas ini." in response.get_data(as_text=True)
    response = upload(admin, data)
    assert response.status_code == 400 and "Pilihan tidak valid" in response.get_data(as_text=True)
    assert batch_count() == 0
    pk = batch_id_of(upload(admin, data, instansi=str(world["inst_b"].id)))
    batch = fresh_batch(pk)
    assert (batch.instansi_id, batch.created_count) == (world["inst_b"].id, 1)
    # His batch of instansi B is B's verifier's to see, not A's.
    assert login("vinstansi_b").get(f"/impor/{pk}").status_code == 200
    assert login("vinstansi").get(f"/impor/{pk}").status_code == 404


def test_progress_json_reports_done(world, batch_a, login):
    status = login("vinstansi").get(f"/impor/{batch_a}/status").get_json()
    assert status == {"state": "done", "label": "Selesai", "total": 3, "processed": 3, "percent": 100, "finished": True}


# --------------------------------------------------------------------------- running


def test_upload_returns_at_once_and_the_thread_imports(app_factory, world, tmp_path):
    threaded = app_factory(IMPORT_RUN_INLINE=False, IMPORT_PROGRESS_SECONDS=0.0)
    threaded.test_client_class = FreshContextClient
    client = threaded.test_client()
    assert AuthActions(client).login("vinstansi").status_code == 302
    pk = batch_id_of(upload(client, csv_bytes(tmp_path, rows_for(world, *range(1, 41)))))
    deadline = time.monotonic() + 30
    while (status := client.get(f"/impor/{pk}/status").get_json())["state"] != "done":
        assert status["state"] in ("queued", "running"), status
        assert time.monotonic() < deadline, status
        time.sleep(0.2)
    assert (status["processed"], status["total"], status["percent"]) == (40, 40, 100)
    assert fresh_batch(pk).created_count == 40


def test_an_error_marks_the_batch_failed_with_a_generic_message(world, login, tmp_path, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(importer, "import_pegawai", broken)
    client = login("vinstansi")
    with caplog.at_level(logging.ERROR, logger="app.services.import_jobs"):
        pk = batch_id_of(upload(client, csv_bytes(tmp_path, rows_for(world, 1))))
    batch = fresh_batch(pk)
    assert batch.status == "failed" and batch.finished_at is not None
    assert "disk on fire" in caplog.text  # the traceback is in the log …
    page = client.get(f"/impor/{pk}").get_data(as_text=True)
    assert "Impor gagal." in page and "disk on fire" not in page  # … not on the page


def test_a_batch_whose_heartbeat_stopped_is_interrupted_and_can_be_run_again(world, login, tmp_path, app, runner):
    client = login("vinstansi")
    pk = batch_id_of(upload(client, csv_bytes(tmp_path, rows_for(world, 1))))
    # As if the web process had died while importing: the file is still there, the batch
    # "running" with a heartbeat of ten minutes ago.
    batch = fresh_batch(pk)
    import_jobs.path_of(batch.stored_name).write_bytes(csv_bytes(tmp_path, rows_for(world, 1, 2)))
    batch.status, batch.heartbeat_at = (
        "running",
        dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(minutes=10),
    )
    db.session.commit()
    assert client.get(f"/impor/{pk}/status").get_json()["state"] == "interrupted"
    page = client.get(f"/impor/{pk}").get_data(as_text=True)
    assert "Impor terputus" in page and "aman" in page

    result = runner.invoke(args=["pupns", "run-import", str(pk)])
    assert result.exit_code == 0, result.output
    batch = fresh_batch(pk)
    assert (batch.status, batch.created_count, batch.unchanged_count) == ("done", 1, 1)
    # A finished batch is not run again.
    assert runner.invoke(args=["pupns", "run-import", str(pk)]).exit_code == 1


def test_the_heartbeat_goes_on_while_the_importer_reports_nothing(world, login, tmp_path, monkeypatch):
    """A long stretch without progress (a workbook's sections are saved in one go) is not
    taken for an interrupted import: the heartbeat has a thread of its own."""
    monkeypatch.setattr(import_jobs, "HEARTBEAT_SECONDS", 0.05)
    original, seen = importer.import_pegawai, []

    def silent_for_a_while(session, rows, **kwargs):
        time.sleep(0.5)
        with db.engine.connect() as connection:
            seen.append(connection.execute(select(ImportBatch.started_at, ImportBatch.heartbeat_at)).one())
        return original(session, rows, **kwargs)

    monkeypatch.setattr(importer, "import_pegawai", silent_for_a_while)
    pk = batch_id_of(upload(login("vinstansi"), csv_bytes(tmp_path, rows_for(world, 1))))
    started, heartbeat = seen[0]
    assert heartbeat > started
    assert fresh_batch(pk).status == "done"


def test_a_workbook_of_history_sheets_is_imported_for_his_own_pns_only(world, login, tmp_path):
    from app.models import OrangTua

    from .test_import_sections import write_book

    mine, theirs = world["peg_a"], world["peg_b"]
    sheets = {
        "orang_tua": [
            {"nip": mine.nip, "hubungan": "ayah", "nama": "SUPARMAN"},
            {"nip": theirs.nip, "hubungan": "ayah", "nama": "SUTRISNO"},
        ]
    }
    path = write_book(tmp_path / "riwayat.xlsx", sheets)
    client = login("vinstansi")
    pk = batch_id_of(upload(client, path.read_bytes(), filename="riwayat.xlsx"))
    batch = fresh_batch(pk)
    assert (batch.kind, batch.status, batch.total_rows, batch.rejected_count) == ("workbook", "done", 2, 1)
    assert [row[:3] for row in import_jobs.report_rows(batch)] == [["orang_tua", 3, "nip"]]
    assert db.session.scalar(select(func.count(OrangTua.id)).where(OrangTua.pegawai_id == mine.id)) == 1
    assert db.session.scalar(select(func.count(OrangTua.id)).where(OrangTua.pegawai_id == theirs.id)) == 0
    report = client.get(f"/impor/{pk}/laporan.csv").get_data(as_text=True)
    assert "orang_tua,3,nip," in report
