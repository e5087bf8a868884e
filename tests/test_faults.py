"""Faults: an oversized request, a full disk during an upload, the database going away
between and during requests, and a failure in the middle of every multi-row change.

What a user or operator would notice: a friendly Indonesian page (JSON under /api/)
instead of a 500, nothing half-written afterwards, and the portal working again by itself
as soon as the database is back.
"""

import errno
import io
import logging
import re
from contextlib import contextmanager

import pytest
from flask import jsonify
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.exc import OperationalError
from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.models import Anak, Dokumen, Instansi, Pegawai, RecordChange, UnitKerja, Usulan, UsulanEvent
from app.models.registration import Registrasi
from app.models.ticket import Tiket
from app.roles import ROLE_VERIFIKATOR_BKN
from app.models import User
from app.services import audit, documents, importer, registration, workflow
from app.services.workflow import VERIFIKASI

from .helpers import csrf_token, FreshContextClient, register_pns
from .test_import import person, write_csv
from .test_ticket import file_ticket, message, page_text, stored_files, ticket_data, tiny_png
from .test_translations import compiled_catalogue, id_catalog  # noqa: F401 - fixtures
from .test_workflow import changes_of, draft_with, drive, events_of, fresh

UNAVAILABLE = "Temporarily unavailable"


def rows(model, *where):
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@contextmanager
def database_fails(engine, when=lambda statement: True, reason="server closed the connection unexpectedly"):
    """Every statement for which `when(statement)` holds fails as a lost connection does."""

    def fail(_conn, _cursor, statement, parameters, _context, _many):
        if when(statement):
            raise OperationalError(statement, parameters, Exception(reason))

    event.listen(engine, "before_cursor_execute", fail)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", fail)


def indonesian(app, msgid):
    return message(app, msgid)


# --------------------------------------------------------------------------------------------
# 413: a request larger than MAX_CONTENT_LENGTH
# --------------------------------------------------------------------------------------------
def test_an_oversized_upload_gets_a_friendly_indonesian_413(app_factory, world, compiled_catalogue):  # noqa: F811
    small = app_factory(MAX_CONTENT_LENGTH=64 * 1024)
    small.test_client_class = FreshContextClient
    client = small.test_client()
    token = csrf_token(client, "/laporkan/")
    form = dict(
        ticket_data(nip=world["peg_a"].nip),
        csrf_token=token,
        berkas=(io.BytesIO(b"\0" * (128 * 1024)), "scan-besar.pdf"),
    )
    response = client.post("/laporkan/", data=form, content_type="multipart/form-data")
    assert response.status_code == 413
    page = page_text(response)
    assert indonesian(small, "The file is too large") in page
    assert "2 MB" in page and "/laporkan/" not in response.headers.get("Location", "")
    assert "Request Entity Too Large" not in page  # not Flask's bare page
    assert rows(Tiket) == 0 and stored_files() == []


def test_an_oversized_api_request_gets_json(app_factory, world):
    small = app_factory(fresh=True, MAX_CONTENT_LENGTH=1024, WTF_CSRF_ENABLED=False)

    @small.route("/api/v1/_probe_upload", methods=["POST"])
    def probe_upload():
        return jsonify(files=len(__import__("flask").request.files))

    response = small.test_client().post(
        "/api/v1/_probe_upload", data={"f": (io.BytesIO(b"x" * 4096), "a.pdf")}, content_type="multipart/form-data"
    )
    assert response.status_code == 413 and response.is_json and response.json["message"]


# --------------------------------------------------------------------------------------------
# Disk full during an upload
# --------------------------------------------------------------------------------------------
class _DiskFull(io.BufferedWriter):
    """A file on a disk that fills up half-way through the write."""

    def write(self, data):
        super().write(bytes(data)[: len(data) // 2])
        self.flush()
        raise OSError(errno.ENOSPC, "No space left on device")


def _open_on_full_disk(path, mode="r", *args, **kwargs):
    raw = io.FileIO(path, mode.replace("b", ""))
    return _DiskFull(raw)


def test_disk_full_leaves_no_file_and_no_dokumen_row(app, world, monkeypatch, caplog):
    monkeypatch.setattr(documents, "open", _open_on_full_disk, raising=False)
    upload = FileStorage(stream=io.BytesIO(tiny_png()), filename="ijazah.png")
    with pytest.raises(documents.UploadRejected) as refused:
        documents.store_upload(db.session, world["peg_a"].id, upload)
    assert str(refused.value) == str(documents.STORAGE_FAILED_MESSAGE)
    db.session.commit()
    assert rows(Dokumen) == 0
    assert stored_files() == []  # neither the half-written ".part" nor a final file
    assert "No space left on device" in caplog.text


def test_disk_full_during_a_ticket_upload_shows_a_message_and_keeps_the_form(
    app, world, login, monkeypatch, compiled_catalogue
):  # noqa: F811
    monkeypatch.setattr(documents, "open", _open_on_full_disk, raising=False)
    client = login(None)
    response = file_ticket(client, ticket_data(nip=world["peg_a"].nip), (tiny_png(), "sk.png"))
    assert response.status_code == 200
    page = page_text(response)
    assert indonesian(app, documents.STORAGE_FAILED_MESSAGE) in page
    assert "Nama saya di database tertulis BUDI SANTOSA." in page  # what was typed is kept
    assert rows(Tiket) == 0 and stored_files() == []
    # Space again: the same form goes through.
    monkeypatch.undo()
    assert file_ticket(client, ticket_data(nip=world["peg_a"].nip), (tiny_png(), "sk.png")).status_code == 302
    assert rows(Tiket) == 1 and len(stored_files()) == 1


# --------------------------------------------------------------------------------------------
# The database goes away
# --------------------------------------------------------------------------------------------
def test_database_failure_gives_a_friendly_503_and_the_next_request_works(
    app, world, login, caplog, compiled_catalogue
):  # noqa: F811
    staff = login("vinstansi")
    visitor = login(None)
    with database_fails(db.engine):
        for client, url in ((visitor, "/"), (staff, "/pegawaiview/list/"), (visitor, "/login/")):
            response = client.get(url)
            assert response.status_code == 503, url
            assert response.headers["Retry-After"] == "30"
            assert indonesian(app, UNAVAILABLE) in page_text(response)
            assert response.headers["Cache-Control"] == "no-store"
    # Logged without the statement's parameters (they may hold personal data).
    assert "Database unavailable" in caplog.text and "SELECT" not in caplog.text
    assert visitor.get("/").status_code == 200
    listing = staff.get("/pegawaiview/list/")
    assert listing.status_code == 200 and "BUDI SANTOSO" in page_text(listing)


def test_database_failure_under_api_gives_json(app_factory, world):
    probe = app_factory(fresh=True)

    @probe.route("/api/v1/_probe_db")
    def probe_db():
        return jsonify(pegawai=db.session.scalar(select(func.count(Pegawai.id))))

    client = probe.test_client()
    with probe.app_context(), database_fails(db.engine):
        response = client.get("/api/v1/_probe_db")
    assert response.status_code == 503 and response.is_json and response.json["message"]
    assert client.get("/api/v1/_probe_db").json == {"pegawai": 4}


def test_a_write_interrupted_by_the_database_leaves_nothing(app, world, login, compiled_catalogue):  # noqa: F811
    """The ticket and its scan are written, then the audit row fails: no ticket, no file."""
    client = login(None)
    with database_fails(db.engine, when=lambda sql: sql.startswith("INSERT INTO audit_log")):
        response = file_ticket(client, ticket_data(nip=world["peg_a"].nip), (tiny_png(), "sk.png"))
    assert response.status_code == 503
    assert rows(Tiket) == 0 and stored_files() == []


def _terminate_other_backends(url):
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        killed = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar()
    admin.dispose()
    return killed


def _forget_dead_test_session():
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the test's own connection was terminated too
        pass
    db.session.remove()


def test_postgresql_restarted_between_requests_the_app_reconnects_by_itself(app, world, login, backend):
    if backend != "postgresql":
        pytest.skip("terminates PostgreSQL backends")
    staff = login("vinstansi")
    assert staff.get("/pegawaiview/list/").status_code == 200
    assert _terminate_other_backends(app.config["SQLALCHEMY_DATABASE_URI"]) >= 1
    _forget_dead_test_session()
    # pool_pre_ping notices the dead pooled connections and replaces them: no error at all.
    for _ in range(3):
        listing = staff.get("/pegawaiview/list/")
        assert listing.status_code == 200 and "BUDI SANTOSO" in page_text(listing)


def test_postgresql_gone_during_a_request_gives_503_then_recovers(app, world, login, backend, compiled_catalogue):  # noqa: F811
    if backend != "postgresql":
        pytest.skip("terminates PostgreSQL backends")
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    staff = login("vinstansi")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    killed = []

    def kill_own_backend(conn, _cursor, statement, _parameters, _context, _many):
        # Half-way through the request (the user is loaded, the list query is next), the
        # server ends this very connection, as a crash or failover would.
        if "FROM pegawai" in statement and not killed:
            pid = conn.connection.dbapi_connection.get_backend_pid()
            with admin.connect() as other:
                other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            killed.append(pid)

    event.listen(db.engine, "before_cursor_execute", kill_own_backend)
    try:
        response = staff.get("/pegawaiview/list/")
    finally:
        event.remove(db.engine, "before_cursor_execute", kill_own_backend)
        admin.dispose()
    assert killed and response.status_code == 503
    assert indonesian(app, UNAVAILABLE) in page_text(response)
    _forget_dead_test_session()
    listing = staff.get("/pegawaiview/list/")
    assert listing.status_code == 200 and "BUDI SANTOSO" in page_text(listing)


def test_a_crashing_503_page_never_needs_the_database(app, world, login):
    """The 503 page is rendered while every statement fails: it must not run one itself."""
    client = login(None)
    with database_fails(db.engine):
        response = client.get("/registrasi/")
    assert response.status_code == 503
    assert "<script" not in response.get_data(as_text=True)


# --------------------------------------------------------------------------------------------
# All or nothing
# --------------------------------------------------------------------------------------------
def test_registration_failing_half_way_writes_nothing(app, world, open_run, monkeypatch):
    """The account and the registration are flushed, then the audit row fails."""
    peg = world["peg_other"]  # no account yet
    users_before = rows(User)
    real_record = audit.record

    def record_then_fail(session, event_name, **kwargs):
        session.flush()
        raise OperationalError("INSERT INTO audit_log", {}, Exception("connection lost"))

    monkeypatch.setattr(registration.audit, "record", record_then_fail)
    with pytest.raises(OperationalError):
        register_pns(app, peg)
    assert rows(Registrasi) == 0
    assert rows(User) == users_before and rows(User, User.pegawai_id == peg.id) == 0
    assert registration.lookup_nip(db.session, peg.nip).status == registration.LOOKUP_OK

    monkeypatch.setattr(registration.audit, "record", real_record)
    registrasi = register_pns(app, peg)
    assert registrasi.nomor and rows(Registrasi) == 1


def test_an_import_batch_failing_half_way_writes_nothing_of_that_batch(app, tmp_path, monkeypatch):
    """Rows 1-2 are one committed batch; in the batch of rows 3-4 a new unit is flushed and
    row 3 is written, then row 4 fails: nothing of rows 3-4 remains, rows 1-2 do."""
    people = [person(n) for n in range(1, 3)] + [person(3, unit_kode="3471-02", unit_nama="Dinas Kesehatan"), person(4)]
    path = write_csv(tmp_path / "pegawai.csv", people)
    real_update = importer.pegawai_save._update
    real_apply = importer.pegawai_save._Importer._apply

    def apply_then_fail(self, batch):
        result = real_apply(self, batch)
        self.session.flush()
        if any(row.number == 5 for row in batch):  # row 5 of the sheet = person 4
            raise RuntimeError("power cut in the middle of the batch")
        return result

    monkeypatch.setattr(importer.pegawai_save._Importer, "_apply", apply_then_fail)
    with pytest.raises(RuntimeError):
        importer.import_pegawai(db.session, importer.read_rows(path), kanreg="I", batch_size=2)
    stored = set(db.session.scalars(select(Pegawai.nip)))
    assert stored == {people[0]["nip"], people[1]["nip"]}
    assert rows(UnitKerja, UnitKerja.kode == "3471-02") == 0
    assert rows(Instansi, Instansi.kode == "3471") == 1
    assert real_update  # the upsert itself was not replaced


def test_applying_a_submission_stops_whole_when_the_database_fails_half_way(world, open_run):
    """At the last verification the official record is updated, its history written, then
    the database fails on inserting the new child: everything is as before."""
    users = world["users"]
    peg = world["peg_a"]
    old_nama, version = peg.nama, peg.record_version
    usulan = draft_with(
        peg,
        [
            ("data_utama", "change", {"nama": "BUDI SANTOSO WIBOWO"}, None),
            ("anak", "add", {"nama": "RARA SANTOSO", "jenis_kelamin": "P"}, None),
        ],
    )
    usulan = drive(world, usulan, "di_bkn")
    events_before = len(events_of(usulan.id))
    seen = []

    def noted(sql):
        seen.append(sql.split()[0:3])
        return sql.startswith("INSERT INTO anak")

    with database_fails(db.engine, when=noted), pytest.raises(OperationalError):
        workflow.transition(db.session, users[ROLE_VERIFIKATOR_BKN], usulan.id, VERIFIKASI)
    assert ["UPDATE", "pegawai", "SET"] in seen  # the record had been changed before the failure
    peg = fresh(Pegawai, peg.id)
    assert (peg.nama, peg.record_version) == (old_nama, version)
    assert changes_of(peg.id) == []
    assert rows(Anak, Anak.pegawai_id == peg.id) == 0
    assert rows(RecordChange) == 0
    assert fresh(Usulan, usulan.id).status == "di_bkn"
    assert len(events_of(usulan.id)) == events_before == rows(UsulanEvent, UsulanEvent.usulan_id == usulan.id)
    # The database is back: the same verification goes through.
    workflow.transition(db.session, users[ROLE_VERIFIKATOR_BKN], usulan.id, VERIFIKASI)
    assert fresh(Pegawai, peg.id).nama == "BUDI SANTOSO WIBOWO"


def test_the_503_log_keeps_no_statement_parameters(app, world, login, caplog):
    """A login that fails on the database: the NIP typed is a parameter of the failing
    statement, and must not reach the log."""
    client = login(None)
    token = csrf_token(client, "/login/")
    nip = world["peg_a"].nip
    with caplog.at_level(logging.INFO), database_fails(db.engine):
        response = client.post("/login/", data={"username": nip, "password": "Rahasia-Salah-1", "csrf_token": token})
    assert response.status_code == 503
    assert "Database unavailable" in caplog.text
    assert nip not in caplog.text and "Rahasia-Salah-1" not in caplog.text


# --------------------------------------------------------------------------------------------
# 500: a bug is reported as a bug, not as an outage (a load balancer would drop the host)
# --------------------------------------------------------------------------------------------
SOMETHING_WENT_WRONG = "Something went wrong"


def _app_with_bugs(app_factory, **config):
    """An app with test-only routes: a query naming a column that does not exist (as the
    related-column sort did), the same under /api/, and a plain Python error."""
    probe = app_factory(fresh=True, **config)

    def broken_query():
        db.session.execute(text("SELECT no_such_column FROM pegawai"))
        return "unreachable"

    def plain_bug():
        raise RuntimeError("a bug in the view")

    probe.add_url_rule("/_probe/broken-query", "probe_broken_query", broken_query)
    probe.add_url_rule("/api/v1/_probe_broken_query", "probe_api_broken_query", broken_query)
    probe.add_url_rule("/_probe/bug", "probe_bug", plain_bug)
    return probe


def _error_records(caplog, request_id):
    return [r for r in caplog.records if r.levelno >= logging.ERROR and request_id in r.getMessage()]


def test_a_broken_query_is_a_500_in_the_layout_logged_with_request_id_and_traceback(
    app_factory, world, caplog, compiled_catalogue
):  # noqa: F811
    probe = _app_with_bugs(app_factory)
    client = probe.test_client()
    with probe.app_context(), caplog.at_level(logging.INFO):
        response = client.get("/_probe/broken-query", headers={"X-Request-ID": "lb-req-0123456789"})
    assert response.status_code == 500
    assert "Retry-After" not in response.headers
    assert response.headers["X-Request-ID"] == "lb-req-0123456789"
    text_ = page_text(response)
    assert indonesian(probe, SOMETHING_WENT_WRONG) in text_ and "lb-req-0123456789" in text_
    assert indonesian(probe, UNAVAILABLE) not in text_
    assert 'href="/login/"' in text_  # the portal's layout, with its menu
    records = _error_records(caplog, "lb-req-0123456789")
    assert records and records[0].exc_info is not None
    assert "no_such_column" in caplog.text and "Traceback" in caplog.text
    assert "Database unavailable" not in caplog.text
    # The database is fine: the next request is served.
    assert client.get("/login/").status_code == 200


def test_every_unhandled_error_gets_the_same_500_with_a_fresh_request_id(app_factory, world, caplog):
    probe = _app_with_bugs(app_factory, PROPAGATE_EXCEPTIONS=False)
    client = probe.test_client()
    with probe.app_context(), caplog.at_level(logging.INFO):
        response = client.get("/_probe/bug", headers={"X-Request-ID": "<not an id>"})
    assert response.status_code == 500
    request_id = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{16}", request_id)  # a made-up header value is not echoed
    assert request_id in page_text(response)
    assert _error_records(caplog, request_id) and "a bug in the view" in caplog.text


def test_a_broken_query_under_api_is_a_json_500(app_factory, world):
    probe = _app_with_bugs(app_factory)
    with probe.app_context():
        response = probe.test_client().get("/api/v1/_probe_broken_query")
    assert response.status_code == 500 and response.is_json
    assert response.json["request_id"] == response.headers["X-Request-ID"]


def test_an_unreachable_database_is_a_503(backend, tmp_path):
    """The database server refuses connections (PostgreSQL) or its file cannot be opened
    (SQLite): the outage page, never the 500 of a bug."""
    from app import create_app

    if backend == "postgresql":
        url = "postgresql://postgres@127.0.0.1:1/unreachable"
    else:
        url = f"sqlite:///{tmp_path}/missing-dir/pupns.db"
    broken = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with broken.app_context():
        response = broken.test_client().get("/login/")
        db.session.remove()
        db.engine.dispose()
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"


def test_real_database_errors_are_classified_outage_or_bug(app, backend, tmp_path):
    """Errors raised by the real drivers: a wrong query, a constraint and a type error are
    bugs; a read-only replica, a statement timeout, a locked SQLite file are outages."""
    import sqlite3

    from sqlalchemy.exc import DBAPIError

    from app.views.errors import is_outage

    def error_of(*statements):
        with db.engine.connect() as conn:
            try:
                for statement in statements:
                    conn.exec_driver_sql(statement)
            except DBAPIError as exc:
                return exc
        raise AssertionError(f"no error from {statements}")

    bugs = [
        error_of("SELECT no_such_column FROM pegawai"),
        error_of("SELEKT 1"),
        error_of("INSERT INTO kanreg (id, kode, nama) SELECT id, kode, nama FROM kanreg"),
    ]
    if backend == "postgresql":
        bugs.append(error_of("SELECT 'abc'::integer"))
        outages = [
            error_of("SET TRANSACTION READ ONLY", "INSERT INTO agama (nama) VALUES ('x')"),
            error_of("SET statement_timeout = 1", "SELECT pg_sleep(1)"),
        ]
    else:
        path = tmp_path / "locked.db"
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("CREATE TABLE t (x)")
        holder.execute("BEGIN EXCLUSIVE")
        try:
            sqlite3.connect(path, timeout=0).execute("SELECT * FROM t")
        except sqlite3.OperationalError as locked:
            outages = [OperationalError("SELECT * FROM t", {}, locked)]
        holder.close()
    assert [is_outage(e) for e in bugs] == [False] * len(bugs), [str(e.orig) for e in bugs]
    assert [is_outage(e) for e in outages] == [True] * len(outages), [str(e.orig) for e in outages]
