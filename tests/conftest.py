"""Fixtures: an app per test on SQLite and, with TEST_DATABASE_URL, on PostgreSQL too.

The schema and FAB permissions are built once per database per session; each test then
starts from empty domain tables (permissions and roles are kept, they never change).
"""

import os
import threading

import pytest
from flask_appbuilder import Model
from sqlalchemy import create_engine, text
from werkzeug.serving import make_server

from app import create_app
from app.extensions import db
from app.services.permissions import sync_roles
from app.services import passwords
from app.services.reference_data import load_reference_data

from .helpers import AuthActions, FreshContextClient, set_phase
from .worlds import build_world

# Tables that only `create-permissions` writes; kept between tests.
PERMISSION_TABLES = {"ab_permission", "ab_view_menu", "ab_permission_view", "ab_role", "ab_permission_view_role"}
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


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def login(app):
    """login(username) -> a client logged in as that user; login(None) or login() -> an
    anonymous client. Every request of these clients runs in a fresh app context."""
    app.test_client_class = FreshContextClient

    def _login(username=None):
        client = app.test_client()
        if username is not None:
            response = AuthActions(client).login(username)
            assert response.status_code == 302, f"login as {username} failed"
        return client

    return _login


@pytest.fixture
def open_run(app):
    """The run is open nationally today (pengisian): registration, drafts, Kirim, verification."""
    return set_phase("pengisian", -5, 30)


@pytest.fixture
def world(app):
    """The standard world (tests/worlds.py): two instansi in two Kanreg with unit trees and
    employees, one user per role scoped to instansi A, a second Verifikator Instansi for B."""
    return build_world(db.session, app)
