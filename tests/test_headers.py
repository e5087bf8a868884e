"""Security headers on every response (app.web_security), the CSP nonce on every script,
personal data kept out of caches, lists, URLs and logs (views.privacy), downloads served
as attachments to users in scope only."""

import logging
import re
from html.parser import HTMLParser

from sqlalchemy import select

from app.extensions import db
from app.models.audit import AuditLog
from app.services import mail
from app.views.privacy import mask_nik

from .helpers import csrf_token, FreshContextClient
from .factories import AnakFactory
from .test_access import store_document  # noqa: F401 - fixture

PUBLIC_PAGES = ["/", "/login/", "/registrasi/", "/status/", "/status/lupa-nomor", "/laporkan/"]


class _Scripts(HTMLParser):
    """Every <script> of a page and every inline event-handler attribute."""

    def __init__(self):
        super().__init__()
        self.scripts, self.handlers = [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            self.scripts.append(a)
        self.handlers += [f"{tag}.{name}" for name, _ in attrs if name.startswith("on")]
        self.handlers += [
            f"{tag}.{name}"
            for name, value in attrs
            if name in ("href", "src", "action") and (value or "").lower().startswith("javascript:")
        ]


def csp_of(response) -> dict:
    policy = response.headers["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in policy.split(";")) if d}


def check_scripts(response):
    """Every script is a same-origin file or carries this response's nonce; no inline
    handlers: exactly what the CSP lets run, so the page works under it."""
    nonce = [s for s in csp_of(response)["script-src"] if s.startswith("'nonce-")][0][7:-1]
    parser = _Scripts()
    parser.feed(response.get_data(as_text=True))
    for script in parser.scripts:
        src = script.get("src")
        assert (src and src.startswith("/") and not src.startswith("//")) or script.get("nonce") == nonce, script
    assert parser.handlers == []


def check_common_headers(response):
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    csp = csp_of(response)
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
    assert csp["default-src"] == ["'self'"]


# --------------------------------------------------------------------------------------------
# Every response
# --------------------------------------------------------------------------------------------
def test_public_pages_carry_the_headers_and_no_unnonced_script(app, world, open_run, login):
    client = login(None)
    for url in PUBLIC_PAGES:
        response = client.get(url)
        assert response.status_code == 200, url
        check_common_headers(response)
        check_scripts(response)
        assert response.headers["Cache-Control"] == "no-store"  # CSRF tokens, typed NIPs


def test_staff_pages_carry_the_headers_and_no_unnonced_script(app, world, open_run, login):
    peg = world["peg_a"]
    AnakFactory(pegawai=peg, nik="3471015501100001")
    db.session.commit()
    pages = {
        "admin": [
            "/pegawaiview/list/",
            f"/pegawaiview/show/{peg.id}",
            f"/pegawaiview/edit/{peg.id}",
            "/users/list/",
            "/auditlog/",
            "/persetujuan/",
            "/helpdesk/registrasi/",
            "/anakview/list/",
            "/verifikasi/",
            "/tiket/",
        ],
        "pns": ["/data-saya/", "/pesan/"],
        "monitor": ["/pegawaiview/list/"],
    }
    for username, urls in pages.items():
        client = login(username)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (username, url)
            check_common_headers(response)
            check_scripts(response)
            assert response.headers["Cache-Control"] == "no-store", url


def test_each_response_gets_its_own_nonce(app, world, login):
    client = login(None)
    first, second = (csp_of(client.get("/login/"))["script-src"] for _ in range(2))
    assert first != second


def test_errors_redirects_and_static_files_carry_the_headers_too(app, world, login):
    client = login(None)
    for response in (client.get("/no-such-page/"), client.get("/pegawaiview/list/")):
        check_common_headers(response)
        assert response.headers["Cache-Control"] == "no-store"
    static = client.get("/static/css/pupns.css")
    assert static.status_code == 200
    check_common_headers(static)
    assert "no-store" not in static.headers.get("Cache-Control", "")  # static files may be cached
    assert client.get("/static/js/select_all.js").status_code == 200


def test_the_password_reset_link_page_sends_no_referrer(app, world, login):
    """The token is in the path: no Referer may carry it, not even to our static files."""
    client = login(None)
    response = client.get("/status/reset/" + "x" * 43)
    assert response.status_code == 200
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert client.get("/status/").headers["Referrer-Policy"] == "same-origin"


def test_strict_transport_security_only_in_production(app_factory, world):
    development = app_factory()
    assert "Strict-Transport-Security" not in development.test_client().get("/login/").headers
    production = app_factory(
        ENV_NAME="production",
        SECRET_KEY="a-long-random-production-secret-0123456789",
        TRUSTED_HOSTS=["localhost"],
        RATELIMIT_ENABLED=False,
    )
    assert production.test_client().get("/login/").headers["Strict-Transport-Security"].startswith("max-age=")


# --------------------------------------------------------------------------------------------
# Downloads: attachments, nosniff, not cached, in scope only
# --------------------------------------------------------------------------------------------
def test_documents_are_attachments_not_cached_and_only_for_users_in_scope(app, world, login):
    dokumen_id, data = store_document(world["peg_a"].id, name="<script>ijazah.png")
    allowed = {"admin", "vinstansi", "vskpd", "monitor", "vbkn"}
    for username in allowed:
        response = login(username).get(f"/dokumenview/download/{dokumen_id}")
        assert response.status_code == 200 and response.data == data, username
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert response.mimetype == "image/png"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "no-store" in response.headers["Cache-Control"]
    for username in ("vinstansi_b", "helpdesk", "pns", None):
        response = login(username).get(f"/dokumenview/download/{dokumen_id}")
        assert response.status_code in (302, 403, 404), username
        assert response.data != data


# --------------------------------------------------------------------------------------------
# NIK: masked where not needed, never in URLs
# --------------------------------------------------------------------------------------------
def test_mask_keeps_region_and_sequence_only():
    assert mask_nik("3174095501900001") == "3174********0001"
    assert mask_nik(None) == "" and mask_nik("1234") == "****"


def test_nik_is_masked_in_lists_and_for_read_only_roles(app, world, login):
    peg = world["peg_a"]
    child = AnakFactory(pegawai=peg, nik="3471015501100001")
    db.session.commit()
    keepers = {"admin", "vinstansi"}
    for username in ("admin", "vinstansi", "vskpd", "monitor", "vbkn"):
        full_on_detail = username in keepers
        client = login(username)
        detail = client.get(f"/pegawaiview/show/{peg.id}").get_data(as_text=True)
        assert (peg.nik in detail) is full_on_detail, username
        assert mask_nik(peg.nik) in detail or full_on_detail, username
        # The related list of children under the record, and the children list itself.
        assert "3471015501100001" not in detail and "3471********0001" in detail, username
        children = client.get("/anakview/list/").get_data(as_text=True)
        assert "3471015501100001" not in children and "3471********0001" in children, username
        child_detail = client.get(f"/anakview/show/{child.id}").get_data(as_text=True)
        assert ("3471015501100001" in child_detail) is full_on_detail, username


def test_nik_cannot_be_searched_through_the_url(app, world, login):
    client = login("admin")
    page = client.get("/pegawaiview/list/").get_data(as_text=True)
    assert '"nik"' not in page.split("AdminFilters", 1)[-1].split("</script>", 1)[0]
    response = client.get(f"/pegawaiview/list/?_flt_0_nik={world['peg_a'].nik}")
    assert response.status_code == 400
    assert client.get(f"/anakview/list/?_flt_0_nik={world['peg_a'].nik}").status_code == 400
    # NIP and name stay searchable.
    response = client.get(f"/pegawaiview/list/?_flt_0_nip={world['peg_a'].nip}")
    assert response.status_code == 200 and world["peg_a"].nama in response.get_data(as_text=True)


def test_forms_with_secrets_are_posted_never_sent_in_the_url(app, world, open_run, login):
    """GET forms put their fields in the URL (access logs, browser history, Referer)."""
    client = login(None)
    for url in (
        "/login/",
        "/registrasi/",
        "/status/",
        "/status/lupa-nomor",
        "/status/lupa-kata-kunci",
        "/status/lupa-jawaban",
    ):
        html = client.get(url).get_data(as_text=True)
        for form in re.findall(r"<form[^>]*>", html):
            if 'role="search"' in form:
                continue
            assert 'method="post"' in form.lower(), (url, form)


# --------------------------------------------------------------------------------------------
# Client IP behind the reverse proxy
# --------------------------------------------------------------------------------------------
def _login_ip(application, headers):
    application.test_client_class = FreshContextClient
    client = application.test_client()
    token = csrf_token(client, "/login/")
    client.post(
        "/login/", data={"username": "vskpd", "password": "wrong-password-1", "csrf_token": token}, headers=headers
    )
    db.session.rollback()
    return db.session.scalar(
        select(AuditLog.ip).where(AuditLog.event == "login.failure").order_by(AuditLog.id.desc()).limit(1)
    )


def test_the_client_ip_comes_from_the_proxy_only_when_one_is_trusted(app_factory, world):
    spoofed = {"X-Forwarded-For": "203.0.113.9"}
    assert _login_ip(app_factory(TRUSTED_PROXIES=0), spoofed) == "127.0.0.1"
    assert _login_ip(app_factory(TRUSTED_PROXIES=1), spoofed) == "203.0.113.9"
    # A client cannot push a fake address past the proxy: it appends the real one last.
    chained = {"X-Forwarded-For": "10.9.9.9, 198.51.100.7"}
    assert _login_ip(app_factory(TRUSTED_PROXIES=1), chained) == "198.51.100.7"


# --------------------------------------------------------------------------------------------
# Logs
# --------------------------------------------------------------------------------------------
def test_production_never_writes_mail_bodies_with_reset_links_to_the_log(app_factory, world, caplog):
    from app.models.audit import OutboxMail

    for env, expect_body in (("development", True), ("production", False)):
        application = app_factory(
            ENV_NAME=env,
            SECRET_KEY="a-long-random-production-secret-0123456789",
            TRUSTED_HOSTS=["localhost"],
            RATELIMIT_ENABLED=False,
        )
        caplog.clear()
        with application.app_context(), caplog.at_level(logging.INFO):
            outgoing = OutboxMail(recipient="budi@example.id", subject="Reset", body="https://x/reset/SECRET-TOKEN")
            db.session.add(outgoing)
            db.session.commit()
            mail.log_outbox_only(outgoing)
        assert ("SECRET-TOKEN" in caplog.text) is expect_body, env
