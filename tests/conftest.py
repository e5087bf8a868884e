"""Fixtures: an app per test on SQLite and, with TEST_DATABASE_URL, on PostgreSQL too.

The schema and FAB permissions are built once per database per session; each test then
starts from empty domain tables (permissions and roles are kept, they never change).
"""

import datetime as dt
import os
import re
import threading

import pytest
from flask_appbuilder import Model
from sqlalchemy import create_engine, text
from werkzeug.serving import make_server

from app import create_app
from app.extensions import db
from app.roles import (
    ROLE_ADMIN,
    ROLE_HELPDESK,
    ROLE_MONITOR,
    ROLE_PNS,
    ROLE_VERIFIKATOR_BKN,
    ROLE_VERIFIKATOR_INSTANSI,
    ROLE_VERIFIKATOR_SKPD,
)
from app.services.permissions import sync_roles
from app.services import passwords
from app.services.reference_data import load_reference_data

# Tables that only `create-permissions` writes; kept between tests.
PERMISSION_TABLES = {"ab_permission", "ab_view_menu", "ab_permission_view", "ab_role", "ab_permission_view_role"}
PASSWORD = "Rahasia-Kuat-2015"
LIVE_HOST = "127.0.0.1"

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])
_prepared = {}


def _database_url(backend, tmp_path_factory):
    if backend == "postgresql":
        return _worker_database(os.environ["TEST_DATABASE_URL"])
    return f"sqlite:///{tmp_path_factory.getbasetemp() / 'test.db'}"


def _worker_database(url):
    """Under pytest-xdist each worker gets its own PostgreSQL database (test_gw0, …)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    base, name = url.rsplit("/", 1)
    worker_url = f"{base}/{name}_{worker}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": f"{name}_{worker}"}).first()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}_{worker}"'))
    admin.dispose()
    return worker_url


def _prepare(url):
    """Drop and create the schema once per session and write permissions."""
    if url in _prepared:
        return
    engine = create_engine(url)
    import app.models  # noqa: F401
    import app.security  # noqa: F401

    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    Model.metadata.create_all(engine)
    engine.dispose()
    application = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with application.app_context():
        sync_roles(application.appbuilder)
        db.session.remove()
        db.engine.dispose()
    _prepared[url] = True


def _clean(url):
    tables = [t for t in reversed(Model.metadata.sorted_tables) if t.name not in PERMISSION_TABLES]
    engine = create_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(t.name for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


# Apps built so far in this worker, by database and config overrides. Building one costs
# ~0.4 s (FAB compiles ~1,000 routes and ~100 forms); most tests ask for the same one, so it is
# built once and reset between tests instead (`_reuse`).
_apps = {}


def _reuse(application, upload_dir):
    """Make a cached app as good as new for the next test: its own upload folder, empty
    rate-limit counters, the password cost of its own config."""
    application.config["UPLOAD_DIR"] = upload_dir
    if application.config["RATELIMIT_ENABLED"]:
        application.appbuilder.sm.limiter.reset()
    passwords.configure(application.config["PASSWORD_HASH_TIME_COST"], application.config["PASSWORD_HASH_MEMORY_KIB"])


@pytest.fixture
def app_factory(backend, tmp_path_factory, tmp_path):
    """Build an app on the test database with config overrides; reference data loaded.

    `fresh=True` builds a new app even when one with the same overrides exists (a test that
    adds routes of its own, which Flask allows only before an app's first request)."""
    url = _database_url(backend, tmp_path_factory)
    _prepare(url)
    _clean(url)
    apps = []

    def make(fresh=False, **overrides):
        upload_dir = str(tmp_path / "uploads")
        key = (url, repr(sorted(overrides.items())))
        application = None if fresh else _apps.get(key)
        if application is None:
            application = create_app({"SQLALCHEMY_DATABASE_URI": url, "UPLOAD_DIR": upload_dir, **overrides})
            if not fresh:
                _apps[key] = application
        else:
            _reuse(application, upload_dir)
        with application.app_context():
            load_reference_data(db.session)
            db.session.commit()
        apps.append(application)
        return application

    yield make
    for application in apps:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(app_factory):
    application = app_factory()
    with application.app_context():
        yield application


@pytest.fixture
def live_server(app_factory, app):
    """The app served over HTTP on 127.0.0.1 (free port) by werkzeug's threaded server (a
    thread per request), on the same database as the `app` fixture (and so as `world`): data
    committed by the test is what the server sees. Yields the base URL without a trailing
    slash. Used by the browser journeys and the concurrency tests."""
    server_app = app_factory()
    assert server_app.config["SQLALCHEMY_DATABASE_URI"] == app.config["SQLALCHEMY_DATABASE_URI"]
    server = make_server(LIVE_HOST, 0, server_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://{LIVE_HOST}:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_token(client, url):
    """The CSRF token of the form at `url`, as a browser would submit it."""
    html = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'id="csrf_token"[^>]*value="([^"]+)"', html
    )
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def logout(client):
    """Log out as the user menu does: POST /logout/ with the CSRF token of the session (taken
    from the page GET /logout/ shows)."""
    return client.post("/logout/", data={"csrf_token": csrf_token(client, "/logout/")})


class AuthActions:
    def __init__(self, client):
        self.client = client

    def login(self, username, password=PASSWORD):
        token = csrf_token(self.client, "/login/")
        return self.client.post("/login/", data={"username": username, "password": password, "csrf_token": token})

    def logout(self):
        """The menu's logout: a POST with the session's CSRF token."""
        return logout(self.client)


@pytest.fixture
def auth(client):
    return AuthActions(client)


def make_user(app, username, role_name, **scope):
    """Create an active user with one role and the given scope (instansi=…, unit_kerja=…).
    A PNS user given his Pegawai is that Pegawai's PNS account (as registration makes it)."""
    if role_name == ROLE_PNS and ("pegawai" in scope or "pegawai_id" in scope):
        scope.setdefault("is_pns_account", True)
    sm = app.appbuilder.sm
    role = sm.find_role(role_name)
    user = sm.add_user(username, username, "Test", f"{username}@test.go.id", role, password=PASSWORD)
    assert user, f"could not create {username}"
    for key, value in scope.items():
        setattr(user, key, value)
    db.session.commit()
    return user


def set_phase(fase, start_offset, end_offset, **where):
    """A Jadwal row from today+start_offset to today+end_offset (national unless `where`)."""
    from app.models import Jadwal

    today = dt.date.today()
    row = Jadwal(
        fase=fase, mulai=today + dt.timedelta(days=start_offset), selesai=today + dt.timedelta(days=end_offset), **where
    )
    db.session.add(row)
    db.session.commit()
    return row


@pytest.fixture
def open_run(app):
    """The run is open nationally today (pengisian): registration, drafts, Kirim, verification."""
    return set_phase("pengisian", -5, 30)


@pytest.fixture
def world(app):
    """Two instansi in two Kanreg, each with a unit tree and employees, and one user per role
    scoped to instansi A (plus a second Verifikator Instansi for instansi B)."""
    from sqlalchemy import select

    from app.models import Kanreg

    from .factories import InstansiFactory, PegawaiFactory, UnitKerjaFactory

    kanreg_a, kanreg_b = db.session.scalars(select(Kanreg).order_by(Kanreg.id).limit(2)).all()
    inst_a = InstansiFactory(kanreg=kanreg_a, nama="Pemerintah Kota Yogyakarta")
    inst_b = InstansiFactory(kanreg=kanreg_b, nama="Pemerintah Kota Surabaya")
    unit_a = UnitKerjaFactory(instansi=inst_a, nama="Dinas Pendidikan")
    sub_a = UnitKerjaFactory(instansi=inst_a, parent=unit_a, nama="SD Negeri 1")
    other_a = UnitKerjaFactory(instansi=inst_a, nama="Dinas Kesehatan")
    unit_b = UnitKerjaFactory(instansi=inst_b, nama="Dinas Pendidikan Surabaya")
    peg_a = PegawaiFactory(unit_kerja=unit_a, nama="BUDI SANTOSO")
    peg_sub = PegawaiFactory(unit_kerja=sub_a, nama="SITI AMINAH")
    peg_other = PegawaiFactory(unit_kerja=other_a, nama="AGUS SALIM")
    peg_b = PegawaiFactory(unit_kerja=unit_b, nama="DEWI LESTARI")
    db.session.commit()
    users = {
        ROLE_ADMIN: make_user(app, "admin", ROLE_ADMIN),
        ROLE_VERIFIKATOR_INSTANSI: make_user(app, "vinstansi", ROLE_VERIFIKATOR_INSTANSI, instansi=inst_a),
        ROLE_VERIFIKATOR_SKPD: make_user(app, "vskpd", ROLE_VERIFIKATOR_SKPD, instansi=inst_a, unit_kerja=unit_a),
        ROLE_VERIFIKATOR_BKN: make_user(app, "vbkn", ROLE_VERIFIKATOR_BKN, kanreg=kanreg_a),
        ROLE_HELPDESK: make_user(app, "helpdesk", ROLE_HELPDESK),
        ROLE_MONITOR: make_user(app, "monitor", ROLE_MONITOR, kanreg=kanreg_a),
        ROLE_PNS: make_user(app, "pns", ROLE_PNS, pegawai=peg_a),
    }
    users["vinstansi_b"] = make_user(app, "vinstansi_b", ROLE_VERIFIKATOR_INSTANSI, instansi=inst_b)
    return {
        "kanreg_a": kanreg_a,
        "kanreg_b": kanreg_b,
        "inst_a": inst_a,
        "inst_b": inst_b,
        "unit_a": unit_a,
        "sub_a": sub_a,
        "other_a": other_a,
        "unit_b": unit_b,
        "peg_a": peg_a,
        "peg_sub": peg_sub,
        "peg_other": peg_other,
        "peg_b": peg_b,
        "users": users,
    }
