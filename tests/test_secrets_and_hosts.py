"""Secrets and absolute links (SECURITY.md "Secrets", "Host names and absolute links").

- No fixed SECRET_KEY outside the tests: development generates one into the instance folder
  once; production refuses to start without a long random one.
- Absolute links in mails and QR codes come from EXTERNAL_BASE_URL when it is set, never from
  a forged Host header; production refuses to start with neither it nor TRUSTED_HOSTS.
"""

import os
import re
import secrets
import stat
import time
from pathlib import Path

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import select

from app import InsecureConfiguration, create_app
from app.extensions import db
from app.models.audit import OutboxMail
from app.roles import ROLE_ADMIN
from app.services import registration

from .helpers import PASSWORD, FreshContextClient, make_user, register_pns, clear_outbox
from .factories import PegawaiFactory

ROOT = Path(__file__).resolve().parent.parent
# The development default of earlier versions, public in this repository's history.
OLD_PUBLIC_KEY = "dev-only-insecure-secret-key-change-me"
BASE = "https://epupns.example.go.id"
FORGED_HOST = "evil.example"


def development_app(app_factory, key_file, **overrides):
    """A development app, as `make run` starts it, with its secret file at `key_file`."""
    overrides.setdefault("SECRET_KEY", None)  # as without SECRET_KEY in the environment
    return app_factory(
        ENV_NAME="development",
        SECRET_KEY_FILE=str(key_file),
        RATELIMIT_ENABLED=False,
        CAPTCHA_ENABLED=False,
        **overrides,
    )


def production(**overrides):
    config = {"ENV_NAME": "production", "SECRET_KEY": secrets.token_urlsafe(48), "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    config.update(overrides)
    return create_app(config)


# ================================================================================ SECRET_KEY
def test_development_generates_one_random_key_into_the_instance_folder(app_factory, tmp_path):
    key_file = tmp_path / "instance" / "secret_key"
    first = development_app(app_factory, key_file)
    second = development_app(app_factory, key_file)
    key = first.config["SECRET_KEY"]
    assert key and len(key) >= 32
    assert second.config["SECRET_KEY"] == key, "a second process reads the same key"
    assert key_file.read_text().strip() == key
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600, "readable by its owner only"
    other = development_app(app_factory, tmp_path / "elsewhere" / "secret_key")
    assert other.config["SECRET_KEY"] != key, "each checkout gets its own key"
    # The key is nowhere in the repository's code, configuration or documentation.
    for path in ROOT.rglob("*"):
        if path.suffix in {".py", ".md", ".toml", ".ini", ".cfg", ".txt"} and not (
            {".venv", "instance", ".git", "node_modules"} & set(path.relative_to(ROOT).parts)
        ):
            assert key not in path.read_text(errors="ignore"), path


@pytest.mark.skipif(bool(os.environ.get("SECRET_KEY")), reason="SECRET_KEY set in the environment")
def test_a_cookie_signed_with_the_old_public_key_is_no_admin_session(app_factory, world, tmp_path):
    from config import Config

    # The development configuration's own key, whatever it is (formerly the public string).
    application = development_app(app_factory, tmp_path / "secret_key", SECRET_KEY=Config.SECRET_KEY)
    application.test_client_class = FreshContextClient
    admin = world["users"][ROLE_ADMIN]
    forger = Flask("forger")
    forger.secret_key = OLD_PUBLIC_KEY
    now = int(time.time())
    cookie = (
        SecureCookieSessionInterface()
        .get_signing_serializer(forger)
        .dumps(
            {
                "_user_id": str(admin.id),
                "_fresh": True,
                "_pupns_sv": admin.session_version or 0,
                "_pupns_login": now,
                "_pupns_seen": now,
                "_pupns_sid": "forged",
            }
        )
    )
    client = application.test_client()
    client.set_cookie("session", cookie)
    response = client.get("/users/list/")
    assert response.status_code == 302 and "/login/" in response.headers["Location"]


@pytest.mark.parametrize("key", [None, "", "short-key", OLD_PUBLIC_KEY, "x" * 64])
def test_production_refuses_a_missing_short_or_known_key(key):
    with pytest.raises(InsecureConfiguration, match="SECRET_KEY"):
        production(SECRET_KEY=key, TRUSTED_HOSTS=["epupns.example.go.id"])


def test_production_never_generates_a_key(tmp_path):
    with pytest.raises(InsecureConfiguration, match="SECRET_KEY is not set"):
        production(
            SECRET_KEY=None, SECRET_KEY_FILE=str(tmp_path / "secret_key"), TRUSTED_HOSTS=["epupns.example.go.id"]
        )
    assert not (tmp_path / "secret_key").exists()


# ================================================================== host names, absolute links
def test_production_needs_trusted_hosts_or_an_external_base_url():
    with pytest.raises(InsecureConfiguration, match="TRUSTED_HOSTS"):
        production()
    with pytest.raises(InsecureConfiguration, match="https"):
        production(EXTERNAL_BASE_URL="http://epupns.example.go.id")
    assert production(EXTERNAL_BASE_URL=BASE).config["EXTERNAL_BASE_URL"] == BASE
    assert production(TRUSTED_HOSTS=["epupns.example.go.id"])


@pytest.mark.parametrize("base", ["epupns.example.go.id", "https://", "https://x.go.id/?a=1"])
def test_a_malformed_external_base_url_is_refused(base):
    with pytest.raises(InsecureConfiguration, match="EXTERNAL_BASE_URL"):
        create_app({"EXTERNAL_BASE_URL": base, "SQLALCHEMY_DATABASE_URI": "sqlite://"})


@pytest.fixture
def based(app_factory):
    """An app with EXTERNAL_BASE_URL, a client whose every request says Host: evil.example."""
    application = app_factory(EXTERNAL_BASE_URL=BASE)
    application.test_client_class = FreshContextClient
    client = application.test_client()
    client.environ_base["HTTP_HOST"] = FORGED_HOST
    with application.app_context():
        yield application, client


def _post(client, url, data):
    html = client.get(url).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    return client.post(url, data={**data, "csrf_token": token})


def test_a_reset_mail_asked_for_with_a_forged_host_links_to_the_configured_base(based):
    application, client = based
    pegawai = PegawaiFactory()
    db.session.commit()
    reg = register_pns(application, pegawai, "budi@example.go.id", mother="SRI", answer="x y")
    registration.approve(db.session, make_user(application, "admin", ROLE_ADMIN), [reg])
    clear_outbox()
    _post(client, "/status/lupa-kata-kunci", {"nip": pegawai.nip, "nomor": reg.nomor})
    db.session.rollback()
    body = db.session.scalars(select(OutboxMail)).one().body
    assert re.search(re.escape(BASE) + r"/status/reset/[A-Za-z0-9_\-]+", body), body
    assert FORGED_HOST not in body


def test_qr_codes_in_pdfs_point_at_the_configured_base(based, monkeypatch):
    from app.services import pdf
    from app.services import ticket as ticket_service

    application, client = based
    encoded = []
    real = pdf.qr_data_uri
    monkeypatch.setattr(pdf, "qr_data_uri", lambda text, **kw: encoded.append(text) or real(text, **kw))
    make_user(application, "admin", ROLE_ADMIN)
    tiket = ticket_service.create(
        db.session,
        kategori="lainnya",
        nip=PegawaiFactory().nip,
        nama="BUDI",
        detail="Nama salah",
        email="budi@example.go.id",
    )
    _post(client, "/login/", {"username": "admin", "password": PASSWORD})
    response = client.get(f"/laporkan/cetak/{tiket.nomor}")
    assert response.status_code == 200
    assert encoded == [f"{BASE}/tiket/{tiket.id}"]


def test_links_made_outside_a_request_use_the_configured_base(based):
    from app.services import links

    application, _ = based
    assert links.external_url("MyDataView.index") == f"{BASE}/data-saya/"
